import { strict as assert } from 'node:assert';

import { ASYNC, ClosedError, EVENTS, Loop, sendAsync } from '../../lib/loop';
import { delay, newLoop, until } from '../helpers';

describe('loop.async', () => {
  let loop: Loop;
  beforeEach(() => {
    loop = newLoop();
  });
  afterEach(() => {
    loop.close();
  });

  it('fires after send() and stays active for the next one', async () => {
    const w = loop.async();
    const seen: number[] = [];
    w.start((revents: number) => seen.push(revents), EVENTS);
    await delay(20);
    assert.deepEqual(seen, []);
    w.send();
    await until(() => seen.length === 1);
    assert.deepEqual(seen, [ASYNC]);
    assert.equal(w.active, true);
    w.send();
    await until(() => seen.length === 2);
  });

  it('coalesces sends made before the loop turns (gevent test__core_async)', async () => {
    const w = loop.async();
    let count = 0;
    w.start(() => count++);
    for (let i = 0; i < 100; i++) w.send();
    await until(() => count === 1);
    await delay(30);
    assert.equal(count, 1);
  });

  it('a send from its own callback fires again later', async () => {
    const w = loop.async();
    let count = 0;
    w.start(() => {
      if (++count < 3) w.send();
    });
    w.send();
    await until(() => count === 3);
  });

  it('drops sends while stopped', async () => {
    const w = loop.async();
    let count = 0;
    w.start(() => count++);
    w.stop();
    w.send();
    await delay(30);
    w.start(() => count++);
    await delay(30);
    assert.equal(count, 0);
    w.send();
    await until(() => count === 1);
  });

  it('sendAsync(token) reaches the watcher; unknown and closed tokens give false', async () => {
    const w = loop.async();
    const token = w.token;
    assert.ok(Number.isSafeInteger(token) && token > 0, `token ${token}`);
    assert.equal(w.token, token);
    assert.notEqual(loop.async().token, token);
    let count = 0;
    w.start(() => count++);
    assert.equal(sendAsync(token), true);
    await until(() => count === 1);
    assert.equal(sendAsync(token + 1_000_000), false);
    w.close();
    assert.equal(sendAsync(token), false);
    assert.throws(() => w.token, ClosedError);
  });

  it('rejects bad tokens with errors that name them', () => {
    for (const bad of ['1', null, undefined, {}]) {
      assert.throws(() => sendAsync(bad as unknown as number), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"token"/ });
    }
    for (const bad of [NaN, -1, 0, 1.5, Infinity]) {
      assert.throws(() => sendAsync(bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"token"/ });
    }
  });

  it('refuses use after close with ClosedError', () => {
    const w = loop.async();
    w.start(() => undefined);
    w.close();
    assert.equal(w.active, false);
    assert.throws(() => w.send(), ClosedError);
    assert.throws(() => w.start(() => undefined), ClosedError);
  });
});
