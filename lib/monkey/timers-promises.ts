// node:timers/promises on the hub's loop (the timers patch): setTimeout,
// setImmediate and setInterval with Node's options ({ signal, ref }), its
// argument errors (as rejections) and its AbortError.
import { getHub } from '../core/hub';
import { invalidArgType } from '../loop/errors';
import { GreenImmediate, greenSetImmediate } from './immediate';
import { coerceDelay, GreenTimeout } from './timeout';

export interface TimerOptions {
  /** false: the timer does not keep the process alive (default true). */
  ref?: boolean;
  /** Aborting it cancels the timer and rejects with an AbortError. */
  signal?: AbortSignal;
}

/** Node's AbortError (code ABORT_ERR), which timers/promises rejects with. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

function checkOptions(options: unknown): { ref: boolean; signal: AbortSignal | undefined } {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const { ref, signal } = options as TimerOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  if (ref !== undefined && typeof ref !== 'boolean') throw invalidArgType('options.ref', 'of type boolean', ref);
  return { ref: ref ?? true, signal };
}

function aborted(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason });
}

/** Resolves with `value` after `delay` ms (timers/promises.setTimeout). */
export function setTimeout<T = void>(delay?: number, value?: T, options: TimerOptions = {}): Promise<T> {
  let checked: ReturnType<typeof checkOptions>;
  try {
    if (delay !== undefined && typeof delay !== 'number') throw invalidArgType('delay', 'of type number', delay);
    checked = checkOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  const { ref, signal } = checked;
  if (signal?.aborted) return Promise.reject(aborted(signal));
  let onAbort: (() => void) | undefined;
  const promise = new Promise<T>((resolve, reject) => {
    const timeout = new GreenTimeout(getHub().loop, () => resolve(value as T), coerceDelay(delay), undefined, false);
    if (!ref) timeout.unref();
    if (signal !== undefined) {
      onAbort = () => {
        timeout._clear();
        reject(aborted(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  return onAbort === undefined ? promise : promise.finally(() => signal?.removeEventListener('abort', onAbort as () => void));
}

/** Resolves with `value` on the next check phase (timers/promises.setImmediate). */
export function setImmediate<T = void>(value?: T, options: TimerOptions = {}): Promise<T> {
  let checked: ReturnType<typeof checkOptions>;
  try {
    checked = checkOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  const { ref, signal } = checked;
  if (signal?.aborted) return Promise.reject(aborted(signal));
  let onAbort: (() => void) | undefined;
  const promise = new Promise<T>((resolve, reject) => {
    const immediate: GreenImmediate = greenSetImmediate(() => resolve(value as T));
    if (!ref) immediate.unref();
    if (signal !== undefined) {
      onAbort = () => {
        immediate._clear();
        reject(aborted(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  return onAbort === undefined ? promise : promise.finally(() => signal?.removeEventListener('abort', onAbort as () => void));
}

/**
 * Yields `value` every `delay` ms (timers/promises.setInterval); ticks that
 * come while the consumer is busy are yielded back to back, as Node does.
 */
export async function* setInterval<T = void>(delay?: number, value?: T, options: TimerOptions = {}): AsyncGenerator<T, void, unknown> {
  const { ref, signal } = checkOptions(options);
  if (signal?.aborted) throw aborted(signal);
  let due = 0;
  let wake: ((error?: unknown) => void) | null = null;
  const interval = new GreenTimeout(
    getHub().loop,
    () => {
      due++;
      wake?.();
      wake = null;
    },
    coerceDelay(delay),
    undefined,
    true,
  );
  if (!ref) interval.unref();
  const onAbort = (): void => {
    interval._clear();
    wake?.(aborted(signal as AbortSignal));
    wake = null;
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    while (signal?.aborted !== true) {
      if (due === 0) {
        await new Promise<void>((resolve, reject) => {
          wake = (error) => (error === undefined ? resolve() : reject(error));
        });
      }
      for (; due > 0; due--) yield value as T;
    }
    throw aborted(signal);
  } finally {
    interval._clear();
    signal?.removeEventListener('abort', onAbort);
  }
}
