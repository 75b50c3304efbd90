// A Celery application for greenhub: the task registry, the broker and
// result backend connections, and the factories of workers and beat. It
// plays the part of Python's `Celery(...)` object, so one module can both
// define tasks (for `greenhub celery worker -A module`) and send them.
//
//   const app = new CeleryApp({ broker: 'redis://127.0.0.1:6379/0' });
//   app.task('tasks.add', function* (a: number, b: number) { return a + b; });
//   const r = yield* app.sendTask('tasks.add', [2, 3]);   // or await
//   yield* r.get({ timeout: 10 });                         // 5
//
// Connections open on first use: a module that only registers tasks opens
// none. The broker and the backend share one command connection when they
// name the same Redis.
import type { Task } from '../core/operation';
import { invalidArgType, invalidArgValue } from '../loop/errors';
import { Beat, type BeatEntry, type BeatOptions } from './beat';
import { CeleryClient, type SendTaskOptions } from './client';
import { later } from './green';
import { defaultLogger, type CeleryLogger } from './log';
import type { RedisTarget } from './redis';
import { RedisTransport, type RedisTransportOptions } from './redis-transport';
import { RedisResultBackend, type RedisResultBackendOptions } from './result-backend';
import { RegisteredTask, resolveTaskOptions, type TaskFunction, type TaskOptions } from './task';
import { TaskResult } from './task-result';
import { Worker, type WorkerOptions } from './worker';

export interface CeleryAppOptions {
  /** The broker: a Redis URL (`redis://host:port/db`), ioredis options or an ioredis client. */
  broker: RedisTarget;
  /** The result backend (same forms); default: the broker's Redis; null: no results. */
  backend?: RedisTarget | null;
  /** The app's name (Celery's `main`), used in logs. */
  name?: string;
  /** Queue for tasks sent without one, and what workers consume by default (Celery: 'celery'). */
  defaultQueue?: string;
  /** Task name -> queue. */
  routes?: Readonly<Record<string, string>>;
  transportOptions?: RedisTransportOptions;
  backendOptions?: RedisResultBackendOptions;
  /** What `greenhub celery beat` publishes (Celery's beat_schedule). */
  beatSchedule?: Readonly<Record<string, BeatEntry>>;
  logger?: CeleryLogger;
}

export class CeleryApp {
  readonly name: string;
  readonly defaultQueue: string;
  readonly beatSchedule: Readonly<Record<string, BeatEntry>>;
  readonly logger: CeleryLogger;
  readonly #options: CeleryAppOptions;
  readonly #tasks = new Map<string, RegisteredTask>();
  readonly #routes: Readonly<Record<string, string>>;
  #transport: RedisTransport | null = null;
  #backend: RedisResultBackend | null | undefined = undefined;
  #client: CeleryClient | null = null;
  #closed = false;

  constructor(options: CeleryAppOptions) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const { broker } = options;
    if (broker === null || (typeof broker !== 'string' && typeof broker !== 'object')) {
      throw invalidArgType('options.broker', 'a Redis URL string, ioredis options or an ioredis client', broker);
    }
    if (typeof broker === 'string' && !/^rediss?:\/\//.test(broker)) {
      throw invalidArgValue('options.broker', 'must be a redis:// or rediss:// URL (greenhub speaks Kombu\'s Redis transport)', broker);
    }
    const backend = options.backend;
    if (backend !== undefined && backend !== null && typeof backend !== 'string' && typeof backend !== 'object') {
      throw invalidArgType('options.backend', 'a Redis URL string, ioredis options, an ioredis client or null', backend);
    }
    const defaultQueue = options.defaultQueue ?? 'celery';
    if (typeof defaultQueue !== 'string' || defaultQueue === '') throw invalidArgValue('options.defaultQueue', 'must be a queue name', defaultQueue);
    const routes = options.routes ?? {};
    if (routes === null || typeof routes !== 'object') throw invalidArgType('options.routes', 'an object of task name -> queue', routes);
    const schedule = options.beatSchedule ?? {};
    if (schedule === null || typeof schedule !== 'object') throw invalidArgType('options.beatSchedule', 'an object of entry name -> entry', schedule);
    const logger = options.logger ?? defaultLogger;
    if (typeof logger !== 'function') throw invalidArgType('options.logger', 'of type function', logger);
    this.#options = options;
    this.name = options.name ?? 'greenhub';
    this.defaultQueue = defaultQueue;
    this.#routes = { ...routes };
    this.beatSchedule = schedule;
    this.logger = logger;
  }

  #check(): void {
    if (this.#closed) throw Object.assign(new Error('the CeleryApp is closed'), { code: 'ERR_CELERY_APP_CLOSED' });
  }

  /** The registered tasks by name. */
  get tasks(): ReadonlyMap<string, RegisteredTask> {
    return this.#tasks;
  }

  /**
   * Registers a task under the name messages carry ('tasks.add'). The
   * function runs in a greenlet of the worker's pool with `this` bound to
   * its TaskContext. Returns the task (with delay() and applyAsync()).
   */
  task<F extends TaskFunction>(name: string, fn: F, options: TaskOptions = {}): RegisteredTask<F> {
    if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
    if (name === '') throw invalidArgValue('name', 'must be a non-empty task name', name);
    if (typeof fn !== 'function') throw invalidArgType('fn', 'of type function', fn);
    if (this.#tasks.has(name)) throw invalidArgValue('name', 'is already registered', name);
    const task = new RegisteredTask(this, name, fn, resolveTaskOptions(options));
    this.#tasks.set(name, task as unknown as RegisteredTask);
    return task;
  }

  /** The broker transport (opened on first use). */
  get transport(): RedisTransport {
    this.#check();
    this.#transport ??= new RedisTransport(this.#options.broker, { logger: this.logger, ...this.#options.transportOptions });
    return this.#transport;
  }

  /** The result backend (opened on first use), or null when the app has none. */
  get backend(): RedisResultBackend | null {
    this.#check();
    if (this.#backend === undefined) {
      const target = this.#options.backend;
      const sameAsBroker = target === undefined || (typeof target === 'string' && target === this.#options.broker);
      const options = { logger: this.logger, ...this.#options.backendOptions };
      if (target === null) this.#backend = null;
      else this.#backend = new RedisResultBackend(sameAsBroker ? this.transport.client : target, options);
    }
    return this.#backend;
  }

  /** The promise-based client over the same connections. */
  get client(): CeleryClient {
    this.#check();
    this.#client ??= new CeleryClient({
      broker: this.transport,
      backend: this.backend,
      defaultQueue: this.defaultQueue,
      routes: this.#routes,
    });
    return this.#client;
  }

  /** The queue a task goes to: its route, its registered queue, or the default. */
  queueFor(name: string): string {
    return this.#routes[name] ?? this.#tasks.get(name)?.options.queue ?? this.defaultQueue;
  }

  /**
   * Sends a task by name (`app.send_task`): `yield* app.sendTask(...)` in a
   * greenlet or `await` it. Returns a handle on its result.
   */
  sendTask<T = unknown>(
    name: string,
    args: readonly unknown[] = [],
    kwargs: Readonly<Record<string, unknown>> = {},
    options: SendTaskOptions = {},
  ): Task<TaskResult<T>> {
    if (typeof name !== 'string' || name === '') throw invalidArgValue('name', 'must be a non-empty task name', name);
    if (!Array.isArray(args)) throw invalidArgType('args', 'an instance of Array', args);
    if (kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs)) throw invalidArgType('kwargs', 'of type object', kwargs);
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const queue = options.queue ?? (options.exchange ? undefined : this.queueFor(name));
    return later(async () => new TaskResult<T>(await this.client.sendTask<T>(name, args, kwargs, { ...options, queue })));
  }

  /** A handle on a task sent earlier, by id. */
  asyncResult<T = unknown>(id: string): TaskResult<T> {
    return new TaskResult<T>(this.client.asyncResult<T>(id));
  }

  /** A worker consuming this app's queues (start it with run() or start()). */
  worker(options: WorkerOptions = {}): Worker {
    this.#check();
    return new Worker(this, options);
  }

  /** A beat scheduler publishing this app's beatSchedule (or options.schedule). */
  beat(options: BeatOptions = {}): Beat {
    this.#check();
    return new Beat(this, options);
  }

  /** Closes the connections the app opened. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const backend = this.#backend;
    const transport = this.#transport;
    if (backend) await backend.close();
    if (transport) await transport.close();
  }

  toString(): string {
    return `<CeleryApp ${this.name}: ${this.#tasks.size} task(s)>`;
  }
}
