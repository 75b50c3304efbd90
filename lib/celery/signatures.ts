// What runs after a task (Celery's canvas as it travels in a protocol-2
// message's embed): link callbacks and the rest of a chain after a success,
// errbacks after a failure. The worker sends them as new task messages, as
// Celery's tracer does:
//
//   - a link callback gets the result prepended to its args (unless the
//     signature is immutable);
//   - a chain is a list of signatures, last first: the worker pops the last
//     one, prepends the result, and sends it carrying the rest;
//   - errbacks are sent with the failed task's id as their one argument
//     (Celery's "old-style" errback: the new style, which calls the errback
//     in-process with (request, exc, traceback), needs Python code);
//   - nested groups and chords (subtask_type set) are not run here: they are
//     logged and skipped.
import { parseIsoInstant, type SignatureJSON, type TaskRequest } from './protocol';
import type { SendTaskOptions } from './client';

/** One message to send: task name, args, kwargs, options. */
export interface FollowUp {
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: SendTaskOptions;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Why a signature cannot be sent by greenhub, or null when it can. */
export function unsupportedSignature(signature: SignatureJSON): string | null {
  if (typeof signature.task !== 'string' || signature.task === '') return 'it names no task';
  const kind = signature.subtask_type;
  if (kind !== undefined && kind !== null) return `${String(kind)} signatures (groups, chords) are not run by greenhub workers`;
  if (signature.args !== undefined && signature.args !== null && !Array.isArray(signature.args)) return 'its args are not a list';
  if (signature.kwargs !== undefined && signature.kwargs !== null && !isRecord(signature.kwargs)) return 'its kwargs are not a dict';
  return null;
}

/** The apply_async options of a signature that greenhub's client understands. */
function sendOptions(signature: SignatureJSON, parent: TaskRequest): SendTaskOptions {
  const raw = isRecord(signature.options) ? signature.options : {};
  const options: SendTaskOptions = { parentId: parent.id, rootId: parent.rootId ?? parent.id };
  if (typeof raw.task_id === 'string' && raw.task_id !== '') options.id = raw.task_id;
  if (typeof raw.queue === 'string' && raw.queue !== '') options.queue = raw.queue;
  else if (isRecord(raw.queue) && typeof raw.queue.name === 'string') options.queue = raw.queue.name;
  if (typeof raw.countdown === 'number') options.countdown = raw.countdown;
  if (typeof raw.eta === 'string' && parseIsoInstant(raw.eta)) options.eta = raw.eta;
  if (typeof raw.expires === 'number' || (typeof raw.expires === 'string' && parseIsoInstant(raw.expires))) options.expires = raw.expires;
  if (typeof raw.priority === 'number' && Number.isInteger(raw.priority) && raw.priority >= 0 && raw.priority <= 255) options.priority = raw.priority;
  if (Array.isArray(raw.link)) options.callbacks = raw.link.filter(isRecord);
  else if (isRecord(raw.link)) options.callbacks = [raw.link];
  if (Array.isArray(raw.link_error)) options.errbacks = raw.link_error.filter(isRecord);
  else if (isRecord(raw.link_error)) options.errbacks = [raw.link_error];
  if (typeof raw.time_limit === 'number' && raw.time_limit > 0) options.timeLimit = raw.time_limit;
  if (typeof raw.soft_time_limit === 'number' && raw.soft_time_limit > 0) options.softTimeLimit = raw.soft_time_limit;
  return options;
}

function followUp(signature: SignatureJSON, parent: TaskRequest, prepend: unknown[] | null): FollowUp {
  const args = Array.isArray(signature.args) ? signature.args : [];
  const kwargs = isRecord(signature.kwargs) ? signature.kwargs : {};
  const immutable = signature.immutable === true;
  return {
    task: signature.task as string,
    args: prepend === null || immutable ? [...args] : [...prepend, ...args],
    kwargs: { ...kwargs },
    options: sendOptions(signature, parent),
  };
}

/**
 * The messages a success sends: each link callback, then the next link of
 * the chain (carrying the rest of it). Signatures greenhub cannot send come
 * back in `skipped` with the reason.
 */
export function successFollowUps(request: TaskRequest, value: unknown): { send: FollowUp[]; skipped: string[] } {
  const send: FollowUp[] = [];
  const skipped: string[] = [];
  for (const callback of request.embed.callbacks ?? []) {
    const why = unsupportedSignature(callback);
    if (why) skipped.push(`link ${String(callback.task)}: ${why}`);
    else send.push(followUp(callback, request, [value]));
  }
  const chain = request.embed.chain ?? [];
  if (chain.length > 0) {
    const next = chain[chain.length - 1];
    const why = unsupportedSignature(next);
    if (why) skipped.push(`chain ${String(next.task)}: ${why}`);
    else {
      const message = followUp(next, request, [value]);
      const rest = chain.slice(0, -1);
      if (rest.length > 0) message.options.chain = rest;
      send.push(message);
    }
  }
  if (request.embed.chord) skipped.push('chord: chords are not run by greenhub workers');
  return { send, skipped };
}

/** The messages a failure sends: each errback, with the failed task's id as its argument. */
export function failureFollowUps(request: TaskRequest): { send: FollowUp[]; skipped: string[] } {
  const send: FollowUp[] = [];
  const skipped: string[] = [];
  for (const errback of request.embed.errbacks ?? []) {
    const why = unsupportedSignature(errback);
    if (why) skipped.push(`errback ${String(errback.task)}: ${why}`);
    else send.push(followUp(errback, request, [request.id]));
  }
  return { send, skipped };
}
