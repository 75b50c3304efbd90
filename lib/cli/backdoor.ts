// `greenhub backdoor ADDRESS`: this terminal as a client of a
// BackdoorServer. Lines typed here go to the remote REPL; what it prints
// comes back. Plain Node sockets: the client needs no hub.
import * as net from 'node:net';

import { parseBackdoorAddress } from '../io/backdoor';
import type { Command } from './commands';
import { parseOptions, UsageError } from './options';

const USAGE = `usage: greenhub backdoor [--token TOKEN] ADDRESS

Connects this terminal to a BackdoorServer's REPL in a running process.
ADDRESS is a port (on 127.0.0.1), host:port, or a Unix socket path. The
token (--token, or GREENHUB_BACKDOOR_TOKEN) is sent as the first line.
The session ends with quit(), .exit, or the end of this side's input.

options:
  --token TOKEN  the server's token
  -h, --help     this text`;

const SPEC = { help: 'flag', token: 'value' } as const;

async function main(args: string[]): Promise<number | null> {
  const { options, rest } = parseOptions(args, SPEC);
  if (options.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (rest.length !== 1) throw new UsageError(rest.length === 0 ? 'no address given' : `unexpected argument '${rest[1]}'`);
  let target: ReturnType<typeof parseBackdoorAddress>;
  try {
    target = parseBackdoorAddress(rest[0]);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const token = options.get('token') ?? process.env.GREENHUB_BACKDOOR_TOKEN;
  const where = 'path' in target ? target.path : `${target.host}:${target.port}`;
  return new Promise<number>((resolve) => {
    const socket = net.connect(target);
    socket.on('connect', () => {
      if (token !== undefined) socket.write(`${String(token)}\n`);
      process.stdin.pipe(socket);
    });
    socket.pipe(process.stdout, { end: false });
    socket.on('error', (error) => {
      process.stderr.write(`greenhub backdoor: ${where}: ${error.message}\n`);
      resolve(1);
    });
    socket.on('close', (hadError) => {
      process.stdin.unpipe(socket);
      process.stdin.pause();
      if (!hadError) resolve(0);
    });
  });
}

export const command: Command = { usage: USAGE, main };
