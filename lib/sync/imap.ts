// Pool/Group imap() and imapUnordered(): a feeder greenlet pulls items from
// the source and spawns the function on each into the group (waiting
// while a pool is full); the consumer iterates the results, in input order
// (imap) or as they finish (imapUnordered). A failed call is raised at its
// place in the iteration, which can go on after it (gevent's behaviour);
// an error of the source is raised after the results before it. Nothing
// outlives the iteration: close() (or leaving a `for await` early) kills
// the feeder and the calls still running.
import { Greenlet, type GreenletBody, type GreenletResult } from '../core/greenlet';
import { GreenletExit } from '../core/errors';
import type { Operation, Task } from '../core/operation';
import { awaitable } from '../core/task';
import { waitOn } from '../core/linkable';
import { asyncIteratorOf, ITERATION_DONE, type GreenIterator } from './iterator';
import { Notifier } from './notifier';
import { Semaphore } from './semaphore';
import { openSource, type MapSource } from './source';
import type { GroupBase } from './group';

/** @internal A result waiting for the consumer. */
interface Outcome {
  ok: boolean;
  value: unknown;
}

/** @internal The consumer waits here: ready when it can make progress. */
class Progress extends Notifier {
  constructor(private readonly _imap: IMap<unknown>) {
    super();
  }

  ready(): boolean {
    return this._imap._canStep();
  }

  _describeWait(): string {
    return 'the next result of an imap()';
  }
}

export class IMap<R> implements GreenIterator<R> {
  /** @internal */
  readonly _progress: Progress;
  private readonly _feeder: Greenlet<void>;
  private readonly _running = new Set<Greenlet>();
  // imap: results by input index; imapUnordered: in completion order.
  private readonly _byIndex = new Map<number, Outcome>();
  private readonly _done: Outcome[] = [];
  private _doneHead = 0;
  private _nextIndex = 0;
  private _spawned = 0;
  private _fed = false;
  private _sourceError: { error: unknown } | null = null;
  private _closed = false;
  private readonly _buffer: Semaphore | null;

  /** @internal */
  constructor(
    group: GroupBase,
    fn: (item: unknown) => GreenletResult,
    source: MapSource<unknown>,
    private readonly _ordered: boolean,
    maxsize: number | null,
  ) {
    const open = openSource('iterable', source);
    this._progress = new Progress(this as IMap<unknown>);
    this._buffer = maxsize === null ? null : new Semaphore(maxsize);
    this._feeder = new Greenlet(() => this._feed(group, fn, open.pull.bind(open), open.close.bind(open)));
    this._feeder.name = `${this._ordered ? 'imap' : 'imapUnordered'} feeder`;
    this._feeder.start();
  }

  /** The next result (`yield* it.next()`), raising a failed call's error at its place. */
  next(): Task<IteratorResult<R, undefined>> {
    return nextTask(this as IMap<unknown>) as Task<IteratorResult<R, undefined>>;
  }

  /** Stops: kills the feeder and the calls still running; results not taken are dropped. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    this._feeder.kill(undefined, { block: false });
    for (const g of this._running) g.kill(undefined, { block: false });
    this._progress._scheduleNotify();
  }

  [Symbol.asyncIterator](): AsyncIterator<R, undefined> {
    return asyncIteratorOf(
      () => this._step() as Operation<IteratorResult<R, undefined>>,
      () => this.close(),
    );
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal Whether _step() would not wait. */
  _canStep(): boolean {
    if (this._closed) return true;
    if (this._ordered ? this._byIndex.has(this._nextIndex) : this._doneHead < this._done.length) return true;
    // Everything before the end (or the source's error) was consumed.
    return this._fed && this._nextIndex >= this._spawned;
  }

  /** @internal */
  *_step(): Operation<IteratorResult<unknown, undefined>> {
    while (!this._canStep()) yield* waitOn(this._progress, null, `${this._ordered ? 'imap' : 'imapUnordered'}() next()`);
    if (this._closed) return ITERATION_DONE;
    let outcome: Outcome | undefined;
    if (this._ordered) {
      outcome = this._byIndex.get(this._nextIndex);
      if (outcome !== undefined) this._byIndex.delete(this._nextIndex);
    } else if (this._doneHead < this._done.length) {
      outcome = this._done[this._doneHead];
      this._done[this._doneHead++] = undefined as unknown as Outcome;
      if (this._doneHead === this._done.length) this._done.length = this._doneHead = 0;
    }
    if (outcome !== undefined) {
      this._nextIndex++;
      this._buffer?.release();
      if (outcome.ok) return { done: false, value: outcome.value };
      throw outcome.value;
    }
    // The end: raise the source's error once, then stay done.
    this._closed = true;
    const failure = this._sourceError;
    this._sourceError = null;
    if (failure !== null) throw failure.error;
    return ITERATION_DONE;
  }

  private *_feed(
    group: GroupBase,
    fn: (item: unknown) => GreenletResult,
    pull: () => Operation<IteratorResult<unknown, unknown>>,
    closeSource: () => void,
  ): Operation<void> {
    const epoch = group._killEpoch;
    try {
      for (;;) {
        if (this._buffer !== null) yield* this._buffer.acquire();
        const next = yield* pull();
        if (next.done === true) break;
        if (group._killEpoch !== epoch) throw new GreenletExit('the group was killed during imap()');
        const index = this._spawned;
        const task = yield* group._spawnOp(fn as GreenletBody<unknown[], GreenletResult>, [next.value]);
        this._spawned++;
        this._running.add(task);
        task.rawlink((g: Greenlet) => this._finished(index, g));
      }
    } catch (error) {
      if (!this._closed) this._sourceError = { error };
    } finally {
      this._fed = true;
      closeSource();
      this._progress._scheduleNotify();
    }
  }

  private _finished(index: number, task: Greenlet): void {
    this._running.delete(task);
    if (this._closed) return;
    const outcome: Outcome = task.successful() ? { ok: true, value: task.value } : { ok: false, value: task.exception };
    if (this._ordered) this._byIndex.set(index, outcome);
    else this._done.push(outcome);
    this._progress._scheduleNotify();
  }
}

const nextTask = awaitable(function* next(it: IMap<unknown>): Operation<IteratorResult<unknown, undefined>> {
  return yield* it._step();
});
