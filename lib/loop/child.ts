import { validateBoolean, validateInteger, validateObject } from './validate';
import type { Loop } from './loop';
import { signalName } from './signal';
import { Watcher } from './watcher';

export interface ChildOptions {
  /**
   * Reap the process when it exits (take its exit status away from other
   * waiters). Off by default: a process started by Node's child_process must
   * leave its status to Node.
   */
  reap?: boolean;
}

/**
 * Fires when the child process `pid` exits (and with `trace`, when it stops
 * or continues). Only children of this process can be watched. The exit
 * status stays for other waiters (Node's child_process still sees 'exit')
 * unless `reap` is set. One-shot: the watcher stops at exit.
 */
export class ChildWatcher extends Watcher {
  readonly kind = 'child' as const;
  readonly pid: number;
  readonly trace: boolean;
  /** The pid that changed state. */
  rpid = 0;
  /**
   * The raw wait status, as waitpid(2) reports it (exit 3 → 768); -1 when
   * another waiter on another thread reaped the process first.
   */
  rstatus = 0;

  /** @internal */
  constructor(loop: Loop, pid: number, trace: boolean, options: ChildOptions) {
    validateInteger('pid', pid, 1, 0x7fffffff);
    validateBoolean('trace', trace);
    validateObject('options', options);
    const reap = options.reap ?? false;
    validateBoolean('options.reap', reap);
    super(loop, loop._openNative().childInit(pid, trace, reap));
    this.pid = pid;
    this.trace = trace;
  }

  /** The exit code, or null if the process was killed (or has not exited). */
  get exitCode(): number | null {
    return this.rstatus >= 0 && (this.rstatus & 0x7f) === 0 ? (this.rstatus >> 8) & 0xff : null;
  }

  /** The name of the signal that killed the process, or null. */
  get signalCode(): string | null {
    const sig = this.rstatus & 0x7f;
    return this.rstatus >= 0 && sig !== 0 && sig !== 0x7f ? signalName(sig) : null;
  }

  /** The process stopped (trace only); `stopSignal` says why. */
  get stopped(): boolean {
    return this.rstatus >= 0 && (this.rstatus & 0xff) === 0x7f;
  }

  get stopSignal(): string | null {
    return this.stopped ? signalName((this.rstatus >> 8) & 0xff) : null;
  }

  /** The process continued after a stop (trace only). */
  get continued(): boolean {
    return this.rstatus === 0xffff;
  }

  /** @internal */
  override _startSyscall(): string {
    return 'pidfd_open';
  }

  /** @internal */
  override _fire(revents: number): void {
    const [rpid, rstatus] = this.loop._native.childStatus(this._id);
    this.rpid = rpid;
    this.rstatus = rstatus;
    super._fire(revents);
  }
}
