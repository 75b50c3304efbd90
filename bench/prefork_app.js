'use strict';
// The HTTP hello world as a prefork app module (bench/prefork.js):
//   bin/greenhub serve bench/prefork_app.js --workers N --port P
const { HttpServer } = require('..');

module.exports = ({ listener }) =>
  new HttpServer(listener, function* hello(req, res) {
    res.setHeader('Content-Type', 'text/plain');
    yield* res.end('Hello, World!');
  });
