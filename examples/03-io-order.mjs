// I/O-bound greenlets: each asks a local server something that takes a
// different time to answer. They start in order 1..5 and finish in the
// order the answers come, without any explicit switch: a greenlet waiting
// on its socket lets the others run.
import { joinAll, sleep, spawn, Socket, SocketReader, StreamServer } from 'greenhub';

export async function main() {
  // A server that answers each request after the delay it names.
  const server = new StreamServer(['127.0.0.1', 0], function* (socket) {
    const request = (yield* new SocketReader(socket).readline()).toString().trim();
    yield* sleep(Number(request) / 1000);
    yield* socket.sendall(`slept ${request} ms\n`);
  });
  server.start();
  const address = server.address;

  function* ask(id, delayMs) {
    const socket = new Socket();
    try {
      yield* socket.connect(address);
      console.log(`greenlet ${id}: asking for ${delayMs} ms`);
      yield* socket.sendall(`${delayMs}\n`);
      const answer = (yield* new SocketReader(socket).readline()).toString().trim();
      console.log(`greenlet ${id}: done (${answer})`);
      return id;
    } finally {
      socket.close();
    }
  }

  const greenlets = [250, 50, 200, 100, 150].map((delay, i) => spawn(ask, i + 1, delay));
  const finished = await joinAll(greenlets, { timeout: 5 });
  console.log(`started 1 2 3 4 5, finished ${finished.map((g) => g.value).join(' ')}`);
  await server.stop();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
