// waitRead / waitWrite: wait for readiness of any fd (one this process got
// from elsewhere: a pipe, a device, a socket another library owns).
import { getHub } from '../core/hub';
import type { Operation, Task } from '../core/operation';
import { awaitable } from '../core/task';
import { Timeout } from '../core/timeout';
import { READ, WRITE } from '../loop/constants';
import { IoWatcher } from '../loop/io';
import { validateInteger } from '../loop/validate';
import { internalWatcher } from '../loop/watcher';
import { outOfRange, invalidArgType } from '../loop/errors';

function validateWaitTimeout(timeout: unknown): asserts timeout is number | null | undefined {
  if (timeout === null || timeout === undefined) return;
  if (typeof timeout !== 'number') throw invalidArgType('timeout', 'a number of seconds or null', timeout);
  if (!Number.isFinite(timeout) || timeout < 0) throw outOfRange('timeout', 'a finite number >= 0', timeout);
}

const waitFdTask = awaitable(function* waitFd(fd: number, events: number, timeout: number | null): Operation<void> {
  const hub = getHub();
  const watcher = internalWatcher(() => new IoWatcher(hub.loop, fd, events));
  try {
    if (timeout === null) {
      yield* hub.wait(watcher);
    } else {
      yield* new Timeout(timeout).run(() => hub.wait(watcher));
    }
  } finally {
    watcher.close();
  }
});

/** Blocks until `fd` is readable; raises Timeout after `timeout` seconds. */
export function waitRead(fd: number, timeout?: number | null): Task<void> {
  validateInteger('fd', fd, 0, 0x7fffffff);
  validateWaitTimeout(timeout);
  return waitFdTask(fd, READ, timeout ?? null);
}

/** Blocks until `fd` is writable; raises Timeout after `timeout` seconds. */
export function waitWrite(fd: number, timeout?: number | null): Task<void> {
  validateInteger('fd', fd, 0, 0x7fffffff);
  validateWaitTimeout(timeout);
  return waitFdTask(fd, WRITE, timeout ?? null);
}
