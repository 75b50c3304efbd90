// Prefork serving (gunicorn's model, for greenhub apps): a master process
// starts N worker processes, each with its own hub running the app's
// server, all accepting on one port. The master only forks, watches and
// signals; it never loads the app module (nor calls an app factory).
//
//   serve('./app.js', { workers: 4, port: 8080 })        // or serve(factory, ...)
//
// - Sockets: the master opens the listening sockets and keeps them (see
//   listeners.ts): one SO_REUSEPORT socket per worker slot, or one shared
//   socket where the kernel has no SO_REUSEPORT (or GREENHUB_PREFORK_LISTEN
//   =shared). Workers inherit theirs as fd 3.
// - A worker that dies is restarted in its slot after a backoff that doubles
//   with each quick crash (restartDelay .. maxRestartDelay); a worker that
//   stayed up `stableAfter` seconds resets it. After `crashLimit` crashes in
//   a row the master gives up and stops (a broken app must not spin).
// - SIGTERM/SIGINT: graceful stop. Every worker stops accepting and
//   finishes what it is doing, up to gracefulTimeout; the master kills
//   stragglers a little after that and exits when all are gone.
// - SIGHUP: rolling reload, one slot at a time: a new worker starts on the
//   slot's socket, and only once it accepts is the old one stopped
//   gracefully. Both share the slot's socket meanwhile, so no connection is
//   dropped and never fewer than N workers accept. A new worker that fails
//   to start aborts the reload and the old ones keep serving.
//
// Why child_process.fork and not `cluster`: cluster's value is sharing Node
// `net` server handles (round-robin through the master, or a shared handle).
// greenhub workers accept on raw fds with their own loop, so all cluster
// would add is its handle protocol. fork() with the socket in the child's
// stdio table (fd 3) and an IPC channel is all prefork needs, and keeps the
// master free of app code.
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as os from 'node:os';
import * as path from 'node:path';

import { invalidArgType, invalidArgValue } from '../loop/errors';
import { validateInteger, validateObject } from '../loop/validate';
import { resolveAppModule, type AppFactory } from './app';
import { closeListeners, openListeners, slotFd, type ListenerSet, type ListenMode } from './listeners';
import { WORKER_ENV, type MasterMessage, type WorkerConfig, type WorkerMessage } from './messages';
import { runWorker, workerConfig } from './worker';

export type PreforkLogLevel = 'info' | 'warn' | 'error';
export type PreforkLogger = (level: PreforkLogLevel, message: string) => void;

export interface ServeOptions {
  /** Worker processes (default: one per core, os.availableParallelism()). */
  workers?: number;
  /** Address to listen on: an IP literal or a name resolved once (default '127.0.0.1'). */
  host?: string;
  /** Port (default 8000; 0 lets the kernel pick one: see Prefork.port). */
  port?: number;
  /** Seconds in-flight work may take when workers stop (stop and reload; default 30). */
  gracefulTimeout?: number;
  /** listen() backlog of each socket (default 511). */
  backlog?: number;
  /**
   * 'reuseport' (default): a socket per worker with SO_REUSEPORT (falls back
   * to 'shared' where the kernel refuses it); 'shared': one socket for all.
   * The environment variable GREENHUB_PREFORK_LISTEN overrides the default.
   */
  listen?: ListenMode;
  /** Seconds before the first restart of a crashed worker; doubles per crash in a row (default 0.1). */
  restartDelay?: number;
  /** Cap of the restart backoff in seconds (default 10). */
  maxRestartDelay?: number;
  /** Crashes in a row of one slot after which the master gives up and stops (default 10). */
  crashLimit?: number;
  /** Seconds a worker must stay up for its slot's crash count to reset (default 5). */
  stableAfter?: number;
  /** Seconds a new worker has to start listening before it is killed (default 30). */
  startTimeout?: number;
  /** Install SIGTERM/SIGINT (stop) and SIGHUP (reload) handlers in the master (default true). */
  handleSignals?: boolean;
  /** Extra environment for the workers. */
  env?: NodeJS.ProcessEnv;
  /** Node options for the workers (default: the master's, plus tsx when running from TypeScript). */
  execArgv?: string[];
  logger?: PreforkLogger;
}

export type WorkerState = 'starting' | 'listening' | 'stopping';

/** A worker process as the master sees it. */
export interface WorkerInfo {
  slot: number;
  pid: number;
  generation: number;
  state: WorkerState;
}

interface Worker extends WorkerInfo {
  child: ChildProcess;
  startedAt: number;
  listeningAt: number;
  /** The slot's current worker (false: a retiring or aborted one). */
  current: boolean;
  error: string | null;
  startTimer: NodeJS.Timeout | null;
}

interface Slot {
  index: number;
  crashes: number;
  restartTimer: NodeJS.Timeout | null;
  generation: number;
}

export const defaultPreforkLogger: PreforkLogger = (level, message) => {
  process.stderr.write(`[greenhub.serve] ${level === 'info' ? '' : `${level}: `}${message}\n`);
};

/** Thrown (and the master stops) when a worker slot crashed `crashLimit` times in a row. */
export class CrashLoopError extends Error {
  readonly code = 'ERR_PREFORK_CRASH_LOOP';
  constructor(slot: number, crashes: number, lastError: string | null) {
    super(`worker slot ${slot} crashed ${crashes} times in a row; giving up${lastError ? `\nlast error: ${lastError}` : ''}`);
    this.name = 'CrashLoopError';
  }
}

/** serve() rejects with this when a first worker exits before accepting (the app failed to load or start). */
export class WorkerBootError extends Error {
  readonly code = 'ERR_PREFORK_WORKER_BOOT';
  constructor(slot: number, how: string, lastError: string | null) {
    super(`worker of slot ${slot} exited (${how}) before accepting${lastError ? `:\n${lastError}` : ''}`);
    this.name = 'WorkerBootError';
  }
}

function seconds(name: string, value: unknown, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType(name, 'a number of seconds', value);
  if (!Number.isFinite(value) || value < min) {
    throw Object.assign(new RangeError(`The value of "${name}" is out of range. It must be a finite number >= ${min}. Received ${value}`), {
      code: 'ERR_OUT_OF_RANGE',
    });
  }
  return value;
}

interface Settings {
  workers: number;
  host: string;
  port: number;
  gracefulTimeout: number;
  backlog: number;
  listen: ListenMode;
  restartDelay: number;
  maxRestartDelay: number;
  crashLimit: number;
  stableAfter: number;
  startTimeout: number;
  handleSignals: boolean;
  env: NodeJS.ProcessEnv;
  execArgv: string[] | null;
  logger: PreforkLogger;
}

function settingsOf(options: ServeOptions): Settings {
  validateObject('options', options as unknown);
  const workers = options.workers ?? os.availableParallelism();
  validateInteger('options.workers', workers, 1, 1024);
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw invalidArgType('options.host', 'a non-empty host name or IP address', host);
  const port = options.port ?? 8000;
  validateInteger('options.port', port, 0, 65535);
  const backlog = options.backlog ?? 511;
  validateInteger('options.backlog', backlog, 0, 0x7fffffff);
  const envListen = process.env.GREENHUB_PREFORK_LISTEN;
  const listen = options.listen ?? (envListen === 'shared' || envListen === 'reuseport' ? envListen : 'reuseport');
  if (listen !== 'reuseport' && listen !== 'shared') throw invalidArgValue('options.listen', "must be 'reuseport' or 'shared'", listen);
  const crashLimit = options.crashLimit ?? 10;
  validateInteger('options.crashLimit', crashLimit, 1, Number.MAX_SAFE_INTEGER);
  const handleSignals = options.handleSignals ?? true;
  if (typeof handleSignals !== 'boolean') throw invalidArgType('options.handleSignals', 'of type boolean', handleSignals);
  const env = options.env ?? {};
  validateObject('options.env', env as unknown);
  const execArgv = options.execArgv ?? null;
  if (execArgv !== null && (!Array.isArray(execArgv) || execArgv.some((a) => typeof a !== 'string'))) {
    throw invalidArgType('options.execArgv', 'an array of strings', execArgv);
  }
  const logger = options.logger ?? defaultPreforkLogger;
  if (typeof logger !== 'function') throw invalidArgType('options.logger', 'of type function', logger);
  const restartDelay = seconds('options.restartDelay', options.restartDelay, 0.1);
  return {
    workers,
    host,
    port,
    gracefulTimeout: seconds('options.gracefulTimeout', options.gracefulTimeout, 30),
    backlog,
    listen,
    restartDelay,
    maxRestartDelay: Math.max(restartDelay, seconds('options.maxRestartDelay', options.maxRestartDelay, 10)),
    crashLimit,
    stableAfter: seconds('options.stableAfter', options.stableAfter, 5),
    startTimeout: seconds('options.startTimeout', options.startTimeout, 30, 0.001),
    handleSignals,
    env,
    execArgv,
    logger,
  };
}

/** How to start a worker process: the worker script with a module, or the user's own script with a factory. */
interface Launch {
  module: string | null;
  script: string;
  args: string[];
  execArgv: string[];
}

function tsxArgv(execArgv: readonly string[]): string[] {
  // Running from TypeScript sources (tests, tsx): the worker script is .ts too.
  if (!__filename.endsWith('.ts')) return [...execArgv];
  const joined = execArgv.join(' ');
  return joined.includes('tsx') ? [...execArgv] : [...execArgv, '--require', 'tsx/cjs'];
}

function launchOf(app: string | AppFactory, settings: Settings): Launch {
  if (typeof app === 'string') {
    return {
      module: resolveAppModule(app),
      script: path.join(__dirname, `worker${path.extname(__filename)}`),
      args: [],
      execArgv: settings.execArgv ?? tsxArgv(process.execArgv),
    };
  }
  const script = process.argv[1];
  if (typeof script !== 'string' || script === '') {
    throw invalidArgValue('app', 'as a function needs a script to fork (process.argv[1]); pass a module path instead', app);
  }
  return { module: null, script, args: process.argv.slice(2), execArgv: settings.execArgv ?? [...process.execArgv] };
}

/** A running prefork master (see serve()). */
export class Prefork extends EventEmitter {
  readonly host: string;
  /** The port the workers serve (the kernel's pick when 0 was asked). */
  readonly port: number;
  /** How the workers share the port: one SO_REUSEPORT socket each, or one shared socket. */
  readonly mode: ListenMode;
  /** Resolves with the master's exit status once it has stopped: 0, or 1 after a crash loop. */
  readonly closed: Promise<number>;
  readonly #settings: Settings;
  readonly #launch: Launch;
  readonly #listeners: ListenerSet;
  readonly #slots: Slot[];
  readonly #workers = new Set<Worker>();
  #stopping = false;
  #status = 0;
  #killTimer: NodeJS.Timeout | null = null;
  #resolveClosed!: (status: number) => void;
  #reloading: Promise<void> = Promise.resolve();
  #signalHandlers: [NodeJS.Signals, () => void][] = [];
  #ready: { resolve: () => void; reject: (error: Error) => void } | null = null;

  /** @internal Use serve(). */
  constructor(settings: Settings, launch: Launch, listeners: ListenerSet) {
    super();
    this.#settings = settings;
    this.#launch = launch;
    this.#listeners = listeners;
    this.host = listeners.host;
    this.port = listeners.port;
    this.mode = listeners.mode;
    this.#slots = Array.from({ length: settings.workers }, (_, index) => ({ index, crashes: 0, restartTimer: null, generation: 0 }));
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** @internal Starts every slot's worker; resolves when all accept. */
  _start(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => (this.#ready = { resolve, reject }));
    if (this.#settings.handleSignals) this.#installSignals();
    this.#log('info', `master ${process.pid}: ${this.#settings.workers} worker(s) on ${this.host}:${this.port} (${this.mode})`);
    for (const slot of this.#slots) this.#spawn(slot);
    return ready;
  }

  /** The workers alive now. */
  workers(): WorkerInfo[] {
    return [...this.#workers].map(({ slot, pid, generation, state }) => ({ slot, pid, generation, state }));
  }

  /** Pids of the workers that accept now (one per slot, more during a reload). */
  pids(): number[] {
    return [...this.#workers].filter((w) => w.state === 'listening').map((w) => w.pid);
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  #log(level: PreforkLogLevel, message: string): void {
    try {
      this.#settings.logger(level, message);
    } catch {
      // a logger must not take the master down
    }
  }

  #installSignals(): void {
    const handlers: [NodeJS.Signals, () => void][] = [
      ['SIGTERM', () => void this.stop()],
      ['SIGINT', () => void this.stop()],
      ['SIGHUP', () => void this.reload().catch((error: Error) => this.#log('error', `reload failed: ${error.message}`))],
    ];
    for (const [signal, handler] of handlers) process.on(signal, handler);
    this.#signalHandlers = handlers;
  }

  #spawn(slot: Slot, current = true): Worker {
    const settings = this.#settings;
    const generation = current ? slot.generation : ++slot.generation;
    const config: WorkerConfig = {
      module: this.#launch.module,
      slot: slot.index,
      generation,
      family: this.#listeners.family,
      host: this.host,
      port: this.port,
      gracefulTimeout: settings.gracefulTimeout,
    };
    const child = fork(this.#launch.script, this.#launch.args, {
      execArgv: this.#launch.execArgv,
      env: { ...process.env, ...settings.env, [WORKER_ENV]: JSON.stringify(config) },
      stdio: ['inherit', 'inherit', 'inherit', slotFd(this.#listeners, slot.index), 'ipc'],
    });
    const worker: Worker = {
      slot: slot.index,
      pid: child.pid ?? -1,
      generation,
      state: 'starting',
      child,
      startedAt: Date.now(),
      listeningAt: 0,
      current,
      error: null,
      startTimer: null,
    };
    this.#workers.add(worker);
    worker.startTimer = setTimeout(() => {
      this.#log('error', `worker ${worker.pid} (slot ${slot.index}) did not listen within ${settings.startTimeout} s; killing it`);
      child.kill('SIGKILL');
    }, settings.startTimeout * 1000);
    child.on('message', (message: WorkerMessage) => this.#onMessage(worker, message));
    child.on('error', (error) => this.#log('error', `worker ${worker.pid}: ${error.message}`));
    child.on('exit', (code, signal) => this.#onExit(worker, code, signal));
    return worker;
  }

  #onMessage(worker: Worker, message: WorkerMessage): void {
    if (message === null || typeof message !== 'object') return;
    if (message.type === 'failed') {
      worker.error = message.error;
    } else if (message.type === 'listening' && worker.state === 'starting') {
      worker.state = 'listening';
      worker.listeningAt = Date.now();
      if (worker.startTimer) clearTimeout(worker.startTimer);
      worker.startTimer = null;
      this.#log('info', `worker ${worker.pid} (slot ${worker.slot}) accepting`);
      this.emit('listening', { slot: worker.slot, pid: worker.pid, generation: worker.generation } satisfies Omit<WorkerInfo, 'state'>);
      if (this.#ready && [...this.#slotsCurrent()].every((w) => w !== null && w.state === 'listening')) {
        this.#ready.resolve();
        this.#ready = null;
      }
      if (this.#stopping) this.#ask(worker);
    }
  }

  *#slotsCurrent(): Iterable<Worker | null> {
    for (const slot of this.#slots) yield this.#currentOf(slot.index);
  }

  #currentOf(slot: number): Worker | null {
    for (const w of this.#workers) if (w.slot === slot && w.current) return w;
    return null;
  }

  #onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    this.#workers.delete(worker);
    if (worker.startTimer) clearTimeout(worker.startTimer);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const asked = worker.state === 'stopping';
    this.emit('exit', { slot: worker.slot, pid: worker.pid, generation: worker.generation }, code, signal);
    if (this.#stopping) {
      this.#log('info', `worker ${worker.pid} (slot ${worker.slot}) exited (${how})`);
      if (this.#workers.size === 0) this.#finish();
      return;
    }
    if (asked || !worker.current) {
      this.#log('info', `worker ${worker.pid} (slot ${worker.slot}) exited (${how})`);
      return;
    }
    const slot = this.#slots[worker.slot];
    const settings = this.#settings;
    if (this.#ready !== null && worker.state === 'starting') {
      // The first workers could not even start: the app is broken, not
      // unlucky. Give up at once instead of backing off (gunicorn does too).
      const error = new WorkerBootError(slot.index, how, worker.error);
      this.#log('error', error.message);
      this.#status = 1;
      this.#ready.reject(error);
      this.#ready = null;
      void this.stop();
      return;
    }
    const upFor = worker.listeningAt === 0 ? 0 : (Date.now() - worker.listeningAt) / 1000;
    if (upFor >= settings.stableAfter) slot.crashes = 0;
    slot.crashes += 1;
    if (slot.crashes >= settings.crashLimit) {
      const error = new CrashLoopError(slot.index, slot.crashes, worker.error);
      this.#log('error', error.message);
      this.#status = 1;
      this.#ready?.reject(error);
      this.#ready = null;
      void this.stop();
      return;
    }
    const delay = Math.min(settings.restartDelay * 2 ** (slot.crashes - 1), settings.maxRestartDelay);
    this.#log('warn', `worker ${worker.pid} (slot ${slot.index}) died (${how}); restarting in ${delay} s`);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (!this.#stopping) this.#spawn(slot);
    }, delay * 1000);
  }

  /** Asks a worker to stop gracefully (IPC; SIGTERM when the channel is gone). */
  #ask(worker: Worker): void {
    if (worker.state === 'stopping' && !this.#stopping) return;
    worker.state = 'stopping';
    const message: MasterMessage = { type: 'stop', timeout: this.#settings.gracefulTimeout };
    if (worker.child.connected) worker.child.send(message, (error) => error && worker.child.kill('SIGTERM'));
    else worker.child.kill('SIGTERM');
  }

  /**
   * Rolling reload: for each slot, a new worker starts and, once it accepts,
   * the old one stops gracefully. Resolves when every slot runs a new worker
   * and the old ones have exited; rejects (keeping the old workers of the
   * remaining slots) if a new worker fails to start. Reloads queue.
   */
  reload(): Promise<void> {
    const next = this.#reloading.then(() => this.#reload());
    this.#reloading = next.catch(() => undefined);
    return next;
  }

  async #reload(): Promise<void> {
    if (this.#stopping) return;
    this.#log('info', 'reloading workers one by one');
    const retired: Promise<void>[] = [];
    for (const slot of this.#slots) {
      if (this.#stopping) return;
      const old = this.#currentOf(slot.index);
      const fresh = this.#spawn(slot, false);
      await new Promise<void>((resolve, reject) => {
        const onListening = (info: { pid: number }) => {
          if (info.pid !== fresh.pid) return;
          cleanup();
          resolve();
        };
        const onExit = (info: { pid: number }) => {
          if (info.pid !== fresh.pid) return;
          cleanup();
          reject(new Error(`reload: the new worker of slot ${slot.index} exited before accepting${fresh.error ? `: ${fresh.error}` : ''}`));
        };
        const cleanup = () => {
          this.off('listening', onListening);
          this.off('exit', onExit);
        };
        this.on('listening', onListening);
        this.on('exit', onExit);
      });
      if (this.#stopping) return;
      // The slot now belongs to the new worker; the old one drains and exits.
      fresh.current = true;
      slot.crashes = 0;
      if (slot.restartTimer) {
        clearTimeout(slot.restartTimer);
        slot.restartTimer = null;
      }
      if (old) {
        old.current = false;
        retired.push(new Promise((resolve) => old.child.once('exit', () => resolve())));
        this.#ask(old);
      }
    }
    await Promise.all(retired);
    this.#log('info', 'reload done');
  }

  /**
   * Graceful stop: every worker stops accepting and finishes its work (up
   * to gracefulTimeout); stragglers are killed 2 s after that. Resolves
   * when all workers are gone and the sockets closed.
   */
  stop(): Promise<number> {
    if (!this.#stopping) {
      this.#stopping = true;
      this.#log('info', `master ${process.pid}: stopping ${this.#workers.size} worker(s)`);
      for (const slot of this.#slots) {
        if (slot.restartTimer) clearTimeout(slot.restartTimer);
        slot.restartTimer = null;
      }
      // Workers hold their own copies: closing the master's stops nothing
      // but keeps a socket from outliving its last worker.
      closeListeners(this.#listeners);
      for (const worker of this.#workers) this.#ask(worker);
      if (this.#workers.size === 0) this.#finish();
      else {
        this.#killTimer = setTimeout(() => {
          for (const worker of this.#workers) {
            this.#log('warn', `worker ${worker.pid} still running after the graceful timeout; killing it`);
            worker.child.kill('SIGKILL');
          }
        }, (this.#settings.gracefulTimeout + 2) * 1000);
      }
      this.#ready?.reject(Object.assign(new Error('the prefork master stopped before every worker accepted'), { code: 'ERR_PREFORK_STOPPED' }));
      this.#ready = null;
    }
    return this.closed;
  }

  #finish(): void {
    if (this.#killTimer) clearTimeout(this.#killTimer);
    this.#killTimer = null;
    for (const [signal, handler] of this.#signalHandlers) process.off(signal, handler);
    this.#signalHandlers = [];
    closeListeners(this.#listeners);
    this.#log('info', `master ${process.pid}: stopped`);
    this.#resolveClosed(this.#status);
  }
}

/**
 * Serves an app from N worker processes sharing one port.
 *
 * `app` is a module path (the master never loads it; each worker does) or
 * an app factory. With a factory, the master forks the running script
 * itself: in the master, serve() starts the workers and resolves with the
 * Prefork once all accept; in a worker (the same script, re-run), serve()
 * calls the factory and its promise never settles, so code after
 * `await serve(...)` runs in the master only. Keep the script's top level
 * free of side effects a master should not have, or use a module path.
 */
export async function serve(app: string | AppFactory, options: ServeOptions = {}): Promise<Prefork> {
  if (typeof app !== 'string' && typeof app !== 'function') {
    throw invalidArgType('app', 'a module path or an app factory function', app);
  }
  if (typeof app === 'string' && app === '') throw invalidArgValue('app', 'must be a non-empty module path', app);
  const inWorker = workerConfig();
  if (inWorker !== null && typeof app === 'function') {
    await runWorker(inWorker, app);
    return new Promise<Prefork>(() => undefined);
  }
  const settings = settingsOf(options);
  const launch = launchOf(app, settings);
  const listeners = await openListeners({
    host: settings.host,
    port: settings.port,
    slots: settings.workers,
    backlog: settings.backlog,
    mode: settings.listen,
  });
  const master = new Prefork(settings, launch, listeners);
  try {
    await master._start();
  } catch (error) {
    await master.stop();
    throw error;
  }
  return master;
}
