// What a running task sees: `this` inside the task function (or
// currentTask() from code the task calls). It carries the request (id,
// retries, headers...) and retry(), Celery's Task.retry semantics.
import { getCurrent } from '../core/hub';
import { Greenlet } from '../core/greenlet';
import type { Task } from '../core/operation';
import { invalidArgType, outOfRange } from '../loop/errors';
import type { CeleryApp } from './app';
import { MaxRetriesExceededError } from './exceptions';
import type { TaskRequest } from './protocol';
import { later } from './green';
import { Retry } from './retry';
import type { RegisteredTask } from './task';

/** The request of a running task: the decoded message plus where it runs. */
export interface TaskRequestContext extends TaskRequest {
  /** The worker's node name. */
  hostname: string;
  /** The queue the message came from. */
  queue: string;
  deliveryTag: string;
}

export interface TaskRetryOptions {
  /** Seconds before the retry runs (default: the task's defaultRetryDelay). */
  countdown?: number;
  /** Or the instant it runs. */
  eta?: Date | string;
  /** What caused the retry: stored with RETRY, and raised instead once retries are exhausted. */
  exc?: unknown;
  /** Overrides the task's maxRetries for this call (null: no limit). */
  maxRetries?: number | null;
  args?: readonly unknown[];
  kwargs?: Readonly<Record<string, unknown>>;
}

// The context of each running task greenlet, for currentTask().
const contexts = new WeakMap<Greenlet, TaskContext>();

export class TaskContext {
  readonly app: CeleryApp;
  readonly task: RegisteredTask;
  readonly request: Readonly<TaskRequestContext>;

  /** @internal Made by the worker for each execution. */
  constructor(app: CeleryApp, task: RegisteredTask, request: TaskRequestContext) {
    this.app = app;
    this.task = task;
    this.request = Object.freeze(request);
  }

  get name(): string {
    return this.task.name;
  }

  /**
   * Retries the task (Celery's `raise self.retry(...)`): throws Retry, which
   * the worker turns into a new message for the same task id with retries
   * + 1, sent after the countdown, and a RETRY state. When the task has
   * retried maxRetries times already, throws `exc` instead (the task fails
   * with it) or MaxRetriesExceededError. Never returns: `throw this.retry()`
   * reads well too.
   */
  retry(options: TaskRetryOptions = {}): never {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const max = options.maxRetries === undefined ? this.task.options.maxRetries : options.maxRetries;
    if (max !== null && (typeof max !== 'number' || !Number.isInteger(max) || max < 0)) {
      throw outOfRange('options.maxRetries', 'an integer >= 0 or null', max);
    }
    if (options.countdown !== undefined && (typeof options.countdown !== 'number' || !Number.isFinite(options.countdown) || options.countdown < 0)) {
      throw outOfRange('options.countdown', 'a finite number of seconds >= 0', options.countdown);
    }
    if (options.eta !== undefined && !(options.eta instanceof Date) && typeof options.eta !== 'string') {
      throw invalidArgType('options.eta', 'a Date or an ISO 8601 string', options.eta);
    }
    const request = this.request;
    if (max !== null && request.retries >= max) {
      if (options.exc !== undefined) throw options.exc;
      throw new MaxRetriesExceededError(
        `Can't retry ${this.name}[${request.id}] args:${request.argsrepr ?? JSON.stringify(request.args)} kwargs:${request.kwargsrepr ?? JSON.stringify(request.kwargs)}`,
      );
    }
    const countdown = options.countdown ?? (options.eta === undefined ? this.task.options.defaultRetryDelay : undefined);
    throw new Retry({ exc: options.exc, countdown, eta: options.eta, args: options.args, kwargs: options.kwargs });
  }

  /** Stores a custom state (Celery's update_state), e.g. progress: `yield* this.updateState('PROGRESS', { done: 3 })`. */
  updateState(state: string, meta: unknown = null): Task<boolean> {
    if (typeof state !== 'string' || state === '') throw invalidArgType('state', 'a non-empty state name', state);
    const backend = this.app.backend;
    if (backend === null) throw Object.assign(new Error('the app has no result backend'), { code: 'ERR_CELERY_NO_BACKEND' });
    return later(() => backend.store(this.request.id, state, meta, { request: { group: this.request.group, parentId: this.request.parentId } }));
  }
}

/** @internal The worker binds a context to the greenlet running the task. */
export function bindContext(greenlet: Greenlet, context: TaskContext): void {
  contexts.set(greenlet, context);
}

/** The context of the task running in the current greenlet, or null outside a task. */
export function currentTask(): TaskContext | null {
  const current = getCurrent();
  return current instanceof Greenlet ? (contexts.get(current) ?? null) : null;
}
