// A task registered on a CeleryApp: its name (what messages carry), the
// function the worker runs, and its options (Celery's Task attributes).
// Tasks are generator functions (they block with yield*), async functions or
// plain functions; inside, `this` is the TaskContext (request, retry()).
//
//   app.task('tasks.add', function* (a: number, b: number) { return a + b; });
//   app.task('tasks.fetch', function* (this: TaskContext, url: string) { ... this.retry({ countdown: 5 }) ... },
//            { params: ['url'], timeLimit: 30, maxRetries: 5 });
import type { ResultOf } from '../core/greenlet';
import type { Task } from '../core/operation';
import { invalidArgType, invalidArgValue, outOfRange } from '../loop/errors';
import type { CeleryApp } from './app';
import type { SendTaskOptions } from './client';
import type { TaskContext } from './context';
import type { TaskResult } from './task-result';

/** What a task function may be: `this` is its TaskContext. */
export type TaskFunction = (this: TaskContext, ...args: never[]) => unknown;

/** A task function whose parameters are not known (a task found by name). */
export type AnyTaskFunction = (this: TaskContext, ...args: unknown[]) => unknown;

/** The value a task function produces (what result.get() returns). */
export type TaskValue<F extends TaskFunction> = ResultOf<ReturnType<F>>;

export interface TaskOptions {
  /**
   * Parameter names, in order, so that keyword arguments from Python
   * (`add.delay(a=1, b=2)`) bind to positions; a last name '**name' takes
   * the leftover keywords as an object. Without params, a message with
   * keyword arguments fails with TypeError, as Python would for a function
   * without them.
   */
  params?: readonly string[];
  /** Hard time limit in seconds: the task is killed and fails with TimeLimitExceeded. */
  timeLimit?: number | null;
  /** Soft time limit in seconds: SoftTimeLimitExceeded is raised inside the task. */
  softTimeLimit?: number | null;
  /** Most retries by retry() (Celery's default 3); null retries forever. */
  maxRetries?: number | null;
  /** Seconds retry() waits when given no countdown or eta (Celery's default 180). */
  defaultRetryDelay?: number;
  /** Store no result (success or failure). */
  ignoreResult?: boolean;
  /**
   * Acknowledge the message after the task finished (default true: a worker
   * killed mid-task leaves it to be redelivered). false acks before running
   * (Celery's default: at most once).
   */
  acksLate?: boolean;
  /** Store STARTED when the task starts (Celery's task_track_started). */
  trackStarted?: boolean;
  /** Queue this task is sent to by default. */
  queue?: string;
}

/** TaskOptions with every default filled in. */
export interface ResolvedTaskOptions {
  params: readonly string[] | null;
  timeLimit: number | null;
  softTimeLimit: number | null;
  maxRetries: number | null;
  defaultRetryDelay: number;
  ignoreResult: boolean;
  acksLate: boolean;
  trackStarted: boolean;
  queue: string | null;
}

function limit(name: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number') throw invalidArgType(name, 'a number of seconds or null', value);
  if (!Number.isFinite(value) || value <= 0) throw outOfRange(name, 'a finite number > 0', value);
  return value;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/** Checks task options and fills in Celery's defaults. */
export function resolveTaskOptions(options: TaskOptions): ResolvedTaskOptions {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const params = options.params ?? null;
  if (params !== null) {
    if (!Array.isArray(params) || params.some((p) => typeof p !== 'string' || p === '')) {
      throw invalidArgValue('options.params', 'must be a list of parameter names', params);
    }
    if (new Set(params).size !== params.length) throw invalidArgValue('options.params', 'must not repeat a name', params);
    if (params.slice(0, -1).some((p) => p.startsWith('**'))) {
      throw invalidArgValue('options.params', "may have a '**name' entry only last", params);
    }
  }
  const maxRetries = options.maxRetries === undefined ? 3 : options.maxRetries;
  if (maxRetries !== null && (typeof maxRetries !== 'number' || !Number.isInteger(maxRetries) || maxRetries < 0)) {
    throw outOfRange('options.maxRetries', 'an integer >= 0 or null', maxRetries);
  }
  const delay = options.defaultRetryDelay ?? 180;
  if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
    throw outOfRange('options.defaultRetryDelay', 'a finite number of seconds >= 0', delay);
  }
  const queue = options.queue ?? null;
  if (queue !== null && (typeof queue !== 'string' || queue === '')) throw invalidArgValue('options.queue', 'must be a queue name', queue);
  return {
    params: params === null ? null : Object.freeze([...params]),
    timeLimit: limit('options.timeLimit', options.timeLimit),
    softTimeLimit: limit('options.softTimeLimit', options.softTimeLimit),
    maxRetries,
    defaultRetryDelay: delay,
    ignoreResult: flag('options.ignoreResult', options.ignoreResult, false),
    acksLate: flag('options.acksLate', options.acksLate, true),
    trackStarted: flag('options.trackStarted', options.trackStarted, false),
    queue,
  };
}

/** Python's repr of a keyword name in its TypeError messages. */
function quoted(name: string): string {
  return `'${name}'`;
}

export class RegisteredTask<F extends TaskFunction = AnyTaskFunction> {
  readonly app: CeleryApp;
  readonly name: string;
  readonly fn: F;
  readonly options: Readonly<ResolvedTaskOptions>;

  /** @internal Made by CeleryApp.task(). */
  constructor(app: CeleryApp, name: string, fn: F, options: ResolvedTaskOptions) {
    this.app = app;
    this.name = name;
    this.fn = fn;
    this.options = Object.freeze(options);
  }

  /**
   * The positional arguments to call the function with: `args`, then each
   * keyword argument at its parameter's position. Throws TypeError (the
   * task fails with it, as a Python task would) for a keyword that is not a
   * parameter, or that repeats a positional one.
   */
  bindArguments(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): unknown[] {
    const keys = Object.keys(kwargs);
    if (keys.length === 0) return [...args];
    const params = this.options.params;
    if (params === null) {
      throw new TypeError(`${this.name}() got an unexpected keyword argument ${quoted(keys[0])} (register the task with { params } to take keyword arguments)`);
    }
    const rest = params.length > 0 && params[params.length - 1].startsWith('**') ? params.length - 1 : -1;
    const named = rest === -1 ? params : params.slice(0, rest);
    if (args.length > named.length && rest === -1) {
      throw new TypeError(`${this.name}() takes ${named.length} positional arguments but ${args.length} were given`);
    }
    const out: unknown[] = [...args];
    const leftover: Record<string, unknown> = {};
    for (const key of keys) {
      const at = named.indexOf(key);
      if (at === -1) {
        if (rest === -1) throw new TypeError(`${this.name}() got an unexpected keyword argument ${quoted(key)}`);
        leftover[key] = kwargs[key];
      } else if (at < args.length) {
        throw new TypeError(`${this.name}() got multiple values for argument ${quoted(key)}`);
      } else {
        while (out.length < at) out.push(undefined);
        out[at] = kwargs[key];
      }
    }
    if (rest !== -1) {
      while (out.length < rest) out.push(undefined);
      out[rest] = leftover;
    }
    return out;
  }

  /** Sends the task with these positional arguments (`add.delay(2, 3)`). */
  delay(...args: Parameters<F>): Task<TaskResult<TaskValue<F>>> {
    return this.app.sendTask<TaskValue<F>>(this.name, args);
  }

  /** Sends the task with arguments, keyword arguments and apply_async's options. */
  applyAsync(
    args: readonly unknown[] = [],
    kwargs: Readonly<Record<string, unknown>> = {},
    options: SendTaskOptions = {},
  ): Task<TaskResult<TaskValue<F>>> {
    return this.app.sendTask<TaskValue<F>>(this.name, args, kwargs, options);
  }

  toString(): string {
    return `<@task: ${this.name}>`;
  }
}
