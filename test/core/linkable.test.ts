import { strict as assert } from 'node:assert';

import { run, sleep, spawn, wait, type Greenlet } from '../../lib/core';
import { Linkable, type LinkTarget } from '../../lib/core/linkable';

/** A Linkable whose readiness the test sets; notifies only when asked. */
class Gate extends Linkable {
  open = false;
  /** With a budget: fire at most this many links per pass (as Semaphore does). */
  budget = Infinity;

  ready(): boolean {
    return this.open;
  }

  override _keepNotifying(): boolean {
    return this.budget-- > 0;
  }
}

/** A link that carries a ticket, as a waiting greenlet does. */
class Waiter implements LinkTarget {
  _linkTicket = -1;

  constructor(
    readonly id: number,
    private readonly _fired: number[],
  ) {}

  _fireLink(): void {
    this._fired.push(this.id);
  }
}

/** The gate's link queue, white-box: the array and where it is read from. */
function queueOf(gate: Gate): { items: unknown[]; head: number; count: number } | null {
  return (gate as unknown as { _links: { items: unknown[]; head: number; count: number } | null })._links;
}

/** Every ticketed link sits at its ticket: removing it needs no search. */
function assertTicketsRight(gate: Gate): void {
  const queue = queueOf(gate);
  if (queue === null) return;
  for (let i = queue.head; i < queue.items.length; i++) {
    const link: unknown = queue.items[i];
    if (link instanceof Waiter) assert.equal(link._linkTicket, i, `waiter ${link.id} at ${i} holds ticket ${link._linkTicket}`);
  }
}

// A small deterministic PRNG, so that a failure replays.
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('Linkable links', () => {
  it('fire in registration order after any mix of adds, removals and partial passes (checked against a model)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = prng(seed);
      const gate = new Gate();
      const fired: number[] = [];
      const model: number[] = [];
      const links = new Map<number, Waiter | (() => void)>();
      let next = 0;
      for (let step = 0; step < 5000; step++) {
        const r = random();
        if (r < 0.5) {
          const id = next++;
          // Greenlet-like waiters (with a ticket) and plain callbacks, interleaved.
          const link = random() < 0.8 ? new Waiter(id, fired) : (): void => void fired.push(id);
          links.set(id, link);
          gate._addLink(link);
          model.push(id);
        } else if (r < 0.85 && model.length > 0) {
          const id = model.splice(Math.floor(random() * model.length), 1)[0];
          assert.equal(gate._removeLink(links.get(id) as Waiter), true);
          assert.equal(gate._removeLink(links.get(id) as Waiter), false, 'removed twice');
        } else {
          // A pass that stops after a few links, as a semaphore's does.
          gate.budget = Math.floor(random() * 4);
          const expected = model.splice(0, Math.min(gate.budget, model.length));
          fired.length = 0;
          gate._notifyLinks();
          assert.deepEqual(fired, expected, `seed ${seed}, step ${step}`);
        }
        assert.equal(gate.linkcount(), model.length);
        assertTicketsRight(gate);
      }
      gate.budget = Infinity;
      fired.length = 0;
      gate._notifyLinks();
      assert.deepEqual(fired, model);
      assert.equal(gate.linkcount(), 0);
    }
  });

  it('a removed waiter leaves no ticket behind: removing it again is a no-op', () => {
    const gate = new Gate();
    const fired: number[] = [];
    const [a, b, c] = [0, 1, 2].map((id) => new Waiter(id, fired));
    for (const w of [a, b, c]) gate._addLink(w);
    gate.budget = 1;
    gate._notifyLinks();
    assert.deepEqual(fired, [0]);
    assert.equal(a._linkTicket, -1);
    assert.equal(gate._removeLink(a), false);
    assert.equal(gate._removeLink(b), true);
    assert.equal(b._linkTicket, -1);
    assert.equal(gate.linkcount(), 1);
  });

  it('holes left by waiters that gave up do not pile up behind one that stays', () => {
    const gate = new Gate();
    const fired: number[] = [];
    gate._addLink(new Waiter(-1, fired));
    for (let i = 0; i < 10_000; i++) {
      const w = new Waiter(i, fired);
      gate._addLink(w);
      gate._removeLink(w);
    }
    const queue = queueOf(gate);
    assert.ok(queue !== null && queue.items.length < 100, `${queue?.items.length} slots for 1 link`);
    assert.equal(gate.linkcount(), 1);
  });

  it('a queue read to its end is emptied, however long it was', () => {
    const gate = new Gate();
    const fired: number[] = [];
    for (let i = 0; i < 1000; i++) gate._addLink(new Waiter(i, fired));
    gate._notifyLinks();
    assert.equal(fired.length, 1000);
    assert.equal(queueOf(gate)?.items.length, 0);
  });

  it('rawlink of a callback already linked does not add it again', () => {
    const gate = new Gate();
    let calls = 0;
    const callback = (): void => void calls++;
    const other = (): void => undefined;
    gate.rawlink(callback);
    gate.rawlink(callback);
    assert.equal(gate.linkcount(), 1);
    gate.rawlink(other);
    gate.rawlink(callback);
    assert.equal(gate.linkcount(), 2);
    gate._notifyLinks();
    assert.equal(calls, 1);
  });

  it('wait() by 1,000 greenlets on one object, all timing out, leaves no link; the next waiter is woken', async () => {
    await run(function* () {
      const gate = new Gate();
      const waiters: Greenlet[] = [];
      for (let i = 0; i < 1000; i++) waiters.push(spawn(() => wait([gate], { timeout: 0.2 })));
      yield* sleep(0);
      assert.equal(gate.linkcount(), 1000);
      for (const g of waiters) assert.deepEqual(yield* g.get(), []);
      assert.equal(gate.linkcount(), 0);
      const last = spawn(() => wait([gate]));
      yield* sleep(0);
      gate.open = true;
      gate._scheduleNotify();
      assert.deepEqual(yield* last.get(), [gate]);
    });
  });
});
