import { strict as assert } from 'node:assert';

import {
  addressedTo,
  broadcastControl,
  CeleryClient,
  ControlListener,
  RedisTransport,
  RevokedSet,
  type ControlMessage,
  type RevokeRequest,
} from '../../lib/celery';
import { delay, until } from '../helpers';
import { skipWithoutPrerequisites, startRedis, type RedisServer } from './harness';

const message = (overrides: Partial<ControlMessage>): ControlMessage => ({
  method: 'ping',
  arguments: {},
  destination: null,
  pattern: null,
  matcher: null,
  ticket: null,
  replyTo: null,
  ...overrides,
});

describe('celery.control', function () {
  describe('addressing (Kombu\'s Node.handle_message)', () => {
    it('matches destination lists, glob and pcre patterns, or everyone', () => {
      assert.equal(addressedTo(message({}), 'a@h'), true);
      assert.equal(addressedTo(message({ destination: ['a@h'] }), 'a@h'), true);
      assert.equal(addressedTo(message({ destination: ['b@h'] }), 'a@h'), false);
      assert.equal(addressedTo(message({ pattern: 'a@*', matcher: 'glob' }), 'a@h'), true);
      assert.equal(addressedTo(message({ pattern: 'b@*', matcher: 'glob' }), 'a@h'), false);
      assert.equal(addressedTo(message({ pattern: '^a@.$', matcher: 'pcre' }), 'a@h'), true);
    });
  });

  describe('revoked set (Celery\'s LimitedSet)', () => {
    it('forgets the oldest past maxSize and anything past its age', () => {
      const set = new RevokedSet({ maxSize: 2, expires: 10 });
      set.add('a', 0);
      set.add('b', 1);
      set.add('c', 2);
      assert.equal(set.has('a', 3), false);
      assert.equal(set.has('b', 3), true);
      assert.equal(set.has('b', 11), false);
      assert.equal(set.has('c', 11), true);
    });
    it('exchanges ids in hello\'s format, with float timestamps', () => {
      const set = new RevokedSet();
      set.add('x', 5);
      const wire = JSON.stringify(set.toCelery());
      assert.match(wire, /^\{"x":\[5\.\d+,"x"\]\}$/);
      const other = new RevokedSet();
      other.update(JSON.parse(wire));
      assert.equal(other.has('x'), true);
    });
  });

  describe('listener (pidbox over Redis pub/sub)', () => {
    let server: RedisServer;
    let transport: RedisTransport;

    before(async function () {
      skipWithoutPrerequisites(this, false);
      server = await startRedis();
      transport = new RedisTransport(server.url);
    });
    after(async () => {
      await transport?.close();
      await server?.stop();
    });

    it('subscribes to /<db>.celery.pidbox and records revokes, telling the worker', async () => {
      const calls: RevokeRequest[] = [];
      const listener = await ControlListener.start(transport, { hostname: 'g1@test', onRevoke: (r) => calls.push(r) });
      const other = await ControlListener.start(transport, { hostname: 'g2@test' });
      assert.equal(listener.channel, '/0.celery.pidbox');
      const app = new CeleryClient({ broker: transport, backend: null });
      await app.revoke('t-1');
      await app.revoke(['t-2', 't-3'], { terminate: true, signal: 'SIGKILL', destination: ['g1@test'] });
      await until(() => calls.length === 2, 2000, 'two revokes');
      assert.deepEqual(calls, [
        { taskIds: ['t-1'], terminate: false, signal: 'SIGTERM' },
        { taskIds: ['t-2', 't-3'], terminate: true, signal: 'SIGKILL' },
      ]);
      assert.deepEqual(listener.revoked.ids().sort(), ['t-1', 't-2', 't-3']);
      await delay(50);
      assert.deepEqual(other.revoked.ids(), ['t-1'], 'the second revoke was addressed to g1 only');
      await listener.close();
      await other.close();
    });

    it('ignores what it cannot read and hands unknown commands to onCommand', async () => {
      const seen: string[] = [];
      const logs: string[] = [];
      const listener = await ControlListener.start(transport, {
        hostname: 'g3@test',
        onCommand: (m) => {
          seen.push(m.method);
          return { ok: 'done' };
        },
        logger: (level, text) => logs.push(`${level} ${text}`),
      });
      await transport.client.publish(listener.channel, 'garbage');
      await broadcastControl(transport, 'shutdown_soon', { x: 1 });
      await until(() => seen.length === 1, 2000, 'the custom command');
      assert.deepEqual(seen, ['shutdown_soon']);
      assert.match(logs.join('\n'), /warn ignored control message: message is not JSON/);
      await listener.close();
    });
  });
});
