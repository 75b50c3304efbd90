import { strict as assert } from 'node:assert';

import { monkey } from '../../lib';

describe('monkey', () => {
  afterEach(() => monkey.unpatch());

  it('nothing is patched until asked', () => {
    assert.equal(monkey.isPatched(), false);
    for (const name of monkey.patchNames) assert.equal(monkey.isPatched(name), false);
    assert.deepEqual(monkey.patchNames, ['promises', 'timers', 'context']);
  });

  it('patch(name) applies one patch, once; unpatch(name) undoes only it', () => {
    assert.equal(monkey.patch('timers'), true);
    assert.equal(monkey.patch('timers'), false);
    assert.equal(monkey.isPatched('timers'), true);
    assert.equal(monkey.isPatched('promises'), false);
    assert.equal(monkey.isPatched(), true);
    assert.equal(monkey.unpatch('promises'), false);
    assert.equal(monkey.unpatch('timers'), true);
    assert.equal(monkey.unpatch('timers'), false);
    assert.equal(monkey.isPatched(), false);
  });

  it('each patch also has its own function', () => {
    assert.equal(monkey.patchPromises(), true);
    assert.equal(monkey.patchTimers(), true);
    assert.equal(monkey.patchContext(), true);
    assert.deepEqual(
      monkey.patchNames.filter((name) => monkey.isPatched(name)),
      ['promises', 'timers', 'context'],
    );
  });

  it('patchAll() applies every patch not turned off, returns what it applied, and adds up over calls', () => {
    assert.deepEqual(monkey.patchAll({ timers: false }), ['promises', 'context']);
    assert.equal(monkey.isPatched('timers'), false);
    assert.deepEqual(monkey.patchAll(), ['timers']);
    assert.deepEqual(monkey.patchAll({ promises: false }), [], 'never undoes a patch');
    assert.equal(monkey.isPatched('promises'), true);
  });

  it('unpatch() with no name undoes everything', () => {
    monkey.patchAll();
    assert.equal(monkey.unpatch(), true);
    assert.equal(monkey.isPatched(), false);
    assert.equal(monkey.unpatch(), false);
  });

  it('rejects unknown patch names and options, naming them', () => {
    assert.throws(() => monkey.patch('timer' as never), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_VALUE',
      message: /The "name" argument must be one of 'promises', 'timers', 'context'\. Received 'timer'/,
    });
    assert.throws(() => monkey.patch('socket' as never), { message: /gevent's 'socket' patch has no counterpart: Node's own I\/O/ });
    assert.throws(() => monkey.unpatch('ssl' as never), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => monkey.isPatched(42 as never), { message: /"name" argument/ });
    assert.throws(() => monkey.patchAll({ timer: true } as never), { message: /"options\.timer" argument must be one of/ });
    assert.throws(() => monkey.patchAll({ timers: 'yes' } as never), { name: 'TypeError', message: /"options\.timers" argument must be of type boolean/ });
    assert.throws(() => monkey.patchAll(null as never), { name: 'TypeError', message: /"options"/ });
    assert.equal(monkey.isPatched(), false, 'a rejected patchAll applies nothing');
  });

  it("getOriginal() gives Node's timer functions whether or not they are patched", () => {
    const nodeSetTimeout = globalThis.setTimeout;
    monkey.patch('timers');
    assert.notEqual(globalThis.setTimeout, nodeSetTimeout);
    assert.equal(monkey.getOriginal('setTimeout'), nodeSetTimeout);
    assert.throws(() => monkey.getOriginal('setTimer' as never), { code: 'ERR_INVALID_ARG_VALUE', message: /"name" argument must be one of 'setTimeout'/ });
  });
});
