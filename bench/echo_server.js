'use strict';
// greenhub echo server for the echo benchmark: one greenlet per connection,
// sequential code.   usage: node bench/echo_server.js PORT
const { run, spawn, Socket } = require('..');

const port = Number(process.argv[2] || 9000);
process.on('SIGINT', () => process.exit(0));

function* echo(conn) {
  const buffer = Buffer.allocUnsafe(65536);
  try {
    for (;;) {
      const n = yield* conn.recvInto(buffer);
      if (n === 0) break;
      yield* conn.sendall(buffer.subarray(0, n));
    }
  } catch {
    // a reset peer ends the connection
  } finally {
    conn.close();
  }
}

run(function* () {
  const listener = new Socket();
  listener.setsockopt(Socket.constants.SOL_SOCKET, Socket.constants.SO_REUSEADDR, 1);
  listener.bind(['127.0.0.1', port]);
  listener.listen(1024);
  console.error(`greenhub echo listening on 127.0.0.1:${port} (${require('..').getHub().loop.backend})`);
  for (;;) {
    const [conn] = yield* listener.accept();
    spawn(echo, conn);
  }
}).catch((error) => {
  console.error(error);
  process.exit(1);
});
