// setImmediate on the hub's loop (the timers patch), with Node's semantics:
// callbacks run FIFO after the loop polled for I/O (a check watcher), one
// batch per loop iteration (an immediate queued by an immediate runs on the
// next one), and while any are queued the poll does not block (an idle
// watcher, as Node itself does it). Each immediate is an async resource,
// so its callback runs in the async context of the code that set it.
import { AsyncResource } from 'node:async_hooks';
import * as util from 'node:util';

import { getHub } from '../core/hub';
import { invalidArgType } from '../loop/errors';
import type { Loop } from '../loop/loop';
import type { CheckWatcher, IdleWatcher } from '../loop/phase';
import { internalWatcher } from '../loop/watcher';
import { throwUncaught } from './timeout';

type ImmediateCallback = (...args: unknown[]) => void;

/** @internal One loop's queue of immediates and the two watchers that run it. */
export class ImmediateQueue {
  private _queue: GreenImmediate[] = [];
  private _live = 0;
  private _refed = 0;
  private _check: CheckWatcher | null = null;
  private _idle: IdleWatcher | null = null;

  constructor(private readonly _loop: Loop) {}

  add(immediate: GreenImmediate): void {
    this._queue.push(immediate);
    this._live++;
    if (immediate.hasRef()) this._refed++;
    this._sync();
  }

  /** An immediate left the queue (run or cleared). */
  removed(immediate: GreenImmediate): void {
    this._live--;
    if (immediate.hasRef()) this._refed--;
    this._sync();
  }

  refChanged(ref: boolean): void {
    this._refed += ref ? 1 : -1;
    this._sync();
  }

  private _run(): void {
    // Only what was queued before this turn: the rest waits for the next one.
    const batch = this._queue;
    this._queue = [];
    for (const immediate of batch) immediate._run();
  }

  private _sync(): void {
    if (this._live === 0) {
      this._check?.stop();
      this._idle?.stop();
      this._queue = [];
      return;
    }
    const loop = this._loop;
    if (this._check === null || this._check.closed) {
      this._check = internalWatcher(() => loop.check());
      this._idle = internalWatcher(() => loop.idle());
      // Only the check watcher keeps the process alive, and only while a
      // ref'd immediate is queued.
      this._idle.ref = false;
    }
    const check = this._check;
    const idle = this._idle as IdleWatcher;
    const ref = this._refed > 0;
    if (check.ref !== ref) check.ref = ref;
    if (!check.active) {
      check.start(() => this._run());
      idle.start(() => undefined);
    }
  }
}

const queues = new WeakMap<Loop, ImmediateQueue>();

function queueOf(loop: Loop): ImmediateQueue {
  let queue = queues.get(loop);
  if (queue === undefined) {
    queue = new ImmediateQueue(loop);
    queues.set(loop, queue);
  }
  return queue;
}

/** What the patched setImmediate returns. */
export class GreenImmediate {
  private _callback: ImmediateCallback | null;
  private readonly _args: unknown[] | undefined;
  private readonly _queue: ImmediateQueue;
  private _refed = true;
  private readonly _resource = new AsyncResource('Immediate', { requireManualDestroy: true });

  /** @internal */
  constructor(queue: ImmediateQueue, callback: ImmediateCallback, args: unknown[] | undefined) {
    this._queue = queue;
    this._callback = callback;
    this._args = args;
    queue.add(this);
  }

  /**
   * Always true for Node's own clearImmediate(), which would otherwise
   * count this immediate off Node's queue and stall Node's immediates. So
   * Node's clearImmediate (kept from before the patch) cannot cancel a
   * green immediate; the patched one can.
   */
  get _destroyed(): boolean {
    return true;
  }

  /** Queued and not run nor cleared. */
  get pending(): boolean {
    return this._callback !== null;
  }

  ref(): this {
    if (!this._refed) {
      this._refed = true;
      if (this._callback !== null) this._queue.refChanged(true);
    }
    return this;
  }

  unref(): this {
    if (this._refed) {
      this._refed = false;
      if (this._callback !== null) this._queue.refChanged(false);
    }
    return this;
  }

  hasRef(): boolean {
    return this._refed;
  }

  [Symbol.dispose](): void {
    this._clear();
  }

  [util.inspect.custom](): string {
    return `GreenImmediate { ${this._callback !== null ? 'pending' : 'done'}${this._refed ? '' : ', unref'} }`;
  }

  /** @internal */
  _run(): void {
    const callback = this._callback;
    if (callback === null) return;
    this._callback = null;
    this._queue.removed(this);
    try {
      if (this._args === undefined) this._resource.runInAsyncScope(callback, this);
      else this._resource.runInAsyncScope(callback, this, ...this._args);
    } catch (error) {
      throwUncaught(error);
    }
    this._resource.emitDestroy();
  }

  /** @internal clearImmediate(). */
  _clear(): void {
    if (this._callback === null) return;
    this._callback = null;
    this._queue.removed(this);
    this._resource.emitDestroy();
  }
}

/** @internal The patched setImmediate. */
export function greenSetImmediate(callback: ImmediateCallback, ...args: unknown[]): GreenImmediate {
  if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
  return new GreenImmediate(queueOf(getHub().loop), callback, args.length > 0 ? args : undefined);
}
