// createConnection: resolve a host name and connect to the first address
// that answers, as gevent's socket.create_connection.
import * as dns from 'node:dns';
import * as net from 'node:net';

import { getHub } from '../core/hub';
import type { Operation, Task } from '../core/operation';
import { awaitable } from '../core/task';
import { untilOperation } from '../core/until';
import { invalidArgType, outOfRange } from '../loop/errors';
import { validateObject } from '../loop/validate';
import { validateAddress, type InetAddress } from './address';
import { Socket } from './socket';

export interface ConnectionOptions {
  /** Seconds for each connection attempt, and the new socket's timeout. */
  timeout?: number | null;
  /** [host, port] to bind before connecting. */
  sourceAddress?: InetAddress;
}

function* connectFirst(address: InetAddress, options: ConnectionOptions): Operation<Socket> {
  const [host, port] = address;
  const version = net.isIP(host);
  const candidates: { address: string; family: number }[] =
    version !== 0
      ? [{ address: host, family: version }]
      : yield* untilOperation(getHub(), dns.promises.lookup(host === '' ? 'localhost' : host, { all: true }));
  let lastError: unknown = new Error(`getaddrinfo returned no address for ${host}`);
  for (const candidate of candidates) {
    const socket = new Socket({ family: candidate.family === 6 ? 'inet6' : 'inet', timeout: options.timeout ?? null });
    try {
      if (options.sourceAddress !== undefined) socket.bind(options.sourceAddress);
      yield* socket.connect([candidate.address, port]);
      return socket;
    } catch (error) {
      socket.close();
      lastError = error;
    }
  }
  throw lastError;
}

const connectTask = awaitable(connectFirst);

/**
 * Connects a TCP socket to [host, port], trying every address the name
 * resolves to (through Node's resolver) until one answers.
 */
export function createConnection(address: InetAddress, options: ConnectionOptions = {}): Task<Socket> {
  const checked = validateAddress('address', 'inet', address) as InetAddress;
  validateObject('options', options as unknown);
  const timeout = options.timeout ?? null;
  if (timeout !== null && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0)) {
    throw typeof timeout !== 'number' ? invalidArgType('options.timeout', 'a number or null', timeout) : outOfRange('options.timeout', 'a finite number >= 0', timeout);
  }
  if (options.sourceAddress !== undefined) validateAddress('options.sourceAddress', 'inet', options.sourceAddress);
  return connectTask(checked, options);
}
