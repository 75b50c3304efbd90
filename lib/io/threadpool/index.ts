// gevent.threadpool: worker threads for greenlets.
export { ThreadPoolError } from './errors';
export { ThreadMapIterator } from './map';
export { ThreadPool, type ThreadPoolOptions } from './pool';
export { ThreadResult, type ResultGetOptions } from './result';
export { threadTask, type ThreadFunction, type ThreadTask } from './task';
