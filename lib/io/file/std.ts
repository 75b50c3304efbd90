// Green stdin, stdout and stderr. A pipe, FIFO or terminal on fd 0–2 is
// reopened through /proc/self/fd/N: the new open file is ours alone, so it
// can be non-blocking without changing fd N for Node's process.stdin /
// process.stdout or for the processes sharing it (a shell's terminal left
// non-blocking breaks the shell). A socket cannot be reopened: it is used
// as is and made non-blocking. A regular file (`< file`, `> file`) goes
// through fs at the fd's own position.
import * as fs from 'node:fs';

import { File } from './file';
import { rawFor } from './open';
import { PollRaw } from './raw';

const NAMES = ['<stdin>', '<stdout>', '<stderr>'];
const files: (File | null)[] = [null, null, null];

function adopt(fd: 0 | 1 | 2): File {
  const stats = fs.fstatSync(fd);
  if (stats.isFIFO() || stats.isCharacterDevice()) {
    let own = -1;
    try {
      own = fs.openSync(`/proc/self/fd/${fd}`, (fd === 0 ? fs.constants.O_RDONLY : fs.constants.O_WRONLY) | fs.constants.O_NONBLOCK);
    } catch {
      // No /proc, or a pipe without a reader to open against: use fd N.
    }
    if (own >= 0) return new File(new PollRaw(own, true), NAMES[fd]);
  }
  // The std fd itself is never closed by File.close().
  return new File(rawFor(fd, stats, false, false, null), NAMES[fd]);
}

function std(fd: 0 | 1 | 2): File {
  let file = files[fd];
  if (file === null || file.closed) file = files[fd] = adopt(fd);
  return file;
}

/** A green File reading this process's stdin (one per thread; close() lets fd 0 be). */
export function stdin(): File {
  return std(0);
}

/** A green File writing this process's stdout. */
export function stdout(): File {
  return std(1);
}

/** A green File writing this process's stderr. */
export function stderr(): File {
  return std(2);
}
