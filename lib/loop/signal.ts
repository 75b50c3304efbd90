import * as os from 'node:os';

import { invalidArgType, invalidArgValue } from './errors';
import type { Loop } from './loop';
import { Watcher } from './watcher';

/** The number of a signal given by number or name ('SIGINT'). */
export function signalNumber(name: string, signal: unknown): number {
  if (typeof signal === 'string') {
    const number = (os.constants.signals as Record<string, number | undefined>)[signal];
    if (number === undefined) throw invalidArgValue(name, 'must be a known signal name', signal);
    return number;
  }
  if (typeof signal !== 'number') throw invalidArgType(name, 'a signal number or name', signal);
  return signal;
}

/** The name of a signal number ('SIGTERM'), or the number as a string. */
export function signalName(signum: number): string {
  for (const [name, number] of Object.entries(os.constants.signals)) if (number === signum) return name;
  return String(signum);
}

/**
 * Fires when the process receives the signal. Several watchers (and Node's
 * own process.on() listeners) all hear it. SIGKILL and SIGSTOP cannot be
 * caught; fault signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL) are refused.
 */
export class SignalWatcher extends Watcher {
  readonly kind = 'signal' as const;
  readonly signum: number;

  /** @internal */
  constructor(loop: Loop, signal: number | NodeJS.Signals) {
    const signum = signalNumber('signum', signal);
    super(loop, loop._openNative().signalInit(signum));
    this.signum = signum;
  }

  /** 'SIGINT' for 2. */
  get signalName(): string {
    return signalName(this.signum);
  }

  /** @internal */
  override _startSyscall(): string {
    return 'sigaction';
  }
}
