// The hub: one per JS thread. It owns the loop, runs greenlets from the
// loop's FIFO callback queue, reports their errors, and raises LoopExit in
// whoever waits on something nothing can wake.
import * as util from 'node:util';

import { invalidArgType, invalidArgValue } from '../loop/errors';
import { defaultLoop, type Loop } from '../loop/loop';
import { Watcher } from '../loop/watcher';
import { BlockingSwitchOutError, ConcurrentObjectUseError, GreenletExit, LoopExit } from './errors';
import type { Greenlet } from './greenlet';
import { IdentRegistry } from './idents';
import { Monitor, monitorOptionsFromEnv, WATCH_BLOCKED, WATCH_RUNNING, WATCH_SWITCHES, type MonitorOptions } from './monitor';
import { SUSPEND, type Operation } from './operation';

/** What the default handleError does after printing: go on, or exit(1) as an uncaught exception would. */
export type ErrorPolicy = 'print' | 'exit';

/** An error class, for hub.expectedErrors. */
export type ErrorClass = abstract new (...args: never[]) => unknown;

export interface DumpOptions {
  /** List at most this many greenlets (default: all). */
  limit?: number;
}

/** @internal Something that waits from plain async code and hears LoopExit. */
export interface PromiseWaiter {
  _loopExit(error: LoopExit): void;
}

/** How an error report names what failed. */
function describeContext(context: unknown): string {
  if (context === null || context === undefined) return 'the hub';
  if (typeof context === 'object' && typeof (context as object).toString === 'function') {
    const text = String(context);
    if (text !== '[object Object]') return text;
  }
  return util.inspect(context, { depth: 0 });
}

/** @internal What a blocked greenlet waits on, in words. */
export function describeWait(waitingOn: unknown): string {
  if (waitingOn === null || waitingOn === undefined) return 'nothing';
  const described = (waitingOn as { _describeWait?: () => string })._describeWait;
  if (typeof described === 'function') return described.call(waitingOn);
  const kind = (waitingOn as { kind?: unknown }).kind;
  if (typeof kind === 'string') return `a ${kind} watcher`;
  return `a ${(waitingOn as object).constructor?.name ?? 'value'}`;
}

export class Hub {
  readonly loop: Loop;
  name = 'Hub';
  /** Where the default handleError prints; null silences it. */
  exceptionStream: NodeJS.WritableStream | null = process.stderr;

  /** @internal The greenlet running now; null in the hub (callbacks, plain JS). */
  _running: Greenlet | null = null;
  /** @internal Event bits of the watcher that woke a greenlet last (hub.wait reads them). */
  _revents = 0;
  /** @internal Greenlets whose results plain async code awaits: they get LoopExit. */
  readonly _awaited = new Set<Greenlet>();
  /** @internal Promises awaiting a greenlet from plain async code. */
  readonly _promiseWaiters = new Set<PromiseWaiter>();
  /** @internal Greenlets in wait() with no objects: woken when nothing is left. */
  readonly _joiners = new Set<Greenlet>();
  /** @internal Promises greenlets wait on (until()); a pending one can wake someone. */
  _pendingPromises = 0;
  /** @internal Every greenlet started and not dead (an intrusive list: no allocation per greenlet). */
  _liveHead: Greenlet | null = null;
  /** @internal */
  _liveCount = 0;
  /** @internal The monitor's shared counters (see monitor.ts); null while no monitor runs. */
  _watch: Int32Array | null = null;
  private _monitor: Monitor | null = null;
  private _expectedErrors: readonly ErrorClass[] = Object.freeze([]);
  private _errorPolicy: ErrorPolicy = 'print';
  private readonly _idents = new IdentRegistry();

  constructor(loop: Loop = defaultLoop()) {
    this.loop = loop;
    loop.errorHandler = (error, context) => this.handleError(context, error);
    loop._afterDrain = () => this._checkStuck();
  }

  /**
   * Called with every error no greenlet catches: greenlet failures, errors
   * in links, loop and watcher callbacks. Prints the error (not a
   * GreenletExit) and goes on. Assign a function to this property to route
   * errors elsewhere; an error thrown by it is printed, never fatal.
   */
  handleError(context: unknown, error: unknown): void {
    if (error instanceof GreenletExit || this._isExpected(error)) return;
    this.printException(context, error);
    if (this._errorPolicy === 'exit') {
      // Like an uncaught exception: printed, then the process ends with 1.
      process.exit(1);
    }
  }

  /**
   * Error classes whose failures handleError neither prints nor counts
   * under errorPolicy: a greenlet failing with one still stores it
   * (exception, get()), silently. Assign a new list to change it.
   */
  get expectedErrors(): readonly ErrorClass[] {
    return this._expectedErrors;
  }

  set expectedErrors(classes: readonly ErrorClass[]) {
    if (!Array.isArray(classes)) throw invalidArgType('expectedErrors', 'an array of error classes', classes);
    classes.forEach((cls: unknown, i) => {
      if (typeof cls !== 'function' || typeof (cls as { prototype?: unknown }).prototype !== 'object') {
        throw invalidArgType(`expectedErrors[${i}]`, 'a class (a constructor function)', cls);
      }
    });
    this._expectedErrors = Object.freeze([...classes]);
  }

  /**
   * What the default handleError does with an unexpected error: 'print'
   * (the default: print and go on, as gevent does) or 'exit' (print, then
   * process.exit(1), as an uncaught exception would).
   */
  get errorPolicy(): ErrorPolicy {
    return this._errorPolicy;
  }

  set errorPolicy(policy: ErrorPolicy) {
    if (policy !== 'print' && policy !== 'exit') throw invalidArgValue('errorPolicy', "must be 'print' or 'exit'", policy);
    this._errorPolicy = policy;
  }

  private _isExpected(error: unknown): boolean {
    for (const cls of this._expectedErrors) if (error instanceof cls) return true;
    return false;
  }

  /**
   * Starts the blocking monitor: a native thread that notices when the
   * event loop has not turned for `maxBlockingTime` seconds; the hub then
   * reports which greenlet ran, for how long and where it was spawned (see
   * Monitor). Off by default (GREENHUB_MONITOR=1 starts it with the hub).
   * Called again, it applies the new options to the running monitor.
   */
  startMonitor(options: MonitorOptions = {}): Monitor {
    if (this._monitor === null) this._monitor = new Monitor(this, options);
    else this._monitor._configure(options);
    return this._monitor;
  }

  /** Stops the monitor's thread (a no-op when none runs). */
  stopMonitor(): void {
    this._monitor?.stop();
  }

  /** The running monitor, or null. */
  get monitor(): Monitor | null {
    return this._monitor !== null && this._monitor.running ? this._monitor : null;
  }

  /** @internal A greenlet starts running (the only places are Greenlet._begin and _resume). */
  _switchIn(greenlet: Greenlet): void {
    this._running = greenlet;
    const watch = this._watch;
    if (watch !== null) {
      watch[WATCH_SWITCHES]++;
      watch[WATCH_RUNNING] = greenlet.minimalIdent;
    }
  }

  /** @internal `greenlet` switched out (blocked, ended or failed); `outer` runs on. */
  _switchOut(greenlet: Greenlet, outer: Greenlet | null): void {
    this._running = outer;
    const watch = this._watch;
    if (watch !== null) {
      watch[WATCH_SWITCHES]++;
      watch[WATCH_RUNNING] = outer === null ? 0 : outer.minimalIdent;
      if (watch[WATCH_BLOCKED] !== 0) (this._monitor as Monitor)._switchedOut(greenlet);
    }
  }

  /** Writes the error, its stack and what failed to exceptionStream. */
  printException(context: unknown, error: unknown): void {
    const stream = this.exceptionStream;
    if (stream === null) return;
    const stack = error instanceof Error ? (error.stack ?? String(error)) : util.inspect(error);
    const name = error instanceof Error ? error.name : typeof error;
    stream.write(`${stack}\n${new Date().toISOString()} ${describeContext(context)} failed with ${name}\n\n`);
  }

  /**
   * Starts `watcher` for the current greenlet, blocks until it fires, then
   * stops it. Returns the event bits.
   */
  wait(watcher: Watcher): Operation<number> {
    if (!(watcher instanceof Watcher)) throw invalidArgType('watcher', 'a Watcher of this hub\'s loop', watcher);
    if (watcher.loop !== this.loop) throw invalidArgValue('watcher', "belongs to another loop than this hub's", watcher.kind);
    return hubWait(this, watcher);
  }

  /** @internal The running greenlet, or BlockingSwitchOutError naming `what`. */
  _currentGreenlet(what: string): Greenlet {
    const greenlet = this._running;
    if (greenlet === null) {
      throw new BlockingSwitchOutError(
        `Impossible to call blocking function in the event loop callback: ${what} must run inside a greenlet ` +
          '(yield* it from a greenlet, or await it from async code)',
      );
    }
    return greenlet;
  }

  /** @internal */
  _allocIdent(): number {
    return this._idents.alloc();
  }

  /** @internal */
  _freeIdent(ident: number): void {
    this._idents.free(ident);
  }

  /** @internal */
  _addLive(greenlet: Greenlet): void {
    greenlet._liveNext = this._liveHead;
    if (this._liveHead !== null) this._liveHead._livePrev = greenlet;
    this._liveHead = greenlet;
    this._liveCount++;
  }

  /** @internal */
  _removeLive(greenlet: Greenlet): void {
    const { _livePrev: prev, _liveNext: next } = greenlet;
    if (prev !== null) prev._liveNext = next;
    else this._liveHead = next;
    if (next !== null) next._livePrev = prev;
    greenlet._livePrev = greenlet._liveNext = null;
    this._liveCount--;
  }

  /** Every greenlet started and not dead yet. */
  liveGreenlets(): Greenlet[] {
    const list: Greenlet[] = [];
    for (let g = this._liveHead; g !== null; g = g._liveNext) list.push(g);
    return list.reverse();
  }

  /**
   * The hub's state in lines: what can still wake anyone (ref'd watchers,
   * queued callbacks, pending promises), the monitor, and every live
   * greenlet with its state, what it waits on and (when recorded) where it
   * was spawned.
   */
  dump(options: DumpOptions = {}): string {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const limit = options.limit ?? Infinity;
    if (limit !== Infinity && (!Number.isInteger(limit) || limit < 0)) {
      throw invalidArgValue('options.limit', 'must be an integer >= 0', limit);
    }
    const monitor = this.monitor;
    const lines = [
      `${this.name}: ${this._liveCount} greenlet(s), loop backend ${this.loop.backend}` +
        (this.loop.closed ? ' (closed)' : `, ${this.loop._refActive} ref'd watcher(s) active`) +
        `, callbacks queued: ${this.loop._hasQueued ? 'yes' : 'no'}, promises awaited: ${this._pendingPromises}`,
      monitor !== null
        ? `monitor: on, maxBlockingTime ${monitor.maxBlockingTime} s, ${monitor.reportCount} report(s)`
        : 'monitor: off',
    ];
    let listed = 0;
    for (const greenlet of this.liveGreenlets()) {
      if (listed++ === limit) {
        lines.push(`  ... and ${this._liveCount - limit} more`);
        break;
      }
      lines.push(`  ${greenlet._describe()}`);
    }
    return lines.join('\n');
  }

  /**
   * @internal After a drain: if nothing the hub knows of (a ref'd watcher,
   * a queued callback, a pending promise) can wake anyone, wake wait()
   * callers and raise LoopExit where plain async code waits.
   */
  _checkStuck(): void {
    if (this.loop._refActive !== 0 || this.loop._hasQueued || this._pendingPromises !== 0) return;
    if (this._joiners.size === 0 && this._promiseWaiters.size === 0 && !this._hasBlockedAwaited()) return;
    if (this._joiners.size > 0) {
      // Wake wait() callers only; what they do next is checked on the next turn.
      for (const joiner of [...this._joiners]) {
        this._joiners.delete(joiner);
        joiner._wake(this, true);
      }
      return;
    }
    const blocked = this.liveGreenlets()
      .filter((g) => g._waitingOn !== null)
      .map((g) => g._describe());
    const message =
      'This operation would block forever: no referenced watcher, queued callback or pending promise can wake ' +
      (blocked.length > 0 ? `the waiting greenlets:\n  ${blocked.join('\n  ')}` : 'it');
    for (const greenlet of this._awaited) {
      if (greenlet._waitingOn !== null) greenlet._throwLater(new LoopExit(message, blocked));
    }
    for (const waiter of [...this._promiseWaiters]) {
      this._promiseWaiters.delete(waiter);
      waiter._loopExit(new LoopExit(message, blocked));
    }
  }

  private _hasBlockedAwaited(): boolean {
    for (const greenlet of this._awaited) if (greenlet._waitingOn !== null) return true;
    return false;
  }
}

function* hubWait(hub: Hub, watcher: Watcher): Operation<number> {
  const greenlet = hub._currentGreenlet('hub.wait()');
  if (watcher._listener !== null) {
    throw new ConcurrentObjectUseError(`This ${watcher.kind} watcher is already used by another greenlet`);
  }
  watcher._startFor(greenlet);
  greenlet._waitingOn = watcher;
  try {
    yield SUSPEND;
    return hub._revents;
  } finally {
    watcher.stop();
  }
}

let hubInstance: Hub | undefined;

/**
 * This thread's hub, created on first use. GREENHUB_MONITOR=1 starts its
 * monitor (GREENHUB_MAX_BLOCKING_TIME: the threshold in seconds).
 */
export function getHub(): Hub {
  if (hubInstance === undefined || hubInstance.loop.closed) {
    const monitor = monitorOptionsFromEnv(process.env);
    const previous = hubInstance;
    hubInstance = new Hub();
    // A closed loop's hub may still hold this thread's watchdog.
    previous?.stopMonitor();
    if (monitor !== undefined) hubInstance.startMonitor(monitor);
  }
  return hubInstance;
}

/** The running greenlet, or the hub outside any greenlet. */
export function getCurrent(): Greenlet | Hub {
  const hub = getHub();
  return hub._running ?? hub;
}
