// The low-level watcher API: usable on its own, with no greenlet at all.
export * from './constants';
export { AsyncWatcher, sendAsync } from './async';
export { Callback } from './callback';
export { ChildWatcher, type ChildOptions } from './child';
export { ClosedError, type SystemError } from './errors';
export { IoWatcher } from './io';
export { Loop, defaultLoop, type BackendName, type LoopOptions, type LoopErrorHandler } from './loop';
export { PeriodicWatcher, nextPeriodicTime, wallClock, type Reschedule } from './periodic';
export { CheckWatcher, IdleWatcher, PrepareWatcher } from './phase';
export { SignalWatcher } from './signal';
export { StatWatcher, type StatAttributes } from './stat';
export { TimerWatcher } from './timer';
export { Watcher, type Delivered, type WatcherKind } from './watcher';
