'use strict';
// greenhub HTTP hello world for the HTTP benchmark.
//   usage: node bench/http_server.js PORT [hello|64k|upload]
const { HttpServer } = require('..');

const port = Number(process.argv[2] || 8080);
const mode = process.argv[3] || 'hello';
process.on('SIGINT', () => process.exit(0));
const big = Buffer.alloc(64 * 1024, 'x');

function* hello(req, res) {
  res.setHeader('Content-Type', 'text/plain');
  yield* res.end('Hello, World!');
}

function* large(req, res) {
  res.setHeader('Content-Type', 'application/octet-stream');
  yield* res.end(big);
}

function* upload(req, res) {
  let total = 0;
  for (;;) {
    const chunk = yield* req.read();
    if (chunk === null) break;
    total += chunk.length;
  }
  yield* res.end(`received ${total}`);
}

const handler = mode === '64k' ? large : mode === 'upload' ? upload : hello;
const server = new HttpServer(['127.0.0.1', port], handler, { backlog: 1024 });
server.start();
console.error(`greenhub http (${mode}) on 127.0.0.1:${port}`);
