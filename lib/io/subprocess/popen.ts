// Popen: a child process a greenlet can wait for (gevent.subprocess.Popen).
// Node's child_process starts and reaps it. The exit is seen two ways:
// Node's 'exit' (its SIGCHLD handler reaps during the loop's poll phase, and
// in practice comes first), and a child watcher (pidfd, status read with
// WNOWAIT, so Node's status is never stolen) that keeps the wait visible to
// the hub as a ref'd watcher and notices a child reaped behind Node's back.
// Popen is ready once Node has reaped it: after wait(), no zombie is left.
// Pipes are Unix socket pairs wrapped as green Sockets, so reading and
// writing them is the socket layer's non-blocking I/O, no Node stream in
// between.
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

import { Linkable, waitOn } from '../../core/linkable';
import type { Operation, Task } from '../../core/operation';
import { awaitable, completed } from '../../core/task';
import { ChildWatcher } from '../../loop/child';
import { invalidArgValue, outOfRange } from '../../loop/errors';
import { addon } from '../../loop/native';
import { signalNumber } from '../../loop/signal';
import { validateObject, validateTimeout } from '../../loop/validate';
import { internalWatcher, type Watcher, type WatcherListener } from '../../loop/watcher';
import { Socket } from '../socket';
import { communicateOperation, type Communication } from './communicate';
import { TimeoutExpired, type Command } from './errors';
import { commandOf, planPopen, textEncoding, type PopenOptions, type TextEncoding, type TextOptions } from './options';
import { spawnChild, type ChildStdio } from './spawn';
import { decodeText, encodeInput } from './text';

const sys = addon.syscalls;

export interface WaitTimeoutOptions {
  /** Seconds to wait at most (null: no limit); then TimeoutExpired. */
  timeout?: number | null;
}

/** Python's returncode of a waitpid status: the exit code, or minus the signal number. */
function returncodeOfStatus(status: number): number {
  const signal = status & 0x7f;
  return signal === 0 ? (status >> 8) & 0xff : -signal;
}

function returncodeOfNode(code: number | null, signal: NodeJS.Signals | null): number | null {
  if (code !== null) return code;
  if (signal !== null) return -(os.constants.signals[signal] ?? 0);
  return null;
}

const STDIO_NAMES = ['options.stdin', 'options.stdout', 'options.stderr'] as const;

function checkOpenFd(name: string, fd: number): void {
  try {
    fs.fstatSync(fd);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    e.message = `${name}: file descriptor ${fd} is not open (${e.code ?? 'error'})`;
    throw e;
  }
}

/**
 * The wait status of `pid` if it is a zombie (exited, not reaped yet), from
 * /proc/<pid>/stat (field 52, exit_code): poll() sees an exit without
 * waiting for the loop, so a `while (p.poll() === null)` loop ends.
 */
function zombieStatus(pid: number): number | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold anything.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] !== 'Z' || fields.length < 50) return null;
  const status = Number(fields[49]);
  return Number.isInteger(status) ? status : null;
}

function closeQuietly(fds: readonly number[]): void {
  for (const fd of fds) sys.close(fd);
}

export class Popen<T extends Buffer | string = Buffer> extends Linkable implements WatcherListener {
  /** The command as given. */
  readonly args: Command;
  readonly pid: number;
  /** The parent's end of the child's stdin when it is 'pipe' (write, then close() for EOF). */
  readonly stdin: Socket | null;
  /** The parent's end of the child's stdout when it is 'pipe'. */
  readonly stdout: Socket | null;
  /** The parent's end of the child's stderr when it is 'pipe'. */
  readonly stderr: Socket | null;
  /** Text mode's encoding (communicate() returns strings), or null for bytes. */
  readonly encoding: TextEncoding | null;
  /** @internal Output read and readers running across communicate() calls. */
  _communication: Communication | null = null;
  private readonly _child: ChildProcess;
  private _watcher: ChildWatcher | null = null;
  private _returncode: number | null = null;
  private _reaped = false;
  // The watcher saw the exit and Node has not reaped yet: the hub must not
  // take the wait for a deadlock meanwhile.
  private _awaitingReap = false;

  /**
   * Starts `args` (argv, or a command line with `shell`). Throws at once if
   * the program cannot start: a Node-style error with code ENOENT, EACCES,
   * EBADF (a bad fd in stdio)...
   */
  constructor(args: Command, options: PopenOptions & TextOptions = {}) {
    super();
    const plan = planPopen(args, options);
    this.encoding = textEncoding(options);
    this.args = commandOf(args);
    const hub = this.hub;
    const parentEnds: (number | null)[] = [null, null, null];
    const childEnds: number[] = [];
    const stdio: ChildStdio[] = [];
    let child: ChildProcess;
    // Checked before our own socketpairs take fd numbers: a closed fd given
    // as stdio could otherwise be reused by them and pass the spawn's check.
    plan.streams.forEach((stream, i) => {
      if (stream.kind === 'child' && typeof stream.stdio === 'number') checkOpenFd(STDIO_NAMES[i], stream.stdio);
    });
    try {
      plan.streams.forEach((stream, i) => {
        if (stream.kind === 'pipe') {
          const [parent, childEnd] = sys.socketpair(sys.constants.AF_UNIX, sys.constants.SOCK_STREAM);
          parentEnds[i] = parent;
          childEnds.push(childEnd);
          stdio[i] = childEnd;
        } else if (stream.kind === 'stdout') {
          stdio[i] = stdio[1];
        } else {
          stdio[i] = stream.stdio;
        }
      });
      child = spawnChild({
        file: plan.file,
        argv: plan.argv,
        cwd: plan.cwd,
        envPairs: plan.envPairs,
        stdio: stdio as [ChildStdio, ChildStdio, ChildStdio],
      });
    } catch (error) {
      closeQuietly(parentEnds.filter((fd): fd is number => fd !== null));
      throw error;
    } finally {
      // The child has its copies (dup2'd onto 0–2, blocking again there);
      // the parent keeps only its own ends, so EOF comes when the child
      // closes its side.
      closeQuietly(childEnds);
    }
    this._child = child;
    this.pid = child.pid as number;
    const sockets: (Socket | null)[] = [];
    try {
      for (const fd of parentEnds) sockets.push(fd === null ? null : Socket.fromFd(fd, { family: 'unix' }));
    } catch (error) {
      // No Popen to hand back: the child must not run on unobserved.
      for (const socket of sockets) socket?.close();
      closeQuietly(parentEnds.slice(sockets.length).filter((fd): fd is number => fd !== null));
      process.kill(this.pid, 'SIGKILL');
      throw error;
    }
    const [stdin, stdout, stderr] = sockets;
    this.stdin = stdin;
    this.stdout = stdout;
    this.stderr = stderr;
    child.once('exit', (code, signal) => this._onNodeExit(code, signal));
    try {
      // Right after the spawn, in the same tick: Node cannot have reaped
      // the pid yet, so the pidfd names this very process.
      const watcher = internalWatcher(() => new ChildWatcher(hub.loop, this.pid, false, {}));
      this._watcher = watcher;
      watcher._startFor(this);
    } catch {
      // No watcher (fd limit): Node's 'exit' alone ends the wait; the
      // pending count keeps the hub from calling it a deadlock.
      this._watcher?.close();
      this._watcher = null;
      this._awaitingReap = true;
      hub._pendingPromises++;
    }
  }

  /** The exit code, minus the signal number that killed it, or null while it runs. */
  get returncode(): number | null {
    return this._returncode;
  }

  /** Exited and reaped: wait() returns at once, and no zombie is left. */
  ready(): boolean {
    return this._reaped;
  }

  /**
   * The returncode if the child has exited, else null; never blocks. It
   * looks at the process itself, so a loop that only polls still sees the
   * exit.
   */
  poll(): number | null {
    if (this._returncode === null && !this._reaped) {
      const status = zombieStatus(this.pid);
      if (status !== null) this._returncode = returncodeOfStatus(status);
    }
    return this._returncode;
  }

  /**
   * Waits for the child to exit and returns its returncode. With a
   * timeout, raises TimeoutExpired (the child keeps running). When it
   * returns, Node has reaped the process: no zombie is left.
   */
  wait(options: WaitTimeoutOptions = {}): Task<number> {
    validateObject('options', options);
    validateTimeout('options.timeout', options.timeout);
    if (this._reaped) return completed(this._returncode as number);
    return popenWaitTask(this, options.timeout ?? null);
  }

  /**
   * Writes `input` to stdin (then closes it), reads stdout and stderr to
   * their end (both at once: no deadlock however much the child writes)
   * and waits for the exit. Returns [stdout, stderr] (null for a stream
   * that is not a pipe; strings in text mode). A timeout raises
   * TimeoutExpired and leaves the child running; a later call carries on
   * where this one stopped, without losing output.
   */
  communicate(input?: Buffer | Uint8Array | string | null, options: WaitTimeoutOptions = {}): Task<[T | null, T | null]> {
    validateObject('options', options);
    validateTimeout('options.timeout', options.timeout);
    const data = input === undefined || input === null ? null : encodeInput('input', input, this.encoding);
    if (data !== null && data.length > 0) {
      if (this._communication !== null) throw invalidArgValue('input', 'cannot be sent after communication has started', input);
      if (this.stdin === null) throw invalidArgValue('input', "needs the child's stdin to be a pipe (options.stdin: 'pipe')", input);
    }
    return communicateTask(this, data, options.timeout ?? null) as Task<[T | null, T | null]>;
  }

  /** Sends `signal` (a number or a name; SIGTERM by default); a no-op once the child has exited. */
  sendSignal(signal: number | NodeJS.Signals = 'SIGTERM'): void {
    const signum = signalNumber('signal', signal);
    if (!Number.isInteger(signum) || signum < 0 || signum > 64) throw outOfRange('signal', 'a signal number from 0 to 64', signal);
    // The pid stays this child's until it is reaped, zombie or not, so the
    // signal cannot reach a stranger that reused it.
    if (this.poll() !== null || this._reaped) return;
    try {
      process.kill(this.pid, signum);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ESRCH') throw error;
    }
  }

  /** SIGTERM. */
  terminate(): void {
    this.sendSignal('SIGTERM');
  }

  /** SIGKILL. */
  kill(): void {
    this.sendSignal('SIGKILL');
  }

  /**
   * Closes the parent's pipe ends and stops any communicate() readers. The
   * child is neither signalled nor waited for.
   */
  close(): void {
    this._communication?.stop();
    this.stdin?.close();
    this.stdout?.close();
    this.stderr?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  override toString(): string {
    const state = this._returncode === null ? 'running' : `returncode: ${this._returncode}`;
    return `<Popen pid=${this.pid} ${state} ${JSON.stringify(this.args)}>`;
  }

  /** @internal How a greenlet blocked on it is described. */
  _describeWait(): string {
    return `process ${this.pid} (Popen)`;
  }

  /** @internal Text mode: decodes captured output (raising for bad bytes). */
  _decode(data: Buffer | null): T | null {
    if (data === null) return null;
    return (this.encoding === null ? data : decodeText(data, this.encoding)) as T;
  }

  /** @internal The child watcher saw the exit. */
  _onWatcher(_watcher: Watcher, _revents: number): void {
    const watcher = this._watcher;
    if (watcher === null || this._reaped) return;
    const nodeKnows = this._child.exitCode !== null || this._child.signalCode !== null;
    if (watcher.rstatus < 0 && !nodeKnows) {
      // Reaped, and not by Node (a waitpid(-1) elsewhere in the process):
      // Node will never emit 'exit'. The status is lost; like Python on
      // ECHILD, call it 0 rather than wait forever.
      this._returncode ??= 0;
      this._markReaped();
      return;
    }
    if (this._returncode === null) {
      // rstatus -1: Node's reaper looked first; it has the status then.
      this._returncode =
        watcher.rstatus >= 0 ? returncodeOfStatus(watcher.rstatus) : returncodeOfNode(this._child.exitCode, this._child.signalCode as NodeJS.Signals | null);
    }
    if (nodeKnows) {
      this._markReaped();
    } else if (!this._awaitingReap) {
      // Node reaps on its SIGCHLD, which is on its way: become ready then,
      // so that a returned wait() leaves no zombie.
      this._awaitingReap = true;
      this.hub._pendingPromises++;
    }
  }

  private _onNodeExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this._returncode === null) this._returncode = returncodeOfNode(code, signal);
    this._markReaped();
  }

  private _markReaped(): void {
    if (this._reaped) return;
    this._reaped = true;
    if (this._awaitingReap) {
      this._awaitingReap = false;
      this.hub._pendingPromises--;
    }
    this._watcher?.close();
    this._watcher = null;
    this._scheduleNotify();
  }
}

const popenWaitTask = awaitable(function* popenWait(popen: Popen<Buffer | string>, timeout: number | null): Operation<number> {
  if (!(yield* waitOn(popen, timeout, 'Popen.wait()'))) throw new TimeoutExpired(popen.args, timeout as number);
  return popen.returncode as number;
});

const communicateTask = awaitable(function* communicate(
  popen: Popen<Buffer | string>,
  input: Buffer | null,
  timeout: number | null,
): Operation<[Buffer | string | null, Buffer | string | null]> {
  const [out, err] = yield* communicateOperation(popen, input, timeout);
  return [popen._decode(out), popen._decode(err)];
});
