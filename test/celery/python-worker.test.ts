// greenhub's client sends, a Python Celery 5 worker runs: the protocol,
// transport and result format must be what Python expects.
import { strict as assert } from 'node:assert';

import { CeleryClient, CeleryException, TaskRevokedError } from '../../lib/celery';
import { delay } from '../helpers';
import { skipWithoutPrerequisites, startPythonWorker, startRedis, type PythonWorker, type RedisServer } from './harness';

interface Stamp {
  label: string | number;
  at: number;
}

describe('celery interop: greenhub client -> Python worker', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let worker: PythonWorker;
  let app: CeleryClient;

  before(async function () {
    skipWithoutPrerequisites(this);
    server = await startRedis();
    worker = await startPythonWorker(server.url);
    app = new CeleryClient({ broker: server.url });
  });
  after(async () => {
    await app?.close();
    await worker?.stop();
    await server?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && worker) console.log(worker.output().slice(-4000));
  });

  it('mul(6, 7) == 42', async () => {
    const r = await app.sendTask<number>('pytasks.mul', [6, 7]);
    assert.equal(await r.get({ timeout: 10 }), 42);
    assert.equal(await r.state(), 'SUCCESS');
  });

  it('passes kwargs as keyword arguments', async () => {
    const r = await app.sendTask('pytasks.kw', [1], { b: 2, c: 'three' });
    assert.deepEqual(await r.get({ timeout: 10 }), { a: 1, b: 2, c: 'three' });
  });

  it('Python understands every header greenhub sends', async () => {
    const r = await app.sendTask<Record<string, unknown>>('pytasks.request_info', [], {}, {
      timeLimit: 30,
      softTimeLimit: 20,
      expires: 600,
      priority: 0,
      parentId: 'parent-1',
      rootId: 'root-1',
    });
    const info = await r.get({ timeout: 10 });
    assert.equal(info.id, r.id);
    assert.equal(info.retries, 0);
    assert.deepEqual(info.timelimit, [30, 20]);
    assert.equal(info.root_id, 'root-1');
    assert.equal(info.parent_id, 'parent-1');
    assert.equal(info.argsrepr, '()');
    assert.equal(info.kwargsrepr, '{}');
    assert.match(String(info.origin), /^gen\d+@/);
    assert.equal(info.routing_key, 'celery');
    assert.ok(info.expires, 'expires understood');
  });

  it('a Python exception reaches get() with its type, module, message and traceback', async () => {
    const r = await app.sendTask('pytasks.fail', ['it broke']);
    await assert.rejects(r.get({ timeout: 10 }), (error: unknown) => {
      assert.ok(error instanceof CeleryException);
      assert.equal(error.name, 'ValueError');
      assert.equal(error.excModule, 'builtins');
      assert.equal(error.message, 'it broke');
      assert.deepEqual(error.excArgs, ['it broke']);
      assert.equal(error.taskId, r.id);
      assert.match(error.traceback ?? '', /Traceback \(most recent call last\)[\s\S]*ValueError: it broke/);
      return true;
    });
    assert.equal(await r.state(), 'FAILURE');
    const custom = await app.sendTask('pytasks.custom_fail', ['quota']);
    const error = await custom.get({ timeout: 10, propagate: false });
    assert.ok(error instanceof CeleryException);
    assert.equal(error.qualifiedName, 'pytasks.CustomError');
  });

  it('respects countdown and eta', async () => {
    const sentAt = Date.now() / 1000;
    const byCountdown = await app.sendTask<Stamp>('pytasks.stamp', ['countdown'], {}, { countdown: 1.5 });
    const byEta = await app.sendTask<Stamp>('pytasks.stamp', ['eta'], {}, { eta: new Date(Date.now() + 1500) });
    const now = await app.sendTask<Stamp>('pytasks.stamp', ['now']);
    const [a, b, c] = await Promise.all([byCountdown.get({ timeout: 15 }), byEta.get({ timeout: 15 }), now.get({ timeout: 15 })]);
    assert.ok(a.at - sentAt >= 1.4, `countdown ran after ${a.at - sentAt} s`);
    assert.ok(b.at - sentAt >= 1.4, `eta ran after ${b.at - sentAt} s`);
    assert.ok(c.at < a.at && c.at < b.at, 'the immediate task was not held behind the delayed ones');
  });

  it('Python consumes greenhub\'s priority lists, lower numbers first', async () => {
    // Keep the single-process worker busy so that all four wait in Redis together.
    const busy = await app.sendTask('pytasks.sleep', [1.5]);
    const deadline = Date.now() + 10_000;
    while ((await busy.state()) !== 'STARTED') {
      assert.ok(Date.now() < deadline, 'the busy task never started');
      await delay(20);
    }
    const sent = [];
    for (const priority of [9, 6, 3, 0]) sent.push(await app.sendTask<Stamp>('pytasks.stamp', [priority], {}, { priority }));
    const stamps = await Promise.all(sent.map((r) => r.get({ timeout: 15 })));
    const order = stamps.sort((x, y) => x.at - y.at).map((s) => s.label);
    assert.deepEqual(order, [0, 3, 6, 9]);
  });

  it('a Python task retries with countdown (retries header round trip)', async () => {
    const r = await app.sendTask<number>('pytasks.flaky', [2]);
    assert.equal(await r.get({ timeout: 15 }), 2);
  });

  it('revoke() from greenhub reaches the Python worker; expired tasks are revoked too', async () => {
    const held = await app.sendTask('pytasks.stamp', ['revoked'], {}, { countdown: 2 });
    await delay(300);
    await held.revoke();
    await assert.rejects(held.get({ timeout: 10 }), (error: unknown) => {
      assert.ok(error instanceof TaskRevokedError);
      return true;
    });
    assert.equal(await held.state(), 'REVOKED');
    const expired = await app.sendTask('pytasks.stamp', ['expired'], {}, { expires: new Date(Date.now() - 1000) });
    const error = await expired.get({ timeout: 10, propagate: false });
    assert.ok(error instanceof TaskRevokedError);
    assert.equal(error.message, 'expired');
  });
});
