// A consumer of Kombu Redis queues with Kombu's ack emulation, shaped for a
// worker that drives it with promises (and, later, greenlets via `until`):
//
//   for (;;) {
//     const m = await consumer.reserve(1);        // null: nothing within 1 s
//     if (m === null) continue;
//     if (m.kind === 'undecodable') { log(m.reason); continue; }  // already gone
//     ...run the task...
//     await consumer.ack(m.tag);                   // or reject(m.tag, requeue)
//   }
//
// Reserving moves a message from its queue into `unacked`/`unacked_index`
// (Kombu's QoS.append); until it is acked or rejected it counts against
// `prefetch`, and `reserve()` waits for room. A message held longer than the
// visibility timeout is restored by whoever calls `restoreExpired()`, so a
// worker killed mid-task loses nothing. Kombu pops with BRPOP and then
// records the message in a second round trip; greenhub does the first pop
// without blocking inside a Lua script that records the message in the same
// step (and takes up to the free prefetch room at once), and only falls back
// to BRPOP — on this consumer's own connection — when every queue is empty.
// The BRPOP'd message is recorded right after, as in Kombu; that short window
// is the only one in which a kill loses a message, as with Python Celery.
import type Redis from 'ioredis';

import { invalidArgType, invalidArgValue, outOfRange } from '../loop/errors';
import { parsePayload, type KombuPayload, type RejectReason } from './payload';
import { LuaScript } from './redis';
import type { RedisTransport, RestoreExpiredOptions } from './redis-transport';

export type QueueOrder = 'round_robin' | 'priority' | 'sorted';

export interface ConsumerOptions {
  /** Queue names to consume, e.g. ['celery']. */
  queues: readonly string[];
  /**
   * How many messages may be reserved and not yet acked (Celery:
   * concurrency x worker_prefetch_multiplier). 0 means no bound. Default 4.
   */
  prefetch?: number;
  /**
   * Which queue goes first among queues of the same priority step: Kombu's
   * queue_order_strategy. 'round_robin' (default) rotates the queue just
   * consumed from to the end; 'priority' keeps the given order; 'sorted'
   * sorts by name.
   */
  queueOrder?: QueueOrder;
  /** Most messages taken in one round trip (default 64). */
  batch?: number;
}

/** A reserved message: ack or reject it by `tag`. */
export interface Delivery {
  kind: 'message';
  tag: string;
  /** The queue it came from (priority suffix removed). */
  queue: string;
  payload: KombuPayload;
}

/** An item that is not a Kombu message. It is already off the queue; there is nothing to ack. */
export interface UndecodableDelivery {
  kind: 'undecodable';
  queue: string;
  raw: string;
  reason: RejectReason;
}

export type Reserved = Delivery | UndecodableDelivery;

// Pops up to ARGV[2] messages without blocking and records each in the
// unacked hash and index (score ARGV[1]) in the same step. KEYS: unacked,
// unacked_index, then the lists: for each priority step, one per queue (ARGV[3]
// queues), so all step-0 lists come first. Within a step the queues take
// turns. ARGV[4]/ARGV[5], when present, are an item already popped by BRPOP
// and its list, recorded first. Returns [list, item, tag] triples; tag is ''
// when the item was not a Kombu message (then it is not recorded).
const RESERVE = new LuaScript(`
local out = {}
local now, max, nq = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local function record(key, item)
  local tag = ''
  local ok, msg = pcall(cjson.decode, item)
  if ok and type(msg) == 'table' and type(msg.properties) == 'table' then
    local p = msg.properties
    if type(p.delivery_tag) == 'string' then tag = p.delivery_tag end
    local ex, rk = '', ''
    if type(p.delivery_info) == 'table' then
      if type(p.delivery_info.exchange) == 'string' then ex = p.delivery_info.exchange end
      if type(p.delivery_info.routing_key) == 'string' then rk = p.delivery_info.routing_key end
    end
    if tag ~= '' then
      redis.call('ZADD', KEYS[2], now, tag)
      redis.call('HSET', KEYS[1], tag, '[' .. item .. ', ' .. cjson.encode(ex) .. ', ' .. cjson.encode(rk) .. ']')
    end
  end
  out[#out + 1] = key
  out[#out + 1] = item
  out[#out + 1] = tag
end
local count = 0
if ARGV[4] then
  record(ARGV[5], ARGV[4])
  count = 1
end
local levels = (#KEYS - 2) / nq
for l = 0, levels - 1 do
  local popped = true
  while popped and count < max do
    popped = false
    for q = 1, nq do
      if count >= max then break end
      local key = KEYS[2 + l * nq + q]
      local item = redis.call('RPOP', key)
      if item then
        record(key, item)
        count = count + 1
        popped = true
      end
    end
  end
  if count >= max then break end
end
return out
`);

// Longest single BRPOP: like Kombu's 1 s, so a dead connection is noticed.
const BRPOP_SLICE = 1;

export class RedisConsumer {
  readonly transport: RedisTransport;
  readonly queues: readonly string[];
  readonly queueOrder: QueueOrder;
  readonly batch: number;
  #prefetch: number;
  #order: string[];
  #buffer: Reserved[] = [];
  /** Tags reserved and not yet acked/rejected: in the buffer or handed out. */
  #held = new Set<string>();
  #roomWaiters = new Set<() => void>();
  #serial: Promise<unknown> = Promise.resolve();
  #blocking: Redis | null = null;
  #blockingId: number | null = null;
  #inBrpop = false;
  #closed = false;
  #onClose: () => void;

  /** Made by RedisTransport.consume(), which passes `onClose` to forget the consumer once closed. */
  constructor(transport: RedisTransport, options: ConsumerOptions, onClose: () => void) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const { queues } = options;
    if (!Array.isArray(queues) || queues.length === 0 || queues.some((q) => typeof q !== 'string' || q === '')) {
      throw invalidArgValue('options.queues', 'must be a non-empty list of queue names', queues);
    }
    const order = options.queueOrder ?? 'round_robin';
    if (order !== 'round_robin' && order !== 'priority' && order !== 'sorted') {
      throw invalidArgValue('options.queueOrder', "must be 'round_robin', 'priority' or 'sorted'", order);
    }
    this.transport = transport;
    this.queues = Object.freeze([...new Set(queues)]);
    this.queueOrder = order;
    this.#order = order === 'sorted' ? [...this.queues].sort() : [...this.queues];
    this.#prefetch = 4;
    this.prefetch = options.prefetch ?? 4;
    const batch = options.batch ?? 64;
    if (!Number.isInteger(batch) || batch < 1) throw outOfRange('options.batch', 'an integer >= 1', batch);
    this.batch = batch;
    this.#onClose = onClose;
  }

  /** The reservation bound; raise it while holding ETA tasks, as Celery does. */
  get prefetch(): number {
    return this.#prefetch;
  }

  set prefetch(value: number) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw outOfRange('prefetch', 'an integer >= 0', value);
    }
    this.#prefetch = value;
    this.#wakeRoomWaiters();
  }

  /** Messages reserved and not yet acked or rejected (including ones not yet handed out). */
  get held(): number {
    return this.#held.size;
  }

  /** Tags of the messages this consumer holds. */
  heldTags(): string[] {
    return [...this.#held];
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The next message, reserved. Waits up to `timeout` seconds (null: until
   * one arrives or the consumer closes) for prefetch room and for a message;
   * resolves null when none came. Calls are served one at a time.
   */
  reserve(timeout: number | null = null): Promise<Reserved | null> {
    if (timeout !== null && (typeof timeout !== 'number' || !(timeout >= 0) || Number.isNaN(timeout))) {
      return Promise.reject(outOfRange('timeout', 'a number of seconds >= 0 or null', timeout));
    }
    const deadline = timeout === null ? Infinity : Date.now() + timeout * 1000;
    const run = this.#serial.then(() => this.#reserve(deadline));
    this.#serial = run.catch(() => undefined);
    return run;
  }

  async #reserve(deadline: number): Promise<Reserved | null> {
    for (;;) {
      if (this.#closed) return null;
      const next = this.#buffer.shift();
      if (next) return next;
      const room = await this.#waitForRoom(deadline);
      if (room === 0) return null;
      await this.#fetch(room, deadline);
      if (this.#buffer.length === 0 && Date.now() >= deadline) return null;
    }
  }

  #room(): number {
    if (this.#prefetch === 0) return this.batch;
    return Math.min(this.batch, Math.max(0, this.#prefetch - this.#held.size));
  }

  #waitForRoom(deadline: number): Promise<number> {
    const room = this.#room();
    if (room > 0 || this.#closed) return Promise.resolve(this.#closed ? 0 : room);
    if (Date.now() >= deadline) return Promise.resolve(0);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        this.#roomWaiters.delete(wake);
        if (timer) clearTimeout(timer);
        resolve(this.#closed ? 0 : this.#room());
      };
      const wake = () => {
        if (this.#closed || this.#room() > 0) finish();
      };
      this.#roomWaiters.add(wake);
      // The timer itself means "deadline reached": a timer may fire a little
      // before Date.now() reaches the deadline, so never compare clocks here.
      if (deadline !== Infinity) timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
    });
  }

  #wakeRoomWaiters(): void {
    for (const wake of [...this.#roomWaiters]) wake();
  }

  /** Lists in consumption order: every queue's step-0 list, then step 3, ... */
  #keys(): string[] {
    const t = this.transport;
    const keys: string[] = [];
    for (const step of t.prioritySteps) {
      for (const q of this.#order) keys.push(t.key(t.queueName(q, step)));
    }
    return keys;
  }

  async #fetch(room: number, deadline: number): Promise<void> {
    const t = this.transport;
    const fixed = [t.key(t.unackedKey), t.key(t.unackedIndexKey)];
    const keys = this.#keys();
    const now = () => String(Date.now() / 1000);
    let reply = await RESERVE.run(t.client, [...fixed, ...keys], [now(), room, this.#order.length]);
    if (!Array.isArray(reply) || reply.length === 0) {
      const popped = await this.#brpop(keys, deadline);
      if (popped === null) return;
      try {
        reply = await RESERVE.run(t.client, [...fixed, ...keys], [now(), room, this.#order.length, popped[1], popped[0]]);
      } catch (error) {
        // Not recorded: put it back where it was (the consuming end) rather than lose it.
        await t.client.rpush(popped[0], popped[1]).catch(() => undefined);
        throw error;
      }
    }
    this.#accept(reply as string[]);
  }

  async #brpop(keys: string[], deadline: number): Promise<[string, string] | null> {
    const remaining = (deadline - Date.now()) / 1000;
    if (remaining < 0.01 || this.#closed) return null;
    const blocking = await this.#blockingConnection();
    this.#inBrpop = true;
    try {
      if (this.#closed) return null;
      return await blocking.brpop(...keys, Math.min(BRPOP_SLICE, remaining).toFixed(3));
    } finally {
      this.#inBrpop = false;
    }
  }

  async #blockingConnection(): Promise<Redis> {
    if (this.#blocking === null) {
      this.#blocking = this.transport.client.duplicate();
      // Its id lets close() end a BRPOP at once with CLIENT UNBLOCK, which
      // makes it return nil without popping anything.
      this.#blockingId = Number(await this.#blocking.client('ID'));
    }
    return this.#blocking;
  }

  #accept(reply: string[]): void {
    let lastQueue: string | null = null;
    for (let i = 0; i + 2 < reply.length; i += 3) {
      const key = reply[i];
      const raw = reply[i + 1];
      const tag = reply[i + 2];
      const queue = this.transport.queueOfKey(key);
      const parsed = parsePayload(raw);
      if (parsed.ok && tag !== '' && parsed.payload.properties.delivery_tag === tag) {
        this.#held.add(tag);
        this.#buffer.push({ kind: 'message', tag, queue, payload: parsed.payload });
        lastQueue = queue;
      } else {
        const reason: RejectReason = parsed.ok
          ? { code: 'ERR_CELERY_BAD_PAYLOAD', message: 'Redis could not parse the message as JSON' }
          : parsed.reason;
        // Recorded by Lua but unreadable here: take it out of unacked again.
        if (tag !== '') void this.transport.ack(tag).catch(() => undefined);
        this.#buffer.push({ kind: 'undecodable', queue, raw, reason });
      }
    }
    if (lastQueue !== null && this.queueOrder === 'round_robin') {
      const at = this.#order.indexOf(lastQueue);
      if (at !== -1) this.#order.push(...this.#order.splice(at, 1));
    }
  }

  #release(tag: string): void {
    if (this.#held.delete(tag)) this.#wakeRoomWaiters();
  }

  /** Acknowledges a message: it is done and will not be redelivered. */
  async ack(tag: string): Promise<void> {
    await this.transport.ack(tag);
    this.#release(tag);
  }

  /** Rejects a message: dropped, or with `requeue` put at the back of its queue. */
  async reject(tag: string, requeue = false): Promise<void> {
    await this.transport.reject(tag, requeue);
    this.#release(tag);
  }

  /**
   * Restores every message (any consumer's) held past the visibility
   * timeout: RedisTransport.restoreExpired. Call at start and periodically.
   */
  restoreExpired(options: RestoreExpiredOptions = {}): Promise<number> {
    return this.transport.restoreExpired(options);
  }

  /** Resets the visibility clock of every message this consumer holds (see RedisTransport.touch). */
  async touch(): Promise<void> {
    await this.transport.touch(this.heldTags());
  }

  /**
   * Stops consuming. A BRPOP in progress ends at once. With `restore`
   * (default, Kombu's restore_at_shutdown) every message still held is put
   * back on its queue for another consumer; without, they stay unacked until
   * their visibility timeout. Ack running tasks before closing.
   */
  async close(options: { restore?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeRoomWaiters();
    if (this.#inBrpop && this.#blockingId !== null) {
      await this.transport.client.client('UNBLOCK', this.#blockingId).catch(() => undefined);
    }
    await this.#serial;
    const held = [...this.#held];
    this.#buffer = [];
    if (options.restore ?? true) {
      for (const tag of held) await this.transport.restore(tag).catch(() => false);
      this.#held.clear();
    }
    if (this.#blocking) {
      const blocking = this.#blocking;
      this.#blocking = null;
      await blocking.quit().catch(() => blocking.disconnect());
    }
    this.#onClose();
  }
}
