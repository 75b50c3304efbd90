// What loop.runCallback() returns: a queued call that can be cancelled.

/** @internal Anything the loop can run from its callback queue. */
export interface Runnable {
  _runQueued(): void;
}

export class Callback<A extends unknown[] = unknown[]> implements Runnable {
  callback: ((...args: A) => unknown) | null;
  args: A | null;

  /** @internal */
  constructor(callback: (...args: A) => unknown, args: A) {
    this.callback = callback;
    this.args = args;
  }

  /** Queued and not run (nor stopped) yet. */
  get pending(): boolean {
    return this.callback !== null;
  }

  /** Cancels the call if it has not run yet. */
  stop(): void {
    this.callback = null;
    this.args = null;
  }

  close(): void {
    this.stop();
  }

  /** @internal */
  _runQueued(): void {
    const callback = this.callback;
    if (callback === null) return;
    const args = this.args as A;
    this.callback = null;
    this.args = null;
    callback(...args);
  }
}
