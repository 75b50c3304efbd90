// The set of revoked task ids a worker keeps (celery/worker/state.py:
// `revoked = LimitedSet(maxlen=50000, expires=10800)`): bounded in size and
// age, oldest entries dropped first. Celery keeps it in memory only, fed by
// `revoke` broadcasts and by other workers' answers to `hello` at start-up.
import { performance } from 'node:perf_hooks';

import { outOfRange } from '../loop/errors';

export interface RevokedSetOptions {
  /** Most ids kept (Celery: 50000). */
  maxSize?: number;
  /** Seconds an id is kept (Celery: 10800, three hours). */
  expires?: number;
}

function seconds(): number {
  return performance.now() / 1000;
}

export class RevokedSet {
  readonly maxSize: number;
  readonly expires: number;
  // Insertion order is age order: re-adding an id moves it to the end.
  #entries = new Map<string, number>();

  constructor(options: RevokedSetOptions = {}) {
    const maxSize = options.maxSize ?? 50000;
    if (!Number.isInteger(maxSize) || maxSize < 1) throw outOfRange('options.maxSize', 'an integer >= 1', maxSize);
    const expires = options.expires ?? 10800;
    if (typeof expires !== 'number' || !(expires > 0)) throw outOfRange('options.expires', 'a number of seconds > 0', expires);
    this.maxSize = maxSize;
    this.expires = expires;
  }

  get size(): number {
    this.purge();
    return this.#entries.size;
  }

  add(taskId: string, now = seconds()): void {
    this.#entries.delete(taskId);
    this.#entries.set(taskId, now);
    if (this.#entries.size > this.maxSize) this.purge(now);
  }

  has(taskId: string, now = seconds()): boolean {
    const at = this.#entries.get(taskId);
    if (at === undefined) return false;
    if (at + this.expires <= now) {
      this.#entries.delete(taskId);
      return false;
    }
    return true;
  }

  delete(taskId: string): boolean {
    return this.#entries.delete(taskId);
  }

  /** Drops ids beyond maxSize (oldest first) and ids older than `expires`. */
  purge(now = seconds()): void {
    for (const [id, at] of this.#entries) {
      if (this.#entries.size <= this.maxSize && at + this.expires > now) break;
      this.#entries.delete(id);
    }
  }

  ids(): string[] {
    this.purge();
    return [...this.#entries.keys()];
  }

  /**
   * The set as Celery's workers exchange it in `hello` replies
   * (LimitedSet._data: id -> [timestamp, id]). Python insists on a float
   * timestamp, which JSON can only show with a fraction, so whole numbers
   * are nudged off the integer.
   */
  toCelery(): Record<string, [number, string]> {
    this.purge();
    const out: Record<string, [number, string]> = {};
    for (const [id, at] of this.#entries) out[id] = [Number.isInteger(at) ? at + 1e-6 : at, id];
    return out;
  }

  /** Adds ids from a Celery `hello` payload ({id: ts} or {id: [ts, id]}) or a list; ages restart here. */
  update(other: Readonly<Record<string, unknown>> | Iterable<string>): void {
    const ids = Symbol.iterator in Object(other) ? [...(other as Iterable<string>)] : Object.keys(other);
    for (const id of ids) if (typeof id === 'string' && id !== '') this.add(id);
  }
}
