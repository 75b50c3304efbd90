// BackdoorServer (gevent.backdoor): an interactive REPL into the running
// process over a local socket, one greenlet per connection, with helpers to
// look at the hub and its greenlets. Connect with `greenhub backdoor`, nc or
// socat. It evaluates anything it is sent: it binds to 127.0.0.1 (a port
// number) or a Unix socket (a path) unless told otherwise, a non-loopback
// address requires a token, and a token, when set, must be the first line a
// client sends.
import { createHash, timingSafeEqual } from 'node:crypto';
import * as net from 'node:net';
import * as repl from 'node:repl';
import { finished } from 'node:stream/promises';

import { getHub } from '../core/hub';
import type { Operation } from '../core/operation';
import { untilOperation } from '../core/until';
import { invalidArgType, invalidArgValue } from '../loop/errors';
import { validateObject, validateSeconds, validateString } from '../loop/validate';
import type { Address } from './address';
import { SocketTimeout } from './errors';
import { StreamServer, type StreamServerOptions } from './server';
import { Socket } from './socket';
import { socketStream } from './stream';

export interface BackdoorOptions extends StreamServerOptions {
  /** Names every session's REPL sees, besides the helpers. */
  locals?: Record<string, unknown>;
  /** The first thing a session prints (default: the process and the helpers). */
  banner?: string;
  /** A secret the client must send as its first line; required off loopback. */
  token?: string | null;
  /** The REPL prompt (default 'greenhub> '). */
  prompt?: string;
  /** Seconds a client has to send the token (default 10). */
  handshakeTimeout?: number;
}

/** A port on 127.0.0.1, a Unix socket path, a [host, port] pair or a listening Socket. */
export type BackdoorListener = number | Address | Socket;

const MAX_TOKEN_LINE = 1024;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function toAddress(listener: BackdoorListener): Address | Socket {
  if (typeof listener === 'number') {
    if (!Number.isInteger(listener) || listener < 0 || listener > 65535) {
      throw invalidArgValue('listener', 'must be a port from 0 to 65535, a path, a [host, port] pair or a Socket', listener);
    }
    return ['127.0.0.1', listener];
  }
  return listener;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export class BackdoorServer extends StreamServer {
  private readonly _locals: Record<string, unknown>;
  private readonly _banner: string | null;
  private readonly _tokenDigest: Buffer | null;
  private readonly _prompt: string;
  private readonly _handshakeTimeout: number;
  private _sessions = 0;

  constructor(listener: BackdoorListener, options: BackdoorOptions = {}) {
    validateObject('options', options as unknown);
    const { locals = {}, banner, token = null, prompt = 'greenhub> ', handshakeTimeout = 10, ...serverOptions } = options;
    validateObject('options.locals', locals);
    if (banner !== undefined) validateString('options.banner', banner);
    if (token !== null) {
      validateString('options.token', token);
      if (token.length === 0 || token.includes('\n')) throw invalidArgValue('options.token', 'must be a non-empty line', token);
    }
    validateString('options.prompt', prompt);
    validateSeconds('options.handshakeTimeout', handshakeTimeout);
    const address = toAddress(listener);
    if (Array.isArray(address) && !isLoopback(address[0]) && token === null) {
      throw invalidArgValue(
        'listener',
        'is not a loopback address: a backdoor reachable from other hosts needs options.token',
        address,
      );
    }
    const holder: { server?: BackdoorServer } = {};
    super(address, (socket) => (holder.server as BackdoorServer)._session(socket), serverOptions);
    holder.server = this;
    this._locals = { ...locals };
    this._banner = banner ?? null;
    this._tokenDigest = token === null ? null : digest(token);
    this._prompt = prompt;
    this._handshakeTimeout = handshakeTimeout;
  }

  override toString(): string {
    return super.toString().replace('StreamServer', 'BackdoorServer');
  }

  /** @internal One client: the token, then a REPL until it quits or goes. */
  *_session(socket: Socket): Operation<void> {
    const running = getHub()._running;
    if (running !== null) running.name = `backdoor session ${++this._sessions}`;
    let rest: Buffer = Buffer.alloc(0);
    if (this._tokenDigest !== null) {
      const line = yield* readTokenLine(socket, this._handshakeTimeout);
      if (line === null || !timingSafeEqual(digest(line.text), this._tokenDigest)) {
        yield* socket.sendall('greenhub backdoor: authentication failed\n');
        return;
      }
      rest = line.rest;
    }
    const stream = socketStream(socket, { closeSocket: false });
    if (rest.length > 0) stream.unshift(rest);
    stream.write(`${this._banner ?? defaultBanner()}\n`);
    const session = repl.start({
      input: stream,
      output: stream,
      prompt: this._prompt,
      terminal: false,
      useGlobal: false,
      ignoreUndefined: true,
    });
    const closed = new Promise<void>((resolve) => session.on('exit', () => resolve()));
    installHelpers(session, this._locals);
    try {
      yield* untilOperation(getHub(), closed);
      // What the REPL printed last (the answer to the last line before the
      // client's end of input) goes out before the socket closes.
      stream.end();
      yield* untilOperation(getHub(), finished(stream, { readable: false }).catch(() => undefined));
    } finally {
      session.close();
      stream.destroy();
    }
  }
}

function defaultBanner(): string {
  return (
    `greenhub backdoor into ${process.title} (pid ${process.pid}, Node ${process.version}).\n` +
    'Helpers: hub, greenlets(), dump(), greenhub, quit(). `await` works for greenhub operations.\n' +
    "globalThis is this session's own; require() and process are the process's."
  );
}

function installHelpers(session: repl.REPLServer, locals: Record<string, unknown>): void {
  const context = session.context;
  const hub = getHub();
  const helpers: Record<string, unknown> = {
    hub,
    /** The live greenlets. */
    greenlets: () => hub.liveGreenlets(),
    /** Prints hub.dump(). */
    dump: () => {
      session.output.write(`${hub.dump()}\n`);
    },
    /** Ends this session only (so do .exit and end of input). */
    quit: () => session.close(),
    exit: () => session.close(),
  };
  for (const [name, value] of Object.entries({ ...helpers, ...locals })) {
    Object.defineProperty(context, name, { value, writable: true, configurable: true, enumerable: true });
  }
  // The package itself, loaded on first use (this module is part of it).
  Object.defineProperty(context, 'greenhub', {
    configurable: true,
    enumerable: true,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    get: () => require('../index') as unknown,
  });
}

function* readTokenLine(socket: Socket, timeout: number): Operation<{ text: string; rest: Buffer } | null> {
  const chunks: Buffer[] = [];
  let length = 0;
  socket.settimeout(timeout);
  try {
    for (;;) {
      const chunk = yield* socket.recv(MAX_TOKEN_LINE);
      if (chunk.length === 0) return null;
      chunks.push(chunk);
      length += chunk.length;
      const data = Buffer.concat(chunks, length);
      const end = data.indexOf(0x0a);
      if (end >= 0) {
        const text = data.subarray(0, end).toString('utf8').replace(/\r$/, '');
        return { text, rest: data.subarray(end + 1) };
      }
      if (length >= MAX_TOKEN_LINE) return null;
    }
  } catch (error) {
    if (error instanceof SocketTimeout) return null;
    throw error;
  } finally {
    if (!socket.closed) socket.settimeout(null);
  }
}

/** @internal For the CLI: "127.0.0.1:5001", "5001" or a path, as a listener or a net.connect() target. */
export function parseBackdoorAddress(text: string): { host: string; port: number } | { path: string } {
  if (typeof text !== 'string' || text.length === 0) throw invalidArgType('address', 'a non-empty string', text);
  const portOnly = /^\d+$/.exec(text);
  if (portOnly !== null) return { host: '127.0.0.1', port: Number(text) };
  const hostPort = /^\[?([^\]/]*?)\]?:(\d+)$/.exec(text);
  if (hostPort !== null && !text.includes('/')) {
    const port = Number(hostPort[2]);
    if (port > 65535) throw invalidArgValue('address', 'has a port above 65535', text);
    return { host: hostPort[1] === '' ? '127.0.0.1' : hostPort[1], port };
  }
  if (net.isIP(text) !== 0) throw invalidArgValue('address', 'needs a port (host:port)', text);
  return { path: text };
}
