// HttpServer: HTTP/1.1 on greenlets (gevent.pywsgi's role). One greenlet
// per connection runs the requests on it in order; handlers are sequential
// code: function* (req, res) { ... yield* res.end('hi') }.
import { getHub } from '../../core/hub';
import type { GreenletResult } from '../../core/greenlet';
import { isIterator, type Operation, type Task } from '../../core/operation';
import { invalidArgType, outOfRange } from '../../loop/errors';
import { validateFunction, validateInteger, validateObject } from '../../loop/validate';
import type { Address } from '../address';
import { runResult, StreamServer, type StopOptions, type StreamServerOptions } from '../server';
import type { Socket } from '../socket';
import { HttpConnection, RequestTimeout } from './connection';
import { HttpParseError } from './errors';
import { Request } from './incoming';
import { Response } from './outgoing';
import { RequestParser } from './parser';
import { errorResponse } from './response';

export type HttpHandler = (request: Request, response: Response) => GreenletResult;

export interface HttpServerOptions extends StreamServerOptions {
  /** Bytes of request line and headers (431 beyond; default 16384). */
  maxHeaderBytes?: number;
  /** Bytes of request body (413 beyond; default 64 MiB; Infinity for no limit). */
  maxBodyBytes?: number;
  /**
   * Seconds to receive a whole request head (default 60; 0: no limit). The
   * smaller of this and requestTimeout also bounds each response write
   * waiting for a client that does not read.
   */
  headersTimeout?: number;
  /** Seconds an idle keep-alive connection stays open (default 5; 0: no limit). */
  keepAliveTimeout?: number;
  /** Seconds to receive a whole request, body included (default 300; 0: no limit). */
  requestTimeout?: number;
}

function seconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType(name, 'a number of seconds', value);
  if (!Number.isFinite(value) || value < 0) throw outOfRange(name, 'a finite number >= 0', value);
  return value;
}

export class HttpServer extends StreamServer {
  private readonly _connections: Set<HttpConnection>;

  constructor(listener: Address | Socket, handler: HttpHandler, options: HttpServerOptions = {}) {
    validateObject('options', options as unknown);
    validateFunction('handler', handler);
    const maxHeaderBytes = options.maxHeaderBytes ?? 16384;
    validateInteger('options.maxHeaderBytes', maxHeaderBytes, 16, 2 ** 30);
    const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
    if (typeof maxBodyBytes !== 'number') throw invalidArgType('options.maxBodyBytes', 'of type number', maxBodyBytes);
    if (maxBodyBytes !== Infinity && !(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes >= 0)) {
      throw outOfRange('options.maxBodyBytes', 'an integer >= 0 or Infinity', maxBodyBytes);
    }
    const timeouts = {
      headersTimeout: seconds('options.headersTimeout', options.headersTimeout, 60),
      keepAliveTimeout: seconds('options.keepAliveTimeout', options.keepAliveTimeout, 5),
      requestTimeout: seconds('options.requestTimeout', options.requestTimeout, 300),
    };
    const connections = new Set<HttpConnection>();
    super(
      listener,
      (socket: Socket, address: Address) => serveConnection(socket, address, handler, connections, {
        parser: { maxHeaderBytes, maxBodyBytes },
        timeouts,
      }),
      options,
    );
    this._connections = connections;
  }

  /**
   * Graceful stop: no new connections; idle keep-alive connections close at
   * once; requests in flight finish (their connections then close), up to
   * `timeout` seconds, after which they are killed.
   */
  override stop(options: StopOptions = {}): Task<void> {
    for (const connection of this._connections) {
      connection.closing = true;
      if (connection.idle) connection.socket.close();
    }
    return super.stop(options);
  }

  override toString(): string {
    return super.toString().replace('StreamServer', 'HttpServer');
  }
}

interface ConnectionSettings {
  parser: { maxHeaderBytes: number; maxBodyBytes: number };
  timeouts: ConstructorParameters<typeof HttpConnection>[2];
}

function* serveConnection(
  socket: Socket,
  address: Address,
  handler: HttpHandler,
  connections: Set<HttpConnection>,
  settings: ConnectionSettings,
): Operation<void> {
  const connection = new HttpConnection(socket, new RequestParser(settings.parser), settings.timeouts);
  const parser = connection.parser;
  connections.add(connection);
  try {
    for (;;) {
      let request: Request;
      let response: Response;
      try {
        const head = yield* connection.readHead();
        if (head === null) return;
        request = new Request(connection, head, address);
        response = new Response(connection, request);
      } catch (error) {
        yield* refuse(connection, error);
        return;
      }
      try {
        // runResult()'s work without its generator: one level less to go
        // through on every switch in and out of the handler.
        const result = handler(request, response);
        if (isIterator(result)) yield* result as Operation<unknown>;
        else yield* runResult(result);
        if (!response.finished) yield* response.end();
      } catch (error) {
        if (isPeerGone(error)) return;
        if (error instanceof HttpParseError || error instanceof RequestTimeout) {
          if (!response.headersSent) yield* refuse(connection, error);
          return;
        }
        getHub().handleError(request, error);
        if (!response.headersSent) {
          response._close = true;
          yield* connection.write(errorResponse(500), true);
        }
        return;
      }
      connection.requestDone();
      if (!response._keepAlive || connection.closing) {
        yield* connection.flush();
        return;
      }
      // A client waiting for 100 Continue that got a final answer instead
      // will not send the body: close rather than wait for it.
      if (!request._continued || (!parser.bodyComplete && !(yield* connection.drainBody()))) {
        // The answer is out (or corked); flush it before closing.
        yield* connection.flush();
        return;
      }
      if (parser.buffered === 0) yield* connection.flush();
    }
  } catch (error) {
    if (!isPeerGone(error)) throw error;
  } finally {
    connections.delete(connection);
  }
}

/** Answers a request that cannot be served (bad, too large, too slow) and closes. */
function* refuse(connection: HttpConnection, error: unknown): Operation<void> {
  if (error instanceof HttpParseError) {
    yield* connection.write(errorResponse(error.status, error.message), true);
  } else if (error instanceof RequestTimeout) {
    yield* connection.write(errorResponse(408), true);
  } else if (!isPeerGone(error)) {
    throw error;
  }
}

/** The client went away: nothing to answer, nothing to report. */
function isPeerGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'EBADF' || code === 'ENOTCONN';
}
