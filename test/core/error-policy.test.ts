import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';

import { getHub, GreenletExit, sleep, spawn } from '../../lib/core';
import { runScript } from '../helpers';
import { ExpectedError } from './helpers';

class SubExpected extends ExpectedError {}

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('hub error hooks', () => {
  const hub = getHub();
  let before: NodeJS.WritableStream | null;
  let printed: () => string;

  beforeEach(() => {
    before = hub.exceptionStream;
    const { stream, text } = capture();
    hub.exceptionStream = stream;
    printed = text;
  });

  afterEach(() => {
    hub.exceptionStream = before;
    hub.expectedErrors = [];
    hub.errorPolicy = 'print';
  });

  it('expectedErrors: failures of those classes (and subclasses) are stored, not printed', async () => {
    hub.expectedErrors = [ExpectedError];
    const quiet = spawn(() => {
      throw new SubExpected('quiet');
    });
    const loud = spawn(() => {
      throw new RangeError('loud');
    });
    await sleep(0.01);
    assert.ok(quiet.exception instanceof SubExpected);
    await assert.rejects(Promise.resolve(quiet.get()), { message: 'quiet' });
    assert.ok(loud.exception instanceof RangeError);
    assert.doesNotMatch(printed(), /quiet/);
    assert.match(printed(), /RangeError: loud/);
  });

  it('expectedErrors is a frozen copy; assigning validates every entry', () => {
    const list = [ExpectedError];
    hub.expectedErrors = list;
    list.push(RangeError as never);
    assert.deepEqual(hub.expectedErrors, [ExpectedError]);
    assert.ok(Object.isFrozen(hub.expectedErrors));
    assert.throws(() => (hub.expectedErrors = 'Error' as never), { name: 'TypeError', message: /"expectedErrors" argument must be an array/ });
    assert.throws(() => (hub.expectedErrors = [ExpectedError, (() => 1) as never]), {
      name: 'TypeError',
      message: /"expectedErrors\[1\]" argument must be a class/,
    });
    assert.deepEqual(hub.expectedErrors, [ExpectedError], 'a rejected list changes nothing');
  });

  it("errorPolicy is 'print' by default and accepts only 'print' or 'exit'", () => {
    assert.equal(hub.errorPolicy, 'print');
    assert.throws(() => (hub.errorPolicy = 'crash' as never), { code: 'ERR_INVALID_ARG_VALUE', message: /"errorPolicy" argument must be 'print' or 'exit'/ });
  });

  it("errorPolicy 'exit': an unhandled greenlet error is printed and ends the process with status 1", () => {
    const result = runScript(`
      import { getHub, spawn, sleep, run } from 'lib/core';
      getHub().errorPolicy = 'exit';
      process.on('exit', (code) => console.log('exit', code));
      run(function* () {
        const g = spawn(() => { throw new TypeError('fatal one'); });
        g.name = 'doomed';
        yield* sleep(1);
        console.log('not reached');
      });
    `);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /TypeError: fatal one[\s\S]*<Greenlet "doomed" dead \(anonymous\)> failed with TypeError/);
    assert.equal(result.stdout.trim(), 'exit 1');
  });

  it("errorPolicy 'exit' spares expected errors and GreenletExit", () => {
    const result = runScript(`
      import { getHub, spawn, sleep, run } from 'lib/core';
      class Expected extends Error {}
      getHub().errorPolicy = 'exit';
      getHub().expectedErrors = [Expected];
      run(function* () {
        spawn(() => { throw new Expected('fine'); });
        const g = spawn(function* () { yield* sleep(1); });
        yield* sleep(0.01);
        yield* g.kill();
        console.log('still running');
      });
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'still running');
    assert.equal(result.stderr, '');
  });

  it('GreenletExit stays silent under any policy', async () => {
    const g = spawn(function* () {
      yield* sleep(1);
    });
    await sleep(0);
    await g.kill();
    assert.ok((g.value as unknown) instanceof GreenletExit);
    assert.equal(printed(), '');
  });
});
