// The `socket` namespace (DESIGN.md "Public API"), gevent.socket's shape: the
// socket class and the functions around it, reachable as greenhub.socket.*
// beside the flat top-level names.
export { type Address, type InetAddress, type SocketFamily } from './address';
export { createConnection, type ConnectionOptions } from './connection';
export { getaddrinfo, gethostbyaddr, gethostbyname, getnameinfo, type AddrInfo, type AddrInfoOptions } from './dns';
export { SocketTimeout } from './errors';
export { constants, Socket, type SocketOptions, type SocketType } from './socket';
export { socketStream, type SocketStreamOptions } from './stream';
export { waitRead, waitWrite } from './wait';
