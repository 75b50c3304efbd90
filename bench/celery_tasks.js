'use strict';
// The greenhub side of bench/celery.js: a no-op task and a 10 ms I/O wait.
//   bin/greenhub celery worker -A bench/celery_tasks.js -c 100 -Q bench
const { sleep } = require('..');
const { CeleryApp } = require('../dist/celery');

const app = new CeleryApp({ broker: process.env.BENCH_BROKER || 'redis://127.0.0.1:6379/0' });
app.task('bench.noop', function* noop() {
  return null;
});
app.task('bench.io10ms', function* io10ms() {
  yield* sleep(0.01);
  return null;
});
module.exports = app;
