// greenhub's Celery interoperability layer: Celery's message protocol,
// Kombu's Redis transport, the Redis result backend, remote control and a
// client. A greenlet worker is built on top of these.
export { AsyncResult, CeleryClient } from './client';
export type { CeleryClientOptions, RevokeOptions, SendTaskOptions } from './client';
export { addressedTo, broadcastControl, ControlListener, parseControlMessage, revokeTasks } from './control';
export type { BroadcastOptions, ControlListenerOptions, ControlMessage, RevokeRequest } from './control';
export {
  CeleryException,
  fromCeleryException,
  isCeleryExceptionInfo,
  JS_EXCEPTION_MODULE,
  MaxRetriesExceededError,
  NotRegistered,
  pythonExceptionText,
  SoftTimeLimitExceeded,
  TaskRevokedError,
  TimeLimitExceeded,
  toCeleryException,
  tracebackOf,
  WorkerLostError,
} from './exceptions';
export type { CeleryExceptionInfo, CeleryExceptionOptions } from './exceptions';
export { defaultLogger } from './log';
export type { CeleryLogger, LogLevel } from './log';
export { parsePayload } from './payload';
export type { KombuDeliveryInfo, KombuPayload, KombuProperties, PayloadResult, RejectCode, RejectReason } from './payload';
export {
  CONTENT_TYPE_JSON,
  decodeJsonBody,
  decodeTaskMessage,
  encodeTaskMessage,
  isoformatUtc,
  parseIsoInstant,
  retryMessage,
} from './protocol';
export type {
  DecodeResult,
  RetryOptions,
  RetryRoute,
  SignatureJSON,
  TaskEmbed,
  TaskMessageOptions,
  TaskRequest,
} from './protocol';
export { pythonRepr, pythonTupleRepr } from './pyrepr';
export { LuaScript, openRedis } from './redis';
export type { OpenedRedis, RedisTarget } from './redis';
export { RedisConsumer } from './redis-consumer';
export type { ConsumerOptions, Delivery, QueueOrder, Reserved, UndecodableDelivery } from './redis-consumer';
export { PRIORITY_STEPS, RedisTransport, SEP } from './redis-transport';
export type { Binding, ExchangeType, PublishOptions, RedisTransportOptions, RestoreExpiredOptions } from './redis-transport';
export { exceptionOf, RedisResultBackend, ResultTimeoutError, utcIsoformatNaive } from './result-backend';
export type {
  GetOptions,
  RedisResultBackendOptions,
  ResultRequestInfo,
  StoreOptions,
  TaskMeta,
  WaitOptions,
} from './result-backend';
export { RevokedSet } from './revoked-set';
export type { RevokedSetOptions } from './revoked-set';
export * as states from './states';
export type { KnownTaskState, TaskState } from './states';

// The greenlet worker, its app and beat.
export { CeleryApp } from './app';
export type { CeleryAppOptions } from './app';
export { Beat, every, Every } from './beat';
export type { BeatEntry, BeatEntryState, BeatOptions, Schedule } from './beat';
export { currentTask, TaskContext } from './context';
export type { TaskRequestContext, TaskRetryOptions } from './context';
export { crontab, Crontab, nextCrontabTime, parseCrontabField } from './crontab';
export type { CrontabField, CrontabFieldName, CrontabOptions } from './crontab';
export { WorkerShutdown } from './execute';
export type { WorkerStats } from './execute';
export { later } from './green';
export { Retry } from './retry';
export type { RetryDetails } from './retry';
export { failureFollowUps, successFollowUps, unsupportedSignature } from './signatures';
export type { FollowUp } from './signatures';
export { RegisteredTask, resolveTaskOptions } from './task';
export type { AnyTaskFunction, ResolvedTaskOptions, TaskFunction, TaskOptions, TaskValue } from './task';
export { TaskResult } from './task-result';
export { Worker } from './worker';
export type { WorkerOptions, WorkerState } from './worker';
