// Argument checks shared by the public API. Each throws the error Node would
// (TypeError for a wrong type, RangeError for a bad number) naming the
// argument.
import { invalidArgType, outOfRange } from './errors';

export function validateNumber(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
}

/** A duration or delay in seconds: finite and >= 0. */
export function validateSeconds(name: string, value: unknown): asserts value is number {
  validateNumber(name, value);
  if (!Number.isFinite(value) || value < 0) throw outOfRange(name, 'a finite number >= 0', value);
}

/** An optional timeout: null/undefined means "no timeout". */
export function validateTimeout(name: string, value: unknown): asserts value is number | null | undefined {
  if (value === null || value === undefined) return;
  validateSeconds(name, value);
}

export function validateInteger(name: string, value: unknown, min: number, max: number): asserts value is number {
  validateNumber(name, value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value);
  }
}

export function validateBoolean(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
}

export function validateFunction(name: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
}

export function validateString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
}

export function validateObject(name: string, value: unknown): asserts value is Record<string, unknown> {
  // An array is an object too, but never an options object: a gevent-style
  // positional argument (pool.map(fn, a, b)) must not pass silently.
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgType(name, 'of type object', value);
}
