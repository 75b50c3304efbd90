// StreamServer: accepts connections and runs a handler per connection in
// its own greenlet (gevent's StreamServer). The handler's socket is closed
// when the handler returns.
import { BlockingSwitchOutError } from '../core/errors';
import { Greenlet, spawn, type GreenletResult } from '../core/greenlet';
import { getHub } from '../core/hub';
import { isIterator, isThenable, type Operation, type Task } from '../core/operation';
import { sleep } from '../core/sleep';
import { awaitable, completed } from '../core/task';
import { untilOperation } from '../core/until';
import { joinAll, killAll } from '../core/wait';
import { invalidArgType, invalidArgValue } from '../loop/errors';
import { validateBoolean, validateFunction, validateInteger, validateObject } from '../loop/validate';
import { Pool } from '../sync/pool';
import { validateAddress, type Address, type SocketFamily } from './address';
import { Socket, tryAccept, waitAcceptable } from './socket';

/** Something that runs greenlets with a bound on how many at once (a Pool). */
export interface GreenletPool {
  /** Starts `fn(...args)` in a new greenlet, waiting while the pool is full. */
  spawn(fn: (...args: never[]) => GreenletResult, ...args: unknown[]): Operation<Greenlet> | Greenlet;
  full(): boolean;
  waitAvailable(timeout?: number | null): Operation<unknown>;
}

/**
 * How handlers run: 'default' (a new greenlet each), a Pool (accepting
 * pauses while it is full), a number (a Pool of that size), or null (in the
 * hub itself: the handler must not block, or it fails with
 * BlockingSwitchOutError).
 */
export type SpawnOption = 'default' | number | GreenletPool | null;

export interface ServerOptions {
  spawn?: SpawnOption;
}

export interface StreamServerOptions extends ServerOptions {
  /** listen() backlog (only with an address; default 511). */
  backlog?: number;
  /** SO_REUSEPORT: several processes accept on one port (prefork). */
  reusePort?: boolean;
  /** Connections accepted per wake-up before other greenlets get a turn (default 100). */
  maxAccept?: number;
}

export interface StopOptions {
  /** Seconds handlers in flight may take before they are killed (default 1). */
  timeout?: number;
}

export type ConnectionHandler = (socket: Socket, address: Address) => GreenletResult;

const FATAL_ACCEPT_ERRORS = new Set(['EBADF', 'EINVAL', 'ENOTSOCK']);
const RESOURCE_ACCEPT_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM']);
const MIN_DELAY = 0.01;
const MAX_DELAY = 1;

/** The family an address belongs to: a path is Unix, a host with ':' IPv6. */
export function familyOf(address: Address): SocketFamily {
  if (typeof address === 'string') return 'unix';
  return address[0].includes(':') ? 'inet6' : 'inet';
}

/**
 * @internal A server's own socket: SO_REUSEADDR (and SO_REUSEPORT if asked)
 * set, bound to `address`, listening when a backlog is given.
 */
export function bindServerSocket(address: Address, type: 'stream' | 'dgram', reusePort: boolean, backlog: number | null): Socket {
  const socket = new Socket({ family: familyOf(address), type });
  try {
    const C = Socket.constants;
    if (typeof address !== 'string') socket.setsockopt(C.SOL_SOCKET, C.SO_REUSEADDR, 1);
    if (reusePort) socket.setsockopt(C.SOL_SOCKET, C.SO_REUSEPORT, 1);
    socket.bind(address);
    if (backlog !== null) socket.listen(backlog);
  } catch (error) {
    socket.close();
    throw error;
  }
  return socket;
}

/** @internal Runs a handler's result (operation, promise or value) to the end. */
export function* runResult(result: GreenletResult): Operation<unknown> {
  if (isIterator(result)) return yield* result as unknown as Operation<unknown>;
  if (isThenable(result)) return yield* untilOperation(getHub(), result);
  return result;
}

/** @internal What every server shares: the spawn policy and the handlers in flight. */
export abstract class BaseServer {
  /** Greenlets running handlers now. */
  protected readonly _handlers = new Set<Greenlet>();
  protected readonly _spawn: 'default' | GreenletPool | null;
  protected _loop: Greenlet | null = null;
  protected _closed = false;

  constructor(options: ServerOptions) {
    const spawnOption = options.spawn === undefined ? 'default' : options.spawn;
    if (typeof spawnOption === 'number') {
      validateInteger('options.spawn', spawnOption, 1, 0x7fffffff);
      this._spawn = new Pool(spawnOption);
      return;
    }
    if (
      spawnOption !== 'default' &&
      spawnOption !== null &&
      (typeof spawnOption !== 'object' || typeof (spawnOption as GreenletPool).spawn !== 'function')
    ) {
      throw invalidArgType('options.spawn', "'default', a pool size, a Pool or null", spawnOption);
    }
    this._spawn = spawnOption as 'default' | GreenletPool | null;
  }

  get started(): boolean {
    return !this._closed && this._loop !== null && !this._loop.dead;
  }

  get closed(): boolean {
    return this._closed;
  }

  /** Starts serving (binding and listening first if needed); a no-op if started. */
  start(): void {
    if (this._closed) throw Object.assign(new Error('the server is closed'), { code: 'ERR_SERVER_CLOSED' });
    if (this.started) return;
    this._open();
    this._loop = spawn(() => this._serve());
    this._loop.name = `${this.constructor.name} loop`;
  }

  /** Starts and blocks until the server is stopped. */
  serveForever(): Task<void> {
    this.start();
    return serveTask(this._loop as Greenlet);
  }

  /**
   * Stops accepting and closes the listening socket at once; the returned
   * task waits for handlers in flight, up to `timeout` seconds (default 1),
   * then kills those still running.
   */
  stop(options: StopOptions = {}): Task<void> {
    validateObject('options', options as unknown);
    const timeout = options.timeout ?? 1;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
      throw invalidArgValue('options.timeout', 'must be a finite number >= 0', timeout);
    }
    this.close();
    if (this._handlers.size === 0) return completed(undefined);
    return drainTask([...this._handlers], timeout);
  }

  /** Stops accepting and closes the listening socket, leaving handlers alone. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    this._loop?.kill();
    this._close();
  }

  protected abstract _open(): void;
  protected abstract _close(): void;
  protected abstract _serve(): Operation<void>;

  /** Runs `body(...args)` for one connection or datagram, as the spawn policy says. */
  protected _dispatch(body: (...args: never[]) => GreenletResult, ...args: unknown[]): Operation<void> {
    return this._spawnHandler(body, args, null);
  }

  /**
   * _dispatch() for `body(...args)`, closing `socket` when it is done (a
   * connection's handler). The close is done by the greenlet's own body
   * rather than by a generator around the handler's: every switch in and
   * out of the greenlet goes through each level of yield*.
   */
  protected *_spawnHandler(body: (...args: never[]) => GreenletResult, args: unknown[], socket: Socket | null): Operation<void> {
    const policy = this._spawn;
    if (policy === null) {
      if (socket === null) this._runInHub(body, args);
      else this._runInHub(handleConnection as (...a: never[]) => GreenletResult, [body, ...args]);
      return;
    }
    const handlers = this._handlers;
    if (policy === 'default') {
      spawn(tracked, handlers, body, args, socket);
      return;
    }
    const started =
      policy instanceof Pool
        ? policy.spawn(tracked, handlers, body, args, socket)
        : // Another pool object: its spawn() gets a body without arguments, as it always did.
          policy.spawn(function* (this: Greenlet): Operation<unknown> {
            return yield* tracked.call(this, handlers, body, args, socket);
          });
    if (!(started instanceof Greenlet)) yield* started;
  }

  /** spawn: null — the handler runs in the hub and must not block. */
  private _runInHub(body: (...args: never[]) => GreenletResult, args: unknown[]): void {
    const hub = getHub();
    const running = hub._running;
    // Outside every greenlet: a blocking call fails as gevent's does.
    hub._running = null;
    try {
      const result = (body as (...a: unknown[]) => GreenletResult)(...args);
      if (isIterator(result)) {
        const step = (result as Iterator<unknown>).next();
        if (step.done !== true) throw new BlockingSwitchOutError();
      }
    } catch (error) {
      hub.handleError(this, error);
    } finally {
      hub._running = running;
    }
  }
}

/**
 * A handler's greenlet: `body(...args)`, then `socket` (if any) closes, and
 * the server forgets the greenlet. One generator function for all of them
 * (not a closure per handler): a closure's generators would each have their
 * own prototype, and the hub's resume of them would see a new shape per
 * connection (a megamorphic lookup of next() on every switch).
 */
function* tracked(
  this: Greenlet,
  handlers: Set<Greenlet>,
  body: (...args: never[]) => GreenletResult,
  args: unknown[],
  socket: Socket | null,
): Operation<unknown> {
  handlers.add(this);
  try {
    try {
      // runResult() inlined for a generator body: every switch in and out
      // of the greenlet goes through each level of yield*.
      const result = (body as (...a: unknown[]) => GreenletResult)(...args);
      return isIterator(result) ? yield* result as Operation<unknown> : yield* runResult(result);
    } finally {
      socket?.close();
    }
  } finally {
    handlers.delete(this);
  }
}

/** A connection's handler run in the hub (spawn: null): the handler, then the socket closes (as in gevent). */
function* handleConnection(handle: ConnectionHandler, socket: Socket, address: Address): Operation<unknown> {
  try {
    const result = handle(socket, address);
    return isIterator(result) ? yield* result as Operation<unknown> : yield* runResult(result);
  } finally {
    socket.close();
  }
}

const serveTask = awaitable(function* serve(loop: Greenlet): Operation<void> {
  yield* loop.join();
});

const drainTask = awaitable(function* drain(handlers: Greenlet[], timeout: number): Operation<void> {
  yield* joinAll(handlers, { timeout });
  const left = handlers.filter((g) => !g.dead);
  if (left.length > 0) yield* killAll(left);
});

/**
 * A TCP (or Unix stream) server: `handle(socket, address)` runs for each
 * connection in its own greenlet; the socket closes when it returns.
 */
export class StreamServer extends BaseServer {
  private _listener: Socket | null = null;
  private readonly _bindTo: Address | null;
  private readonly _backlog: number;
  private readonly _reusePort: boolean;
  private readonly _maxAccept: number;
  private readonly _handle: ConnectionHandler;

  constructor(listener: Address | Socket, handle: ConnectionHandler, options: StreamServerOptions = {}) {
    validateObject('options', options as unknown);
    super(options);
    validateFunction('handle', handle);
    this._handle = handle;
    if (listener instanceof Socket) {
      if (options.backlog !== undefined) {
        throw invalidArgType('options.backlog', 'undefined with a socket listener (the socket listens already)', options.backlog);
      }
      this._listener = listener;
      this._bindTo = null;
    } else {
      if (typeof listener !== 'string' && !(Array.isArray(listener) && typeof listener[0] === 'string')) {
        throw invalidArgType('listener', 'a [host, port] array, a Unix socket path or a Socket', listener);
      }
      this._bindTo = validateAddress('listener', familyOf(listener), listener);
    }
    this._backlog = options.backlog ?? 511;
    validateInteger('options.backlog', this._backlog, 0, 0x7fffffff);
    this._reusePort = options.reusePort ?? false;
    validateBoolean('options.reusePort', this._reusePort);
    this._maxAccept = options.maxAccept ?? 100;
    validateInteger('options.maxAccept', this._maxAccept, 1, 0x7fffffff);
  }

  /** The listening socket (null before start() when made from an address). */
  get socket(): Socket | null {
    return this._listener;
  }

  /** The address it listens on (the real port once bound to port 0). */
  get address(): Address {
    if (this._listener !== null && !this._listener.closed) return this._listener.getsockname();
    if (this._bindTo === null) throw Object.assign(new Error('the server has no address'), { code: 'ERR_SERVER_CLOSED' });
    return this._bindTo;
  }

  protected _open(): void {
    if (this._listener !== null) return;
    this._listener = bindServerSocket(this._bindTo as Address, 'stream', this._reusePort, this._backlog);
  }

  protected _close(): void {
    this._listener?.close();
  }

  protected *_serve(): Operation<void> {
    const listener = this._listener as Socket;
    const hub = getHub();
    let delay = 0;
    for (;;) {
      let accepted = 0;
      while (accepted < this._maxAccept) {
        const policy = this._spawn;
        if (policy !== null && policy !== 'default' && policy.full()) yield* policy.waitAvailable();
        let connection: ReturnType<typeof tryAccept>;
        try {
          connection = tryAccept(listener);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? '';
          if (FATAL_ACCEPT_ERRORS.has(code) || listener.closed) return;
          hub.handleError(this, error);
          if (RESOURCE_ACCEPT_ERRORS.has(code)) {
            // Out of fds or memory: back off instead of spinning on a
            // connection we cannot take yet.
            delay = delay === 0 ? MIN_DELAY : Math.min(delay * 2, MAX_DELAY);
            yield* sleep(delay);
          }
          continue;
        }
        if (connection === null) break;
        delay = 0;
        accepted++;
        // The handler, then the socket closes (as in gevent).
        yield* this._spawnHandler(this._handle as (...args: never[]) => GreenletResult, connection, connection[0]);
      }
      if (accepted >= this._maxAccept) yield* sleep(0);
      else yield* waitAcceptable(listener);
    }
  }

  override toString(): string {
    return `<StreamServer ${JSON.stringify(this._listener && !this._listener.closed ? this.address : this._bindTo)}>`;
  }
}

