'use strict';
// Node `http` servers for the HTTP benchmark's 64 KiB response and 1 MiB
// upload cases (the anchors only have hello world).
//   usage: node bench/http_node_variants.js PORT 64k|upload
const http = require('http');

const port = Number(process.argv[2] || 8080);
const mode = process.argv[3] || '64k';
process.on('SIGINT', () => process.exit(0));
const big = Buffer.alloc(64 * 1024, 'x');

const server = http.createServer((req, res) => {
  if (mode === '64k') {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': big.length });
    res.end(big);
    return;
  }
  let total = 0;
  req.on('data', (chunk) => (total += chunk.length));
  req.on('end', () => res.end(`received ${total}`));
});
server.listen(port, '127.0.0.1');
