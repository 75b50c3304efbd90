// Greenlet: a generator function run by the hub. It blocks with `yield*`
// on operations; every switch goes through the hub; its result, failure
// and links follow gevent's Greenlet.
import * as util from 'node:util';

import { invalidArgType, invalidArgValue } from '../loop/errors';
import { TimerWatcher } from '../loop/timer';
import { internalWatcher } from '../loop/watcher';
import { validateBoolean, validateFunction, validateObject, validateSeconds, validateString } from '../loop/validate';
import type { Watcher, WatcherListener } from '../loop/watcher';
import { GreenletExit, InvalidSwitchError } from './errors';
import { describeWait, type Hub, type PromiseWaiter } from './hub';
import { Linkable, waitOn, type LinkTarget, type TimeoutArg } from './linkable';
import { isIterator, isThenable, SUSPEND, type Operation, type Task } from './operation';
import { captureSpawnSite, formatSpawnSite, spawnSites, type SpawnSite } from './spawn-site';
import { awaitable, completed } from './task';
import { Timeout, validateTimeoutArg } from './timeout';
import { untilOperation } from './until';

const enum State {
  Init,
  Scheduled,
  Running,
  Dead,
  // Dead of an error (GreenletExit is success).
  Failed,
}

const STATE_NAMES = ['not started', 'scheduled', 'running', 'dead', 'dead'];

// A greenlet's bits of Linkable's _flags (bit 0 is Linkable's).
const enum Flag {
  // Plain async code awaits it (run()): it gets LoopExit.
  Awaited = 2,
  // In wait() with no objects (the hub's joiners).
  Joining = 4,
  // Not started, with one argument, held in _result as it is (no array).
  OneArg = 8,
}

/** What few greenlets need, kept out of the greenlet itself. */
class GreenletExtra {
  name: string | null = null;
  ident = 0;
  spawnSite: SpawnSite | string | null = null;
}

/** @internal A greenlet parked in the ready queue (sleep(0)) waits on this. */
export const READY = {
  _describeWait: (): string => 'its turn in the ready queue (sleep(0))',
};

/**
 * A result that is not an iterator (an iterator is driven as an operation).
 * `valueOf` is there because every object has it: without a required
 * member TypeScript would refuse an object sharing no property with this
 * type (an array, `{ a: 1 }`).
 */
export type PlainResult =
  | string
  | number
  | boolean
  | bigint
  | symbol
  | null
  | undefined
  | void
  | { next?: undefined; valueOf(): unknown };

/**
 * What a greenlet's function may return: an operation (a generator function
 * body), a promise, or a plain value. A generator that yields anything but
 * operations (`yield op` instead of `yield* op`) fits none of them, so it
 * does not type-check.
 */
export type GreenletResult = Operation<unknown> | PromiseLike<unknown> | PlainResult;

/** The greenlet's value for a function returning R. */
export type ResultOf<R> = R extends Operation<infer T> ? T : R extends PromiseLike<infer T> ? T : R;

/** What a greenlet runs. */
export type GreenletBody<A extends unknown[], R extends GreenletResult> = (...args: A) => R;

/** What kill() raises: an Error subclass (instantiated) or an Error instance. */
export type KillException = Error | (new () => Error);

export interface KillOptions {
  /** Wait for the greenlet to die when the returned task is run (default true). */
  block?: boolean;
  /** With block: give up waiting after this many seconds (the greenlet may live on). */
  timeout?: number | null;
}

export interface GetOptions {
  /** false: return or raise at once; Timeout if not ready (default true). */
  block?: boolean;
  /** Seconds (or a Timeout) to wait at most; then Timeout is raised. */
  timeout?: TimeoutArg;
}

/** Something a greenlet can hand its result to: an AsyncResult, for one. */
export interface ResultReceiver<T> {
  set(value: T): unknown;
  setException(error: unknown): unknown;
}

export type LinkCallback<T> = ((greenlet: Greenlet<T>) => unknown) | ResultReceiver<T>;

type LinkFilter = 'all' | 'value' | 'exception';

/** link(): runs the callback in a new greenlet (or fills a result receiver). */
class SpawnedLink<T> implements LinkTarget {
  constructor(
    readonly _callback: LinkCallback<T>,
    private readonly _filter: LinkFilter,
  ) {}

  _fireLink(source: Linkable): void {
    const greenlet = source as Greenlet<T>;
    if (this._filter === 'value' && !greenlet.successful()) return;
    if (this._filter === 'exception' && greenlet.successful()) return;
    const callback = this._callback;
    if (typeof callback === 'function') {
      const runner = new Greenlet(callback as (g: Greenlet<T>) => unknown, greenlet);
      runner._begin();
    } else if (greenlet.successful()) {
      callback.set(greenlet.value as T);
    } else {
      callback.setException(greenlet.exception);
    }
  }
}

// Native generators (what generator function bodies return) are resumed
// through %GeneratorPrototype%'s own next/throw: looking `next` up on each
// generator costs a megamorphic load, since every generator function gives
// its generators a map of their own.
const GENERATOR_PROTOTYPE = Object.getPrototypeOf(function* () {}).prototype as Generator;
const generatorNext = GENERATOR_PROTOTYPE.next;
const generatorThrow = GENERATOR_PROTOTYPE.throw;
/** `x instanceof NativeGenerator`: a walk up x's prototypes, whatever its map. */
function NativeGenerator(): void {}
NativeGenerator.prototype = GENERATOR_PROTOTYPE;

function killError(exception: unknown): Error {
  if (exception instanceof Error) return exception;
  if (typeof exception === 'function' && (exception === Error || exception.prototype instanceof Error)) {
    return new (exception as new () => Error)();
  }
  throw invalidArgType('exception', 'an Error subclass or an Error instance', exception);
}

export class Greenlet<T = unknown> extends Linkable implements WatcherListener, LinkTarget {
  // Fields are few on purpose: a fan-out or a spawn loop makes 100,000 of
  // them at once, and every byte of each is copied by the young-generation
  // collector (twice: to the survivor space, then to the old one).
  /** @internal What the greenlet is blocked on; null while it is not blocked. */
  _waitingOn: unknown = null;
  /** @internal Its place in the link queue of what it waits on (see LinkTarget). */
  _linkTicket = -1;
  /** @internal Neighbours in the hub's list of live greenlets. */
  _livePrev: Greenlet | null = null;
  /** @internal */
  _liveNext: Greenlet | null = null;
  private _state = State.Init;
  private _body: ((...args: unknown[]) => unknown) | null;
  private _gen: Iterator<unknown, unknown, unknown> | null = null;
  // Until it starts: its arguments (none: undefined; one, as it is, with
  // Flag.OneArg; several: an array). Once dead: the return value, or the
  // error once Failed.
  private _result: unknown = undefined;
  private _extra: GreenletExtra | null = null;

  constructor(fn?: ((...args: never[]) => Operation<T> | PromiseLike<T> | T) | null, ...args: unknown[]);
  constructor(fn?: ((...args: never[]) => unknown) | null, ...args: unknown[]) {
    super();
    if (fn !== undefined && fn !== null) validateFunction('fn', fn);
    this._body = (fn ?? null) as ((...args: unknown[]) => unknown) | null;
    if (args.length === 1) {
      this._result = args[0];
      this._flags |= Flag.OneArg;
    } else if (args.length > 1) {
      this._result = args;
    }
    if (spawnSites.enabled) (this._extra = new GreenletExtra()).spawnSite = captureSpawnSite();
  }

  /** @internal Plain async code awaits it (run()): it gets LoopExit. */
  get _awaited(): boolean {
    return (this._flags & Flag.Awaited) !== 0;
  }

  set _awaited(on: boolean) {
    this._flags = on ? this._flags | Flag.Awaited : this._flags & ~Flag.Awaited;
  }

  /** @internal In wait() with no objects (the hub's joiners). */
  get _joining(): boolean {
    return (this._flags & Flag.Joining) !== 0;
  }

  set _joining(on: boolean) {
    this._flags = on ? this._flags | Flag.Joining : this._flags & ~Flag.Joining;
  }

  /** Creates a greenlet and schedules its start (FIFO with everything else the hub runs). */
  static spawn<A extends unknown[], R extends GreenletResult>(fn: GreenletBody<A, R>, ...args: A): Greenlet<ResultOf<R>> {
    validateFunction('fn', fn);
    const greenlet = new Greenlet<ResultOf<R>>(fn as () => ResultOf<R>, ...args);
    greenlet.start();
    return greenlet;
  }

  /** Creates a greenlet that starts `seconds` from now. */
  static spawnLater<A extends unknown[], R extends GreenletResult>(
    seconds: number,
    fn: GreenletBody<A, R>,
    ...args: A
  ): Greenlet<ResultOf<R>> {
    validateSeconds('seconds', seconds);
    validateFunction('fn', fn);
    const greenlet = new Greenlet<ResultOf<R>>(fn as () => ResultOf<R>, ...args);
    greenlet.startLater(seconds);
    return greenlet;
  }

  /** Subclasses without a function override this. */
  protected _run(...args: unknown[]): Operation<T> | T {
    void args;
    return undefined as T;
  }

  get name(): string {
    const extra = (this._extra ??= new GreenletExtra());
    return (extra.name ??= `Greenlet-${this.minimalIdent}`);
  }

  set name(value: string) {
    validateString('name', value);
    (this._extra ??= new GreenletExtra()).name = value;
  }

  /** A small number naming the greenlet, unique among live ones of this hub. */
  get minimalIdent(): number {
    const extra = (this._extra ??= new GreenletExtra());
    if (extra.ident === 0) extra.ident = this.hub._allocIdent();
    return extra.ident;
  }

  /** @internal The ident if one was given out, else 0 (never allocates). */
  _peekIdent(): number {
    return this._extra !== null ? this._extra.ident : 0;
  }

  /**
   * Where the greenlet was created (the caller's stack frames), recorded
   * only while the monitor runs or GREENHUB_SPAWN_SITES=1; null otherwise.
   */
  get spawnSite(): string | null {
    const extra = this._extra;
    if (extra === null) return null;
    if (extra.spawnSite !== null && typeof extra.spawnSite === 'object') extra.spawnSite = formatSpawnSite(extra.spawnSite);
    return extra.spawnSite;
  }

  /** Scheduled or running (gevent's bool(greenlet)). */
  get started(): boolean {
    return this._state === State.Scheduled || this._state === State.Running;
  }

  /** Finished, killed, or killed before it started. */
  get dead(): boolean {
    return this._state >= State.Dead;
  }

  ready(): boolean {
    return this._state >= State.Dead;
  }

  /** Dead without an error (a GreenletExit counts as success). */
  successful(): boolean {
    return this._state === State.Dead;
  }

  /** The return value; the GreenletExit when killed with the default; undefined otherwise. */
  get value(): T | undefined {
    return this._state === State.Dead ? (this._result as T | undefined) : undefined;
  }

  /** The error the greenlet died of, or undefined. */
  get exception(): unknown {
    return this._state === State.Failed ? this._result : undefined;
  }

  /** Schedules the start through the hub's ready queue; a no-op once started or dead. */
  start(): void {
    if (this._state !== State.Init) return;
    this._state = State.Scheduled;
    const hub = this.hub;
    hub._addLive(this);
    hub.loop._schedule(this);
  }

  /** Starts the greenlet `seconds` from now. */
  startLater(seconds: number): void {
    validateSeconds('seconds', seconds);
    if (this._state !== State.Init) return;
    this._state = State.Scheduled;
    this.hub._addLive(this);
    // Until it starts, the greenlet waits on its start timer.
    const timer = internalWatcher(() => new TimerWatcher(this.hub.loop, seconds, 0));
    this._waitingOn = timer;
    timer._startFor(this);
  }

  /**
   * Waits until the greenlet is dead or `timeout` passes; returns whether it
   * is dead. Never raises the greenlet's error.
   */
  join(timeout?: TimeoutArg): Task<boolean> {
    validateTimeoutArg('timeout', timeout);
    if (this._state >= State.Dead) return completed(true);
    if (this.hub._running === this) throw invalidArgValue('greenlet', 'cannot join itself', String(this));
    return waitTask(this, timeout, 'join()');
  }

  /**
   * Returns the value or raises the error. Unfinished: with block false, or
   * when `timeout` passes, raises Timeout.
   */
  get(options: GetOptions = {}): Task<T> {
    validateObject('options', options as unknown);
    const { block = true, timeout } = options;
    validateBoolean('options.block', block);
    validateTimeoutArg('options.timeout', timeout);
    return getTask(this, block, timeout) as Task<T>;
  }

  /**
   * Kills the greenlet with `exception` (GreenletExit by default). Acts at
   * once: a greenlet not started yet never runs; a running one gets the
   * exception at its blocking point on the next turn of the hub. The
   * returned task waits until it is dead (`yield*` or `await` it; with
   * block false it returns at once). Never raises.
   */
  kill(exception: KillException = GreenletExit, options: KillOptions = {}): Task<void> {
    const error = killError(exception);
    validateObject('options', options as unknown);
    const { block = true, timeout } = options;
    validateBoolean('options.block', block);
    validateTimeoutArg('options.timeout', timeout);
    this._kill(error);
    if (!block || this._state >= State.Dead) return completed(undefined);
    return killWaitTask(this, timeout ?? null);
  }

  /** @internal */
  _kill(error: Error): void {
    if (this._state >= State.Dead) return;
    if (this._state !== State.Running) {
      this._cancelStart();
      this._finish(true, error);
    } else if (this.hub._running === this) {
      throw error;
    } else {
      this._throwLater(error);
    }
  }

  /** Runs `callback(this)` in a new greenlet when this one dies. */
  link(callback: LinkCallback<T>): void {
    this._addLink(new SpawnedLink(validateLink(callback), 'all'));
  }

  /** Like link(), only when the greenlet succeeds. */
  linkValue(callback: LinkCallback<T>): void {
    this._addLink(new SpawnedLink(validateLink(callback), 'value'));
  }

  /** Like link(), only when the greenlet fails. */
  linkException(callback: LinkCallback<T>): void {
    this._addLink(new SpawnedLink(validateLink(callback), 'exception'));
  }

  /**
   * Resumes the greenlet from outside with `value`. A greenlet blocked on
   * something else gets InvalidSwitchError at its blocking point, as in
   * gevent; only the hub resumes greenlets.
   */
  switch(value?: unknown): void {
    if (this._state !== State.Running || this._waitingOn === null) {
      throw Object.assign(new Error(`cannot switch into ${String(this)}: it is ${STATE_NAMES[this._state]} and not waiting`), {
        code: 'ERR_INVALID_STATE',
      });
    }
    const error = new InvalidSwitchError(
      `Invalid switch into ${String(this)}: got ${util.inspect(value)} while it waits on ${describeWait(this._waitingOn)}`,
    );
    this._throwLater(error);
  }

  /** Raises `error` in the greenlet from the hub (kill's mechanism, without waiting). */
  throw(error: unknown): void {
    this._kill(killError(error));
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return new Promise<T>((resolve, reject) => {
      const settle = (): void => (this._state === State.Failed ? reject(this._result) : resolve(this._result as T));
      if (this._state >= State.Dead) {
        settle();
        return;
      }
      if (this._awaited) {
        this._addLink(settle);
        return;
      }
      const hub = this.hub;
      const waiter: LinkTarget & PromiseWaiter = {
        _fireLink: () => {
          hub._promiseWaiters.delete(waiter);
          settle();
        },
        _loopExit: (error) => {
          this._removeLink(waiter);
          reject(error);
        },
      };
      hub._promiseWaiters.add(waiter);
      this._addLink(waiter);
    }).then(onfulfilled, onrejected);
  }

  override toString(): string {
    const fn = this._body !== null ? this._body.name || 'anonymous' : this.constructor.name;
    return `<Greenlet "${this.name}" ${STATE_NAMES[this._state]} (${fn})>`;
  }

  [util.inspect.custom](): string {
    return this.toString();
  }

  /** @internal One line for dump() and LoopExit (with the spawning frame when recorded). */
  _describe(): string {
    const waiting = this._waitingOn !== null ? `, waiting on ${describeWait(this._waitingOn)}` : '';
    const site = this.spawnSite;
    const spawned = site !== null ? `, spawned ${site.split('\n')[0].trim()}` : '';
    return `${this.toString()}${waiting}${spawned}`;
  }

  /** @internal How others describe waiting on this greenlet. */
  _describeWait(): string {
    return `greenlet "${this.name}"`;
  }

  // --- driving the generator (hub side) ---

  /** @internal From the ready queue: the start, the turn after sleep(0), or the links once dead. */
  override _runQueued(): void {
    if (this._state >= State.Dead) {
      this._notifyLinks();
    } else if (this._state === State.Scheduled && this._waitingOn === null) {
      this._begin();
    } else if (this._waitingOn === READY) {
      this._resume(false, undefined);
    }
  }

  /** @internal A watcher this greenlet waits on fired (or the startLater timer). */
  _onWatcher(watcher: Watcher, revents: number): void {
    if (this._state === State.Scheduled) {
      if (watcher === this._waitingOn) {
        this._waitingOn = null;
        watcher.close();
        this._begin();
      }
      return;
    }
    if (this._waitingOn === null) return;
    this.hub._revents = revents;
    this._resume(false, watcher);
  }

  /** @internal A linkable it waits on notified it. */
  _fireLink(source: Linkable): void {
    if (this._waitingOn === source) this._resume(false, source);
  }

  /** @internal Resumes a blocked greenlet with `value` (the hub's wake-up). */
  _wake(source: unknown, value: unknown): void {
    if (this._waitingOn !== null && (this._waitingOn === source || source === this.hub)) this._resume(false, value);
  }

  /** @internal Raises `error` in the greenlet on the next turn of the hub. */
  _throwLater(error: unknown): void {
    this.hub.loop._schedule({
      _runQueued: () => {
        if (this._state === State.Running && this.hub._running !== this) this._resume(true, error);
        else if (this._state < State.Running) this._kill(killError(error));
      },
    });
  }

  /** @internal Starts running the body (from the hub). */
  _begin(): void {
    const hub = this.hub;
    if (this._state === State.Init) hub._addLive(this);
    this._state = State.Running;
    const body = this._body;
    const args = this._result;
    const oneArg = (this._flags & Flag.OneArg) !== 0;
    this._result = undefined;
    this._flags &= ~Flag.OneArg;
    let result: unknown;
    hub._switchIn(this);
    try {
      if (body === null) result = this._run(...argList(oneArg, args));
      else if (oneArg) result = body.call(this, args);
      else if (args === undefined) result = body.call(this);
      else result = body.apply(this, args as unknown[]);
    } catch (error) {
      hub._switchOut(this, null);
      this._finish(true, error);
      return;
    }
    hub._switchOut(this, null);
    if (result instanceof NativeGenerator || isIterator(result)) {
      this._gen = result as Iterator<unknown, unknown, unknown>;
    } else if (isThenable(result)) {
      this._gen = untilOperation(hub, result)[Symbol.iterator]();
    } else {
      this._finish(false, result);
      return;
    }
    this._resume(false, undefined);
  }

  /** @internal Runs the generator until it blocks or ends. */
  _resume(isThrow: boolean, value: unknown): void {
    const hub = this.hub;
    const gen = this._gen as Iterator<unknown, unknown, unknown>;
    this._waitingOn = null;
    const outer = hub._running;
    hub._switchIn(this);
    let step: IteratorResult<unknown, unknown>;
    try {
      for (;;) {
        if (gen instanceof NativeGenerator) {
          step = isThrow ? generatorThrow.call(gen, value) : generatorNext.call(gen, value);
        } else {
          step = isThrow ? (gen.throw as (e: unknown) => IteratorResult<unknown, unknown>)(value) : gen.next(value);
        }
        if (step.done === true || step.value === SUSPEND) break;
        // A bare `yield x`: tell the greenlet at that very yield.
        isThrow = true;
        value = invalidArgValue(
          'yield',
          `in greenlet "${this.name}" must be yield* of an operation (e.g. \`yield* sleep(1)\`), not yield`,
          step.value,
        );
      }
    } catch (error) {
      hub._switchOut(this, outer);
      this._finish(true, error);
      return;
    }
    hub._switchOut(this, outer);
    if (step.done === true) this._finish(false, step.value);
  }

  private _cancelStart(): void {
    if (this._state === State.Scheduled && this._waitingOn !== null) {
      (this._waitingOn as Watcher).close();
      this._waitingOn = null;
    }
  }

  private _finish(failed: boolean, result: unknown): void {
    const hub = this.hub;
    this._gen = null;
    this._waitingOn = null;
    this._flags &= ~Flag.OneArg;
    if (this._livePrev !== null || hub._liveHead === this) hub._removeLive(this);
    if ((this._flags & Flag.Awaited) !== 0) hub._awaited.delete(this);
    if ((this._flags & Flag.Joining) !== 0) hub._joiners.delete(this);
    const ident = this._peekIdent();
    if (ident !== 0) hub._freeIdent(ident);
    if (failed && result instanceof GreenletExit) failed = false;
    this._state = failed ? State.Failed : State.Dead;
    this._result = result;
    const awaited = this._awaited;
    this._scheduleNotify();
    // Plain async code awaiting it gets the error through the promise.
    if (failed && !awaited) hub.handleError(this, result);
  }
}

/** A not-started greenlet's arguments (as _result holds them) as a list. */
function argList(oneArg: boolean, args: unknown): unknown[] {
  return oneArg ? [args] : args === undefined ? [] : (args as unknown[]);
}

function validateLink<T>(callback: LinkCallback<T>): LinkCallback<T> {
  if (typeof callback === 'function') return callback;
  if (
    callback !== null &&
    typeof callback === 'object' &&
    typeof callback.set === 'function' &&
    typeof callback.setException === 'function'
  ) {
    return callback;
  }
  throw invalidArgType('callback', 'a function or an object with set() and setException()', callback);
}

/** waitOn, awaitable: one generator per blocked greenlet, not two. */
const waitTask = awaitable(waitOn);

const getTask = awaitable(function* get(greenlet: Greenlet, block: boolean, timeout: TimeoutArg): Operation<unknown> {
  if (!greenlet.dead) {
    if (!block) throw new Timeout(null, undefined, { describe: 'get(block: false) on an unfinished greenlet' });
    if (greenlet.hub._running === greenlet) throw invalidArgValue('greenlet', 'cannot get its own result', String(greenlet));
    if (!(yield* waitOn(greenlet, timeout, 'get()'))) {
      throw typeof timeout === 'object' && timeout !== null ? timeout : new Timeout(typeof timeout === 'number' ? timeout : null);
    }
  }
  if (!greenlet.successful()) throw greenlet.exception;
  return greenlet.value;
});

const killWaitTask = awaitable(function* killWait(greenlet: Greenlet, timeout: number | null): Operation<void> {
  if (!greenlet.dead) yield* waitOn(greenlet, timeout, 'kill()');
});

/** Creates a greenlet and schedules its start. */
export function spawn<A extends unknown[], R extends GreenletResult>(fn: GreenletBody<A, R>, ...args: A): Greenlet<ResultOf<R>> {
  // Not through Greenlet.spawn: one rest array less on the hottest path.
  validateFunction('fn', fn);
  const greenlet = new Greenlet<ResultOf<R>>(fn as () => ResultOf<R>, ...args);
  greenlet.start();
  return greenlet;
}

/** Creates a greenlet that starts `seconds` from now. */
export function spawnLater<A extends unknown[], R extends GreenletResult>(
  seconds: number,
  fn: GreenletBody<A, R>,
  ...args: A
): Greenlet<ResultOf<R>> {
  return Greenlet.spawnLater(seconds, fn, ...args);
}

/**
 * gevent's spawn_raw: starts `fn(...args)` in a greenlet nobody is meant to
 * join; its errors go to the hub's handleError.
 */
export function spawnRaw<A extends unknown[], R extends GreenletResult>(
  fn: GreenletBody<A, R>,
  ...args: A
): Greenlet<ResultOf<R>> {
  return Greenlet.spawn(fn, ...args);
}

/** @internal For modules that need the hub of a greenlet without importing the class. */
export function hubOf(greenlet: Greenlet): Hub {
  return greenlet.hub;
}

