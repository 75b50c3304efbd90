import { strict as assert } from 'node:assert';

import Redis from 'ioredis';

import {
  CeleryException,
  RedisResultBackend,
  ResultTimeoutError,
  TaskRevokedError,
  type TaskMeta,
} from '../../lib/celery';
import { skipWithoutPrerequisites, startRedis, type RedisServer } from './harness';

describe('celery.result-backend (Redis, Celery 5.2 format)', function () {
  let server: RedisServer;
  let redis: Redis;
  let backend: RedisResultBackend;

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
    backend = new RedisResultBackend(server.url);
  });
  afterEach(async () => {
    await backend.close();
  });

  const stored = async (id: string): Promise<TaskMeta> => JSON.parse((await redis.get(`celery-task-meta-${id}`)) as string);

  it('stores SUCCESS as celery-task-meta-<id> with a one-day expiry and publishes it on the same channel', async () => {
    const sub = redis.duplicate();
    const seen: string[] = [];
    sub.on('message', (channel: string, text: string) => seen.push(`${channel} ${text}`));
    await sub.subscribe('celery-task-meta-t1');
    assert.equal(await backend.markSuccess('t1', 5, { parentId: 'p0', group: 'g0' }), true);
    const meta = await stored('t1');
    assert.deepEqual(Object.keys(meta).sort(), ['children', 'date_done', 'group_id', 'parent_id', 'result', 'status', 'task_id', 'traceback']);
    assert.equal(meta.status, 'SUCCESS');
    assert.equal(meta.result, 5);
    assert.equal(meta.traceback, null);
    assert.deepEqual(meta.children, []);
    assert.equal(meta.task_id, 't1');
    assert.equal(meta.parent_id, 'p0');
    assert.equal(meta.group_id, 'g0');
    assert.match(meta.date_done as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    const ttl = await redis.ttl('celery-task-meta-t1');
    assert.ok(ttl > 86390 && ttl <= 86400, String(ttl));
    for (let i = 0; i < 50 && seen.length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    assert.equal(seen.length, 1);
    assert.ok(seen[0].startsWith('celery-task-meta-t1 {'));
    await sub.quit();
  });

  it('stores a failure with Celery\'s exception form and the JS stack as traceback', async () => {
    await backend.markFailure('t2', new TypeError('wrong type'));
    const meta = await stored('t2');
    assert.equal(meta.status, 'FAILURE');
    assert.deepEqual(meta.result, { exc_type: 'TypeError', exc_message: ['wrong type'], exc_module: 'builtins' });
    assert.match(meta.traceback as string, /TypeError: wrong type/);
    assert.ok(meta.date_done);
    await assert.rejects(backend.get('t2', { timeout: 1 }), (error: unknown) => {
      assert.ok(error instanceof CeleryException);
      assert.equal(error.name, 'TypeError');
      assert.equal(error.message, 'wrong type');
      assert.equal(error.excModule, 'builtins');
      assert.match(error.traceback as string, /wrong type/);
      return true;
    });
    const returned = await backend.get('t2', { propagate: false });
    assert.ok(returned instanceof CeleryException);
  });

  it('never overwrites a SUCCESS (a duplicate run cannot turn it into a failure)', async () => {
    await backend.markSuccess('t3', 'first');
    assert.equal(await backend.markFailure('t3', new Error('late duplicate')), false);
    assert.equal((await stored('t3')).status, 'SUCCESS');
    await backend.store('t4', 'STARTED', { pid: 1, hostname: 'h' });
    assert.equal(await backend.markSuccess('t4', 1), true);
  });

  it('STARTED and RETRY are not ready; REVOKED stores TaskRevokedError', async () => {
    await backend.markStarted('t5', { hostname: 'greenhub@test' });
    const started = await stored('t5');
    assert.equal(started.status, 'STARTED');
    assert.equal(started.date_done, null);
    assert.deepEqual(started.result, { pid: process.pid, hostname: 'greenhub@test' });
    await backend.markRetry('t5', new Error('flaky'));
    assert.equal((await stored('t5')).status, 'RETRY');
    await assert.rejects(backend.waitFor('t5', { timeout: 0.2 }), ResultTimeoutError);
    await backend.markRevoked('t5', 'expired');
    const revoked = await stored('t5');
    assert.deepEqual(revoked.result, { exc_type: 'TaskRevokedError', exc_message: ['expired'], exc_module: 'celery.exceptions' });
    await assert.rejects(backend.get('t5'), TaskRevokedError);
  });

  it('waits through pub/sub for a result written later, and reads unknown ids as PENDING', async () => {
    assert.equal((await backend.getMeta('nope')).status, 'PENDING');
    const waiting = backend.get<number>('t6', { timeout: 5, interval: 10 });
    setTimeout(() => void backend.markSuccess('t6', 42), 100);
    const started = Date.now();
    assert.equal(await waiting, 42);
    assert.ok(Date.now() - started < 2000, 'woken by PUBLISH, not by the 10 s poll');
    await assert.rejects(backend.get('t7', { timeout: 0.2 }), { code: 'ERR_CELERY_RESULT_TIMEOUT', name: 'TimeoutError' });
  });

  it('ignores results when the request asked so, and forgets on demand', async () => {
    assert.equal(await backend.markSuccess('t8', 1, { ignoreResult: true }), false);
    assert.equal(await redis.exists('celery-task-meta-t8'), 0);
    await backend.markSuccess('t9', 1);
    await backend.forget('t9');
    assert.equal(await redis.exists('celery-task-meta-t9'), 0);
  });

  it('stores extended results when asked', async () => {
    const extended = new RedisResultBackend(server.url, { extended: true, expires: null });
    await extended.markSuccess('t10', 3, { task: 'tasks.add', args: [1, 2], kwargs: {}, hostname: 'g@h', retries: 0, routingKey: 'celery' });
    const meta = await stored('t10');
    assert.equal(meta.name, 'tasks.add');
    assert.deepEqual(meta.args, [1, 2]);
    assert.equal(meta.worker, 'g@h');
    assert.equal(meta.queue, 'celery');
    assert.equal(await redis.ttl('celery-task-meta-t10'), -1);
    await extended.close();
  });
});
