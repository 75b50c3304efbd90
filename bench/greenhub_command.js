'use strict';
// Runs a greenhub command module from dist/ (until bin/greenhub lands):
//   node bench/greenhub_command.js serve app.js --workers 2
//   node bench/greenhub_command.js celery worker -A tasks.js
const path = require('path');

const [name, ...argv] = process.argv.slice(2);
if (!name || !/^[a-z-]+$/.test(name)) {
  console.error('usage: greenhub_command.js <command> [args...]');
  process.exit(2);
}
require(path.join(__dirname, '..', 'dist', 'cli', name))
  .main(argv)
  .then((code) => (process.exitCode = code));
