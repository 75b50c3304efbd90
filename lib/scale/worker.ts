// The worker side of prefork: runs in each worker process. It adopts the
// listening socket the master passed as fd 3, makes the app's server with
// the factory, starts it on its own hub, tells the master it accepts, and
// stops gracefully when told (an IPC 'stop', SIGTERM or SIGINT) or when the
// master goes away (its IPC channel closes: no orphaned workers).
import type { GreenletResult } from '../core/greenlet';
import { run } from '../core/task';
import { runResult } from '../io/server';
import { Socket } from '../io/socket';
import { checkAppServer, loadAppFactory, type AppFactory, type AppServer } from './app';
import { LISTENER_FD, WORKER_ENV, type MasterMessage, type WorkerConfig, type WorkerMessage } from './messages';

/** This process's worker configuration, or null when it is not a prefork worker. */
export function workerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig | null {
  const text = env[WORKER_ENV];
  if (text === undefined || text === '') return null;
  const config = JSON.parse(text) as WorkerConfig;
  if (typeof config !== 'object' || config === null || typeof config.slot !== 'number') {
    throw new TypeError(`${WORKER_ENV} does not hold a prefork worker configuration`);
  }
  return config;
}

function send(message: WorkerMessage): void {
  if (process.send && process.connected) process.send(message);
}

/**
 * Runs this process as a prefork worker: `factory` when given (serve() with
 * a function), else the module the configuration names. Resolves once the
 * server accepts; the process exits after a graceful stop.
 */
export async function runWorker(config: WorkerConfig, factory?: AppFactory): Promise<AppServer> {
  let server: AppServer;
  try {
    const make = factory ?? loadAppFactory(config.module as string);
    const listener = Socket.fromFd(LISTENER_FD, { family: config.family });
    const context = {
      listener,
      host: config.host,
      port: config.port,
      worker: { slot: config.slot, generation: config.generation, pid: process.pid },
    };
    // In a greenlet, so the factory may block (yield*) while it sets up.
    const made: unknown = await run(function* () {
      return yield* runResult(make(context) as GreenletResult);
    });
    server = checkAppServer(made, config.module ?? 'the app factory');
    server.start();
  } catch (error) {
    send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.stderr.write(`[greenhub.serve] worker ${process.pid} could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }

  let stopping = false;
  const stop = (timeout: number): void => {
    if (stopping) return;
    stopping = true;
    Promise.resolve(server.stop({ timeout }))
      .catch((error: unknown) => process.stderr.write(`[greenhub.serve] worker ${process.pid}: stop failed: ${String(error)}\n`))
      .finally(() => {
        process.disconnect?.();
        process.exit(0);
      });
  };
  process.on('message', (message: MasterMessage) => {
    if (message && message.type === 'stop') stop(message.timeout);
  });
  process.on('SIGTERM', () => stop(config.gracefulTimeout));
  // Ctrl-C reaches the whole process group: let the master coordinate, but
  // stop gracefully on our own too (the master would ask the same).
  process.on('SIGINT', () => stop(config.gracefulTimeout));
  process.on('disconnect', () => stop(config.gracefulTimeout));
  // A terminal hang-up reaches the whole process group; reloads are the
  // master's business, so a worker ignores SIGHUP rather than die of it.
  process.on('SIGHUP', () => undefined);
  send({ type: 'listening', pid: process.pid });
  return server;
}

// Started by the master as a script (the module form of serve()).
if (require.main === module) {
  const config = workerConfig();
  if (config === null || config.module === null) {
    process.stderr.write(`[greenhub.serve] ${__filename} is started by the prefork master, with ${WORKER_ENV} set\n`);
    process.exit(2);
  }
  void runWorker(config);
}
