// signalHandler: run a handler in a new greenlet each time a signal comes
// (gevent.signal_handler). The signal is caught through the loop's signal
// watcher (libuv's, which Node's own process.on('SIGx') shares), so Node's
// listeners and these handlers all hear it.
import { GreenletExit } from '../core/errors';
import { Greenlet, type GreenletResult } from '../core/greenlet';
import { getHub } from '../core/hub';
import { isIterator, isThenable, type Operation } from '../core/operation';
import { untilOperation } from '../core/until';
import { outOfRange } from '../loop/errors';
import { SignalWatcher, signalName, signalNumber } from '../loop/signal';
import { validateFunction } from '../loop/validate';

/**
 * gevent raises a signal handler's exception in the main greenlet. Node's
 * main flow is the process itself: the error becomes an uncaught exception
 * ('uncaughtException' listeners see it; without one, Node prints it and
 * exits with status 1), never a line on stderr that is easy to miss.
 */
function raiseInMainFlow(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}

function* runHandler(handler: (...args: unknown[]) => unknown, args: unknown[]): Operation<void> {
  try {
    const result = handler(...args);
    if (isIterator(result)) yield* result as unknown as Operation<unknown>;
    else if (isThenable(result)) yield* untilOperation(getHub(), result);
  } catch (error) {
    // A kill of the handler's greenlet is not a failure.
    if (error instanceof GreenletExit) return;
    raiseInMainFlow(error);
  }
}

export class SignalHandler implements Disposable {
  readonly signum: number;
  readonly handler: (...args: never[]) => GreenletResult;
  readonly args: readonly unknown[];
  private readonly _watcher: SignalWatcher;

  /** @internal Use signalHandler(). */
  constructor(signum: number, handler: (...args: never[]) => GreenletResult, args: unknown[]) {
    this.signum = signum;
    this.handler = handler;
    this.args = args;
    this._watcher = new SignalWatcher(getHub().loop, signum);
    // Waiting for a signal is not work: like gevent's, the handler does not
    // keep the process (or wait()) alive unless ref is set.
    this._watcher.ref = false;
    this._watcher.start(() => this._deliver());
  }

  /** 'SIGINT' for 2. */
  get signalName(): string {
    return signalName(this.signum);
  }

  /** Installed and not cancelled. */
  get active(): boolean {
    return this._watcher.active;
  }

  /** Whether the handler keeps the process alive (false by default). */
  get ref(): boolean {
    return this._watcher.ref;
  }

  set ref(value: boolean) {
    this._watcher.ref = value;
  }

  /** Uninstalls the handler; greenlets it already started go on. Idempotent. */
  cancel(): void {
    this._watcher.close();
  }

  [Symbol.dispose](): void {
    this.cancel();
  }

  toString(): string {
    return `<SignalHandler ${this.signalName} ${this.active ? 'active' : 'cancelled'}>`;
  }

  private _deliver(): void {
    const greenlet = new Greenlet(runHandler, this.handler as (...args: unknown[]) => unknown, this.args as unknown[]);
    greenlet.name = `signal-${this.signalName}`;
    greenlet.start();
  }
}

/**
 * Calls `handler(...args)` in a new greenlet each time the process gets
 * `signum` (a number or a name such as 'SIGUSR2'). The handler may be a
 * generator function (it may block), an async function or a plain one. An
 * exception it raises is an uncaught exception of the process (gevent
 * raises it in the main greenlet). SIGKILL and SIGSTOP cannot be caught.
 */
export function signalHandler<A extends unknown[]>(
  signum: number | NodeJS.Signals,
  handler: (...args: A) => GreenletResult,
  ...args: A
): SignalHandler {
  const number = signalNumber('signum', signum);
  if (!Number.isInteger(number) || number < 1 || number > 64) throw outOfRange('signum', 'a signal number from 1 to 64', signum);
  validateFunction('handler', handler);
  return new SignalHandler(number, handler as unknown as (...args: never[]) => GreenletResult, args);
}
