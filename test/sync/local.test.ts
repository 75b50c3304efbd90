import { strict as assert } from 'node:assert';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

import { getCurrent, run, sleep, spawn, type Greenlet } from '../../lib/core';
import { local } from '../../lib/sync';
import { withCapturedErrors } from './helpers';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Collects garbage until `done()` or a few rounds passed (finalizers run on later turns). */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !done(); i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('local (gevent test__local)', () => {
  it('each greenlet sees its own properties; a new greenlet starts empty', async () => {
    await run(function* () {
      const data = new local();
      data.x = 1;
      const child = spawn(function* () {
        const before = 'x' in data;
        data.x = 2;
        data.y = 'child';
        return { before, x: data.x, keys: Object.keys(data) };
      });
      assert.deepEqual(yield* child.get(), { before: false, x: 2, keys: ['x', 'y'] });
      assert.equal(data.x, 1);
      assert.equal('y' in data, false);
      assert.deepEqual({ ...data }, { x: 1 });
    });
  });

  it('code outside greenlets shares one view (the hub stands for gevent main)', async () => {
    const data = new local();
    data.v = 'main';
    await run(function* () {
      assert.equal(data.v, undefined);
    });
    await Promise.resolve();
    assert.equal(data.v, 'main');
  });

  it('new local(arg) on the base class is a TypeError', () => {
    const Local = local as unknown as new (x: string) => local;
    assert.throws(() => new Local('foo'), { name: 'TypeError', message: /not supported/ });
  });

  it('a subclass constructor runs again in each greenlet, with the same arguments', async () => {
    let inits = 0;
    class Conn extends local {
      opened = 0;
      constructor(readonly host: string) {
        super(host);
        inits++;
      }
      open(): number {
        return ++this.opened;
      }
    }
    await run(function* () {
      const conn = new Conn('db');
      assert.equal(inits, 1);
      assert.equal(conn.open(), 1);
      assert.equal(conn.open(), 2);
      const inChild = yield* spawn(function* () {
        return { host: conn.host, before: conn.opened, after: conn.open() };
      }).get();
      assert.deepEqual(inChild, { host: 'db', before: 0, after: 1 });
      assert.equal(inits, 2);
      assert.equal(conn.opened, 2);
      assert.ok(conn instanceof Conn && conn instanceof local);
    });
  });

  it('class members are defaults: prototype values, accessors, statics and methods are shared', async () => {
    class WithDefaults extends local {
      static created = 0;
      private _read = 42;
      get readProperty(): number {
        return this._read;
      }
      set readProperty(value: number) {
        this._read = value;
      }
      self(): this {
        return this;
      }
      static make(): WithDefaults {
        WithDefaults.created++;
        return new WithDefaults();
      }
      *[Symbol.iterator](): Generator<string> {
        yield* Object.keys(this);
      }
    }
    (WithDefaults.prototype as unknown as { path: string }).path = '';
    await run(function* () {
      const a = WithDefaults.make();
      assert.equal(a.path, '');
      assert.equal(Object.keys(a).includes('path'), false);
      a.path = '/x';
      assert.equal(Object.keys(a).includes('path'), true);
      delete a.path;
      assert.equal(a.path, '', 'deleting the override restores the class value');
      assert.equal(delete a.path, true, 'deleting a missing property is fine in JS');
      assert.equal(a.readProperty, 42);
      a.readProperty = 1;
      assert.equal(a.readProperty, 1);
      assert.equal(a.self(), a);
      assert.deepEqual([...a], ['_read']);
      const child = yield* spawn(function* () {
        return { read: a.readProperty, created: WithDefaults.created };
      }).get();
      assert.deepEqual(child, { read: 42, created: 1 });
    });
  });

  it('a constructor that throws in a greenlet raises there on every access, and locals it makes are new ones', async () => {
    let failNext = false;
    class Inner extends local {
      n = 1;
    }
    class Fragile extends local {
      inner = new Inner();
      constructor() {
        super();
        if (failNext) throw new Error('init failed');
      }
      get double(): number {
        return (this.inner as Inner).n * 2;
      }
    }
    await run(function* () {
      const f = new Fragile();
      assert.equal(f.double, 2);
      failNext = true;
      const child = spawn(function* () {
        const errors: string[] = [];
        for (let i = 0; i < 2; i++) {
          try {
            void f.inner;
          } catch (e) {
            errors.push((e as Error).message);
          }
        }
        failNext = false;
        return { errors, double: f.double, fresh: f.inner !== undefined };
      });
      assert.deepEqual(yield* child.get(), { errors: ['init failed', 'init failed'], double: 2, fresh: true });
      assert.ok(f.inner instanceof Inner);
    });
  });

  it("an accessor defined on one greenlet's view sees the local as this", () => {
    const data = new local();
    Object.defineProperty(data, 'self', {
      get(this: local) {
        return this;
      },
      enumerable: true,
    });
    assert.equal(data.self, data);
  });

  it('properties cannot be made non-configurable; the object cannot be frozen', () => {
    const data = new local();
    assert.throws(() => Object.defineProperty(data, 'x', { value: 1, configurable: false }), TypeError);
    assert.throws(() => Object.freeze(data), TypeError);
    Object.defineProperty(data, 'y', { value: 2, enumerable: true, writable: true });
    assert.equal(data.y, 2);
  });

  it('private #fields are not supported in a subclass: the second greenlet gets a TypeError', async () => {
    class Secret extends local {
      #hidden = 1;
      reveal(): number {
        return this.#hidden;
      }
    }
    await withCapturedErrors(() =>
      run(function* () {
        const s = new Secret();
        assert.equal(s.reveal(), 1);
        const child: Greenlet = spawn(() => s.reveal());
        yield* child.join();
        assert.ok(child.exception instanceof TypeError);
      }),
    );
  });

  it("a greenlet's view is dropped when it dies, and a dropped local frees its views", async () => {
    const finalized = { sentinels: 0 };
    const registry = new FinalizationRegistry(() => {
      finalized.sentinels++;
    });
    class Tracked extends local {
      sentinel = {};
      constructor() {
        super();
        registry.register(this.sentinel, null);
      }
    }
    const shared = new Tracked();
    // The dead greenlets stay referenced: their views must go all the same.
    let gs: Greenlet[] = [];
    await run(function* () {
      gs = Array.from({ length: 5 }, () => spawn(() => void shared.sentinel));
      for (const g of gs) yield* g.join();
      yield* sleep(0);
    });
    await collectUntil(() => finalized.sentinels >= 5);
    assert.equal(finalized.sentinels, 5, "the 5 greenlets' views were freed");
    assert.equal(gs.length, 5);

    let added = -1;
    await run(function* () {
      const me = getCurrent() as Greenlet;
      const before = me.linkcount();
      for (let i = 0; i < 1000; i++) new Tracked().sentinel = {};
      added = me.linkcount() - before;
    });
    await collectUntil(() => finalized.sentinels >= 5 + 2000);
    assert.ok(finalized.sentinels >= 5 + 1000, `finalized ${finalized.sentinels}`);
    assert.equal(added, 1, 'one link on the greenlet, whatever the number of locals');
    void shared;
  });
});
