// Socket addresses: [host, port] for IPv4/IPv6, a path string for Unix
// sockets (gevent's tuple and str forms).
import * as net from 'node:net';

import { invalidArgType, outOfRange } from '../loop/errors';
import { addon, type NativeAddress } from '../loop/native';

const C = addon.syscalls.constants;

export type InetAddress = [host: string, port: number];
/** [host, port], or a path for Unix sockets. */
export type Address = InetAddress | string;

export type SocketFamily = 'inet' | 'inet6' | 'unix';

export function familyNumber(family: SocketFamily): number {
  return family === 'inet' ? C.AF_INET : family === 'inet6' ? C.AF_INET6 : C.AF_UNIX;
}

export function familyName(number: number): SocketFamily {
  return number === C.AF_INET ? 'inet' : number === C.AF_INET6 ? 'inet6' : 'unix';
}

/** An address the addon gave back, in the JS form. */
export function fromNative([family, host, port]: NativeAddress | [number, string, number]): Address {
  return family === C.AF_UNIX ? host : [host, port];
}

/**
 * Checks an address for a socket of `family`: [host, port] with a port from
 * 0 to 65535 (inet), or a non-empty path (unix). The host may be a name
 * (connect resolves it) or '' (any address).
 */
export function validateAddress(name: string, family: SocketFamily, address: unknown): Address {
  if (family === 'unix') {
    if (typeof address !== 'string' || address.length === 0) {
      throw invalidArgType(name, 'a non-empty path string for a Unix socket', address);
    }
    if (Buffer.byteLength(address) > 107) throw outOfRange(name, 'a path of at most 107 bytes', address);
    return address;
  }
  if (!Array.isArray(address) || address.length !== 2 || typeof address[0] !== 'string') {
    throw invalidArgType(name, 'a [host, port] array', address);
  }
  const port = address[1];
  if (typeof port !== 'number') throw invalidArgType(`${name}[1]`, 'of type number (the port)', port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw outOfRange(`${name}[1]`, 'an integer from 0 to 65535', port);
  return [address[0], port];
}

/** The IP literal for a bind host: '' means any address of the family. */
export function bindHost(family: SocketFamily, host: string): string {
  if (host !== '') return host;
  return family === 'inet6' ? '::' : '0.0.0.0';
}

/** Whether the host is an IP literal of the family (else it needs resolving). */
export function isLiteral(family: SocketFamily, host: string): boolean {
  const version = net.isIP(host.split('%')[0]);
  return family === 'inet6' ? version === 6 : version === 4;
}
