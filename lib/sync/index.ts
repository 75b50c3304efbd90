// Synchronization primitives, queues, pools and greenlet-local storage
// (gevent.event, gevent.queue, gevent.lock, gevent.pool, gevent.local).
export { AsyncResult } from './async-result';
export { Empty, Full, NotHeldError, OverReleaseError, PoolFull, ShutDown } from './errors';
export { Event } from './event';
export type { AcquireOptions, BlockOptions } from './park';
