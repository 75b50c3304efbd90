// `greenhub celery worker|beat -A module [options]`: the greenlet Celery
// worker and the beat scheduler for an app module (one that exports a
// CeleryApp as `app`, `celery`, its default export or module.exports, as
// Celery's -A finds `app` or `celery`).
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { CeleryApp } from '../celery/app';
import type { CeleryLogger, LogLevel } from '../celery/log';
import type { WorkerOptions } from '../celery/worker';
import { resolveAppModule } from '../scale/app';
import { UsageError } from './usage';

export const USAGE = `usage: greenhub celery worker -A module [options]
       greenhub celery beat -A module [options]

worker: runs the app's tasks as greenlets, consuming its queues.
  -A, --app MODULE              module exporting the CeleryApp (app, celery or default)
  -c, --concurrency N           greenlets running tasks at once (default 100)
  -Q, --queues Q1,Q2            queues to consume (default: the app's default queue)
  -n, --hostname NAME           node name for remote control (default greenhub@<host>; %h, %n, %d as in Celery)
      --prefetch-multiplier N   messages reserved per greenlet (default 4; 0: unbounded)
      --shutdown-timeout S      seconds running tasks get on SIGTERM (default 30)
  -l, --loglevel LEVEL          debug, info, warning or error (default warning)

beat: publishes the app's beatSchedule on time.
  -A, --app MODULE
  -l, --loglevel LEVEL          (default info)

signals: SIGTERM/SIGINT stop gracefully (a second one: at once); SIGQUIT stops at once.
`;

const LEVELS: Readonly<Record<string, number>> = { debug: 10, info: 20, warn: 30, warning: 30, error: 40, critical: 50 };
const NAMES: Readonly<Record<LogLevel, string>> = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' };

/** Celery's log line: `[time: LEVEL/process] message`, on stderr, at or above `level`. */
export function cliLogger(level: string, process_ = 'MainProcess'): CeleryLogger {
  const threshold = LEVELS[level.toLowerCase()];
  if (threshold === undefined) throw new UsageError(`--loglevel is debug, info, warning or error, not ${JSON.stringify(level)}`);
  return (messageLevel, message) => {
    if (LEVELS[messageLevel] < threshold) return;
    const stamp = new Date().toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
    process.stderr.write(`[${stamp}: ${NAMES[messageLevel]}/${process_}] ${message}\n`);
  };
}

function isApp(value: unknown): value is CeleryApp {
  if (value instanceof CeleryApp) return true;
  // Another copy of greenhub (the app module imported the package build): same shape.
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as CeleryApp).worker === 'function' &&
    typeof (value as CeleryApp).beat === 'function' &&
    (value as CeleryApp).tasks instanceof Map
  );
}

/** Loads the module named by -A and finds its CeleryApp. */
export function loadCeleryApp(specifier: string, cwd = process.cwd()): CeleryApp {
  const file = resolveAppModule(specifier, cwd);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = require(file) as Record<string, unknown> | null;
  const candidates = [exported, exported?.app, exported?.celery, exported?.default];
  const app = candidates.find(isApp);
  if (!app) throw new UsageError(`${path.relative(cwd, file) || file} exports no CeleryApp (as module.exports, app, celery or default)`);
  return app;
}

export interface CeleryCommand {
  command: 'worker' | 'beat';
  app: string;
  loglevel: string;
  worker: WorkerOptions;
}

/** Celery's node name variables: %h host name, %n its first label, %d the rest (domain), %% a percent sign. */
export function expandNodeName(name: string, host = os.hostname()): string {
  const dot = host.indexOf('.');
  const short = dot === -1 ? host : host.slice(0, dot);
  const domain = dot === -1 ? '' : host.slice(dot + 1);
  return name.replace(/%([hnd%])/g, (_, key: string) => (key === 'h' ? host : key === 'n' ? short : key === 'd' ? domain : '%'));
}

function integer(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`--${name} takes a whole number >= ${min}, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** The command line as options; throws UsageError. */
export function parseCeleryArgs(argv: readonly string[]): CeleryCommand | 'help' {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        app: { type: 'string', short: 'A' },
        concurrency: { type: 'string', short: 'c' },
        queues: { type: 'string', short: 'Q' },
        hostname: { type: 'string', short: 'n' },
        'prefetch-multiplier': { type: 'string' },
        'shutdown-timeout': { type: 'string' },
        loglevel: { type: 'string', short: 'l' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return 'help';
  const [command, ...extra] = parsed.positionals;
  if (command !== 'worker' && command !== 'beat') throw new UsageError(command === undefined ? 'worker or beat?' : `unknown command ${JSON.stringify(command)} (worker or beat)`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const app = values.app as string | undefined;
  if (!app) throw new UsageError('which app? (-A module)');
  if (command === 'beat') {
    for (const name of ['concurrency', 'queues', 'hostname', 'prefetch-multiplier', 'shutdown-timeout']) {
      if (values[name] !== undefined) throw new UsageError(`--${name} is a worker option`);
    }
  }
  const worker: WorkerOptions = {};
  const concurrency = integer('concurrency', values.concurrency as string | undefined, 1);
  if (concurrency !== undefined) worker.concurrency = concurrency;
  if (values.queues !== undefined) {
    const queues = (values.queues as string).split(',').map((q) => q.trim()).filter((q) => q !== '');
    if (queues.length === 0) throw new UsageError('--queues needs at least one queue name');
    worker.queues = queues;
  }
  if (values.hostname !== undefined) {
    if (values.hostname === '') throw new UsageError('--hostname must not be empty');
    worker.hostname = expandNodeName(values.hostname as string);
  }
  const multiplier = integer('prefetch-multiplier', values['prefetch-multiplier'] as string | undefined, 0);
  if (multiplier !== undefined) worker.prefetchMultiplier = multiplier;
  const shutdown = values['shutdown-timeout'] as string | undefined;
  if (shutdown !== undefined) {
    const seconds = Number(shutdown);
    if (shutdown.trim() === '' || !Number.isFinite(seconds) || seconds < 0) throw new UsageError(`--shutdown-timeout takes a number of seconds >= 0, not ${JSON.stringify(shutdown)}`);
    worker.shutdownTimeout = seconds;
  }
  const loglevel = (values.loglevel as string | undefined) ?? (command === 'beat' ? 'info' : 'warning');
  cliLogger(loglevel); // checks the level
  return { command, app, loglevel, worker };
}

async function runWorker(app: CeleryApp, command: CeleryCommand, log: CeleryLogger): Promise<void> {
  const worker = app.worker({ ...command.worker, logger: log });
  let signals = 0;
  const onStop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1 && signal !== 'SIGQUIT') {
      log('warn', `${signal}: warm shutdown (${signal} again to stop at once)`);
      void worker.stop();
    } else {
      log('warn', `${signal}: cold shutdown`);
      worker.stopNow();
      void worker.stop({ timeout: 0 });
    }
  };
  const handlers: [NodeJS.Signals, () => void][] = (['SIGTERM', 'SIGINT', 'SIGQUIT'] as const).map((s) => [s, () => onStop(s)]);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    await worker.run();
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

async function runBeat(app: CeleryApp, log: CeleryLogger): Promise<void> {
  const beat = app.beat({ logger: log });
  const handlers: [NodeJS.Signals, () => void][] = (['SIGTERM', 'SIGINT'] as const).map((s) => [s, () => beat.stop()]);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    await beat.run();
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

/** Runs the command; resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  let command: ReturnType<typeof parseCeleryArgs>;
  let app: CeleryApp;
  try {
    command = parseCeleryArgs(argv);
    if (command === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    app = loadCeleryApp(command.app);
  } catch (error) {
    if (!(error instanceof UsageError)) {
      process.stderr.write(`greenhub celery: cannot load the app: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      return 1;
    }
    process.stderr.write(`greenhub celery: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  const log = cliLogger(command.loglevel);
  try {
    if (command.command === 'worker') await runWorker(app, command, log);
    else await runBeat(app, log);
    return 0;
  } catch (error) {
    log('error', `${command.command} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  } finally {
    await app.close().catch(() => undefined);
  }
}

/** The command for the `greenhub` dispatcher's table (its usage text and entry point). */
export const command: { readonly usage: string; main(args: string[]): Promise<number> } = { usage: USAGE, main };
