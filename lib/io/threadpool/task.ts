// What can run in a pool thread. Functions cannot cross threads: a task is
// either a self-contained function, whose source text is evaluated in the
// thread, or a module path and the name of a function it exports.
import * as path from 'node:path';

import { invalidArgType, invalidArgValue } from '../../loop/errors';
import { validateString } from '../../loop/validate';

/**
 * A function exported by a module, named for a pool thread: the thread
 * require()s `module` and calls its export `name` ('default': the module
 * itself when it exports a function, else its `default`).
 */
export interface ThreadTask<A extends unknown[] = unknown[], R = unknown> {
  readonly module: string;
  readonly name: string;
  /** Carries the function's type for spawn/apply/map; never set. */
  readonly signature?: (...args: A) => R;
}

/**
 * What a pool runs:
 * - a function that is self-contained: no variables from outside its own
 *   body (only globals, its arguments, and modules it require()s itself),
 *   not a bound function, a native function or a method shorthand; its
 *   source is evaluated in the thread, once per thread;
 * - a ThreadTask naming a module's exported function (see threadTask()).
 * Arguments and results are copied with the structured clone algorithm
 * (primitives, plain objects, arrays, Maps, Sets, Dates, typed arrays,
 * ArrayBuffers; SharedArrayBuffers are shared, not copied). A function
 * may return a Promise: the thread waits for it.
 */
export type ThreadFunction<A extends unknown[] = unknown[], R = unknown> = ((...args: A) => R) | ThreadTask<A, R>;

/**
 * Names the function `name` exported by `module` for a pool thread. A
 * relative path is resolved against the current directory now; prefer
 * absolute paths (`path.join(__dirname, 'work.js')`) or package names. The
 * module must be loadable by plain Node in a worker thread (JavaScript,
 * not TypeScript run through a loader).
 */
export function threadTask<A extends unknown[] = unknown[], R = unknown>(module: string, name = 'default'): ThreadTask<A, R> {
  validateString('module', module);
  validateString('name', name);
  if (module === '') throw invalidArgValue('module', 'must not be empty', module);
  if (name === '') throw invalidArgValue('name', 'must not be empty', name);
  const resolved = module.startsWith('./') || module.startsWith('../') ? path.resolve(module) : module;
  return Object.freeze({ module: resolved, name });
}

/** What is posted to a thread (see worker-source.ts). */
export type TaskMessage =
  | { id: number; source: string; args: unknown[] }
  | { id: number; module: string; name: string; args: unknown[] };

const checkedSources = new WeakMap<(...args: never[]) => unknown, string>();

/** The source of a self-contained function, checked to parse on its own. */
function functionSource(fn: (...args: never[]) => unknown): string {
  const cached = checkedSources.get(fn);
  if (cached !== undefined) return cached;
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw invalidArgValue('fn', 'must be a self-contained function with source code, not a native or bound function', fn);
  }
  try {
    // Parses (does not run) the source as the thread will evaluate it.
    new Function(`return (${source}\n);`);
  } catch (error) {
    throw invalidArgValue(
      'fn',
      `must be a function expression whose source can be evaluated in a thread (${(error as Error).message}); ` +
        'use a function or arrow function, or threadTask(module, name)',
      fn,
    );
  }
  checkedSources.set(fn, source);
  return source;
}

/** @internal The message describing `fn` (without id and args). */
export function describeTask(fn: unknown): { source: string } | { module: string; name: string } {
  if (typeof fn === 'function') return { source: functionSource(fn as (...args: never[]) => unknown) };
  if (fn !== null && typeof fn === 'object' && typeof (fn as ThreadTask).module === 'string' && typeof (fn as ThreadTask).name === 'string') {
    return { module: (fn as ThreadTask).module, name: (fn as ThreadTask).name };
  }
  throw invalidArgType('fn', 'a function or a ThreadTask (threadTask(module, name))', fn);
}
