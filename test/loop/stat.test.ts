import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ClosedError, EVENTS, Loop, STAT, StatWatcher } from '../../lib/loop';
import { BACKEND, delay, newLoop, tempDir, until } from '../helpers';

// Long enough that only the kernel's notification can explain a prompt event.
const LONG_INTERVAL = 30;
const PROMPT_MS = 2000;

describe('loop.stat', () => {
  let loop: Loop;
  let dir: string;
  beforeEach(() => {
    loop = newLoop();
    dir = tempDir();
  });
  afterEach(() => {
    loop.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a watcher and counts its events. */
  function watch(file: string, interval = LONG_INTERVAL): { w: StatWatcher; events: number[] } {
    const w = loop.stat(file, interval);
    const events: number[] = [];
    w.start((revents: number) => events.push(revents), EVENTS);
    return { w, events };
  }

  it('fires promptly when the path is created, modified and deleted', async () => {
    const file = path.join(dir, 'file');
    const { w, events } = watch(file);
    assert.equal(w.path, file);
    assert.equal(w.attr === null, true);
    await delay(20);
    assert.equal(events.length, 0);

    let t0 = Date.now();
    fs.writeFileSync(file, 'a');
    await until(() => events.length >= 1, PROMPT_MS, 'creation');
    assert.ok(Date.now() - t0 < PROMPT_MS);
    assert.equal(events[0], STAT);
    await until(() => w.attr?.size === 1, PROMPT_MS, 'the new size');
    assert.equal(w.attr?.nlink, 1);
    assert.ok(((w.attr?.mode ?? 0) & fs.constants.S_IFMT) === fs.constants.S_IFREG);

    const created = events.length;
    t0 = Date.now();
    fs.appendFileSync(file, 'bcd');
    await until(() => events.length > created && w.attr?.size === 4, PROMPT_MS, 'the modification');
    assert.equal(w.prev?.size, 1);
    assert.ok(Date.now() - t0 < PROMPT_MS);

    const modified = events.length;
    fs.unlinkSync(file);
    await until(() => events.length > modified, PROMPT_MS, 'the deletion');
    assert.equal(w.attr === null, true);
    assert.equal(w.prev?.size, 4);
    assert.equal(w.active, true);
  });

  it('sees a file replaced by rename, as editors save', async () => {
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, 'old');
    const { w, events } = watch(file);
    const before = w.attr?.ino;
    assert.ok(before !== undefined);
    const tmp = path.join(dir, 'config.tmp');
    fs.writeFileSync(tmp, 'new contents');
    fs.renameSync(tmp, file);
    await until(() => events.length > 0 && w.attr?.ino !== before, PROMPT_MS, 'the rename');
    assert.equal(w.attr?.size, 12);
    assert.equal(w.prev?.ino, before);
  });

  it('does not fire for reads or for other files in the directory', async () => {
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, 'data');
    const { events } = watch(file);
    fs.readFileSync(file);
    fs.writeFileSync(path.join(dir, 'other'), 'x');
    fs.writeFileSync(path.join(dir, 'file2'), 'x');
    await delay(200);
    assert.deepEqual(events, []);
  });

  it('is prompt while the directory does not exist yet, and after it is deleted and made again', async () => {
    const sub = path.join(dir, 'a', 'b');
    const file = path.join(sub, 'file');
    const { w, events } = watch(file);
    await delay(20);
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(file, 'x');
    await until(() => w.attr?.size === 1, PROMPT_MS, 'the creation');
    assert.equal(w.prev === null, true);

    let seen = events.length;
    fs.rmSync(path.join(dir, 'a'), { recursive: true });
    await until(() => events.length > seen && w.attr === null, PROMPT_MS, 'the deletion');

    seen = events.length;
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(file, 'xyz');
    await until(() => events.length > seen && w.attr?.size === 3, PROMPT_MS, 'the second creation');
    seen = events.length;
    fs.appendFileSync(file, '!');
    await until(() => events.length > seen && w.attr?.size === 4, PROMPT_MS, 'the change');
  });

  it('polls every `interval` for changes the kernel does not report (gevent test__core_stat)', async () => {
    const file = path.join(dir, 'file');
    const elsewhere = tempDir();
    try {
      fs.writeFileSync(file, 'a');
      // inotify on the directory does not see writes through another link.
      const link = path.join(elsewhere, 'link');
      fs.linkSync(file, link);
      const slow = watch(file);
      const polled = watch(file, 0.2);
      fs.appendFileSync(link, 'b');
      await until(() => polled.events.length > 0, 5000, 'the poll');
      assert.equal(polled.w.attr?.size, 2);
      assert.equal(polled.w.prev?.size, 1);
      if (BACKEND === 'ev') {
        // libev's inotify watches the file itself, not its directory: it
        // sees writes through any link (docs/backends.md).
        await until(() => slow.events.length > 0, PROMPT_MS, 'the inotify event');
      } else {
        assert.deepEqual(slow.events, []);
      }
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('watches a path relative to the working directory', async () => {
    const name = `.greenhub-stat-${process.pid}`;
    const absolute = path.resolve(name);
    try {
      const { w, events } = watch(name);
      fs.writeFileSync(absolute, 'x');
      await until(() => events.length > 0, PROMPT_MS, 'the creation');
      assert.equal(w.attr?.size, 1);
    } finally {
      fs.rmSync(absolute, { force: true });
    }
  });

  it('takes a fresh snapshot at each start; a stopped watcher does not fire', async () => {
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, 'a');
    const { w, events } = watch(file);
    assert.equal(w.attr?.size, 1);
    w.stop();
    fs.writeFileSync(file, 'abc');
    await delay(100);
    assert.equal(events.length, 0);
    w.start(() => events.push(-1));
    assert.equal(w.attr?.size, 3);
    await delay(100);
    assert.deepEqual(events, []);
  });

  it('reports the polling interval in effect: libev\'s default for 0 and its minimum', () => {
    assert.equal(loop.stat('/x', 0).interval, 5.0074891);
    assert.equal(loop.stat('/x', 0.01).interval, 0.1074891);
    assert.equal(loop.stat('/x', 2).interval, 2);
  });

  it('rejects bad arguments with errors that name them', () => {
    for (const bad of ['', 'a\0b']) {
      assert.throws(() => loop.stat(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /"path"/ });
    }
    for (const bad of [5, null, undefined, Buffer.from('x')]) {
      assert.throws(() => loop.stat(bad as unknown as string), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"path"/ });
    }
    for (const bad of [-1, NaN, Infinity]) {
      assert.throws(() => loop.stat('/x', bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"interval"/ });
    }
    assert.throws(() => loop.stat('/x', '1' as unknown as number), { name: 'TypeError', message: /"interval"/ });
  });

  it('refuses use after close with ClosedError', () => {
    const w = loop.stat(path.join(dir, 'x'));
    w.start(() => undefined);
    w.close();
    assert.equal(w.active, false);
    assert.throws(() => w.start(() => undefined), ClosedError);
    assert.throws(() => w.interval, ClosedError);
  });
});
