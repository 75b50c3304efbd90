// greenhub: gevent's coroutine networking model for Node.js.
export * from './loop';
export * from './core';
export * from './sync';
export * from './io';
export * as monkey from './monkey';
