// Hub, greenlets, timeouts and gevent's operations around them.
export { BlockingSwitchOutError, ConcurrentObjectUseError, GreenletExit, InvalidSwitchError, LoopExit } from './errors';
export {
  Greenlet,
  spawn,
  spawnLater,
  spawnRaw,
  type GetOptions,
  type GreenletBody,
  type GreenletResult,
  type PlainResult,
  type ResultOf,
  type KillException,
  type KillOptions,
  type LinkCallback,
  type ResultReceiver,
} from './greenlet';
export { getCurrent, getHub, Hub, type DumpOptions, type ErrorClass, type ErrorPolicy } from './hub';
export { Linkable, type TimeoutArg } from './linkable';
export type { Operation, Suspend, Task } from './operation';
export { idle, sleep, yieldNow, type SleepOptions } from './sleep';
export { run } from './task';
export { Timeout, withTimeout, type TimeoutException, type TimeoutOptions, type WithTimeoutOptions } from './timeout';
export { until } from './until';
export {
  iwait,
  IWait,
  joinAll,
  killAll,
  wait,
  type JoinAllOptions,
  type KillAllOptions,
  type Waitable,
  type WaitOptions,
} from './wait';
export { BlockingReport, Monitor, type MonitorOptions } from './monitor';
export { assertSwitches, FailedToSwitchError, type SwitchesBody } from './switches';
