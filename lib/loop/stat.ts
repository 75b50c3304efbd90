import type { Loop } from './loop';
import { invalidArgValue } from './errors';
import { validateSeconds, validateString } from './validate';
import { Watcher } from './watcher';

/** What a stat watcher saw of its path (times in milliseconds since the epoch). */
export interface StatAttributes {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
}

const FIELDS = 13;

function attributes(data: Float64Array, at: number): StatAttributes | null {
  if (data[at] === 0) return null;
  const f = (i: number): number => data[at + 1 + i];
  return {
    dev: f(0),
    ino: f(1),
    mode: f(2),
    nlink: f(3),
    uid: f(4),
    gid: f(5),
    rdev: f(6),
    size: f(7),
    blksize: f(8),
    blocks: f(9),
    atimeMs: f(10) * 1000,
    mtimeMs: f(11) * 1000,
    ctimeMs: f(12) * 1000,
  };
}

/**
 * Watches a path's attributes (libev's ev_stat): fires when the path is
 * created, deleted or changes (size, times, inode, mode, links, owner).
 * Changes are seen promptly through the kernel's notification (inotify on
 * the path's directory) and, as a fallback, by polling every `interval`
 * seconds (0 means about 5 s; the minimum is about 0.1 s).
 */
export class StatWatcher extends Watcher {
  readonly kind = 'stat' as const;
  readonly path: string;
  private _read: Float64Array | null = null;

  /** @internal */
  constructor(loop: Loop, path: string, interval: number) {
    validateString('path', path);
    if (path.length === 0 || path.includes('\0')) {
      throw invalidArgValue('path', 'must be a non-empty string without null bytes', path);
    }
    validateSeconds('interval', interval);
    super(loop, loop._openNative().statInit(path, interval));
    this.path = path;
  }

  /** The polling interval in effect (0 was replaced by the default). */
  get interval(): number {
    this._checkOpen();
    return this.loop._native.statInterval(this._id);
  }

  /** The path's attributes at the last look, or null if it did not exist. */
  get attr(): StatAttributes | null {
    return attributes(this._snapshot(), 0);
  }

  /** The attributes before the last change, or null if it did not exist. */
  get prev(): StatAttributes | null {
    return attributes(this._snapshot(), 1 + FIELDS);
  }

  private _snapshot(): Float64Array {
    if (this._read === null) {
      this._checkOpen();
      this._read = this.loop._native.statRead(this._id);
    }
    return this._read;
  }

  /** @internal */
  override _activate(): void {
    super._activate();
    this._read = null;
  }

  /** @internal */
  override _fire(revents: number): void {
    this._read = null;
    super._fire(revents);
  }
}
