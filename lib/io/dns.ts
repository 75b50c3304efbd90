// Name resolution as operations (gevent's resolver). Lookups go through
// Node's resolver: getaddrinfo and getnameinfo run in libuv's thread pool,
// as gevent's default "thread" resolver runs them in the hub's pool, so
// /etc/hosts and nsswitch apply. A timeout abandons the lookup (libuv
// cannot cancel one that has started; its late answer is dropped).
import * as dns from 'node:dns';
import * as net from 'node:net';

import { getHub } from '../core/hub';
import type { Operation, Task } from '../core/operation';
import { awaitable } from '../core/task';
import { Timeout } from '../core/timeout';
import { untilOperation } from '../core/until';
import { invalidArgValue } from '../loop/errors';
import { validateInteger, validateObject, validateString, validateTimeout } from '../loop/validate';
import type { InetAddress } from './address';

export interface LookupOptions {
  /** Seconds the lookup may take (null: no limit); then an error with code ETIMEOUT. */
  timeout?: number | null;
}

export interface AddrInfoOptions extends LookupOptions {
  /** Only IPv4 ('inet') or IPv6 ('inet6') addresses; both by default. */
  family?: 'inet' | 'inet6' | 'any';
}

/** One answer of getaddrinfo: a socket address to connect() to. */
export interface AddrInfo {
  family: 'inet' | 'inet6';
  address: string;
  port: number;
  /** [address, port]: what Socket.connect() takes. */
  sockaddr: InetAddress;
}

function validateHost(name: string, host: unknown): asserts host is string {
  validateString(name, host);
  if (host.includes('\u0000')) throw invalidArgValue(name, 'must not contain null bytes', host);
}

function checkOptions(options: unknown): number | null {
  validateObject('options', options);
  const { timeout } = options as LookupOptions;
  validateTimeout('options.timeout', timeout);
  return timeout ?? null;
}

/** Node's error for a lookup that ran out of time (dns.TIMEOUT). */
function timeoutError(syscall: string, host: string, seconds: number): Error {
  return Object.assign(new Error(`${syscall} ${dns.TIMEOUT} ${host} (after ${seconds} s)`), {
    code: dns.TIMEOUT,
    syscall,
    hostname: host,
  });
}

/** Waits for `promise` under a timeout that raises a DNS ETIMEOUT error. */
function* lookup<T>(promise: Promise<T>, timeout: number | null, syscall: string, host: string): Operation<T> {
  const hub = getHub();
  if (timeout === null) return yield* untilOperation(hub, promise);
  const timer = new Timeout(timeout).start();
  try {
    return yield* untilOperation(hub, promise);
  } catch (error) {
    if (timer.owns(error)) throw timeoutError(syscall, host, timeout);
    throw error;
  } finally {
    timer.close();
  }
}

const getaddrinfoTask = awaitable(function* getaddrinfo(
  host: string,
  port: number,
  family: 0 | 4 | 6,
  timeout: number | null,
): Operation<AddrInfo[]> {
  let answers = yield* lookup(dns.promises.lookup(host, { all: true, family, verbatim: true }), timeout, 'getaddrinfo', host);
  // Node answers an IP literal with itself whatever the family asked for;
  // getaddrinfo(3) finds no address of that family.
  if (family !== 0) answers = answers.filter((answer) => answer.family === family);
  if (answers.length === 0) {
    throw Object.assign(new Error(`getaddrinfo ${dns.NOTFOUND} ${host} (no IPv${family} address)`), {
      code: dns.NOTFOUND,
      syscall: 'getaddrinfo',
      hostname: host,
    });
  }
  return answers.map(({ address, family: version }) => ({
    family: version === 6 ? ('inet6' as const) : ('inet' as const),
    address,
    port,
    sockaddr: [address, port] as InetAddress,
  }));
});

/**
 * The addresses of `host` (a name or an IP literal), each with `port`, in
 * the resolver's order. Errors are Node's (code ENOTFOUND, EAI_AGAIN...).
 */
export function getaddrinfo(host: string, port = 0, options: AddrInfoOptions = {}): Task<AddrInfo[]> {
  validateHost('host', host);
  validateInteger('port', port, 0, 65535);
  const timeout = checkOptions(options);
  const family = options.family ?? 'any';
  if (family !== 'inet' && family !== 'inet6' && family !== 'any') {
    throw invalidArgValue('options.family', "must be 'inet', 'inet6' or 'any'", family);
  }
  return getaddrinfoTask(host, port, family === 'inet' ? 4 : family === 'inet6' ? 6 : 0, timeout);
}

const gethostbynameTask = awaitable(function* gethostbyname(name: string, timeout: number | null): Operation<string> {
  if (net.isIPv4(name)) return name;
  const answer = yield* lookup(dns.promises.lookup(name, { family: 4 }), timeout, 'getaddrinfo', name);
  return answer.address;
});

/** The IPv4 address of `name` (an IPv4 literal is returned as is). */
export function gethostbyname(name: string, options: LookupOptions = {}): Task<string> {
  validateHost('name', name);
  return gethostbynameTask(name, checkOptions(options));
}

/** [hostname, aliases, addresses], as Python's gethostbyaddr returns. */
export type HostByAddr = [hostname: string, aliases: string[], addresses: string[]];

const gethostbyaddrTask = awaitable(function* gethostbyaddr(ip: string, timeout: number | null): Operation<HostByAddr> {
  const { hostname } = yield* lookup(dns.promises.lookupService(ip, 0), timeout, 'getnameinfo', ip);
  return [hostname, [], [ip]];
});

/**
 * The host name of the IP address `ip` (reverse lookup through
 * getnameinfo: /etc/hosts, then DNS). ENOTFOUND when it has none.
 */
export function gethostbyaddr(ip: string, options: LookupOptions = {}): Task<HostByAddr> {
  validateString('ip', ip);
  if (net.isIP(ip) === 0) throw invalidArgValue('ip', 'must be an IPv4 or IPv6 address', ip);
  return gethostbyaddrTask(ip, checkOptions(options));
}

const getnameinfoTask = awaitable(function* getnameinfo(
  host: string,
  port: number,
  timeout: number | null,
): Operation<[host: string, service: string]> {
  const { hostname, service } = yield* lookup(dns.promises.lookupService(host, port), timeout, 'getnameinfo', host);
  return [hostname, service];
});

/** [host name, service name] of a socket address ([ip, port]). */
export function getnameinfo(sockaddr: InetAddress, options: LookupOptions = {}): Task<[host: string, service: string]> {
  if (!Array.isArray(sockaddr) || sockaddr.length !== 2) throw invalidArgValue('sockaddr', 'must be an [ip, port] array', sockaddr);
  const [host, port] = sockaddr;
  validateString('sockaddr[0]', host);
  if (net.isIP(host) === 0) throw invalidArgValue('sockaddr[0]', 'must be an IPv4 or IPv6 address', host);
  validateInteger('sockaddr[1]', port, 0, 65535);
  return getnameinfoTask(host, port, checkOptions(options));
}
