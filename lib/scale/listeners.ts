// The listening sockets of a prefork master. The master opens them and keeps
// them open for its whole life; workers inherit them (as fd 3) and accept on
// them. Two layouts:
//
//   - 'reuseport' (the default where the kernel has SO_REUSEPORT): one socket
//     per worker slot, all bound to the same port with SO_REUSEPORT, so the
//     kernel spreads new connections over the slots' accept queues;
//   - 'shared': one socket that every worker accepts on (the classic
//     pre-fork model, for kernels without SO_REUSEPORT).
//
// Why the master holds the sockets rather than each worker binding its own:
// a listening socket's accept queue dies with its last descriptor, and with
// SO_REUSEPORT every socket has a queue of its own. A worker that closed its
// own socket (killed, or retired by a reload) would reset every connection
// the kernel had already queued on it. Held by the master, a slot's socket
// outlives its worker: queued connections wait for the replacement (a
// restart, or the new worker of a rolling reload, which shares the slot's
// socket while the old one drains).
import * as dns from 'node:dns';
import * as net from 'node:net';

import { invalidArgValue, systemError } from '../loop/errors';
import { addon } from '../loop/native';

const sys = addon.syscalls;
const C = sys.constants;

export type ListenMode = 'reuseport' | 'shared';

export interface ListenerSet {
  mode: ListenMode;
  family: 'inet' | 'inet6';
  host: string;
  /** The port every socket is bound to (the kernel's choice when 0 was asked). */
  port: number;
  /** One fd per slot ('reuseport'), or a single fd every slot uses ('shared'). */
  fds: number[];
}

/** The IP literal to bind: names are resolved once, by the master. */
export async function resolveHost(host: string): Promise<{ address: string; family: 'inet' | 'inet6' }> {
  const literal = net.isIP(host);
  if (literal !== 0) return { address: host, family: literal === 6 ? 'inet6' : 'inet' };
  const found = await dns.promises.lookup(host);
  return { address: found.address, family: found.family === 6 ? 'inet6' : 'inet' };
}

function check(result: number, syscall: string, what: string): void {
  if (result < 0) throw systemError(result, syscall, { path: what });
}

function openOne(family: 'inet' | 'inet6', host: string, port: number, reusePort: boolean, backlog: number): number {
  const fd = sys.socket(family === 'inet6' ? C.AF_INET6 : C.AF_INET, C.SOCK_STREAM, 0);
  check(fd, 'socket', `${host}:${port}`);
  try {
    sys.setsockopt(fd, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
    if (reusePort) sys.setsockopt(fd, C.SOL_SOCKET, C.SO_REUSEPORT, 1);
    check(sys.bind(fd, family === 'inet6' ? C.AF_INET6 : C.AF_INET, host, port), 'bind', `${host}:${port}`);
    check(sys.listen(fd, backlog), 'listen', `${host}:${port}`);
  } catch (error) {
    sys.close(fd);
    throw error;
  }
  return fd;
}

function boundPort(fd: number): number {
  return sys.getsockname(fd)[2];
}

/**
 * Opens the listening sockets for `slots` workers. 'reuseport' falls back to
 * 'shared' when the kernel refuses SO_REUSEPORT (the returned `mode` says
 * which was used).
 */
export async function openListeners(options: {
  host: string;
  port: number;
  slots: number;
  backlog: number;
  mode: ListenMode;
}): Promise<ListenerSet> {
  const { address, family } = await resolveHost(options.host);
  if (options.mode === 'reuseport') {
    const fds: number[] = [];
    try {
      let port = options.port;
      for (let i = 0; i < options.slots; i++) {
        fds.push(openOne(family, address, port, true, options.backlog));
        if (i === 0) port = boundPort(fds[0]);
      }
      return { mode: 'reuseport', family, host: address, port, fds };
    } catch (error) {
      for (const fd of fds) sys.close(fd);
      const code = (error as NodeJS.ErrnoException).code;
      // No SO_REUSEPORT here (setsockopt refused it): share one socket.
      if (code !== 'ENOPROTOOPT' && code !== 'EINVAL' && code !== 'EOPNOTSUPP') throw error;
    }
  } else if (options.mode !== 'shared') {
    throw invalidArgValue('options.listen', "must be 'reuseport' or 'shared'", options.mode);
  }
  const fd = openOne(family, address, options.port, false, options.backlog);
  return { mode: 'shared', family, host: address, port: boundPort(fd), fds: [fd] };
}

/** The fd slot `slot` accepts on. */
export function slotFd(set: ListenerSet, slot: number): number {
  return set.mode === 'shared' ? set.fds[0] : set.fds[slot];
}

export function closeListeners(set: ListenerSet): void {
  for (const fd of set.fds.splice(0)) sys.close(fd);
}
