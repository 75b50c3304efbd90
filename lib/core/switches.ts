// assertSwitches (gevent.util.assert_switches): a test helper that fails
// when code ran too long without giving the hub a turn.
import { AssertionError } from 'node:assert';
import { performance } from 'node:perf_hooks';

import { invalidArgType, outOfRange } from '../loop/errors';
import type { GreenletResult, ResultOf } from './greenlet';
import { getHub } from './hub';
import { isThenable, type Operation, type Suspend, type Task } from './operation';
import { awaitable } from './task';
import { untilOperation } from './until';

/** What assertSwitches runs: an operation, or a function returning one (or a promise, or a value). */
export type SwitchesBody = Operation<unknown> | (() => GreenletResult);

/** assertSwitches() found code that did not switch (gevent's _FailedToSwitch). */
export class FailedToSwitchError extends AssertionError {
  /** The longest stretch, in seconds, the code ran without switching. */
  readonly longestRun: number;
  /** How many times it switched to the hub. */
  readonly switches: number;
  readonly maxBlockingTime: number | null;

  constructor(message: string, details: { longestRun: number; switches: number; maxBlockingTime: number | null }) {
    super({ message });
    this.name = 'FailedToSwitchError';
    this.longestRun = details.longestRun;
    this.switches = details.switches;
    this.maxBlockingTime = details.maxBlockingTime;
  }
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  );
}

// Drives the body's iterator itself (as yield* would) so that it can time
// each stretch the current greenlet runs: one next() is one stretch, from a
// resume to the next switch out.
function* drive(body: SwitchesBody, maxBlockingTime: number | null): Generator<Suspend, unknown, unknown> {
  const hub = getHub();
  const greenlet = hub._currentGreenlet('assertSwitches()');
  let longest = 0;
  let switches = 0;
  let started = performance.now();
  const first: unknown = typeof body === 'function' ? body.call(greenlet) : body;
  let iterator: Iterator<unknown, unknown, unknown> | null = null;
  if (isIterable(first)) iterator = first[Symbol.iterator]() as Iterator<unknown, unknown, unknown>;
  else if (isThenable(first)) iterator = untilOperation(hub, first)[Symbol.iterator]();
  let result: unknown = first;
  if (iterator !== null) {
    let done = false;
    try {
      let input: unknown;
      let isThrow = false;
      for (;;) {
        const step = isThrow ? (iterator.throw as (e: unknown) => IteratorResult<unknown>)(input) : iterator.next(input);
        longest = Math.max(longest, performance.now() - started);
        if (step.done === true) {
          done = true;
          result = step.value;
          break;
        }
        switches++;
        try {
          input = yield step.value as Suspend;
          isThrow = false;
        } catch (error) {
          // A kill or a timeout: it belongs to the body's blocking point.
          if (typeof iterator.throw !== 'function') throw error;
          input = error;
          isThrow = true;
        }
        started = performance.now();
      }
    } finally {
      if (!done) iterator.return?.();
    }
  } else {
    longest = performance.now() - started;
  }
  const seconds = longest / 1000;
  const details = { longestRun: seconds, switches, maxBlockingTime };
  if (maxBlockingTime === null && switches === 0) {
    throw new FailedToSwitchError(
      `assertSwitches: the code in greenlet "${greenlet.name}" never switched to the hub (it ran ${longest.toFixed(1)} ms)`,
      details,
    );
  }
  if (maxBlockingTime !== null && seconds > maxBlockingTime) {
    throw new FailedToSwitchError(
      `assertSwitches: the code in greenlet "${greenlet.name}" ran ${longest.toFixed(1)} ms without switching ` +
        `(maxBlockingTime ${maxBlockingTime * 1000} ms; ${switches} switch(es))`,
      details,
    );
  }
  return result;
}

const assertSwitchesTask = awaitable(drive);

/**
 * Runs `body` (an operation, or a function returning an operation, a
 * promise or a value) in the current greenlet and raises
 * FailedToSwitchError when it is done if it ran longer than
 * `maxBlockingTime` seconds between two switches to the hub, or, with
 * null, if it never switched at all. Returns what the body returned; an
 * error the body raises propagates unchecked. Awaitable from async code (it
 * then runs in a new greenlet).
 */
export function assertSwitches<R extends GreenletResult>(maxBlockingTime: number | null, body: () => R): Task<ResultOf<R>>;
export function assertSwitches<T>(maxBlockingTime: number | null, body: Operation<T>): Task<T>;
export function assertSwitches(maxBlockingTime: number | null, body: SwitchesBody): Task<unknown> {
  if (maxBlockingTime !== null) {
    if (typeof maxBlockingTime !== 'number') throw invalidArgType('maxBlockingTime', 'a number of seconds or null', maxBlockingTime);
    if (!Number.isFinite(maxBlockingTime) || maxBlockingTime < 0) {
      throw outOfRange('maxBlockingTime', 'a finite number of seconds >= 0', maxBlockingTime);
    }
  }
  if (typeof body !== 'function' && !isIterable(body)) {
    throw invalidArgType('body', 'an operation or a function', body);
  }
  return assertSwitchesTask(body, maxBlockingTime);
}
