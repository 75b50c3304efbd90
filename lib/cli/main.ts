// The `greenhub` command: a dispatcher over the command table
// (commands.ts). bin/greenhub runs main() from the built package.
import * as path from 'node:path';

import { commands } from './commands';
import { UsageError } from './options';

function version(): string {
  // lib/cli and dist/cli are both two levels below the package root.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(__dirname, '..', '..', 'package.json')) as { version: string }).version;
}

function overview(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return [
    'usage: greenhub <command> [options] [args...]',
    '',
    'commands:',
    ...lines,
    '',
    "Run 'greenhub <command> --help' for a command's options; 'greenhub --version' for the version.",
  ].join('\n');
}

/**
 * Runs the command line `argv` (without node and the script). Resolves with
 * the exit status, or null when the process should end by itself.
 */
export async function main(argv: readonly string[]): Promise<number | null> {
  const [name, ...args] = argv;
  if (name === undefined) {
    process.stderr.write(`${overview()}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? args[0] : undefined;
    if (topic !== undefined && Object.hasOwn(commands, topic)) process.stdout.write(`${commands[topic].load().usage.trimEnd()}\n`);
    else process.stdout.write(`${overview()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`greenhub ${version()}\n`);
    return 0;
  }
  if (!Object.hasOwn(commands, name)) {
    process.stderr.write(`greenhub: unknown command '${name}'. Run 'greenhub --help' for the list.\n`);
    return 2;
  }
  const command = commands[name].load();
  try {
    return await command.main(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`greenhub ${name}: ${error.message}\n\n${command.usage.trimEnd()}\n`);
      return 2;
    }
    process.stderr.write(`greenhub ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** Runs main() and ends the process with its status (bin/greenhub). */
export function runCli(argv: readonly string[]): void {
  main(argv).then(
    (status) => {
      if (status !== null) process.exit(status);
    },
    (error: unknown) => {
      process.stderr.write(`greenhub: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) runCli(process.argv.slice(2));
