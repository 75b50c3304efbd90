// The pool the worker runs task greenlets in. The worker needs gevent's
// Pool: spawn() that waits while `size` greenlets run, full(), freeCount(),
// waitAvailable(), join({timeout}) and kill(). That Pool lives in lib/sync,
// which is not merged yet; until it is, InterimPool below provides exactly
// that subset on top of core's joinAll/killAll, and createPool() is the one
// place to switch to `new Pool(size)` once lib/sync/pool.ts is on main.
import { Greenlet, type GreenletBody, type GreenletResult, type ResultOf } from '../core/greenlet';
import type { Operation, Task } from '../core/operation';
import { awaitable } from '../core/task';
import { joinAll, killAll } from '../core/wait';
import { validateInteger } from '../loop/validate';

/** The Pool API the worker uses (a subset of gevent's, and of lib/sync's Pool). */
export interface TaskPool {
  readonly size: number | null;
  spawn<A extends unknown[], R extends GreenletResult>(fn: GreenletBody<A, R>, ...args: A): Task<Greenlet<ResultOf<R>>>;
  full(): boolean;
  freeCount(): number;
  waitAvailable(timeout?: number | null): Task<unknown>;
  join(options?: { timeout?: number | null }): Task<boolean>;
  kill(options?: { timeout?: number | null }): Task<void>;
  readonly length: number;
}

class InterimPool implements TaskPool {
  readonly size: number;
  /** @internal */
  readonly _members = new Set<Greenlet>();

  constructor(size: number) {
    validateInteger('size', size, 1, Number.MAX_SAFE_INTEGER);
    this.size = size;
  }

  get length(): number {
    for (const g of this._members) if (g.dead) this._members.delete(g);
    return this._members.size;
  }

  full(): boolean {
    return this.length >= this.size;
  }

  freeCount(): number {
    return Math.max(0, this.size - this.length);
  }

  spawn<A extends unknown[], R extends GreenletResult>(fn: GreenletBody<A, R>, ...args: A): Task<Greenlet<ResultOf<R>>> {
    return spawnTask(this, fn as unknown as GreenletBody<unknown[], GreenletResult>, args) as Task<Greenlet<ResultOf<R>>>;
  }

  waitAvailable(timeout: number | null = null): Task<unknown> {
    return waitTask(this, timeout);
  }

  join(options: { timeout?: number | null } = {}): Task<boolean> {
    return joinTask([...this._members], options.timeout ?? null);
  }

  kill(options: { timeout?: number | null } = {}): Task<void> {
    return killAll([...this._members], { timeout: options.timeout ?? null });
  }
}

function* waitForRoom(pool: InterimPool, timeout: number | null): Operation<boolean> {
  const deadline = timeout === null ? Infinity : Date.now() + timeout * 1000;
  while (pool.full()) {
    const left = deadline === Infinity ? null : Math.max(0, (deadline - Date.now()) / 1000);
    if (left === 0) return false;
    yield* joinAll([...pool._members].filter((g) => !g.dead), { count: 1, timeout: left });
  }
  return true;
}

const spawnTask = awaitable(function* spawn(
  pool: InterimPool,
  fn: GreenletBody<unknown[], GreenletResult>,
  args: unknown[],
): Operation<Greenlet> {
  yield* waitForRoom(pool, null);
  const greenlet = Greenlet.spawn(fn, ...args);
  pool._members.add(greenlet);
  return greenlet;
});

const waitTask = awaitable(function* waitAvailable(pool: InterimPool, timeout: number | null): Operation<unknown> {
  yield* waitForRoom(pool, timeout);
  return pool.freeCount();
});

const joinTask = awaitable(function* join(members: Greenlet[], timeout: number | null): Operation<boolean> {
  const alive = members.filter((g) => !g.dead);
  if (alive.length === 0) return true;
  const done = yield* joinAll(alive, { timeout });
  return done.length === alive.length;
});

/** A pool of `size` greenlets for task execution. */
export function createPool(size: number): TaskPool {
  return new InterimPool(size);
}
