// What the prefork master and its workers tell each other: the worker's
// configuration (an environment variable, read before anything else) and
// the messages on the IPC channel.

/** The environment variable holding a worker's configuration (JSON). */
export const WORKER_ENV = 'GREENHUB_PREFORK_WORKER';

/** The fd a worker finds its listening socket on (stdio slot 3). */
export const LISTENER_FD = 3;

export interface WorkerConfig {
  /** The app module's resolved path; null when the app is a factory in the forked script itself. */
  module: string | null;
  slot: number;
  generation: number;
  family: 'inet' | 'inet6';
  host: string;
  port: number;
  /** Seconds in-flight work may take when the worker stops on its own (SIGTERM, master gone). */
  gracefulTimeout: number;
}

/** Master -> worker. */
export type MasterMessage = { type: 'stop'; timeout: number };

/** Worker -> master. */
export type WorkerMessage = { type: 'listening'; pid: number } | { type: 'failed'; error: string };
