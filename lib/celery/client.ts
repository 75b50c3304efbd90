// A Celery client: sends tasks over Kombu's Redis transport in protocol 2
// and reads their results from the Redis result backend, the way Python's
// `app.send_task(...)` / `AsyncResult.get()` do — usable from plain async
// code. Python Celery workers run what it sends; Python clients read what
// greenhub workers store.
//
//   const app = new CeleryClient({ broker: 'redis://127.0.0.1:6379/0' });
//   const r = await app.sendTask('tasks.add', [2, 3]);
//   await r.get({ timeout: 10 });   // 5
import { randomUUID } from 'node:crypto';

import { invalidArgType, invalidArgValue } from '../loop/errors';
import { revokeTasks } from './control';
import type { CeleryException } from './exceptions';
import { encodeTaskMessage, type TaskMessageOptions } from './protocol';
import type { RedisTarget } from './redis';
import { RedisTransport, type RedisTransportOptions } from './redis-transport';
import {
  RedisResultBackend,
  type GetOptions,
  type RedisResultBackendOptions,
  type TaskMeta,
  type WaitOptions,
} from './result-backend';
import { READY_STATES, SUCCESS, type TaskState } from './states';

export interface CeleryClientOptions {
  /** The broker: a Redis URL, ioredis options or client, or a transport to share. */
  broker: RedisTarget | RedisTransport;
  /**
   * The result backend: same forms. Defaults to the broker's Redis (a URL
   * broker gives the same URL); null sends tasks without reading results.
   */
  backend?: RedisTarget | RedisResultBackend | null;
  /** Queue for tasks without one (Celery's task_default_queue). Default 'celery'. */
  defaultQueue?: string;
  /** Task name -> queue, like a simple task_routes. */
  routes?: Readonly<Record<string, string>>;
  transportOptions?: RedisTransportOptions;
  backendOptions?: RedisResultBackendOptions;
}

/** apply_async's options, minus the task name and arguments given separately. */
export interface SendTaskOptions extends Omit<TaskMessageOptions, 'task' | 'args' | 'kwargs'> {
  /** Queue to send to (default: routes, then defaultQueue). */
  queue?: string;
  /** Send through a named exchange with a routing key instead of a queue. */
  exchange?: string;
  routingKey?: string;
}

/** RevokeOptions for control broadcasts. */
export interface RevokeOptions {
  terminate?: boolean;
  signal?: string;
  destination?: readonly string[];
}

/** A handle on a sent task's result (Celery's AsyncResult). */
export class AsyncResult<T = unknown> {
  constructor(
    readonly id: string,
    readonly client: CeleryClient,
  ) {}

  #backend(): RedisResultBackend {
    const backend = this.client.backend;
    if (!backend) throw Object.assign(new Error('this client has no result backend'), { code: 'ERR_CELERY_NO_BACKEND' });
    return backend;
  }

  /** Waits for the result; throws the task's exception on failure (see RedisResultBackend.get). */
  get(options?: GetOptions & { propagate?: true }): Promise<T>;
  get(options: GetOptions & { propagate: false }): Promise<T | CeleryException>;
  async get(options: GetOptions = {}): Promise<T | CeleryException> {
    const backend = this.#backend();
    if (options.propagate === false) return backend.get<T>(this.id, { ...options, propagate: false });
    return backend.get<T>(this.id, { ...options, propagate: true });
  }

  /** Waits until ready and returns the stored meta. */
  async wait(options: WaitOptions = {}): Promise<TaskMeta> {
    return this.#backend().waitFor(this.id, options);
  }

  async meta(): Promise<TaskMeta> {
    return this.#backend().getMeta(this.id);
  }

  async state(): Promise<TaskState> {
    return (await this.meta()).status;
  }

  async ready(): Promise<boolean> {
    return READY_STATES.has(await this.state());
  }

  async successful(): Promise<boolean> {
    return (await this.state()) === SUCCESS;
  }

  revoke(options: RevokeOptions = {}): Promise<void> {
    return this.client.revoke(this.id, options);
  }

  async forget(): Promise<void> {
    return this.#backend().forget(this.id);
  }
}

export class CeleryClient {
  readonly transport: RedisTransport;
  readonly backend: RedisResultBackend | null;
  readonly defaultQueue: string;
  /** Sent as reply_to, as Celery sends its app's oid. */
  readonly oid: string = randomUUID();
  #routes: Readonly<Record<string, string>>;
  #ownsTransport: boolean;
  #ownsBackend: boolean;
  #declared = new Map<string, Promise<void>>();

  constructor(options: CeleryClientOptions) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    if (options.broker instanceof RedisTransport) {
      this.transport = options.broker;
      this.#ownsTransport = false;
    } else {
      this.transport = new RedisTransport(options.broker, options.transportOptions);
      this.#ownsTransport = true;
    }
    const backend = options.backend === undefined ? (typeof options.broker === 'string' ? options.broker : this.transport.client) : options.backend;
    if (backend === null) {
      this.backend = null;
      this.#ownsBackend = false;
    } else if (backend instanceof RedisResultBackend) {
      this.backend = backend;
      this.#ownsBackend = false;
    } else {
      this.backend = new RedisResultBackend(backend, options.backendOptions);
      this.#ownsBackend = true;
    }
    this.defaultQueue = options.defaultQueue ?? 'celery';
    this.#routes = options.routes ?? {};
  }

  /** Declares a queue once (Celery declares the queue it publishes to). */
  #declare(queue: string): Promise<void> {
    let done = this.#declared.get(queue);
    if (!done) {
      done = this.transport.declareQueue(queue);
      done.catch(() => this.#declared.delete(queue));
      this.#declared.set(queue, done);
    }
    return done;
  }

  /**
   * Sends a task by name (`app.send_task`). Resolves when the message is in
   * Redis, with a handle on its result.
   */
  async sendTask<T = unknown>(
    name: string,
    args: readonly unknown[] = [],
    kwargs: Readonly<Record<string, unknown>> = {},
    options: SendTaskOptions = {},
  ): Promise<AsyncResult<T>> {
    if (typeof name !== 'string' || name === '') throw invalidArgValue('name', 'must be a non-empty task name', name);
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const { queue, exchange, routingKey, ...message } = options;
    const payload = encodeTaskMessage({ replyTo: this.oid, ...message, task: name, args, kwargs });
    const id = payload.headers.id as string;
    if (exchange) {
      await this.transport.publish(payload, { exchange, routingKey: routingKey ?? '' });
    } else {
      const target = queue ?? this.#routes[name] ?? this.defaultQueue;
      await this.#declare(target);
      // Celery sends to a direct queue through the anonymous exchange, the queue name as routing key.
      await this.transport.publish(payload, { exchange: '', routingKey: target });
    }
    return new AsyncResult<T>(id, this);
  }

  /** A handle on a task sent earlier (by id). */
  asyncResult<T = unknown>(id: string): AsyncResult<T> {
    if (typeof id !== 'string' || id === '') throw invalidArgValue('id', 'must be a task id', id);
    return new AsyncResult<T>(id, this);
  }

  /** Broadcasts `revoke` to all workers (or `destination`), as `app.control.revoke` does. */
  revoke(taskIds: string | readonly string[], options: RevokeOptions = {}): Promise<void> {
    return revokeTasks(this.transport, taskIds, options);
  }

  /** Closes the connections this client opened. */
  async close(): Promise<void> {
    if (this.#ownsBackend && this.backend) await this.backend.close();
    if (this.#ownsTransport) await this.transport.close();
  }
}
