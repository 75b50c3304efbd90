// `greenhub run script [args...]`: gevent's `python -m gevent.monkey
// script`. The patches go on first, then the script runs as Node's main
// module (require.main, or the ES module entry), and its `main` export, if
// it has one, runs as the main greenlet.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

import { LoopExit } from '../core/errors';
import type { Greenlet } from '../core/greenlet';
import { getHub } from '../core/hub';
import { run } from '../core/task';
import { BackdoorServer, parseBackdoorAddress } from '../io/backdoor';
import { runResult } from '../io/server';
import { patch, patchNames, type PatchName } from '../monkey';
import type { Command } from './commands';
import { parseOptions, UsageError } from './options';

const USAGE = `usage: greenhub run [options] [--] script [args...]

Runs script (CommonJS or ES module) as Node's main module, with greenhub's
monkey patches on (${patchNames.join(', ')}). process.argv is what it
would be under node: [node, script, ...args].

If the script exports a function \`main\` (or an ES module default export
that is a function), it runs as the main greenlet, called with the args
array; a generator function can block with yield*. When it returns, the
process exits: with its return value if that is an integer from 0 to 255,
else 0. If it throws (LoopExit included), the error is printed and the
status is 1. Without main, the process ends as it would under node.

options:
  --patch LIST            patches to apply, comma-separated (default: all)
  --no-patch              apply none
  --monitor               start the blocking monitor (as GREENHUB_MONITOR=1)
  --max-blocking-time S   the monitor's threshold in seconds (default 0.1); implies --monitor
  --backdoor ADDRESS      serve a backdoor REPL while the script runs: a port on
                          127.0.0.1, host:port, or a Unix socket path (without
                          main, the process then runs until it exits or is killed)
  --backdoor-token TOKEN  the token clients must send (or GREENHUB_BACKDOOR_TOKEN)
  -h, --help              this text`;

const SPEC = {
  help: 'flag',
  patch: 'value',
  'no-patch': 'flag',
  monitor: 'flag',
  'max-blocking-time': 'value',
  backdoor: 'value',
  'backdoor-token': 'value',
} as const;

function patchesToApply(options: Map<string, string | true>): PatchName[] {
  if (options.has('no-patch')) {
    if (options.has('patch')) throw new UsageError('--patch and --no-patch exclude each other');
    return [];
  }
  const list = options.get('patch');
  if (list === undefined) return [...patchNames];
  const names = String(list)
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of names) {
    if (!(patchNames as readonly string[]).includes(name)) {
      throw new UsageError(`unknown patch '${name}' in --patch (known: ${patchNames.join(', ')})`);
    }
  }
  return names as PatchName[];
}

function monitorThreshold(options: Map<string, string | true>): number | null {
  const text = options.get('max-blocking-time');
  if (text === undefined) return options.has('monitor') ? 0.1 : null;
  const seconds = Number(text);
  if (String(text).trim() === '' || !(seconds >= 0.001 && seconds <= 3600)) {
    throw new UsageError(`--max-blocking-time must be a number of seconds from 0.001 to 3600, not '${String(text)}'`);
  }
  return seconds;
}

type MainFunction = (args: string[]) => unknown;

// The script's main, once it has loaded: CommonJS exports are there at
// once; an ES module is imported again (the loader gives back the same,
// evaluated, instance).
async function findMain(script: string): Promise<MainFunction | null> {
  const cached = require.cache[script];
  if (cached !== undefined) {
    const exports = cached.exports as { main?: unknown; default?: unknown } | null;
    if (exports !== null && typeof exports === 'object') {
      if (typeof exports.main === 'function') return exports.main as MainFunction;
      // A TypeScript or Babel module's default export.
      if (typeof exports.default === 'function') return exports.default as MainFunction;
    }
    return null;
  }
  // tsc would turn import() into require(): build it at run time instead.
  const importModule = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<Record<string, unknown>>;
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule(pathToFileURL(script).href);
  } catch {
    // Node's ESM entry already reported the error as uncaught.
    return null;
  }
  if (typeof namespace.main === 'function') return namespace.main as MainFunction;
  if (typeof namespace.default === 'function') return namespace.default as MainFunction;
  return null;
}

async function runMain(main: MainFunction, args: string[], script: string): Promise<number> {
  const hub = getHub();
  try {
    // main may be a generator function (an operation), an async function or a plain one.
    const result = await run(function* (this: Greenlet) {
      this.name = 'main';
      return yield* runResult(main(args) as never);
    });
    return typeof result === 'number' && Number.isInteger(result) && result >= 0 && result <= 255 ? result : 0;
  } catch (error) {
    const context = `the main greenlet of ${script}`;
    if (error instanceof LoopExit) hub.exceptionStream?.write(`greenhub run: ${context} would block forever: ${error.message}\n`);
    else hub.printException({ toString: () => context }, error);
    return 1;
  }
}

async function main(args: string[]): Promise<number | null> {
  const { options, rest } = parseOptions(args, SPEC);
  if (options.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const patches = patchesToApply(options);
  const threshold = monitorThreshold(options);
  if (rest.length === 0) throw new UsageError('no script given');
  const [scriptArg, ...scriptArgs] = rest;
  const script = path.resolve(scriptArg);
  if (!fs.existsSync(script)) throw new Error(`cannot find script '${scriptArg}'`);

  for (const name of patches) patch(name);
  const hub = getHub();
  if (threshold !== null) hub.startMonitor({ maxBlockingTime: threshold });
  const backdoorAddress = options.get('backdoor');
  if (backdoorAddress !== undefined) {
    const target = parseBackdoorAddress(String(backdoorAddress));
    const token = options.get('backdoor-token') ?? process.env.GREENHUB_BACKDOOR_TOKEN ?? null;
    const backdoor = new BackdoorServer('path' in target ? target.path : [target.host, target.port], {
      token: token === null ? null : String(token),
    });
    backdoor.start();
  }

  // The script becomes the main module, as `node script args` would make it.
  process.argv = [process.argv[0], script, ...scriptArgs];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('node:module') as { runMain(main?: string): void };
  try {
    Module.runMain(script);
  } catch (error) {
    hub.printException({ toString: () => `the script ${script}` }, error);
    return 1;
  }
  const mainFunction = await findMain(script);
  // Without main the script runs on as under node (with a backdoor, until
  // it exits or is interrupted: the backdoor keeps it alive).
  if (mainFunction === null) return null;
  return runMain(mainFunction, scriptArgs, script);
}

export const command: Command = { usage: USAGE, main };
