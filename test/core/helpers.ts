// Helpers for the hub and greenlet tests.
import { getHub, type Operation } from '../../lib/core';

/** Collects what the hub's handleError receives while `body` runs. */
export async function withCapturedErrors<T>(body: (errors: [unknown, unknown][]) => Promise<T>): Promise<T> {
  const hub = getHub();
  const errors: [unknown, unknown][] = [];
  const original = hub.handleError;
  hub.handleError = (context, error) => {
    errors.push([context, error]);
  };
  try {
    return await body(errors);
  } finally {
    hub.handleError = original;
  }
}

/** Seconds since `start` (a process.hrtime.bigint() value). */
export function elapsed(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export class ExpectedError extends Error {
  constructor(message = 'expected') {
    super(message);
    this.name = 'ExpectedError';
  }
}

/** Runs an operation and returns what it threw (or undefined). */
export function* caught(body: () => Operation<unknown>): Operation<unknown> {
  try {
    yield* body();
  } catch (error) {
    return error;
  }
  return undefined;
}
