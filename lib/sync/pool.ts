// Pool: a Group of at most `size` greenlets (gevent.pool.Pool). spawn(),
// add() and start() wait while it is full: a Semaphore of `size` units,
// one per member, given back when the member dies or is discarded.
import { invalidArgType } from '../loop/errors';
import { validateInteger } from '../loop/validate';
import { GreenletExit } from '../core/errors';
import { Greenlet, type GreenletBody, type KillException, type GreenletResult, type ResultOf } from '../core/greenlet';
import type { TimeoutArg } from '../core/linkable';
import type { Operation, Task } from '../core/operation';
import { awaitable, completed } from '../core/task';
import { validateTimeoutArg } from '../core/timeout';
import { PoolFull } from './errors';
import { GroupBase } from './group';
import { validateBlockOptions, type AcquireOptions } from './park';
import { Acquire, DummySemaphore, Semaphore } from './semaphore';

export class Pool extends GroupBase {
  /** The bound, or null for no bound. */
  readonly size: number | null;
  /** @internal One unit per free slot. */
  readonly _slots: Semaphore | DummySemaphore;
  /** @internal Greenlets waiting for a slot for spawn() calls nobody waited on. */
  readonly _queuedSpawns = new Set<Greenlet>();

  /** A pool of at most `size` greenlets; null or undefined for no bound (then it never blocks). */
  constructor(size?: number | null) {
    super();
    if (size !== null && size !== undefined) validateInteger('size', size, 0, Number.MAX_SAFE_INTEGER);
    this.size = size ?? null;
    this._slots = this.size === null ? new DummySemaphore() : new Semaphore(this.size);
  }

  /** Runs `body(pool)` with a new Pool of `size` as a scope (see run()). */
  static scope<R extends GreenletResult>(size: number | null, body: (pool: Pool) => R): Task<ResultOf<R>> {
    return new Pool(size).run(body);
  }

  /** Free slots (0 when full); 1 for an unbounded pool, as in gevent. */
  freeCount(): number {
    return this.size === null ? 1 : Math.max(0, this.size - this.length);
  }

  /** No slot is free: spawn() would wait. */
  full(): boolean {
    return this.freeCount() <= 0;
  }

  /**
   * Waits until a slot is free (without taking it) or `timeout` passes;
   * returns the free slots then (0 on timeout).
   */
  waitAvailable(timeout?: TimeoutArg): Task<number> {
    validateTimeoutArg('timeout', timeout);
    return waitAvailableTask(this, timeout);
  }

  /**
   * Adds a greenlet, waiting (FIFO) for a free slot. Raises PoolFull with
   * `blocking: false` when full, or when `timeout` passes first.
   */
  add(greenlet: Greenlet, options?: AcquireOptions): Task<void> {
    if (!(greenlet instanceof Greenlet)) throw invalidArgType('greenlet', 'a Greenlet', greenlet);
    let blocking = true;
    let timeout: TimeoutArg;
    if (options !== undefined) {
      blocking = validateBlockOptions(options, 'blocking');
      timeout = options.timeout;
    }
    return addTask(this, greenlet, blocking, timeout, false);
  }

  /** add(), then start the greenlet. */
  start(greenlet: Greenlet, options?: AcquireOptions): Task<void> {
    if (!(greenlet instanceof Greenlet)) throw invalidArgType('greenlet', 'a Greenlet', greenlet);
    let blocking = true;
    let timeout: TimeoutArg;
    if (options !== undefined) {
      blocking = validateBlockOptions(options, 'blocking');
      timeout = options.timeout;
    }
    return addTask(this, greenlet, blocking, timeout, true);
  }

  /**
   * Spawns `fn(...args)` in the pool: at once while a slot is free;
   * while it is full, `const g = yield* pool.spawn(fn)` waits (FIFO) for
   * one, as gevent's spawn blocks. A spawn() on a full pool that nobody
   * yield*s (gevent's statement form) is not lost: it waits for its slot
   * in a greenlet of its own, and join() and kill() count it.
   */
  spawn<A extends unknown[], R extends GreenletResult>(fn: GreenletBody<A, R>, ...args: A): Task<Greenlet<ResultOf<R>>> {
    if (typeof fn !== 'function') throw invalidArgType('fn', 'of type function', fn);
    const body = fn as unknown as GreenletBody<unknown[], GreenletResult>;
    const now = this._trySpawn(body, args);
    if (now !== null) return completed(now as Greenlet<ResultOf<R>>);
    const queued: QueuedSpawn = { pool: this, fn: body, args, claimed: false, waiter: null };
    this.hub.loop.runCallback(spawnUnclaimed, queued);
    return queuedSpawnTask(queued) as Task<Greenlet<ResultOf<R>>>;
  }

  /** Empty, with no spawn() queued on its own waiting for a slot. */
  override ready(): boolean {
    return this._members.size === 0 && this._queuedSpawns.size === 0;
  }

  /** @internal kill() also cancels the spawns queued on their own. */
  override _killMembers(exception: KillException): void {
    for (const waiter of [...this._queuedSpawns]) waiter.kill(GreenletExit, { block: false });
    super._killMembers(exception);
  }

  /** @internal */
  _spawnOp(fn: GreenletBody<unknown[], GreenletResult>, args: unknown[]): Operation<Greenlet> {
    return spawnTask(this, fn, args);
  }

  /** @internal */
  _trySpawn(fn: GreenletBody<unknown[], GreenletResult>, args: unknown[]): Greenlet | null {
    if (!this._takeSlot(true)) return null;
    return this._spawnInto(fn, args);
  }

  /** @internal Spawns with a slot already taken. */
  _spawnInto(fn: GreenletBody<unknown[], GreenletResult>, args: unknown[]): Greenlet {
    let greenlet: Greenlet;
    try {
      greenlet = new Greenlet(fn as (...a: unknown[]) => unknown, ...args);
    } catch (error) {
      this._slots.release();
      throw error;
    }
    this._insert(greenlet);
    greenlet.start();
    return greenlet;
  }

  /** @internal A member left: its slot is free again. */
  override _dropped(greenlet: Greenlet): void {
    this._slots.release();
    super._dropped(greenlet);
  }

  /**
   * @internal Takes a slot now if one is free for us: for a blocking
   * caller, only if no earlier caller is still waiting for one (FIFO).
   */
  _takeSlot(blocking: boolean): boolean {
    const slots = this._slots;
    if (slots instanceof DummySemaphore) return true;
    if (slots._counter > slots._acquirers || (!blocking && slots._counter > 0)) {
      slots._counter--;
      return true;
    }
    return false;
  }

  override toString(): string {
    return `<Pool ${this.length}/${this.size ?? '∞'}>`;
  }
}

const spawnTask = awaitable(function* spawn(
  pool: Pool,
  fn: GreenletBody<unknown[], GreenletResult>,
  args: unknown[],
): Operation<Greenlet> {
  // An unbounded pool always has a slot; a bounded one may have one by now.
  const now = pool._trySpawn(fn, args);
  if (now !== null) return now;
  yield* new Acquire(pool._slots as Semaphore, true, null);
  return pool._spawnInto(fn, args);
});

/** @internal A spawn() on a full pool, until someone waits for its slot. */
interface QueuedSpawn {
  pool: Pool;
  fn: GreenletBody<unknown[], GreenletResult>;
  args: unknown[];
  claimed: boolean;
  /** The greenlet waiting for the slot when no caller did (see spawn()). */
  waiter: Greenlet<Greenlet> | null;
}

// The greenlet that yield*s (or awaits) the task waits for the slot itself.
const queuedSpawnTask = awaitable(function* spawn(queued: QueuedSpawn): Operation<Greenlet> {
  if (queued.waiter !== null) return yield* queued.waiter.get();
  queued.claimed = true;
  return yield* spawnTask(queued.pool, queued.fn, queued.args);
});

// Nobody started to wait on the task by the hub's next turn: it waits in a
// greenlet of its own, which join() waits for and kill() kills.
function spawnUnclaimed(queued: QueuedSpawn): void {
  if (queued.claimed) return;
  queued.claimed = true;
  const { pool, fn, args } = queued;
  const waiter = new Greenlet(function* waitForSlot(): Operation<Greenlet> {
    try {
      return yield* spawnTask(pool, fn, args);
    } finally {
      pool._queuedSpawns.delete(waiter);
      if (pool.ready()) pool._scheduleNotify();
    }
  });
  pool._queuedSpawns.add(waiter);
  queued.waiter = waiter;
  waiter.start();
}

const addTask = awaitable(function* add(
  pool: Pool,
  greenlet: Greenlet,
  blocking: boolean,
  timeout: TimeoutArg,
  start: boolean,
): Operation<void> {
  if (!pool._members.has(greenlet)) {
    if (!pool._takeSlot(blocking)) {
      // Only a bounded pool gets here: an unbounded one always has a slot.
      if (!blocking || !(yield* new Acquire(pool._slots as Semaphore, true, timeout))) throw new PoolFull();
    }
    if (pool._members.has(greenlet)) {
      // Added by someone else while we waited.
      pool._slots.release();
    } else {
      pool._insert(greenlet);
    }
  }
  if (start) greenlet.start();
});

const waitAvailableTask = awaitable(function* waitAvailable(pool: Pool, timeout: TimeoutArg): Operation<number> {
  yield* pool._slots.wait(timeout);
  return pool.freeCount();
});
