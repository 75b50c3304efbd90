// A sent task's result, for greenlets: every method returns an operation
// that is also awaitable — `yield* result.get({ timeout: 10 })` inside a
// greenlet, `await result.get()` from async code. It wraps the client's
// promise-based AsyncResult, which `promise` exposes.
import type { Task } from '../core/operation';
import type { AsyncResult, RevokeOptions } from './client';
import type { CeleryException } from './exceptions';
import { later } from './green';
import type { GetOptions, TaskMeta, WaitOptions } from './result-backend';
import type { TaskState } from './states';

export class TaskResult<T = unknown> {
  readonly promise: AsyncResult<T>;

  constructor(promise: AsyncResult<T>) {
    this.promise = promise;
  }

  get id(): string {
    return this.promise.id;
  }

  /**
   * Waits for the result and returns it; for FAILURE/REVOKED throws the
   * task's exception (a CeleryException with the Python type, module and
   * traceback), or returns it with `propagate: false`. Throws
   * ResultTimeoutError after `timeout` seconds.
   */
  get(options?: GetOptions & { propagate?: true }): Task<T>;
  get(options: GetOptions & { propagate: false }): Task<T | CeleryException>;
  get(options: GetOptions = {}): Task<T | CeleryException> {
    if (options.propagate === false) return later(() => this.promise.get({ ...options, propagate: false }));
    return later(() => this.promise.get({ ...options, propagate: true }));
  }

  /** Waits until the task is ready and returns its stored meta. */
  wait(options: WaitOptions = {}): Task<TaskMeta> {
    return later(() => this.promise.wait(options));
  }

  /** The stored meta now (PENDING when there is none). */
  meta(): Task<TaskMeta> {
    return later(() => this.promise.meta());
  }

  state(): Task<TaskState> {
    return later(() => this.promise.state());
  }

  ready(): Task<boolean> {
    return later(() => this.promise.ready());
  }

  successful(): Task<boolean> {
    return later(() => this.promise.successful());
  }

  /** Broadcasts a revoke of this task to the workers. */
  revoke(options: RevokeOptions = {}): Task<void> {
    return later(() => this.promise.revoke(options));
  }

  forget(): Task<void> {
    return later(() => this.promise.forget());
  }

  toString(): string {
    return `<TaskResult: ${this.id}>`;
  }
}
