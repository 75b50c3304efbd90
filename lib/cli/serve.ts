// `greenhub serve <module> [options]`: prefork serving of an app module (see
// lib/scale/prefork.ts for what the master does and lib/scale/app.ts for
// what the module exports).
import { parseArgs } from 'node:util';

import { serve, type ServeOptions } from '../scale/prefork';
import { UsageError } from './usage';

export { UsageError };

export const USAGE = `usage: greenhub serve <module> [options]

Runs the app <module> exports (a factory: ({ listener }) => server) in
worker processes sharing one port.

options:
  -w, --workers N            worker processes (default: one per core)
  -p, --port P               port (default 8000; 0: any free port)
  -H, --host H               address to listen on (default 127.0.0.1)
  -t, --graceful-timeout S   seconds workers get to finish on stop/reload (default 30)
      --backlog N            listen() backlog (default 511)
      --listen MODE          reuseport (default) or shared
  -h, --help                 this help

signals: SIGTERM/SIGINT stop gracefully, SIGHUP reloads the workers one by one.
`;

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} takes a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

function number(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new UsageError(`--${name} takes a number >= 0, not ${JSON.stringify(text)}`);
  return value;
}

/** The command line as serve() arguments; throws UsageError. */
export function parseServeArgs(argv: readonly string[]): { module: string; options: ServeOptions } | 'help' {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        workers: { type: 'string', short: 'w' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string', short: 'H' },
        'graceful-timeout': { type: 'string', short: 't' },
        backlog: { type: 'string' },
        listen: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return 'help';
  if (parsed.positionals.length !== 1) {
    throw new UsageError(parsed.positionals.length === 0 ? 'which module? (greenhub serve app.js)' : `one module only, got ${parsed.positionals.join(' ')}`);
  }
  const listen = values.listen as string | undefined;
  if (listen !== undefined && listen !== 'reuseport' && listen !== 'shared') throw new UsageError(`--listen is reuseport or shared, not ${JSON.stringify(listen)}`);
  const options: ServeOptions = {};
  const workers = integer('workers', values.workers as string | undefined);
  if (workers !== undefined) {
    if (workers < 1) throw new UsageError('--workers must be at least 1');
    options.workers = workers;
  }
  const port = integer('port', values.port as string | undefined);
  if (port !== undefined) {
    if (port > 65535) throw new UsageError(`--port must be at most 65535, not ${port}`);
    options.port = port;
  }
  if (values.host !== undefined) options.host = values.host as string;
  const graceful = number('graceful-timeout', values['graceful-timeout'] as string | undefined);
  if (graceful !== undefined) options.gracefulTimeout = graceful;
  const backlog = integer('backlog', values.backlog as string | undefined);
  if (backlog !== undefined) options.backlog = backlog;
  if (listen !== undefined) options.listen = listen;
  return { module: parsed.positionals[0], options };
}

/** Runs the command; resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseServeArgs>;
  try {
    args = parseServeArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`greenhub serve: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    const master = await serve(args.module, args.options);
    return await master.closed;
  } catch (error) {
    process.stderr.write(`greenhub serve: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** The command for the `greenhub` dispatcher's table (its usage text and entry point). */
export const command: { readonly usage: string; main(args: string[]): Promise<number> } = { usage: USAGE, main };
