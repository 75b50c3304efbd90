import { strict as assert } from 'node:assert';

import { run, sleep, spawn } from '../../lib/core';
import { IdentRegistry } from '../../lib/core/idents';

describe('greenlet idents (minimalIdent)', () => {
  it('hands out 1, 2, 3... and reuses the smallest freed number first, as gevent', () => {
    const idents = new IdentRegistry();
    assert.deepEqual([idents.alloc(), idents.alloc(), idents.alloc(), idents.alloc()], [1, 2, 3, 4]);
    idents.free(3);
    idents.free(1);
    idents.free(4);
    assert.deepEqual([idents.alloc(), idents.alloc(), idents.alloc(), idents.alloc()], [1, 3, 4, 5]);
  });

  it('keeps heap order through many frees and allocations', () => {
    const idents = new IdentRegistry();
    const taken = Array.from({ length: 200 }, () => idents.alloc());
    const freed = taken.filter((n) => n % 3 === 0 || n % 7 === 0);
    for (const n of [...freed].reverse()) idents.free(n);
    const again = freed.map(() => idents.alloc());
    assert.deepEqual(again, [...freed].sort((a, b) => a - b));
    assert.equal(idents.alloc(), 201);
  });

  it("a dead greenlet's ident goes to the next greenlet that asks, smallest first", async () => {
    await run(function* () {
      const gs = [spawn(() => 1), spawn(() => 2), spawn(() => 3)];
      const ids = gs.map((g) => g.minimalIdent);
      yield* sleep(0);
      const later = [spawn(() => 4), spawn(() => 5)];
      const reused = later.map((g) => g.minimalIdent);
      assert.deepEqual(reused, [...ids].sort((a, b) => a - b).slice(0, 2));
      yield* sleep(0);
    });
  });
});
