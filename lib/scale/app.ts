// What a prefork app is: the contract between `serve()` / `greenhub serve`
// and the user's code. An app is a factory that makes a server in a worker
// process, listening on the socket that worker inherited:
//
//   // app.js
//   const { HttpServer } = require('greenhub');
//   module.exports = ({ listener }) =>
//     new HttpServer(listener, function* (req, res) { yield* res.end(`hi from ${process.pid}\n`); });
//
// The factory runs once per worker process, never in the master. It may be
// the module's export itself, its `default` export or a `createServer`
// export; it may return the server, a Promise of it, or an operation that
// returns it (it runs in a greenlet). The server is any StreamServer
// (HttpServer included) that was not started: the worker starts it, reports
// it as listening, and stops it gracefully when told to.
import * as path from 'node:path';

import type { Operation, Task } from '../core/operation';
import { invalidArgType } from '../loop/errors';
import type { Socket } from '../io/socket';

/** What a worker's app factory receives. */
export interface AppContext {
  /** The listening socket to serve: pass it as the server's listener. */
  listener: Socket;
  /** The address every worker serves. */
  host: string;
  port: number;
  /** Which worker this is: its slot (0..workers-1), how many reloads made it, its pid. */
  worker: { slot: number; generation: number; pid: number };
}

/** The part of a server the prefork worker drives (StreamServer and HttpServer have it). */
export interface AppServer {
  start(): void;
  stop(options?: { timeout?: number }): Task<void> | PromiseLike<void>;
}

/** Makes the worker's server: returns it, a Promise of it, or an operation returning it. */
export type AppFactory = (context: AppContext) => AppServer | PromiseLike<AppServer> | Operation<AppServer>;

function isServer(value: unknown): value is AppServer {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as AppServer).start === 'function' &&
    typeof (value as AppServer).stop === 'function'
  );
}

/** Checks what a factory produced: a server (a StreamServer or HttpServer, not started). */
export function checkAppServer(value: unknown, from: string): AppServer {
  if (!isServer(value)) throw invalidArgType(`the server made by ${from}`, 'a StreamServer or HttpServer', value);
  if ((value as { started?: unknown }).started === true) {
    throw invalidArgType(`the server made by ${from}`, 'a server that is not started yet (the worker starts it)', value);
  }
  return value;
}

/** The factory a module exports: the export itself, `default`, or `createServer`. */
export function factoryOf(exported: unknown, name: string): AppFactory {
  if (typeof exported === 'function') return exported as AppFactory;
  if (exported !== null && typeof exported === 'object') {
    const candidates = exported as { default?: unknown; createServer?: unknown };
    if (typeof candidates.default === 'function') return candidates.default as AppFactory;
    if (typeof candidates.createServer === 'function') return candidates.createServer as AppFactory;
  }
  throw invalidArgType(
    `the module ${JSON.stringify(name)}`,
    'a module exporting an app factory (module.exports, `default` or `createServer`: (context) => server)',
    exported,
  );
}

/** Resolves an app module path the way `node` would resolve a script path (relative to `cwd`). */
export function resolveAppModule(specifier: string, cwd = process.cwd()): string {
  if (typeof specifier !== 'string' || specifier === '') throw invalidArgType('module', 'a non-empty module path', specifier);
  const candidate = specifier.startsWith('.') || path.isAbsolute(specifier) ? path.resolve(cwd, specifier) : specifier;
  try {
    return require.resolve(candidate, { paths: [cwd] });
  } catch (error) {
    // A bare name that is a file in cwd (`greenhub serve app.js`), as node takes it.
    if (!specifier.startsWith('.') && !path.isAbsolute(specifier)) {
      try {
        return require.resolve(path.resolve(cwd, specifier));
      } catch {
        // fall through to the first error
      }
    }
    throw error;
  }
}

/** Loads an app module (in a worker) and returns its factory. */
export function loadAppFactory(file: string): AppFactory {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return factoryOf(require(file), file);
}
