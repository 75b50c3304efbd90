// A Python Celery 5 client sends, greenhub consumes: proves the protocol,
// the transport (ack emulation, priorities, redelivery) and the result
// backend against real Celery. The consumer here is a minimal loop written
// with plain promises; the greenlet worker will replace it.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';

import Redis from 'ioredis';

import {
  CeleryClient,
  ControlListener,
  decodeTaskMessage,
  RedisResultBackend,
  RedisTransport,
  TaskRevokedError,
  type RevokedSet,
  type TaskRequest,
} from '../../lib/celery';
import { delay, ROOT } from '../helpers';
import {
  runPythonClient,
  skipWithoutPrerequisites,
  startPythonWorker,
  startRedis,
  type RedisServer,
} from './harness';

type Handler = (args: unknown[], kwargs: Record<string, unknown>) => unknown;

interface MiniWorker {
  /** Reasons of rejected messages, as a worker would log them. */
  rejected: string[];
  /** How many times each task id ran. */
  runs: Map<string, number>;
  /** Requests that arrived marked redelivered. */
  redelivered: Set<string>;
  /** The revoked ids its control listener keeps. */
  revoked: RevokedSet;
  stop(): Promise<void>;
}

class QuotaError extends Error {
  override name = 'QuotaError';
}

const HANDLERS: Record<string, Handler> = {
  'js.add': ([a, b]) => (a as number) + (b as number),
  'js.echo': (args, kwargs) => ({ args, kwargs }),
  'js.type_error': ([message]) => {
    throw new TypeError(String(message));
  },
  'js.quota': ([message]) => {
    throw new QuotaError(String(message));
  },
  'js.stamp': ([label]) => ({ label, at: Date.now() / 1000 }),
  'js.sleep': async ([seconds]) => {
    await delay((seconds as number) * 1000);
    return seconds;
  },
};

/**
 * The smallest honest consumer: reserve, decode (rejecting what cannot run,
 * with the reason), honour ETA, expiry and revokes, run, store the result in
 * Celery's format, and only then ack.
 */
async function startMiniWorker(
  url: string,
  options: { queues?: string[]; visibility?: number; prefetch?: number; hostname?: string } = {},
): Promise<MiniWorker> {
  const transport = new RedisTransport(url, { visibilityTimeout: options.visibility ?? 3600 });
  const backend = new RedisResultBackend(transport.client);
  const control = await ControlListener.start(transport, { hostname: options.hostname ?? 'greenhub@test', logger: () => undefined });
  const queues = options.queues ?? ['celery'];
  for (const q of queues) await transport.declareQueue(q);
  const consumer = transport.consume({ queues, prefetch: options.prefetch ?? 20 });
  const worker: MiniWorker = {
    rejected: [],
    runs: new Map(),
    redelivered: new Set(),
    revoked: control.revoked,
    stop: async () => undefined,
  };
  const inflight = new Set<Promise<void>>();
  let running = true;

  const execute = async (tag: string, request: TaskRequest, handler: Handler): Promise<void> => {
    if (request.eta) await delay(Math.max(0, request.eta.getTime() - Date.now()));
    if (control.revoked.has(request.id)) {
      await backend.markRevoked(request.id, 'revoked', request);
    } else if (request.expires && request.expires.getTime() < Date.now()) {
      await backend.markRevoked(request.id, 'expired', request);
    } else {
      worker.runs.set(request.id, (worker.runs.get(request.id) ?? 0) + 1);
      try {
        await backend.markSuccess(request.id, await handler(request.args, request.kwargs), request);
      } catch (error) {
        await backend.markFailure(request.id, error, { request });
      }
    }
    await consumer.ack(tag);
  };

  const loop = (async () => {
    await transport.restoreExpired();
    while (running) {
      const m = await consumer.reserve(0.2);
      if (m === null) continue;
      if (m.kind === 'undecodable') {
        worker.rejected.push(`${m.reason.code}: ${m.reason.message}`);
        continue;
      }
      const decoded = decodeTaskMessage(m.payload);
      if (!decoded.ok) {
        worker.rejected.push(`${decoded.reason.code}: ${decoded.reason.message}`);
        await consumer.reject(m.tag);
        continue;
      }
      const request = decoded.request;
      const handler = HANDLERS[request.task];
      if (!handler) {
        worker.rejected.push(`ERR_CELERY_UNKNOWN_TASK: ${request.task}`);
        await consumer.reject(m.tag);
        continue;
      }
      if (request.redelivered) worker.redelivered.add(request.id);
      const job = execute(m.tag, request, handler).finally(() => inflight.delete(job));
      inflight.add(job);
    }
  })();
  const restorer = setInterval(() => void transport.restoreExpired().catch(() => undefined), 300);

  worker.stop = async () => {
    running = false;
    clearInterval(restorer);
    await loop;
    await Promise.all(inflight);
    await control.close();
    await transport.close();
  };
  return worker;
}

/** Starts the reserve-and-hang child; resolves with it and the tag it holds. */
function hangingConsumer(url: string, queue: string): Promise<{ child: ChildProcess; tag: string }> {
  const script = path.join(__dirname, 'js', 'reserve-and-hang.ts');
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', script, url, queue], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /RESERVED (\S+)/.exec(out);
      if (m) resolve({ child, tag: m[1] });
      else if (out.includes('NOTHING')) reject(new Error('the child reserved nothing'));
    });
    child.once('exit', (code) => reject(new Error(`the child exited (${code}) before reserving`)));
  });
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('celery interop: Python client -> greenhub consumer', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let redis: Redis;
  let worker: MiniWorker;

  before(async function () {
    skipWithoutPrerequisites(this);
    server = await startRedis();
    redis = new Redis(server.url);
    worker = await startMiniWorker(server.url);
  });
  after(async () => {
    await worker?.stop();
    await redis?.quit();
    await server?.stop();
  });

  const py = (steps: Record<string, unknown>[]) => runPythonClient(server.url, steps);

  it('add.delay(2, 3).get() == 5', async () => {
    const out = await py([{ send: 'js.add', args: [2, 3], as: 'r' }, { get: 'r' }]);
    assert.equal(out.r.ok, true, JSON.stringify(out.r));
    assert.equal(out.r.result, 5);
  });

  it('kwargs arrive as kwargs', async () => {
    const out = await py([{ send: 'js.echo', args: [1], kwargs: { b: 2, c: 'x' }, as: 'r' }, { get: 'r' }]);
    assert.deepEqual(out.r.result, { args: [1], kwargs: { b: 2, c: 'x' } });
  });

  it('a JS exception reaches Python\'s get() as an exception with its type and message', async () => {
    const out = await py([
      { send: 'js.type_error', args: ['wrong type'], as: 'builtin' },
      { send: 'js.quota', args: ['over quota'], as: 'custom' },
      { get: 'builtin' },
      { get: 'custom' },
    ]);
    assert.equal(out.builtin.ok, false);
    assert.equal(out.builtin.type, 'TypeError');
    assert.equal(out.builtin.module, 'builtins');
    assert.equal(out.builtin.message, 'wrong type');
    assert.equal(out.builtin.state, 'FAILURE');
    assert.match(out.builtin.traceback, /TypeError: wrong type\n\s+at /);
    // A class Python does not have becomes a generic Exception subclass of that name.
    assert.equal(out.custom.type, 'QuotaError');
    assert.equal(out.custom.message, 'over quota');
  });

  it('countdown/ETA are respected', async () => {
    const out = await py([
      { send: 'js.stamp', args: ['later'], options: { countdown: 1.5 }, as: 'later' },
      { send: 'js.stamp', args: ['now'], as: 'now' },
      { get: 'later' },
      { get: 'now' },
    ]);
    assert.ok(out.later.result.at - out.later.sent_at >= 1.4, `ran ${out.later.result.at - out.later.sent_at} s after sending`);
    assert.ok(out.now.result.at < out.later.result.at, 'a delayed task does not hold up the others');
  });

  it('Python\'s priority lists are consumed, lower numbers first', async () => {
    const sent = await py([9, 6, 3, 0].map((priority) => ({ send: 'js.stamp', args: [priority], options: { queue: 'prio', priority }, as: `p${priority}` })));
    assert.equal(await redis.llen('prio\x06\x169'), 1, 'Kombu named the priority list as expected');
    const transport = new RedisTransport(server.url);
    const consumer = transport.consume({ queues: ['prio'], prefetch: 0 });
    const order = [];
    for (let i = 0; i < 4; i += 1) {
      const m = await consumer.reserve(1);
      assert.ok(m?.kind === 'message');
      const decoded = decodeTaskMessage(m.payload);
      assert.ok(decoded.ok);
      order.push(decoded.request.args[0]);
      assert.equal(decoded.request.id, sent[`p${decoded.request.args[0] as number}`].id);
      await consumer.ack(m.tag);
    }
    assert.deepEqual(order, [0, 3, 6, 9]);
    await transport.close();
  });

  it('app.control.revoke() reaches greenhub; the task is stored REVOKED', async () => {
    const out = await py([
      { send: 'js.stamp', args: ['doomed'], options: { countdown: 1.5 }, as: 'r' },
      { sleep: 0.2 },
      { revoke: 'r' },
      { get: 'r' },
    ]);
    assert.equal(out.r.ok, false);
    assert.equal(out.r.type, 'TaskRevokedError');
    assert.equal(out.r.state, 'REVOKED');
    assert.equal(worker.runs.get(out.r.id), undefined, 'never ran');
  });

  it('app.control.ping() gets a pong from greenhub', async () => {
    const out = await py([{ ping: ['greenhub@test'], timeout: 1 }]);
    assert.deepEqual(out.ping, [{ 'greenhub@test': { ok: 'pong' } }]);
  });

  it('a Python worker starting up takes greenhub\'s revoked ids (mingle: hello)', async () => {
    const id = randomUUID();
    worker.revoked.add(id);
    const python = await startPythonWorker(server.url, { queues: ['pyq2'], name: 'mingler@test', mingle: true });
    const app = new CeleryClient({ broker: server.url });
    try {
      assert.match(python.output(), /mingle: sync with 1 nodes/);
      const r = await app.sendTask('pytasks.mul', [1, 2], {}, { id, queue: 'pyq2' });
      await assert.rejects(r.get({ timeout: 10 }), TaskRevokedError);
    } finally {
      await app.close();
      await python.stop();
    }
  });

  it('rejects undecodable, foreign-serializer and unknown-task messages with a reason, and keeps going', async () => {
    const before = worker.rejected.length;
    await redis.lpush('celery', 'this is not a message');
    const out = await py([
      { send: 'js.add', args: [1, 1], options: { serializer: 'pickle' }, as: 'pickled' },
      { send: 'nope.nothing', args: [], as: 'unknown' },
      { send: 'js.add', args: [20, 22], as: 'good' },
      { get: 'good' },
    ]);
    assert.equal(out.good.result, 42);
    for (let i = 0; i < 50 && worker.rejected.length < before + 3; i += 1) await delay(20);
    const reasons = worker.rejected.slice(before).join('\n');
    assert.match(reasons, /ERR_CELERY_BAD_PAYLOAD: message is not JSON/);
    assert.match(reasons, /ERR_CELERY_CONTENT_TYPE: content type "application\/x-python-serialize" is not accepted/);
    assert.match(reasons, /ERR_CELERY_UNKNOWN_TASK: nope\.nothing/);
    assert.equal(await redis.llen('celery'), 0, 'nothing left queued');
    assert.equal(await redis.hlen('unacked'), 0, 'nothing left unacked');
  });

  it('runs 300 tasks from Python exactly once each', async () => {
    const runsBefore = worker.runs.size;
    const out = await py([{ many: 'js.add', count: 300, timeout: 30 }]);
    assert.deepEqual(out.many, { sent: 300, correct: 300, wrong: [] });
    assert.equal(worker.runs.size - runsBefore, 300);
    assert.ok([...worker.runs.values()].every((n) => n === 1), 'no task ran twice');
  });

  describe('redelivery after kill -9 of a consumer mid-task', () => {
    it('greenhub restores it after the visibility timeout and runs it', async () => {
      const client = runPythonClient(server.url, [{ send: 'js.add', args: [40, 2], options: { queue: 'redeliver' }, as: 'r' }, { get: 'r', timeout: 20 }]);
      const { child, tag } = await hangingConsumer(server.url, 'redeliver');
      await killHard(child);
      assert.equal(await redis.hexists('unacked', tag), 1, 'the killed consumer left the message unacked');
      assert.equal(await redis.llen('redeliver'), 0);
      const rescuer = await startMiniWorker(server.url, { queues: ['redeliver'], visibility: 1, hostname: 'rescuer@test' });
      try {
        const out = await client;
        assert.equal(out.r.result, 42);
        assert.ok(rescuer.redelivered.has(out.r.id), 'it came back marked redelivered');
        assert.equal(rescuer.runs.get(out.r.id), 1);
        // The result is stored before the message is acknowledged (Celery's
        // order): the ack may land just after the client read the result.
        for (let i = 0; i < 100 && (await redis.hexists('unacked', tag)) === 1; i += 1) await delay(20);
        assert.equal(await redis.hexists('unacked', tag), 0);
      } finally {
        await rescuer.stop();
      }
    });

    it('a Python worker restores a message a killed greenhub consumer held', async () => {
      const app = new CeleryClient({ broker: server.url });
      const r = await app.sendTask<number>('pytasks.mul', [6, 7], {}, { queue: 'pyq' });
      const { child, tag } = await hangingConsumer(server.url, 'pyq');
      await killHard(child);
      assert.equal(await redis.hexists('unacked', tag), 1);
      await delay(1100); // older than the Python worker's 1 s visibility timeout
      const python = await startPythonWorker(server.url, { queues: ['pyq'], visibility: 1, name: 'rescuer-py@test' });
      try {
        assert.equal(await r.get({ timeout: 20 }), 42);
      } finally {
        await python.stop();
        await app.close();
      }
    });
  });
});
