// An HTTP/1.1 hello world: one greenlet per connection, sequential code.
// PORT sets the port (default 8080).
import { HttpServer } from 'greenhub';

export function main() {
  const port = Number(process.env.PORT ?? 8080);
  const server = new HttpServer(['127.0.0.1', port], function* (request, response) {
    response.setHeader('Content-Type', 'text/plain; charset=utf-8');
    yield* response.end(`Hello, World! You asked for ${request.path}\n`);
  });
  server.start();
  console.log(`greenhub HTTP server listening on http://127.0.0.1:${port}/ (Ctrl-C to stop)`);
  const stop = () => {
    server.stop({ timeout: 1 }).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}

if (import.meta.url === `file://${process.argv[1]}`) main();
