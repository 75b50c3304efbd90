// The socket layer's errors: Node-style system errors (code, errno,
// syscall), and gevent's socket timeout.
import * as os from 'node:os';

import { systemError, type SystemError } from '../loop/errors';

export const ERRNO = os.constants.errno;

/** A socket operation ran past the socket's timeout (gevent's socket.timeout). */
export class SocketTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(message = 'timed out') {
    super(message);
    this.name = 'SocketTimeout';
  }
}

/** The error for a negative errno a syscall returned. */
export function socketError(errno: number, syscall: string): SystemError {
  return systemError(errno, syscall);
}

/** An operation on a closed socket (EBADF). */
export function closedError(syscall: string): SystemError {
  return systemError(-ERRNO.EBADF, syscall, { message: `EBADF: the socket is closed, ${syscall}` });
}

/** What a greenlet waiting on a socket gets when another closes it (gevent's cancel_wait_ex). */
export function cancelledError(): SystemError {
  return systemError(-ERRNO.EBADF, 'close', { message: 'EBADF: File descriptor was closed in another greenlet' });
}
