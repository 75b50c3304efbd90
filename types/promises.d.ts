// Opt-in typing for greenhub's promises patch: `import 'greenhub/promises'`
// (which also applies the patch) makes `yield* promise` type as the
// promise's value inside a greenlet's generator. Not part of greenhub's
// main typings, so that projects that do not patch keep a type error for
// `yield*` on a promise (which fails at run time without the patch).
import type { Suspend } from '../dist/index';

declare global {
  interface Promise<T> {
    /** greenhub's promises patch: wait for the promise inside a greenlet (`yield* promise`). */
    [Symbol.iterator](): Iterator<Suspend, Awaited<T>, unknown>;
  }
}

export {};
