import { strict as assert } from 'node:assert';

import Redis from 'ioredis';

import {
  decodeTaskMessage,
  encodeTaskMessage,
  RedisTransport,
  type Delivery,
  type Reserved,
} from '../../lib/celery';
import { skipWithoutPrerequisites, startRedis, type RedisServer } from './harness';

function message(reserved: Reserved | null): Delivery {
  assert.ok(reserved, 'expected a message');
  assert.equal(reserved.kind, 'message', reserved.kind === 'undecodable' ? reserved.reason.message : '');
  return reserved as Delivery;
}

function argsOf(reserved: Reserved | null): unknown[] {
  const result = decodeTaskMessage(message(reserved).payload);
  assert.ok(result.ok);
  return result.request.args;
}

describe('celery.redis-transport (Kombu semantics)', function () {
  let server: RedisServer;
  let redis: Redis;
  let transport: RedisTransport;

  before(async function () {
    skipWithoutPrerequisites(this, false);
    server = await startRedis();
    redis = new Redis(server.url);
  });
  after(async () => {
    await redis?.quit();
    await server?.stop();
  });
  beforeEach(async () => {
    await redis.flushall();
    transport = new RedisTransport(server.url, { visibilityTimeout: 1 });
  });
  afterEach(async () => {
    await transport.close();
  });

  const send = (args: unknown[], options: { priority?: number; queue?: string } = {}) =>
    transport.publish(encodeTaskMessage({ task: 't', args, priority: options.priority }), {
      routingKey: options.queue ?? 'celery',
    });

  it('names priority lists like Kombu: queue + \\x06\\x16 + step, step 0 being the plain queue', async () => {
    assert.equal(transport.queueName('celery', 0), 'celery');
    assert.equal(transport.queueName('celery', 2), 'celery');
    assert.equal(transport.queueName('celery', 5), 'celery\x06\x163');
    assert.equal(transport.queueName('celery', 9), 'celery\x06\x169');
    assert.equal(transport.queueName('celery', 42), 'celery\x06\x169');
    await send([1], { priority: 5 });
    assert.equal(await redis.llen('celery\x06\x163'), 1);
    const raw = JSON.parse((await redis.lrange('celery\x06\x163', 0, 0))[0]);
    assert.equal(raw.properties.delivery_info.routing_key, 'celery');
    assert.equal(raw.properties.delivery_info.exchange, '');
    assert.match(raw.properties.delivery_tag, /^[0-9a-f-]{36}$/);
    assert.equal(await transport.queueSize('celery'), 1);
  });

  it('consumes FIFO within a step and lower steps first', async () => {
    await send(['p9'], { priority: 9 });
    await send(['p3'], { priority: 3 });
    await send(['a0']);
    await send(['p6'], { priority: 6 });
    await send(['b0']);
    const c = transport.consume({ queues: ['celery'], prefetch: 0 });
    const order = [];
    for (let i = 0; i < 5; i += 1) order.push(argsOf(await c.reserve(1))[0]);
    assert.deepEqual(order, ['a0', 'b0', 'p3', 'p6', 'p9']);
  });

  it('takes turns between queues (round robin) and blocks until a message arrives', async () => {
    for (const q of ['a', 'b']) for (let i = 0; i < 3; i += 1) await send([`${q}${i}`], { queue: q });
    const c = transport.consume({ queues: ['a', 'b'], prefetch: 0, batch: 1 });
    const order = [];
    for (let i = 0; i < 6; i += 1) order.push(argsOf(await c.reserve(1))[0]);
    assert.deepEqual(order, ['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);

    const waiting = c.reserve(5);
    setTimeout(() => void send(['late'], { queue: 'b' }), 100);
    const started = Date.now();
    assert.deepEqual(argsOf(await waiting), ['late']);
    assert.ok(Date.now() - started < 2000);
  });

  it('records a reserved message in unacked/unacked_index and removes it on ack', async () => {
    await send([1]);
    const c = transport.consume({ queues: ['celery'] });
    const before = Date.now() / 1000;
    const m = message(await c.reserve(1));
    const entry = JSON.parse((await redis.hget('unacked', m.tag)) as string);
    assert.equal(entry.length, 3);
    assert.deepEqual(entry.slice(1), ['', 'celery']); // [payload, exchange, routing_key]
    assert.equal(entry[0].properties.delivery_tag, m.tag);
    const score = Number(await redis.zscore('unacked_index', m.tag));
    assert.ok(score >= before - 1 && score <= Date.now() / 1000 + 1);
    assert.equal(await redis.llen('celery'), 0);
    assert.equal(c.held, 1);
    await c.ack(m.tag);
    assert.equal(await redis.hexists('unacked', m.tag), 0);
    assert.equal(await redis.zscore('unacked_index', m.tag), null);
    assert.equal(c.held, 0);
  });

  it('never holds more than prefetch unacked messages', async () => {
    for (let i = 0; i < 5; i += 1) await send([i]);
    const c = transport.consume({ queues: ['celery'], prefetch: 2 });
    const a = message(await c.reserve(1));
    message(await c.reserve(1));
    const started = Date.now();
    assert.equal(await c.reserve(0.3), null);
    assert.ok(Date.now() - started >= 250);
    assert.equal(await redis.hlen('unacked'), 2);
    const third = c.reserve(5);
    await c.ack(a.tag);
    assert.deepEqual(argsOf(await third), [2]);
    c.prefetch = 0;
    assert.deepEqual(argsOf(await c.reserve(1)), [3]);
  });

  it('reject(requeue) puts the message at the back of its queue, marked redelivered', async () => {
    await send(['first']);
    await send(['second']);
    const c = transport.consume({ queues: ['celery'], prefetch: 1 });
    const m = message(await c.reserve(1));
    await c.reject(m.tag, true);
    assert.equal(await redis.hlen('unacked'), 0);
    const second = message(await c.reserve(1));
    assert.deepEqual(argsOf(second), ['second']);
    await c.ack(second.tag);
    const again = message(await c.reserve(1));
    assert.deepEqual(argsOf(again), ['first']);
    assert.equal(again.payload.properties.delivery_info.redelivered, true);
    assert.equal(again.payload.headers.redelivered, true);
  });

  it('reject without requeue drops the message', async () => {
    await send(['x']);
    const c = transport.consume({ queues: ['celery'] });
    const m = message(await c.reserve(1));
    await c.reject(m.tag);
    assert.equal(await redis.hlen('unacked'), 0);
    assert.equal(await transport.queueSize('celery'), 0);
  });

  it('restoreExpired puts back messages past the visibility timeout, under unacked_mutex', async () => {
    await send(['lost']);
    const c = transport.consume({ queues: ['celery'] });
    const m = message(await c.reserve(1));
    assert.equal(await c.restoreExpired(), 0, 'not expired yet');
    // Another process holds the lock: nothing happens.
    await redis.set('unacked_mutex', 'someone', 'PX', 5000);
    assert.equal(await transport.restoreExpired({ now: Date.now() / 1000 + 10 }), 0);
    await redis.del('unacked_mutex');
    assert.equal(await transport.restoreExpired({ now: Date.now() / 1000 + 10 }), 1);
    assert.equal(await redis.exists('unacked_mutex'), 0, 'lock released');
    assert.equal(await redis.hlen('unacked'), 0);
    const other = transport.consume({ queues: ['celery'] });
    const again = message(await other.reserve(1));
    assert.equal(again.payload.properties.delivery_tag, m.tag);
    assert.equal(again.payload.properties.delivery_info.redelivered, true);
    // The first consumer's late ack must not disturb the new reservation's bookkeeping.
    await other.ack(again.tag);
  });

  it('touch() keeps a message that is still being worked on from being restored', async () => {
    await send(['long']);
    const c = transport.consume({ queues: ['celery'] });
    const m = message(await c.reserve(1));
    await redis.zadd('unacked_index', Date.now() / 1000 - 100, m.tag);
    await c.touch();
    assert.equal(await transport.restoreExpired(), 0);
    assert.equal(await redis.hexists('unacked', m.tag), 1);
  });

  it('hands back non-Kombu items as undecodable, already removed, and keeps going', async () => {
    await redis.lpush('celery', 'not json at all');
    await redis.lpush('celery', '{"body": "x", "properties": {}}');
    await send(['good']);
    const c = transport.consume({ queues: ['celery'] });
    const first = await c.reserve(1);
    assert.equal(first?.kind, 'undecodable');
    assert.equal(first?.kind === 'undecodable' && first.reason.code, 'ERR_CELERY_BAD_PAYLOAD');
    assert.equal(first?.kind === 'undecodable' && first.raw, 'not json at all');
    const second = await c.reserve(1);
    assert.equal(second?.kind, 'undecodable');
    assert.deepEqual(argsOf(await c.reserve(1)), ['good']);
    assert.equal(await redis.hlen('unacked'), 1);
    assert.equal(c.held, 1);
  });

  it('close() ends a blocking reserve at once and restores what it holds', async () => {
    for (let i = 0; i < 3; i += 1) await send([i]);
    const c = transport.consume({ queues: ['celery'], prefetch: 3 });
    message(await c.reserve(1)); // takes all three into the consumer at once
    assert.equal(await redis.hlen('unacked'), 3);
    assert.equal(await transport.queueSize('celery'), 0);
    const idle = transport.consume({ queues: ['empty'] });
    const pending = idle.reserve(null);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await idle.close();
    assert.equal(await pending, null);
    assert.ok(Date.now() - started < 900, 'BRPOP was unblocked, not left to its 1 s timeout');
    await c.close();
    assert.equal(await redis.hlen('unacked'), 0);
    assert.equal(await transport.queueSize('celery'), 3);
  });

  it('routes named exchanges through _kombu.binding.* sets', async () => {
    await transport.declareQueue('images', { exchange: 'media', routingKey: 'media.image' });
    assert.deepEqual(await redis.smembers('_kombu.binding.media'), ['media.image\x06\x16\x06\x16images']);
    assert.deepEqual(await transport.lookup('media', 'media.image'), ['images']);
    assert.deepEqual(await transport.lookup('media', 'media.video'), []);
    assert.deepEqual(await transport.lookup('', 'anything'), ['anything']);
    await transport.publish(encodeTaskMessage({ task: 't' }), { exchange: 'media', routingKey: 'media.image' });
    assert.equal(await transport.queueSize('images'), 1);
    // A restored message is routed again through the same binding.
    const c = transport.consume({ queues: ['images'] });
    const m = message(await c.reserve(1));
    assert.equal(await transport.restore(m.tag), true);
    assert.equal(await redis.llen('images'), 1);
  });

  it('validates arguments', () => {
    assert.throws(() => transport.consume({ queues: [] }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => transport.consume({ queues: ['q'], prefetch: -1 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => new RedisTransport(server.url, { visibilityTimeout: 0 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => new RedisTransport(42 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});
