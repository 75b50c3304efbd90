// Runs a greenhub command module as its own process, for tests, until the
// `greenhub` dispatcher (bin/greenhub) lands:
//   node --require tsx/cjs test/run-command.ts serve app.ts --port 0
import * as path from 'node:path';

async function runCommand(): Promise<void> {
  const [name, ...argv] = process.argv.slice(2);
  if (!name || !/^[a-z-]+$/.test(name)) {
    process.stderr.write('usage: run-command.ts <command> [args...]\n');
    process.exit(2);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const command = require(path.join(__dirname, '..', 'lib', 'cli', name)) as { main(argv: string[]): Promise<number> };
  process.exitCode = await command.main(argv);
}

void runCommand();
