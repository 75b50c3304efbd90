// Green I/O: sockets and servers.
export { type Address, type InetAddress, type SocketFamily } from './address';
export { createConnection, type ConnectionOptions } from './connection';
export { SocketTimeout } from './errors';
export { SocketReader, type ReaderOptions } from './reader';
export {
  StreamServer,
  type ConnectionHandler,
  type GreenletPool,
  type ServerOptions,
  type SpawnOption,
  type StopOptions,
  type StreamServerOptions,
} from './server';
export { DatagramServer, type DatagramHandler, type DatagramServerOptions } from './datagram-server';
export { socketStream, type SocketStreamOptions } from './stream';
export { constants as socketConstants, Socket, type SocketOptions, type SocketType } from './socket';
export { waitRead, waitWrite } from './wait';
export * as socket from './socket-module';
export { HttpServer, Request, Response, type HttpHandler, type HttpServerOptions } from './http';
// Subprocess, signals, thread pool, DNS and files (issue 8). Each module is
// also a namespace; names that would clash at the top level (run, call,
// open) are only there: subprocess.run, file.open.
export * as subprocess from './subprocess';
export { CalledProcessError, checkCall, checkOutput, CompletedProcess, Popen, SubprocessError, TimeoutExpired } from './subprocess';
export * as signal from './signal';
export { signalHandler, SignalHandler } from './signal';
export * as threadpool from './threadpool';
export { threadTask, ThreadPool, ThreadPoolError, ThreadResult } from './threadpool';
export * as dns from './dns';
export { getaddrinfo, gethostbyaddr, gethostbyname, getnameinfo } from './dns';
export * as file from './file';
export { fdopen, File, readFile, stderr, stdin, stdout, writeFile } from './file';
export { BackdoorServer, type BackdoorListener, type BackdoorOptions } from './backdoor';
