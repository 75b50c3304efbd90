// Channel: a queue with no room (gevent.queue.Channel). put() returns only
// once a getter has taken the item; get() waits for a putter. Built on the
// same notifiers as the queues: getters wait for "an offer is there", and
// each putter waits on its own offer until a getter takes it.
import { validateBoolean } from '../loop/validate';
import type { Greenlet } from '../core/greenlet';
import type { TimeoutArg } from '../core/linkable';
import { SUSPEND, type Operation, type Task } from '../core/operation';
import { awaitable } from '../core/task';
import { Empty, Full, ShutDown } from './errors';
import { GetIterator, type GreenIterable, type GreenIterator } from './iterator';
import { Notifier } from './notifier';
import { armTimer, disarm, validateBlockOptions, type BlockOptions } from './park';

/** @internal An item on offer; its putter waits on it until a getter takes it. */
class Offer extends Notifier {
  taken = false;
  withdrawn = false;

  constructor(
    readonly item: unknown,
    // false for putNowait(): nobody waits for the hand-off.
    readonly waited: boolean,
  ) {
    super();
  }

  ready(): boolean {
    return this.taken || this.withdrawn;
  }

  _describeWait(): string {
    return 'a getter of a Channel (put)';
  }
}

/** @internal Getters wait here: ready while an offer is there (or after shutdown). */
class OfferAvailable extends Notifier {
  constructor(private readonly _channel: Channel<unknown>) {
    super();
  }

  ready(): boolean {
    return this._channel._offers.length > 0 || this._channel._shutdown;
  }

  _describeWait(): string {
    return 'a putter of a Channel (get)';
  }
}

export class Channel<T = unknown> implements GreenIterable<T>, AsyncIterable<T> {
  /** @internal Offers in the order they were made. */
  readonly _offers: Offer[] = [];
  /** @internal */
  readonly _getters = new OfferAvailable(this as Channel<unknown>);
  /** @internal */
  _shutdown = false;

  /** Waiting putters minus waiting getters (gevent's balance). */
  get balance(): number {
    let putters = 0;
    for (const offer of this._offers) if (offer.waited) putters++;
    return putters - this._getters.linkcount();
  }

  /** Always 0: a channel holds nothing. */
  qsize(): number {
    return 0;
  }

  get length(): number {
    return 0;
  }

  /** Always true. */
  empty(): boolean {
    return true;
  }

  /** Always true: a put() always waits for a getter. */
  full(): boolean {
    return true;
  }

  get isShutdown(): boolean {
    return this._shutdown;
  }

  /**
   * Hands `item` to a getter: returns once one has taken it. Raises Full
   * without blocking when no getter is waiting, or when `timeout` passes
   * (a Timeout given as `timeout` raises itself); ShutDown after shutdown().
   */
  put(item: T, options?: BlockOptions): Task<void> {
    let block = true;
    let timeout: TimeoutArg;
    if (options !== undefined) {
      block = validateBlockOptions(options, 'block');
      timeout = options.timeout;
    }
    return putTask(this as Channel<unknown>, item, block, timeout);
  }

  /**
   * Hands `item` to a waiting getter without waiting for it to run; raises
   * Full when no getter is waiting for it.
   */
  putNowait(item: T): void {
    if (this._shutdown) throw new ShutDown();
    if (this._getters.linkcount() <= this._offers.length) throw new Full();
    this._offers.push(new Offer(item, false));
    this._getters._scheduleNotify();
  }

  /**
   * Takes an item from a putter, waiting for one. Raises Empty without
   * blocking when none is offered, or when `timeout` passes; ShutDown
   * after shutdown() once no offer is left.
   */
  get(options?: BlockOptions): Task<T> {
    let block = true;
    let timeout: TimeoutArg;
    if (options !== undefined) {
      block = validateBlockOptions(options, 'block');
      timeout = options.timeout;
    }
    return getTask(this as Channel<unknown>, block, timeout) as Task<T>;
  }

  /** Takes an offered item without waiting; raises Empty (or ShutDown) if none is offered. */
  getNowait(): T {
    if (this._offers.length > 0) return this._take() as T;
    throw this._shutdown ? new ShutDown() : new Empty();
  }

  /**
   * From now on put() raises ShutDown and get() raises it once no offer is
   * left; with `immediate`, waiting putters get ShutDown too and their
   * offers are withdrawn.
   */
  shutdown(immediate = false): void {
    validateBoolean('immediate', immediate);
    this._shutdown = true;
    if (immediate) {
      for (const offer of this._offers.splice(0)) {
        offer.withdrawn = true;
        offer._scheduleNotify();
      }
    }
    this._getters._scheduleNotify();
  }

  /** Gets items one by one until the channel is shut down (see SimpleQueue.iter()). */
  iter(): GreenIterator<T> {
    return new GetIterator(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return this.iter()[Symbol.asyncIterator]() as AsyncIterator<T, undefined>;
  }

  toString(): string {
    return `<Channel balance=${this.balance}${this._shutdown ? ' shut down' : ''}>`;
  }

  /** @internal Takes the first offer; its putter resumes through the hub's queue. */
  _take(): unknown {
    const offer = this._offers.shift() as Offer;
    offer.taken = true;
    offer._scheduleNotify();
    return offer.item;
  }
}

const getTask = awaitable(function* get(channel: Channel<unknown>, block: boolean, timeout: TimeoutArg): Operation<unknown> {
  // An offer not owed to an earlier getter is taken at once.
  if (channel._offers.length > 0 && (!block || channel._getters.linkcount() === 0)) return channel._take();
  if (!block) return channel.getNowait();
  if (channel._offers.length === 0 && channel._shutdown) throw new ShutDown();
  const getters = channel._getters;
  const greenlet = getters.hub._currentGreenlet('Channel.get()');
  const armed = armTimer(getters.hub, greenlet, timeout);
  try {
    for (;;) {
      getters._addLink(greenlet);
      greenlet._waitingOn = getters;
      if ((yield SUSPEND) !== getters) throw new Empty();
      if (channel._offers.length > 0) return channel._take();
      if (channel._shutdown) throw new ShutDown();
    }
  } finally {
    getters._removeLink(greenlet);
    disarm(armed);
  }
});

const putTask = awaitable(function* put(
  channel: Channel<unknown>,
  item: unknown,
  block: boolean,
  timeout: TimeoutArg,
): Operation<void> {
  if (!block) {
    channel.putNowait(item);
    return;
  }
  if (channel._shutdown) throw new ShutDown();
  const offer = new Offer(item, true);
  const greenlet: Greenlet = offer.hub._currentGreenlet('Channel.put()');
  const armed = armTimer(offer.hub, greenlet, timeout);
  channel._offers.push(offer);
  channel._getters._scheduleNotify();
  offer._insertLink(greenlet);
  greenlet._waitingOn = offer;
  try {
    if ((yield SUSPEND) !== offer) throw new Full();
    // Woken without being taken: withdrawn by shutdown(immediate).
    if (!offer.taken) throw new ShutDown();
  } finally {
    offer._removeLink(greenlet);
    disarm(armed);
    if (!offer.taken) {
      const i = channel._offers.indexOf(offer);
      if (i >= 0) channel._offers.splice(i, 1);
    }
  }
});
