// The inputs of Pool/Group map(): a plain iterable, an async iterable, or
// something whose items are waited for (a queue, a channel). A feeder
// pulls them one by one as an operation.
import { invalidArgType } from '../loop/errors';
import type { Operation } from '../core/operation';
import { until } from '../core/until';
import type { GreenIterable, GreenIterator } from './iterator';

/** What map(), imap() and imapUnordered() take items from. */
export type MapSource<T> = Iterable<T> | AsyncIterable<T> | GreenIterable<T>;

/** @internal One of the three kinds, opened. */
export interface OpenSource<T> {
  /** Set for plain iterables: next() without an operation. */
  readonly sync: Iterator<T> | null;
  /** The next item, waiting if needed. */
  pull(): Operation<IteratorResult<T, unknown>>;
  close(): void;
}

function isGreenIterable<T>(source: unknown): source is GreenIterable<T> {
  return source !== null && typeof source === 'object' && typeof (source as GreenIterable<T>).iter === 'function';
}

/** @internal TypeError naming `name` unless `source` is a MapSource. */
export function validateSource(name: string, source: unknown): void {
  const ok =
    source !== null &&
    typeof source === 'object' &&
    (typeof (source as GreenIterable<unknown>).iter === 'function' ||
      typeof (source as Iterable<unknown>)[Symbol.iterator] === 'function' ||
      typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function');
  if (!ok) throw invalidArgType(name, 'an iterable, an async iterable, or a queue or channel', source);
}

/** @internal Validates and opens a map source; TypeError names `name`. */
export function openSource<T>(name: string, source: MapSource<T>): OpenSource<T> {
  if (isGreenIterable<T>(source)) {
    const it: GreenIterator<T> = source.iter();
    return {
      sync: null,
      *pull() {
        return yield* it.next();
      },
      close: () => it.close(),
    };
  }
  if (source !== null && typeof source === 'object' && typeof (source as Iterable<T>)[Symbol.iterator] === 'function') {
    const it = (source as Iterable<T>)[Symbol.iterator]();
    return {
      sync: it,
      *pull() {
        return it.next();
      },
      close: () => void it.return?.(),
    };
  }
  if (source !== null && typeof source === 'object' && typeof (source as AsyncIterable<T>)[Symbol.asyncIterator] === 'function') {
    const it = (source as AsyncIterable<T>)[Symbol.asyncIterator]();
    return {
      sync: null,
      *pull() {
        return yield* until(it.next());
      },
      close: () => void it.return?.(),
    };
  }
  throw invalidArgType(name, 'an iterable, an async iterable, or a queue or channel', source);
}
