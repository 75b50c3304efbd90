// Running one task message to its end (the part of Celery's worker that
// celery/app/trace.py and the pool's apply do): check it is still wanted
// (revoked? expired?), run the task function in a greenlet of its own under
// its time limits, store the outcome in the result backend in Celery's
// format, send what follows (retry message, link callbacks, chain, errbacks)
// and only then acknowledge the message (acks late), so that a worker
// killed mid-task leaves it to be redelivered.
//
// The task body runs in a child greenlet of the pool greenlet that executes
// the job: whatever the body does with the exceptions thrown into it, the
// executor decides the outcome — a hard time limit or a terminate makes the
// task fail (or be revoked) on time even if the body swallows the kill.
import { performance } from 'node:perf_hooks';

import { GreenletExit } from '../core/errors';
import { Greenlet } from '../core/greenlet';
import type { Operation } from '../core/operation';
import { Timeout } from '../core/timeout';
import { runResult } from '../io/server';
import type { CeleryApp } from './app';
import { bindContext, TaskContext } from './context';
import {
  CeleryException,
  NotRegistered,
  SoftTimeLimitExceeded,
  TimeLimitExceeded,
  toCeleryException,
  tracebackOf,
} from './exceptions';
import { later } from './green';
import type { CeleryLogger } from './log';
import { encodeTaskMessage, retryMessage, type TaskRequest } from './protocol';
import { pythonRepr, truncateRepr } from './pyrepr';
import type { RedisConsumer } from './redis-consumer';
import type { ResultRequestInfo, RedisResultBackend } from './result-backend';
import { Retry } from './retry';
import type { RevokedSet } from './revoked-set';
import { failureFollowUps, successFollowUps, type FollowUp } from './signatures';
import type { RegisteredTask } from './task';

/** A reserved task message the worker accepted, with the task it names. */
export interface Job {
  tag: string;
  queue: string;
  request: TaskRequest;
  task: RegisteredTask;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A task running now: what revoke(terminate) and shutdown act on. */
export interface ActiveTask {
  job: Job;
  greenlet: Greenlet<Outcome>;
  /** Wall-clock start, seconds since the epoch (Celery's time_start). */
  startedAt: number;
  /** Set when the task is killed from outside: by a terminate, or by a cold shutdown. */
  ended: 'terminated' | 'shutdown' | null;
}

/** Counters the worker reports. */
export interface WorkerStats {
  /** Tasks run to an outcome, by name. */
  total: Record<string, number>;
  succeeded: number;
  failed: number;
  retried: number;
  revoked: number;
  /** Messages dropped as undecodable, or naming an unknown task. */
  rejected: number;
}

/** What the executor needs from its worker. */
export interface Executor {
  readonly app: CeleryApp;
  readonly hostname: string;
  readonly consumer: RedisConsumer;
  readonly backend: RedisResultBackend | null;
  readonly revoked: RevokedSet;
  readonly active: Map<string, ActiveTask>;
  readonly stats: WorkerStats;
  readonly log: CeleryLogger;
}

/** Raised in a task body killed by a cold shutdown; its message goes back to the queue. */
export class WorkerShutdown extends CeleryException {
  constructor() {
    super('WorkerShutdown', ['the worker is shutting down'], { module: 'celery.exceptions' });
  }
}

/** Seconds a killed body gets to run its finally blocks before the executor moves on. */
const KILL_GRACE = 1;

function describeTask(job: Job): string {
  return `${job.request.task}[${job.request.id}]`;
}

function describeError(error: unknown): string {
  const info = toCeleryException(error);
  const args = Array.isArray(info.exc_message) ? info.exc_message : [info.exc_message];
  return `${info.exc_type}(${args.map((a) => pythonRepr(a)).join(', ')})`;
}

function requestInfo(executor: Executor, job: Job): ResultRequestInfo {
  const r = job.request;
  return {
    group: r.group,
    parentId: r.parentId,
    ignoreResult: r.ignoreResult || job.task.options.ignoreResult,
    task: r.task,
    args: r.args,
    kwargs: r.kwargs,
    hostname: executor.hostname,
    retries: r.retries,
    routingKey: r.routingKey || job.queue,
  };
}

/** Runs a Redis write; false (logged) when it failed. */
function* attempt(executor: Executor, what: string, make: () => PromiseLike<unknown>): Operation<boolean> {
  try {
    yield* later(make);
    return true;
  } catch (error) {
    // Killed (the pool is being killed): not a Redis failure to log.
    if (error instanceof GreenletExit) throw error;
    executor.log('error', `${what} failed: ${(error as Error).message}`);
    return false;
  }
}

/** Acknowledges the job's message (it is done and will not be redelivered). */
export function ack(executor: Executor, job: Job): Operation<boolean> {
  return attempt(executor, `ack of ${describeTask(job)}`, () => executor.consumer.ack(job.tag));
}

/**
 * Gives up on a message whose outcome could not be stored: it goes back to
 * its queue at once, to run again, rather than being acknowledged with its
 * result lost.
 */
function* requeue(executor: Executor, job: Job): Operation<void> {
  executor.log('warn', `putting ${describeTask(job)} back on its queue: its outcome could not be stored`);
  yield* attempt(executor, `requeue of ${describeTask(job)}`, () => executor.consumer.reject(job.tag, true));
}

/** Stores REVOKED (reason 'revoked', 'expired' or 'terminated') and acks. */
export function* settleRevoked(executor: Executor, job: Job, reason: string): Operation<void> {
  executor.log(reason === 'expired' ? 'warn' : 'info', reason === 'expired' ? `Task ${describeTask(job)} expired; discarded` : `Discarding revoked task: ${describeTask(job)} (${reason})`);
  executor.stats.revoked++;
  const backend = executor.backend;
  const info = requestInfo(executor, job);
  if (backend && !info.ignoreResult) {
    const stored = yield* attempt(executor, `storing REVOKED for ${describeTask(job)}`, () => backend.markRevoked(job.request.id, reason, info));
    if (!stored) {
      yield* requeue(executor, job);
      return;
    }
  }
  yield* ack(executor, job);
}

/** A message naming a task this worker does not have: FAILURE NotRegistered (as Celery stores it), then dropped. */
export function* settleUnknown(executor: Executor, tag: string, request: TaskRequest): Operation<void> {
  executor.log('error', `Received unregistered task of type ${pythonRepr(request.task)}. The message has been ignored and discarded. (id ${request.id})`);
  executor.stats.rejected++;
  const backend = executor.backend;
  if (backend && !request.ignoreResult) {
    yield* attempt(executor, `storing NotRegistered for ${request.id}`, () =>
      backend.markFailure(request.id, new NotRegistered(request.task), { traceback: null, request: { group: request.group, parentId: request.parentId } }),
    );
  }
  yield* attempt(executor, `reject of ${request.id}`, () => executor.consumer.reject(tag, false));
}

/** The positional arguments, or the TypeError the task fails with (as Python's call would). */
function bindArguments(task: RegisteredTask, request: TaskRequest): { ok: true; value: unknown[] } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: task.bindArguments(request.args, request.kwargs) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The body greenlet: runs the task function, never fails (the outcome is its value). */
function* runBody(context: TaskContext, args: unknown[], softLimit: number | null): Operation<Outcome> {
  const soft = softLimit === null ? null : new Timeout(softLimit, new SoftTimeLimitExceeded());
  try {
    soft?.start();
    const fn = context.task.fn as (...a: unknown[]) => unknown;
    const value = yield* runResult(fn.apply(context, args) as Parameters<typeof runResult>[0]);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error };
  } finally {
    soft?.close();
  }
}

/** JSON the backend can store, or the EncodeError Celery would fail the task with. */
function encodable(value: unknown): Outcome {
  try {
    const text = JSON.stringify(value === undefined ? null : value);
    if (text !== undefined) return { ok: true, value: value === undefined ? null : value };
  } catch (error) {
    return { ok: false, error: new CeleryException('EncodeError', [(error as Error).message], { module: 'kombu.exceptions' }) };
  }
  return { ok: false, error: new CeleryException('EncodeError', [`cannot serialize ${pythonRepr(value)} as JSON`], { module: 'kombu.exceptions' }) };
}

function* sendFollowUps(executor: Executor, job: Job, planned: { send: FollowUp[]; skipped: string[] }): Operation<void> {
  for (const why of planned.skipped) executor.log('warn', `${describeTask(job)}: not sent: ${why}`);
  for (const next of planned.send) {
    yield* attempt(executor, `sending ${next.task} after ${describeTask(job)}`, () => executor.app.client.sendTask(next.task, next.args, next.kwargs, next.options));
  }
}

/** Publishes the retry message (same id, retries + 1) where the original came from. */
function* publishRetry(executor: Executor, job: Job, retry: Retry): Operation<void> {
  const { message, route } = retryMessage(job.request, {
    countdown: retry.details.countdown,
    eta: retry.details.eta,
    args: retry.details.args,
    kwargs: retry.details.kwargs,
  });
  const payload = encodeTaskMessage(message);
  const routingKey = route.routingKey || job.queue;
  yield* later(() => executor.app.transport.publish(payload, { exchange: route.routingKey ? route.exchange : '', routingKey }));
}

/**
 * Runs a job to its end: revoked/expired checks, the task under its time
 * limits, the outcome stored, follow-ups sent, the message acked. Never
 * throws for what the task does; returns early without acking only when a
 * cold shutdown killed the task (its message then goes back to the queue).
 */
export function* executeJob(executor: Executor, job: Job): Operation<void> {
  const { request, task } = job;
  const id = request.id;
  if (executor.revoked.has(id)) return yield* settleRevoked(executor, job, 'revoked');
  if (request.expires !== null && request.expires.getTime() <= Date.now()) return yield* settleRevoked(executor, job, 'expired');
  const info = requestInfo(executor, job);
  const backend = executor.backend;
  const acksLate = task.options.acksLate;
  if (!acksLate && !(yield* ack(executor, job))) return;
  if (task.options.trackStarted && backend && !info.ignoreResult) {
    yield* attempt(executor, `storing STARTED for ${describeTask(job)}`, () => backend.markStarted(id, { hostname: executor.hostname }, info));
  }

  const context = new TaskContext(executor.app, task, { ...request, hostname: executor.hostname, queue: job.queue, deliveryTag: job.tag });
  const softLimit = request.softTimeLimit ?? task.options.softTimeLimit;
  const hardLimit = request.timeLimit ?? task.options.timeLimit;
  const started = performance.now();
  let outcome: Outcome;
  let active: ActiveTask | null = null;
  const bound = bindArguments(task, request);
  if (!bound.ok) {
    outcome = bound;
  } else {
    const body = new Greenlet<Outcome>(runBody, context, bound.value, softLimit);
    body.name = describeTask(job);
    bindContext(body, context);
    active = { job, greenlet: body, startedAt: Date.now() / 1000, ended: null };
    executor.active.set(id, active);
    body.start();
    try {
      if (yield* body.join(hardLimit ?? undefined)) {
        outcome = body.value as Outcome;
      } else {
        const error = new TimeLimitExceeded(hardLimit as number);
        executor.log('error', `Hard time limit (${hardLimit}s) exceeded for ${describeTask(job)}`);
        body.kill(error, { block: false });
        if (!(yield* body.join(KILL_GRACE))) {
          executor.log('warn', `${describeTask(job)} ignored its hard time limit and is left running`);
        }
        outcome = { ok: false, error };
      }
    } finally {
      if (executor.active.get(id) === active) executor.active.delete(id);
    }
  }
  const runtime = (performance.now() - started) / 1000;

  if (active?.ended === 'shutdown') {
    executor.log('warn', `${describeTask(job)} was interrupted by the worker's shutdown; its message goes back to the queue`);
    return;
  }
  if (active?.ended === 'terminated') return yield* settleRevoked(executor, job, 'terminated');
  executor.stats.total[task.name] = (executor.stats.total[task.name] ?? 0) + 1;

  if (outcome.ok) outcome = encodable(outcome.value);
  let stored = true;
  if (outcome.ok) {
    const value = outcome.value;
    executor.stats.succeeded++;
    executor.log('info', `Task ${describeTask(job)} succeeded in ${runtime.toFixed(6)}s: ${truncateRepr(pythonRepr(value), 200)}`);
    if (backend && !info.ignoreResult) stored = yield* attempt(executor, `storing SUCCESS for ${describeTask(job)}`, () => backend.markSuccess(id, value, info));
    if (stored) yield* sendFollowUps(executor, job, successFollowUps(request, value));
  } else if (outcome.error instanceof Retry) {
    const retry = outcome.error;
    let published = true;
    try {
      yield* publishRetry(executor, job, retry);
    } catch (error) {
      published = false;
      executor.log('error', `Task ${describeTask(job)} could not be retried: ${(error as Error).message}`);
      outcome = { ok: false, error };
    }
    if (published) {
      executor.stats.retried++;
      executor.log('info', `Task ${describeTask(job)} retry: ${retry.message}`);
      const cause = retry.details.exc ?? retry;
      // The retry message is out: the original is acked whether or not the
      // (informational) RETRY state could be stored, or it would run twice.
      if (backend && !info.ignoreResult) {
        yield* attempt(executor, `storing RETRY for ${describeTask(job)}`, () =>
          backend.markRetry(id, cause, { traceback: tracebackOf(cause), request: info }),
        );
      }
    }
  }
  if (!outcome.ok && !(outcome.error instanceof Retry)) {
    const error = outcome.error;
    executor.stats.failed++;
    const traceback = tracebackOf(error);
    executor.log('error', `Task ${describeTask(job)} raised unexpected: ${describeError(error)}${traceback ? `\n${traceback.trimEnd()}` : ''}`);
    if (backend && !info.ignoreResult) {
      stored = yield* attempt(executor, `storing FAILURE for ${describeTask(job)}`, () => backend.markFailure(id, error, { traceback, request: info }));
    }
    if (stored) yield* sendFollowUps(executor, job, failureFollowUps(request));
  }
  if (!acksLate) return;
  if (stored) yield* ack(executor, job);
  else yield* requeue(executor, job);
}
