// Synchronization primitives, queues, pools and greenlet-local storage
// (gevent.event, gevent.queue, gevent.lock, gevent.pool, gevent.local).
export { AsyncResult } from './async-result';
export { Channel } from './channel';
export { Empty, Full, NotHeldError, OverReleaseError, PoolFull, ShutDown } from './errors';
export { Event } from './event';
export { Group, GroupBase, type GroupJoinOptions, type GroupKillOptions, type IMapOptions, type Mapper } from './group';
export { IMap } from './imap';
export type { GreenIterable, GreenIterator } from './iterator';
export { local } from './local';
export { Lock, RLock, type LockOwner } from './lock';
export type { AcquireOptions, BlockOptions } from './park';
export { Pool } from './pool';
export { defaultCompare, PriorityQueue, type Comparator, type PriorityQueueOptions } from './priority-queue';
export { JoinableQueue, LifoQueue, Queue, SimpleQueue, type QueueOptions } from './queue';
export { BoundedSemaphore, DummySemaphore, Semaphore, type Holdable, type HoldOptions } from './semaphore';
export type { MapSource } from './source';
