// Group and what Pool shares with it (gevent.pool.Group and its mapping
// mixin): a set of greenlets, each dropped when it dies, with join, kill,
// map/imap/apply, and run(body) as a structured-concurrency scope.
//
// A group is itself waitable: ready() when empty, so join() is a wait on
// it, and wait()/iwait()/rawlink() work on groups too.
import { invalidArgType } from '../loop/errors';
import { validateBoolean, validateInteger, validateObject } from '../loop/validate';
import { GreenletExit } from '../core/errors';
import {
  Greenlet,
  type GreenletBody,
  type GreenletResult,
  type KillException,
  type ResultOf,
} from '../core/greenlet';
import type { TimeoutArg } from '../core/linkable';
import { SUSPEND, type Operation, type Task } from '../core/operation';
import { awaitable } from '../core/task';
import { Timeout, validateTimeoutArg } from '../core/timeout';
import { joinAll, killAll } from '../core/wait';
import { IMap } from './imap';
import { Notifier } from './notifier';
import { armTimer, disarm, DONE, DONE_TRUE, ownsTimeout, runResult, validateBody } from './park';
import { openSource, validateSource, type MapSource } from './source';

export interface GroupJoinOptions {
  /** Seconds (or a Timeout of its own) to wait at most; then join() returns false. */
  timeout?: TimeoutArg;
  /** Raise the error of a member (present when join() was called) that failed. */
  raiseError?: boolean;
}

export interface GroupKillOptions {
  /** What to raise in each greenlet (GreenletExit by default). */
  exception?: KillException;
  /** Wait until all are dead when the returned task runs (default true). */
  block?: boolean;
  /** With block: stop waiting after this many seconds (they may live on; nothing is raised). */
  timeout?: number | null;
}

export interface IMapOptions {
  /** At most this many results (finished or running) ahead of the consumer. */
  maxsize?: number | null;
}

/** A function map() calls on each item. */
export type Mapper<T, R extends GreenletResult> = (item: T) => R;

// kill(options) or gevent's kill(exception, options): an Error or an Error
// class first is the exception.
function killOptions(first: KillException | GroupKillOptions, second: GroupKillOptions | undefined): GroupKillOptions {
  if (first instanceof Error || typeof first === 'function') {
    if (second !== undefined) validateObject('options', second as unknown);
    return { ...second, exception: first };
  }
  if (second !== undefined) throw invalidArgType('exception', 'an Error subclass or an Error instance', first);
  validateObject('options', first as unknown);
  return first;
}

/** Members are kept in insertion order; the link that drops them on death is shared. */
export abstract class GroupBase extends Notifier implements Iterable<Greenlet> {
  /** Greenlets kill() or killOne() is killing, not dead yet. */
  readonly dying = new Set<Greenlet>();
  /** @internal */
  readonly _members = new Set<Greenlet>();
  /** @internal Bumped by kill(): map()/imap() feeding this group stop spawning. */
  _killEpoch = 0;
  /** @internal Bumped when a member dies of an error: map() looks for its failures then. */
  _failures = 0;
  private readonly _onDeath = (greenlet: Greenlet): void => {
    if (this._members.delete(greenlet)) this._dropped(greenlet);
  };

  /** How many greenlets are in the group. */
  get length(): number {
    return this._members.size;
  }

  /** The members (a live view). */
  get greenlets(): ReadonlySet<Greenlet> {
    return this._members;
  }

  /** Whether `greenlet` is a member. */
  has(greenlet: Greenlet): boolean {
    return this._members.has(greenlet);
  }

  [Symbol.iterator](): IterableIterator<Greenlet> {
    return this._members.values();
  }

  /** Empty: what join() waits for. */
  ready(): boolean {
    return this._members.size === 0;
  }

  /** Stops tracking `greenlet` (a Pool frees its slot); it goes on running. */
  discard(greenlet: Greenlet): void {
    if (!this._members.delete(greenlet)) return;
    greenlet.unlink(this._onDeath);
    this._dropped(greenlet);
  }

  /**
   * Waits until the group is empty; returns true, or false if `timeout`
   * passed first. Returns at once on an empty group. With raiseError,
   * then raises the error of the first member present at the call that
   * failed.
   */
  join(options: GroupJoinOptions = {}): Task<boolean> {
    validateObject('options', options as unknown);
    const { timeout, raiseError = false } = options;
    validateTimeoutArg('options.timeout', timeout);
    validateBoolean('options.raiseError', raiseError);
    if (this._members.size === 0) return DONE_TRUE;
    return joinTask(this, timeout, raiseError ? [...this._members] : null);
  }

  /**
   * Kills every member (those not started never run); the returned task
   * waits until the group is empty — killing greenlets added meanwhile
   * too — or until `timeout` passes (then it returns; nothing is raised).
   * map() and imap() feeding the group stop spawning.
   */
  kill(options?: GroupKillOptions): Task<void>;
  /** gevent's positional form: `group.kill(MyError, {timeout})`. */
  kill(exception: KillException, options?: Omit<GroupKillOptions, 'exception'>): Task<void>;
  kill(first: KillException | GroupKillOptions = {}, second?: GroupKillOptions): Task<void> {
    const options = killOptions(first, second);
    const { exception = GreenletExit, block = true, timeout = null } = options;
    validateBoolean('options.block', block);
    if ((timeout as unknown) instanceof Timeout) throw invalidArgType('options.timeout', 'a number of seconds or null', timeout);
    validateTimeoutArg('options.timeout', timeout);
    this._killEpoch++;
    this._killMembers(exception);
    if (!block || this._members.size === 0) return DONE;
    return killTask(this, exception, timeout);
  }

  /** Same as kill(): every member. */
  killAll(options?: GroupKillOptions): Task<void>;
  killAll(exception: KillException, options?: Omit<GroupKillOptions, 'exception'>): Task<void>;
  killAll(first: KillException | GroupKillOptions = {}, second?: GroupKillOptions): Task<void> {
    return this.kill(killOptions(first, second));
  }

  /**
   * Kills one member (a no-op if it is not one, or is being killed
   * already); the task waits for it like Greenlet.kill().
   */
  killOne(greenlet: Greenlet, options?: GroupKillOptions): Task<void>;
  killOne(greenlet: Greenlet, exception: KillException, options?: Omit<GroupKillOptions, 'exception'>): Task<void>;
  killOne(greenlet: Greenlet, first: KillException | GroupKillOptions = {}, second?: GroupKillOptions): Task<void> {
    if (!(greenlet instanceof Greenlet)) throw invalidArgType('greenlet', 'a Greenlet', greenlet);
    const options = killOptions(first, second);
    const { exception = GreenletExit, block = true, timeout = null } = options;
    if (!this._members.has(greenlet) || this.dying.has(greenlet)) return DONE;
    this.dying.add(greenlet);
    return greenlet.kill(exception, { block, timeout });
  }

  /**
   * Calls `fn(item)` for each item in a greenlet of the group (waiting
   * while a pool is full) and returns the results in input order. A
   * failure is raised as soon as map() sees it — no spawning after it —
   * and the calls still running are killed and waited for first.
   */
  map<T, R extends GreenletResult>(fn: Mapper<T, R>, iterable: MapSource<T>): Task<ResultOf<R>[]> {
    validateBody('fn', fn);
    validateSource('iterable', iterable);
    return mapTask(this, fn as Mapper<unknown, GreenletResult>, iterable) as Task<ResultOf<R>[]>;
  }

  /** map() in a new greenlet (not a member); `callback(results)` runs on success. */
  mapAsync<T, R extends GreenletResult>(
    fn: Mapper<T, R>,
    iterable: MapSource<T>,
    callback?: (results: ResultOf<R>[]) => unknown,
  ): Greenlet<ResultOf<R>[]> {
    validateBody('fn', fn);
    validateSource('iterable', iterable);
    if (callback !== undefined) validateBody('callback', callback);
    const greenlet = Greenlet.spawn(() => this.map(fn, iterable));
    if (callback !== undefined) greenlet.linkValue((g) => callback(g.value as ResultOf<R>[]));
    return greenlet as Greenlet<ResultOf<R>[]>;
  }

  /** The results of `fn` over the items, in input order, as they come (see IMap). */
  imap<T, R extends GreenletResult>(fn: Mapper<T, R>, iterable: MapSource<T>, options: IMapOptions = {}): IMap<ResultOf<R>> {
    return this._imap(fn, iterable, options, true) as IMap<ResultOf<R>>;
  }

  /** The results of `fn` over the items in the order the calls finish (see IMap). */
  imapUnordered<T, R extends GreenletResult>(
    fn: Mapper<T, R>,
    iterable: MapSource<T>,
    options: IMapOptions = {},
  ): IMap<ResultOf<R>> {
    return this._imap(fn, iterable, options, false) as IMap<ResultOf<R>>;
  }

  /**
   * Calls `fn(...args)` in a greenlet of the group and returns its result
   * (or raises its error). Called from a member of the group, it runs
   * inline instead: a call that re-enters the pool cannot deadlock it.
   */
  apply<A extends unknown[], R extends GreenletResult>(fn: GreenletBody<A, R>, args?: A): Task<ResultOf<R>> {
    validateBody('fn', fn);
    if (args !== undefined && !Array.isArray(args)) throw invalidArgType('args', 'an array', args);
    return applyTask(this, fn as unknown as GreenletBody<unknown[], GreenletResult>, args ?? []) as Task<ResultOf<R>>;
  }

  /**
   * Starts `fn(...args)` and returns its greenlet without ever blocking:
   * in the group if there is room, else in a plain greenlet that waits for
   * room (gevent's apply_async). `callback(value)` runs on success.
   */
  applyAsync<A extends unknown[], R extends GreenletResult>(
    fn: GreenletBody<A, R>,
    args?: A,
    callback?: (value: ResultOf<R>) => unknown,
  ): Greenlet<ResultOf<R>> {
    validateBody('fn', fn);
    if (args !== undefined && !Array.isArray(args)) throw invalidArgType('args', 'an array', args);
    if (callback !== undefined) validateBody('callback', callback);
    const list = (args ?? []) as unknown[];
    const greenlet =
      this._trySpawn(fn as unknown as GreenletBody<unknown[], GreenletResult>, list) ??
      Greenlet.spawn(() => this.apply(fn as unknown as GreenletBody<unknown[], GreenletResult>, list));
    if (callback !== undefined) greenlet.linkValue((g) => callback(g.value as ResultOf<R>));
    return greenlet as Greenlet<ResultOf<R>>;
  }

  /**
   * Runs `body(group)` as a scope: when it ends — by returning, throwing,
   * a Timeout or a kill — every greenlet still in the group is killed and
   * waited for, so none outlives the scope. Returns the body's result.
   */
  run<R extends GreenletResult>(body: (group: this) => R): Task<ResultOf<R>> {
    validateBody('body', body);
    return scopeTask(this, body as unknown as (group: GroupBase) => GreenletResult) as Task<ResultOf<R>>;
  }

  override toString(): string {
    return `<${this.constructor.name} of ${this._members.size}>`;
  }

  /** @internal */
  _describeWait(): string {
    return `a ${this.constructor.name} of ${this._members.size} to empty (join)`;
  }

  // --- for the subclasses ---

  /** @internal Adds a member (room already had). */
  _insert(greenlet: Greenlet): void {
    if (this._members.has(greenlet)) return;
    this._members.add(greenlet);
    greenlet.rawlink(this._onDeath);
  }

  /** @internal A member left (died or discarded). */
  _dropped(greenlet: Greenlet): void {
    this.dying.delete(greenlet);
    if (!greenlet.successful() && greenlet.dead) this._failures++;
    if (this._members.size === 0) this._scheduleNotify();
  }

  /** @internal Spawns `fn(...args)` as a member, waiting for room. */
  abstract _spawnOp(fn: GreenletBody<unknown[], GreenletResult>, args: unknown[]): Operation<Greenlet>;

  /** @internal Spawns `fn(...args)` as a member if there is room now; null otherwise. */
  abstract _trySpawn(fn: GreenletBody<unknown[], GreenletResult>, args: unknown[]): Greenlet | null;

  /** @internal */
  _killMembers(exception: KillException): void {
    for (const greenlet of [...this._members]) {
      if (this.dying.has(greenlet)) continue;
      this.dying.add(greenlet);
      greenlet.kill(exception, { block: false });
    }
  }

  private _imap(fn: unknown, iterable: MapSource<unknown>, options: IMapOptions, ordered: boolean): IMap<unknown> {
    validateBody('fn', fn);
    validateObject('options', options as unknown);
    const maxsize = options.maxsize ?? null;
    if (maxsize !== null) validateInteger('options.maxsize', maxsize, 1, Number.MAX_SAFE_INTEGER);
    return new IMap(this, fn as (item: unknown) => GreenletResult, iterable, ordered, maxsize);
  }
}

/** A set of greenlets with no bound: spawn() never blocks (gevent.pool.Group). */
export class Group extends GroupBase {
  /** A group holding `greenlets` (each dropped when it dies). */
  constructor(greenlets?: Iterable<Greenlet>) {
    super();
    if (greenlets !== undefined) for (const greenlet of greenlets) this.add(greenlet);
  }

  /** Runs `body(group)` with a new Group as a scope (see run()). */
  static scope<R extends GreenletResult>(body: (group: Group) => R): Task<ResultOf<R>> {
    return new Group().run(body);
  }

  /** Adds a greenlet (started or not); it is dropped when it dies. */
  add(greenlet: Greenlet): void {
    if (!(greenlet instanceof Greenlet)) throw invalidArgType('greenlet', 'a Greenlet', greenlet);
    this._insert(greenlet);
  }

  /** add(), then start(). */
  start(greenlet: Greenlet): void {
    this.add(greenlet);
    greenlet.start();
  }

  /** Creates a greenlet running `fn(...args)`, adds and starts it. */
  spawn<A extends unknown[], R extends GreenletResult>(fn: GreenletBody<A, R>, ...args: A): Greenlet<ResultOf<R>> {
    const greenlet = new Greenlet<ResultOf<R>>(fn as () => ResultOf<R>, ...args);
    this.start(greenlet);
    return greenlet;
  }

  /** 1, as an unbounded Pool's (gevent): there is always room for one more. */
  freeCount(): number {
    return 1;
  }

  /** Always false: a Group has no bound. */
  full(): boolean {
    return false;
  }

  /** Returns at once: a Group always has room. */
  waitAvailable(timeout?: TimeoutArg): Task<void> {
    validateTimeoutArg('timeout', timeout);
    return DONE;
  }

  /** @internal */
  _spawnOp(fn: GreenletBody<unknown[], GreenletResult>, args: unknown[]): Operation<Greenlet> {
    return spawnNowOp(this, fn, args);
  }

  /** @internal */
  _trySpawn(fn: GreenletBody<unknown[], GreenletResult>, args: unknown[]): Greenlet {
    return this.spawn(fn, ...args);
  }
}

function* spawnNowOp(group: Group, fn: GreenletBody<unknown[], GreenletResult>, args: unknown[]): Operation<Greenlet> {
  return group.spawn(fn, ...args);
}

// --- the operations ---

const joinTask = awaitable(function* join(group: GroupBase, timeout: TimeoutArg, present: Greenlet[] | null): Operation<boolean> {
  let emptied = true;
  if (group._members.size > 0) {
    const greenlet = group.hub._currentGreenlet('Group.join()');
    const armed = armTimer(group.hub, greenlet, timeout);
    group._addLink(greenlet);
    greenlet._waitingOn = group;
    try {
      emptied = (yield SUSPEND) === group;
    } catch (error) {
      if (!ownsTimeout(timeout, error)) throw error;
      emptied = false;
    } finally {
      group._removeLink(greenlet);
      disarm(armed);
    }
  }
  if (present !== null) {
    for (const member of present) if (member.dead && !member.successful()) throw member.exception;
  }
  return emptied;
});

const killTask = awaitable(function* kill(group: GroupBase, exception: KillException, timeout: number | null): Operation<void> {
  const timer = timeout === null ? null : new Timeout(timeout).start();
  try {
    // Greenlets added while the others die (spawned by them, say) are killed too.
    while (group._members.size > 0) {
      group._killMembers(exception);
      yield* joinAll([...group._members]);
    }
  } catch (error) {
    if (timer === null || !timer.owns(error)) throw error;
  } finally {
    timer?.close();
  }
});

/**
 * map()'s bookkeeping. Finished tasks at the front are harvested as it
 * goes — their values copied out, the greenlets dropped — so 100,000
 * finished greenlets do not stay alive (and get copied by the GC) until
 * the end.
 */
class MapState {
  readonly tasks: (Greenlet | null)[] = [];
  readonly results: unknown[] = [];
  harvested = 0;

  /** Takes the results of the finished tasks at the front; raises the first failure met. */
  harvest(): void {
    const tasks = this.tasks;
    while (this.harvested < tasks.length) {
      const task = tasks[this.harvested] as Greenlet;
      if (!task.dead) return;
      if (!task.successful()) throw task.exception;
      this.results.push(task.value);
      tasks[this.harvested++] = null;
    }
  }

  /** Raises the error of any finished task that failed, wherever it is. */
  raiseFailure(): void {
    this.harvest();
    for (let i = this.harvested; i < this.tasks.length; i++) {
      const task = this.tasks[i] as Greenlet;
      if (task.dead && !task.successful()) throw task.exception;
    }
  }

  alive(): Greenlet[] {
    const alive: Greenlet[] = [];
    for (let i = this.harvested; i < this.tasks.length; i++) {
      const task = this.tasks[i];
      if (task !== null && !task.dead) alive.push(task);
    }
    return alive;
  }
}

const mapTask = awaitable(function* map(
  group: GroupBase,
  fn: Mapper<unknown, GreenletResult>,
  iterable: MapSource<unknown>,
): Operation<unknown[]> {
  const source = openSource('iterable', iterable);
  const epoch = group._killEpoch;
  const state = new MapState();
  let failures = group._failures;
  try {
    const sync = source.sync;
    for (;;) {
      const next = sync !== null ? sync.next() : yield* source.pull();
      if (next.done === true) break;
      if (group._killEpoch !== epoch) throw new GreenletExit('the group was killed during map()');
      const args = [next.value];
      state.tasks.push(group._trySpawn(fn, args) ?? (yield* group._spawnOp(fn, args)));
      // A member failed: if it is one of ours, stop here.
      if (group._failures !== failures) {
        failures = group._failures;
        state.raiseFailure();
      } else {
        state.harvest();
      }
    }
    // Wait for the ones still running (few: at most the pool's size).
    const alive = state.alive();
    if (alive.length > 0) yield* joinAll(alive, { raiseError: true });
    state.raiseFailure();
    return state.results;
  } catch (error) {
    // Nothing outlives the call: stop the rest before raising.
    const alive = state.alive();
    if (alive.length > 0) yield* killAll(alive);
    throw error;
  } finally {
    source.close();
  }
});

const applyTask = awaitable(function* apply(
  group: GroupBase,
  fn: GreenletBody<unknown[], GreenletResult>,
  args: unknown[],
): Operation<unknown> {
  const current = group.hub._running;
  if (current !== null && group._members.has(current)) return yield* runResult(fn(...args));
  const greenlet = group._trySpawn(fn, args) ?? (yield* group._spawnOp(fn, args));
  return yield* greenlet.get();
});

const scopeTask = awaitable(function* scope(group: GroupBase, body: (group: GroupBase) => GreenletResult): Operation<unknown> {
  try {
    return yield* runResult(body(group));
  } finally {
    if (group._members.size > 0) yield* group.kill();
  }
});
