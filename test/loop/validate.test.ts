import { strict as assert } from 'node:assert';

import { Queue } from '../../lib/sync';
import { Loop } from '../../lib/loop';
import { validateObject } from '../../lib/loop/validate';

describe('argument validation', () => {
  it('an options argument must be a plain object, not null, a primitive or an array', () => {
    validateObject('options', {});
    for (const bad of [null, 5, 'x', true, [1, 2], []]) {
      assert.throws(() => validateObject('options', bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"options"/ });
    }
  });

  it('a gevent-style positional argument where options go is an error, not ignored', () => {
    assert.throws(() => new Queue(null, [1, 2] as unknown as object), { name: 'TypeError', message: /"options"/ });
    assert.throws(() => new Loop([] as unknown as object), { name: 'TypeError', message: /"options"/ });
  });
});
