// The compiled addon and the shape of what it exports. Only lib/loop talks
// to it; everything above goes through the typed Loop and watchers.
import * as path from 'node:path';

/** The flat functions of one native loop; ids name watchers. */
export interface NativeLoop {
  readonly backend: string;
  readonly minPriority: number;
  readonly maxPriority: number;
  /** [0]: events waiting in the ring; [2]: greenlets waiting on fds; [3]: fd poller ref'd. */
  readonly state: Int32Array;
  /** One byte per watcher id for fd watchers: ready and waiting bits (see fd.ts). */
  readonly fdState: Uint8Array;
  /** (watcher id, revents) pairs; replaced when the addon grows it. */
  readonly ring: Int32Array;
  start(id: number): number;
  stop(id: number): void;
  close(id: number): void;
  setRef(id: number, ref: boolean): void;
  setPriority(id: number, priority: number): void;
  now(): number;
  updateNow(): void;
  wake(): void;
  closeLoop(): void;
  timerInit(after: number, repeat: number): number;
  timerSet(id: number, after: number, repeat: number): void;
  timerAgain(id: number): number;
  timerRemaining(id: number): number;
  ioInit(fd: number, events: number): number;
  ioSet(id: number, fd: number, events: number): void;
  signalInit(signum: number): number;
  childInit(pid: number, trace: boolean, reap: boolean): number;
  childStatus(id: number): [number, number];
  periodicInit(offset: number, interval: number, manual: boolean): number;
  periodicSet(id: number, offset: number, interval: number, manual: boolean): void;
  periodicAt(id: number): number;
  periodicSetAt(id: number, at: number): number;
  statInit(path: string, interval: number): number;
  statRead(id: number): Float64Array;
  statInterval(id: number): number;
  idleInit(): number;
  prepareInit(): number;
  checkInit(): number;
  asyncInit(): number;
  asyncSend(id: number): void;
  asyncToken(id: number): number;
  fdInit(fd: number): number;
  fdRef(): void;
}

/** [family, host, port] (AF_UNIX: [family, path, 0]). */
export type NativeAddress = [number, string, number];

/** fd and socket syscalls; hot ones return counts or negative errnos. */
export interface NativeSyscalls {
  pipe(): [number, number];
  socketpair(domain: number, type: number): [number, number];
  read(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  write(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  close(fd: number): number;
  setNonBlocking(fd: number, on: boolean): number;
  socket(family: number, type: number, protocol: number): number;
  bind(fd: number, family: number, host: string, port: number): number;
  connect(fd: number, family: number, host: string, port: number): number;
  listen(fd: number, backlog: number): number;
  accept(fd: number): [number, number, string, number] | number;
  recv(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  send(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  sendv(fd: number, buffers: Uint8Array[]): number;
  recvfrom(fd: number, buffer: Uint8Array, offset: number, length: number): [number, number, string, number] | number;
  sendto(fd: number, buffer: Uint8Array, offset: number, length: number, family: number, host: string, port: number): number;
  shutdown(fd: number, how: number): number;
  getsockopt(fd: number, level: number, name: number): number;
  setsockopt(fd: number, level: number, name: number, value: number): void;
  getsockname(fd: number): NativeAddress;
  getpeername(fd: number): NativeAddress;
  readonly constants: Readonly<Record<string, number>>;
}

export interface Addon {
  /** `dispatch` runs once per loop phase with events waiting in `ring` (or work queued). */
  createLoop(backend: string, dispatch: () => void): NativeLoop;
  asyncSend(token: number): boolean;
  periodicNext(offset: number, interval: number, now: number): number;
  wallClock(): number;
  /** Starts this thread's blocking watchdog (native/monitor/watchdog.h); returns the slots it shares. */
  monitorStart(maxBlockingMs: number, asyncToken: number, captureStacks: boolean): Int32Array;
  /** Stops it; false when none ran. */
  monitorStop(): boolean;
  /** The unreported block: [culprit ident, blocked ms, stack], or null. */
  monitorTake(): [number, number, string] | null;
  readonly backends: readonly string[];
  readonly syscalls: NativeSyscalls;
}

function load(): Addon {
  // lib/loop and dist/loop are both two levels below the package root.
  const root = path.resolve(__dirname, '..', '..');
  // GREENHUB_ADDON picks another build, such as the sanitized one that
  // `npm run test:asan` makes in build/Debug.
  const chosen = process.env.GREENHUB_ADDON;
  const candidates = chosen ? [chosen] : ['build/Release/greenhub.node', 'build/Debug/greenhub.node'];
  let firstError: unknown;
  for (const candidate of candidates) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(path.resolve(root, candidate)) as Addon;
    } catch (error) {
      firstError ??= error;
    }
  }
  const error = new Error(
    `greenhub's native addon is not built (looked for ${candidates.join(', ')} in ${root}); run npm install`,
  );
  (error as Error & { cause: unknown }).cause = firstError;
  throw error;
}

export const addon: Addon = load();
