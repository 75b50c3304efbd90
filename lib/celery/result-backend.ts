// Celery's Redis result backend (celery/backends/redis.py and base.py,
// Celery 5.2). A task's state lives in the string key
// `celery-task-meta-<task id>` as JSON:
//
//   {"status": "SUCCESS", "result": 5, "traceback": null, "children": [],
//    "date_done": "2026-11-27T05:50:14.070764", "task_id": "..."}
//
// plus `group_id` / `parent_id` when the task had them, and name/args/kwargs/
// worker/retries/queue with `result_extended`. Failures store the exception
// in Celery's JSON form (see exceptions.ts). Every write is SET with the
// result expiry (1 day by default) and PUBLISH of the same JSON on a channel
// named like the key; a client waits by subscribing to that channel. As in
// Celery, a SUCCESS is never overwritten (a redelivered duplicate of a task
// that already succeeded cannot turn it into a failure); greenhub makes that
// check atomic with the write.
import type Redis from 'ioredis';

import { ClosedError, invalidArgType, outOfRange } from '../loop/errors';
import { CeleryException, fromCeleryException, TaskRevokedError, toCeleryException, tracebackOf } from './exceptions';
import { defaultLogger, type CeleryLogger } from './log';
import { closeRedis, LuaScript, openRedis, type RedisTarget } from './redis';
import { EXCEPTION_STATES, FAILURE, PENDING, PROPAGATE_STATES, READY_STATES, RETRY, REVOKED, STARTED, SUCCESS, type TaskState } from './states';

/** The JSON stored for a task. */
export interface TaskMeta {
  status: TaskState;
  /** The return value, an exception in Celery's JSON form (RETRY/FAILURE/REVOKED), or STARTED's {pid, hostname}. */
  result: unknown;
  traceback: string | null;
  children: unknown[];
  /** UTC, Python isoformat without offset; null until the task is ready. */
  date_done: string | null;
  task_id: string;
  group_id?: string;
  parent_id?: string;
  [key: string]: unknown;
}

/** What the backend records about the request that produced a result. */
export interface ResultRequestInfo {
  group?: string | null;
  parentId?: string | null;
  ignoreResult?: boolean;
  /** Used with `extended` results: */
  task?: string;
  args?: readonly unknown[];
  kwargs?: Readonly<Record<string, unknown>>;
  hostname?: string;
  retries?: number;
  routingKey?: string;
}

export interface StoreOptions {
  traceback?: string | null;
  request?: ResultRequestInfo;
  children?: unknown[];
}

export interface RedisResultBackendOptions {
  /** Seconds a result is kept (Celery's result_expires, default 86400); null keeps it forever. */
  expires?: number | null;
  keyPrefix?: string;
  /** Store the request's name, args, kwargs, worker, retries and queue (Celery's result_extended). */
  extended?: boolean;
  logger?: CeleryLogger;
}

export interface WaitOptions {
  /** Seconds to wait; null (default) waits forever. */
  timeout?: number | null;
  /**
   * Seconds between reads of the key while waiting, in case a PUBLISH was
   * missed (a reconnect of the subscriber). Default 1.
   */
  interval?: number;
}

export interface GetOptions extends WaitOptions {
  /** Throw the task's exception for FAILURE/REVOKED (default true); false returns it. */
  propagate?: boolean;
}

/** celery.exceptions.TimeoutError: the result was not ready in time. */
export class ResultTimeoutError extends Error {
  readonly code = 'ERR_CELERY_RESULT_TIMEOUT';
  readonly taskId: string;
  constructor(taskId: string, timeout: number) {
    super(`The operation timed out: task ${taskId} was not ready after ${timeout} s`);
    this.name = 'TimeoutError';
    this.taskId = taskId;
  }
}

// Store unless the current value is a SUCCESS; publish what was stored.
// KEYS: meta key; ARGV: JSON, expiry in ms ('' for none).
const STORE = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current then
  local ok, meta = pcall(cjson.decode, current)
  if ok and type(meta) == 'table' and meta.status == 'SUCCESS' then return 0 end
end
if ARGV[2] ~= '' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1
`);

/** Resolves when the connection is ready; rejects if it ends first. */
function readyOrEnd(connection: Redis): Promise<void> {
  return new Promise((resolve, reject) => {
    const ready = () => {
      connection.off('end', end);
      resolve();
    };
    const end = () => {
      connection.off('ready', ready);
      reject(new ClosedError('the result subscriber connection', 'ERR_BACKEND_CLOSED'));
    };
    connection.once('ready', ready);
    connection.once('end', end);
  });
}

/** Python's datetime.utcnow().isoformat(): no offset, microseconds. */
export function utcIsoformatNaive(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000');
}

function validateTaskId(taskId: unknown): asserts taskId is string {
  if (typeof taskId !== 'string') throw invalidArgType('taskId', 'of type string', taskId);
  if (taskId === '') throw outOfRange('taskId', 'a non-empty string', taskId);
}

function parseMeta(taskId: string, text: string | null): TaskMeta {
  if (text !== null) {
    try {
      const value: unknown = JSON.parse(text);
      if (value !== null && typeof value === 'object' && typeof (value as TaskMeta).status === 'string') {
        const meta = value as Partial<TaskMeta> & { status: string };
        return { result: null, traceback: null, children: [], date_done: null, ...meta, task_id: meta.task_id ?? taskId };
      }
    } catch {
      // fall through: unreadable metadata is reported as a failure below
    }
    return {
      status: FAILURE,
      result: { exc_type: 'ValueError', exc_message: [`unreadable result metadata for ${taskId}`], exc_module: 'builtins' },
      traceback: null,
      children: [],
      date_done: null,
      task_id: taskId,
    };
  }
  return { status: PENDING, result: null, traceback: null, children: [], date_done: null, task_id: taskId };
}

/** The exception a meta in an exception state holds, as a JS error. */
export function exceptionOf(meta: TaskMeta): CeleryException | null {
  if (!EXCEPTION_STATES.has(meta.status)) return null;
  return fromCeleryException(meta.result, { traceback: meta.traceback, taskId: meta.task_id });
}

type Listener = (meta: TaskMeta) => void;

/** The listeners of one channel, and the SUBSCRIBE every one of them must await. */
interface Channel {
  listeners: Set<Listener>;
  subscribed: Promise<unknown>;
}

export class RedisResultBackend {
  readonly client: Redis;
  readonly expires: number | null;
  readonly keyPrefix: string;
  readonly extended: boolean;
  readonly logger: CeleryLogger;
  #owned: boolean;
  #closed = false;
  #subscriber: Redis | null = null;
  #subscriberReady: Promise<void> | null = null;
  #channels = new Map<string, Channel>();

  constructor(connection: RedisTarget, options: RedisResultBackendOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const expires = options.expires === undefined ? 86400 : options.expires;
    if (expires !== null && (typeof expires !== 'number' || !(expires > 0) || !Number.isFinite(expires))) {
      throw outOfRange('options.expires', 'a number of seconds > 0 or null', expires);
    }
    this.expires = expires;
    this.keyPrefix = options.keyPrefix ?? 'celery-task-meta-';
    this.extended = options.extended ?? false;
    this.logger = options.logger ?? defaultLogger;
    // Connect only once the options are known to be good.
    const opened = openRedis(connection, 'connection');
    this.client = opened.client;
    this.#owned = opened.owned;
  }

  #check(): void {
    if (this.#closed) throw new ClosedError('RedisResultBackend', 'ERR_BACKEND_CLOSED');
  }

  keyFor(taskId: string): string {
    return `${this.keyPrefix}${taskId}`;
  }

  /** The JSON Celery would store for this state (without writing it). */
  buildMeta(taskId: string, state: TaskState, result: unknown, options: StoreOptions = {}): TaskMeta {
    const meta: TaskMeta = {
      status: state,
      result,
      traceback: options.traceback ?? null,
      children: options.children ?? [],
      date_done: READY_STATES.has(state) ? utcIsoformatNaive(new Date()) : null,
      task_id: taskId,
    };
    const request = options.request;
    if (request?.group) meta.group_id = request.group;
    if (request?.parentId) meta.parent_id = request.parentId;
    if (this.extended && request) {
      meta.name = request.task ?? null;
      meta.args = request.args ?? null;
      meta.kwargs = request.kwargs ?? null;
      meta.worker = request.hostname ?? null;
      meta.retries = request.retries ?? null;
      meta.queue = request.routingKey ?? null;
    }
    return { ...meta, task_id: taskId };
  }

  /**
   * Writes a state (SET with expiry + PUBLISH). Resolves false when the task
   * already has a SUCCESS, which is kept.
   */
  async store(taskId: string, state: TaskState, result: unknown, options: StoreOptions = {}): Promise<boolean> {
    validateTaskId(taskId);
    this.#check();
    const meta = this.buildMeta(taskId, state, result, options);
    const text = JSON.stringify(meta);
    const ttl = this.expires === null ? '' : String(Math.max(1, Math.round(this.expires * 1000)));
    return (await STORE.run(this.client, [this.keyFor(taskId)], [text, ttl])) === 1;
  }

  /** STARTED with {pid, hostname}, as Celery's task_track_started does. */
  markStarted(taskId: string, info: { pid?: number; hostname?: string } = {}, request?: ResultRequestInfo): Promise<boolean> {
    return this.store(taskId, STARTED, { pid: info.pid ?? process.pid, hostname: info.hostname ?? null }, { request });
  }

  /** SUCCESS with the return value (skipped, resolving false, when the request asked to ignore results). */
  async markSuccess(taskId: string, value: unknown, request?: ResultRequestInfo): Promise<boolean> {
    if (request?.ignoreResult) return false;
    return this.store(taskId, SUCCESS, value === undefined ? null : value, { request });
  }

  /** FAILURE with what the task threw, in Celery's exception form, and its traceback. */
  markFailure(taskId: string, error: unknown, options: { traceback?: string | null; request?: ResultRequestInfo } = {}): Promise<boolean> {
    const traceback = options.traceback === undefined ? tracebackOf(error) : options.traceback;
    return this.store(taskId, FAILURE, toCeleryException(error), { traceback, request: options.request });
  }

  /** RETRY with the exception that caused the retry. */
  markRetry(taskId: string, error: unknown, options: { traceback?: string | null; request?: ResultRequestInfo } = {}): Promise<boolean> {
    const traceback = options.traceback === undefined ? tracebackOf(error) : options.traceback;
    return this.store(taskId, RETRY, toCeleryException(error), { traceback, request: options.request });
  }

  /** REVOKED with TaskRevokedError(reason): 'revoked', 'expired' or 'terminated'. */
  markRevoked(taskId: string, reason = 'revoked', request?: ResultRequestInfo): Promise<boolean> {
    return this.store(taskId, REVOKED, toCeleryException(new TaskRevokedError(reason)), { traceback: null, request });
  }

  /** The stored state; PENDING (Celery's answer for unknown ids) when there is none. */
  async getMeta(taskId: string): Promise<TaskMeta> {
    validateTaskId(taskId);
    this.#check();
    return parseMeta(taskId, await this.client.get(this.keyFor(taskId)));
  }

  /** Deletes a stored result. */
  async forget(taskId: string): Promise<void> {
    validateTaskId(taskId);
    this.#check();
    await this.client.del(this.keyFor(taskId));
  }

  /**
   * Calls `listener` with every state published for the task until the
   * returned function is called. One subscriber connection serves every
   * listener of this backend.
   */
  async subscribe(taskId: string, listener: (meta: TaskMeta) => void): Promise<() => Promise<void>> {
    validateTaskId(taskId);
    this.#check();
    const channel = this.keyFor(taskId);
    const subscriber = this.#subscriberConnection();
    // ioredis writes SUBSCRIBE (a command Redis allows while loading) as
    // soon as the socket connects, before its ready check; the reply puts
    // the connection in subscriber mode, the ready check's INFO then fails
    // and every pending subscription is rejected. So subscribe only on a
    // ready connection (first connect and reconnects alike).
    if (subscriber.status !== 'ready') {
      // One wait shared by every caller (not a listener each).
      this.#subscriberReady ??= readyOrEnd(subscriber).finally(() => (this.#subscriberReady = null));
      await this.#subscriberReady;
    }
    this.#check();
    let entry = this.#channels.get(channel);
    if (!entry) {
      entry = { listeners: new Set(), subscribed: subscriber.subscribe(channel) };
      this.#channels.set(channel, entry);
    }
    entry.listeners.add(listener);
    const release = async () => {
      const current = this.#channels.get(channel);
      if (current !== entry || !current.listeners.delete(listener) || current.listeners.size > 0) return;
      this.#channels.delete(channel);
      if (this.#subscriber && this.#subscriber.status === 'ready') await this.#subscriber.unsubscribe(channel).catch(() => undefined);
    };
    try {
      await entry.subscribed;
    } catch (error) {
      await release();
      throw error;
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      await release();
    };
  }

  #subscriberConnection(): Redis {
    if (this.#subscriber === null) {
      const subscriber = this.client.duplicate();
      subscriber.on('message', (channel: string, text: string) => {
        const entry = this.#channels.get(channel);
        if (!entry) return;
        const meta = parseMeta(channel.slice(this.keyPrefix.length), text);
        for (const listener of [...entry.listeners]) {
          try {
            listener(meta);
          } catch (error) {
            this.logger('error', `result listener failed: ${(error as Error).message}`);
          }
        }
      });
      subscriber.on('error', (error: Error) => this.logger('warn', `result subscriber: ${error.message}`));
      this.#subscriber = subscriber;
    }
    return this.#subscriber;
  }

  /**
   * Waits until the task is ready (SUCCESS, FAILURE or REVOKED) and returns
   * its meta. Subscribes first, then reads the key, so a result written in
   * between is not missed. Rejects with ResultTimeoutError after `timeout`.
   */
  async waitFor(taskId: string, options: WaitOptions = {}): Promise<TaskMeta> {
    validateTaskId(taskId);
    const timeout = options.timeout ?? null;
    if (timeout !== null && (typeof timeout !== 'number' || !(timeout >= 0))) throw outOfRange('options.timeout', 'a number of seconds >= 0 or null', timeout);
    const interval = options.interval ?? 1;
    if (typeof interval !== 'number' || !(interval > 0)) throw outOfRange('options.interval', 'a number of seconds > 0', interval);
    this.#check();

    let settle: ((meta: TaskMeta) => void) | undefined;
    const published = new Promise<TaskMeta>((resolve) => {
      settle = resolve;
    });
    const unsubscribe = await this.subscribe(taskId, (meta) => {
      if (READY_STATES.has(meta.status)) settle?.(meta);
    });
    const timers: NodeJS.Timeout[] = [];
    let stopped = false;
    try {
      const first = await this.getMeta(taskId);
      if (READY_STATES.has(first.status)) return first;
      const poll = new Promise<TaskMeta>((resolve, reject) => {
        const tick = () => {
          if (stopped) return;
          this.getMeta(taskId).then((meta) => {
            if (READY_STATES.has(meta.status)) resolve(meta);
            else if (!stopped) timers.push(setTimeout(tick, interval * 1000));
          }, reject);
        };
        timers.push(setTimeout(tick, interval * 1000));
      });
      const racers: Promise<TaskMeta>[] = [published, poll];
      if (timeout !== null) {
        racers.push(
          new Promise<TaskMeta>((_, reject) => {
            timers.push(setTimeout(() => reject(new ResultTimeoutError(taskId, timeout)), timeout * 1000));
          }),
        );
      }
      return await Promise.race(racers);
    } finally {
      // A read in flight may still finish; `stopped` keeps it from re-arming.
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await unsubscribe();
    }
  }

  /**
   * The task's return value once it is ready. For FAILURE/REVOKED throws the
   * task's exception (a CeleryException keeping the Python type, module and
   * traceback) — or returns it with `propagate: false`.
   */
  get<T = unknown>(taskId: string, options?: GetOptions & { propagate?: true }): Promise<T>;
  get<T = unknown>(taskId: string, options: GetOptions & { propagate: false }): Promise<T | CeleryException>;
  async get<T = unknown>(taskId: string, options: GetOptions = {}): Promise<T | CeleryException> {
    const meta = await this.waitFor(taskId, options);
    if (PROPAGATE_STATES.has(meta.status)) {
      const error = exceptionOf(meta) as CeleryException;
      if (options.propagate ?? true) throw error;
      return error;
    }
    return meta.result as T;
  }

  /** Closes the subscriber, and the command connection if this backend opened it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#channels.clear();
    if (this.#subscriber) await closeRedis(this.#subscriber);
    if (this.#owned) await closeRedis(this.client);
  }
}
