// Celery's task message protocol, version 2 (celery/app/amqp.py,
// as_task_v2), carried in a Kombu envelope: task metadata in `headers`, the
// body `[args, kwargs, embed]` as JSON, base64-encoded. Version 1 messages
// (everything in a body dict) are still decoded, since converting them is
// cheap. Decoding never throws: a message that cannot be run comes back as a
// RejectReason for the worker to log before it drops the message.
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as zlib from 'node:zlib';

import { invalidArgType, invalidArgValue, outOfRange } from '../loop/errors';
import type { KombuPayload, RejectCode, RejectReason } from './payload';
import { pythonRepr, pythonTupleRepr, truncateRepr } from './pyrepr';

export const CONTENT_TYPE_JSON = 'application/json';

/** A serialized signature (callbacks, errbacks, chain links, chord body) as Celery sends it. */
export type SignatureJSON = Record<string, unknown>;

/** The third element of a v2 body: what to run after this task. */
export interface TaskEmbed {
  callbacks: SignatureJSON[] | null;
  errbacks: SignatureJSON[] | null;
  chain: SignatureJSON[] | null;
  chord: SignatureJSON | null;
}

/** A task message decoded and checked, ready for a worker to execute. */
export interface TaskRequest {
  protocol: 1 | 2;
  id: string;
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  embed: TaskEmbed;
  /** Producer language ('py' for Python Celery, 'js' for greenhub). */
  lang: string | null;
  rootId: string | null;
  parentId: string | null;
  group: string | null;
  groupIndex: number | null;
  retries: number;
  /** Do not run before this instant (null: now). */
  eta: Date | null;
  /** Do not run after this instant: the worker marks the task REVOKED ('expired'). */
  expires: Date | null;
  /** Hard time limit in seconds (headers.timelimit[0]). */
  timeLimit: number | null;
  /** Soft time limit in seconds (headers.timelimit[1]). */
  softTimeLimit: number | null;
  shadow: string | null;
  origin: string | null;
  ignoreResult: boolean;
  argsrepr: string | null;
  kwargsrepr: string | null;
  correlationId: string;
  replyTo: string | null;
  priority: number;
  exchange: string;
  routingKey: string;
  redelivered: boolean;
  /** The message's headers as sent, including ones greenhub does not interpret. */
  headers: Readonly<Record<string, unknown>>;
}

export type DecodeResult = { ok: true; request: TaskRequest } | { ok: false; reason: RejectReason };

/** What to send: the fields of `apply_async` that live in the message. */
export interface TaskMessageOptions {
  /** Task name as registered on the worker, e.g. 'tasks.add'. */
  task: string;
  args?: readonly unknown[];
  kwargs?: Readonly<Record<string, unknown>>;
  /** Task id; a random uuid when absent. */
  id?: string;
  /** Seconds from now before the task may run (turned into `eta`, as Celery does). */
  countdown?: number;
  eta?: Date | string | null;
  /** An instant, or seconds from now, after which the task is not run. */
  expires?: Date | string | number | null;
  retries?: number;
  /** Hard limit in seconds: the worker kills the task. */
  timeLimit?: number | null;
  /** Soft limit in seconds: the task is told to stop. */
  softTimeLimit?: number | null;
  rootId?: string | null;
  parentId?: string | null;
  group?: string | null;
  groupIndex?: number | null;
  shadow?: string | null;
  origin?: string;
  ignoreResult?: boolean;
  argsrepr?: string;
  kwargsrepr?: string;
  callbacks?: SignatureJSON[] | null;
  errbacks?: SignatureJSON[] | null;
  chain?: SignatureJSON[] | null;
  chord?: SignatureJSON | null;
  replyTo?: string;
  /** 0..9 (on Redis, lower runs first). */
  priority?: number;
  /** 2 persistent (default), 1 transient. */
  deliveryMode?: 1 | 2;
  /** Extra headers sent as they are (Celery merges `headers=` the same way). */
  headers?: Readonly<Record<string, unknown>>;
  /** The clock used for countdown/expires (tests). */
  now?: Date;
}

// Celery's default argsrepr_maxsize / kwargsrepr_maxsize.
const REPR_MAX = 1024;

const ORIGIN = `gen${process.pid}@${os.hostname()}`;

/** Python's datetime.isoformat() of an aware UTC instant: microseconds and +00:00. */
export function isoformatUtc(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

const ISO8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Parses the ISO 8601 instants Celery writes. A time without an offset is
 * taken as UTC (Celery's default `timezone`), never as the local zone.
 * Returns null for text that is not such an instant.
 */
export function parseIsoInstant(text: string): Date | null {
  const m = ISO8601.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Number(`0.${frac || '0'}`) * 1000;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Math.floor(ms));
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    t -= sign * offset * 60_000;
  }
  const date = new Date(t);
  return Number.isNaN(date.getTime()) ? null : date;
}

function instant(name: string, value: Date | string): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalidArgValue(name, 'must be a valid Date', value);
    return value;
  }
  const parsed = parseIsoInstant(value);
  if (!parsed) throw invalidArgValue(name, 'must be an ISO 8601 date-time', value);
  return parsed;
}

function optionalNumber(name: string, value: unknown, positive: boolean): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isFinite(value) || (positive && value <= 0)) {
    throw outOfRange(name, positive ? 'a finite number > 0' : 'a finite number', value);
  }
  return value;
}

function optionalString(name: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Builds the Kombu envelope of a protocol-2 task message. The transport adds
 * the delivery tag and delivery_info when it publishes. Throws Node-style
 * TypeError/RangeError (with `code`) for bad options.
 */
export function encodeTaskMessage(options: TaskMessageOptions): KombuPayload {
  if (!isPlainObject(options)) throw invalidArgType('options', 'of type object', options);
  const { task } = options;
  if (typeof task !== 'string') throw invalidArgType('options.task', 'of type string', task);
  if (task === '') throw invalidArgValue('options.task', 'must be a non-empty string', task);
  const args = options.args ?? [];
  if (!Array.isArray(args)) throw invalidArgType('options.args', 'an instance of Array', args);
  const kwargs = options.kwargs ?? {};
  if (!isPlainObject(kwargs)) throw invalidArgType('options.kwargs', 'of type object', kwargs);
  const id = optionalString('options.id', options.id) ?? randomUUID();
  const now = options.now ?? new Date();

  let eta: Date | null = null;
  const countdown = optionalNumber('options.countdown', options.countdown, false);
  if (countdown !== null && countdown !== 0) eta = new Date(now.getTime() + countdown * 1000);
  else if (options.eta !== undefined && options.eta !== null) eta = instant('options.eta', options.eta);

  let expires: Date | null = null;
  let expiration: string | undefined;
  if (typeof options.expires === 'number') {
    const seconds = optionalNumber('options.expires', options.expires, false) as number;
    expires = new Date(now.getTime() + seconds * 1000);
    expiration = String(Math.round(seconds * 1000)); // Kombu's message TTL property, in ms
  } else if (options.expires !== undefined && options.expires !== null) {
    expires = instant('options.expires', options.expires);
  }

  const retries = options.retries ?? 0;
  if (typeof retries !== 'number') throw invalidArgType('options.retries', 'of type number', retries);
  if (!Number.isInteger(retries) || retries < 0) throw outOfRange('options.retries', 'an integer >= 0', retries);
  const priority = options.priority ?? 0;
  if (typeof priority !== 'number') throw invalidArgType('options.priority', 'of type number', priority);
  if (!Number.isInteger(priority) || priority < 0 || priority > 255) {
    throw outOfRange('options.priority', 'an integer >= 0 and <= 255', priority);
  }
  const timeLimit = optionalNumber('options.timeLimit', options.timeLimit, true);
  const softTimeLimit = optionalNumber('options.softTimeLimit', options.softTimeLimit, true);
  const extra = options.headers ?? {};
  if (!isPlainObject(extra)) throw invalidArgType('options.headers', 'of type object', extra);

  const headers: Record<string, unknown> = {
    lang: 'js',
    task,
    id,
    shadow: optionalString('options.shadow', options.shadow),
    eta: eta && isoformatUtc(eta),
    expires: expires && isoformatUtc(expires),
    group: optionalString('options.group', options.group),
    group_index: options.groupIndex ?? null,
    retries,
    timelimit: [timeLimit, softTimeLimit],
    root_id: optionalString('options.rootId', options.rootId) || id,
    parent_id: optionalString('options.parentId', options.parentId),
    argsrepr: options.argsrepr ?? truncateRepr(pythonTupleRepr(args), REPR_MAX),
    kwargsrepr: options.kwargsrepr ?? truncateRepr(pythonRepr(kwargs), REPR_MAX),
    origin: options.origin ?? ORIGIN,
    ignore_result: options.ignoreResult ?? false,
    ...extra,
  };
  const embed: TaskEmbed = {
    callbacks: options.callbacks ?? null,
    errbacks: options.errbacks ?? null,
    chain: options.chain ?? null,
    chord: options.chord ?? null,
  };
  const body = Buffer.from(JSON.stringify([args, kwargs, embed]), 'utf8').toString('base64');
  const properties: KombuPayload['properties'] = {
    correlation_id: id,
    reply_to: options.replyTo ?? '',
    delivery_mode: options.deliveryMode ?? 2,
    delivery_info: { exchange: '', routing_key: '' },
    priority,
    body_encoding: 'base64',
    delivery_tag: '',
  };
  if (expiration !== undefined) properties.expiration = expiration;
  return {
    body,
    'content-encoding': 'utf-8',
    'content-type': CONTENT_TYPE_JSON,
    headers,
    properties,
  };
}

// ---------------------------------------------------------------- decoding

class Rejection {
  constructor(readonly code: RejectCode, readonly message: string) {}
}

function reject(code: RejectCode, message: string): never {
  throw new Rejection(code, message);
}

const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/;

function bodyBytes(payload: KombuPayload): Buffer {
  const encoding = payload.properties.body_encoding;
  let bytes: Buffer;
  if (encoding === 'base64') {
    if (!BASE64.test(payload.body)) reject('ERR_CELERY_BAD_BODY', 'body is not valid base64');
    bytes = Buffer.from(payload.body, 'base64');
  } else if (encoding === undefined || encoding === null || encoding === '') {
    bytes = Buffer.from(payload.body, 'utf8');
  } else {
    reject('ERR_CELERY_BAD_BODY', `unsupported body_encoding ${JSON.stringify(encoding)}`);
  }
  const compression = payload.headers.compression;
  if (compression === undefined || compression === null) return bytes;
  try {
    // Kombu's 'application/x-gzip' is zlib.compress(), i.e. a zlib stream.
    if (compression === 'application/x-gzip' || compression === 'gzip' || compression === 'zlib') return zlib.inflateSync(bytes);
    if (compression === 'application/x-brotli' || compression === 'brotli') return zlib.brotliDecompressSync(bytes);
  } catch (error) {
    reject('ERR_CELERY_BAD_BODY', `body does not decompress as ${String(compression)}: ${(error as Error).message}`);
  }
  return reject('ERR_CELERY_BAD_BODY', `unsupported compression ${JSON.stringify(compression)}`);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function bodyValue(payload: KombuPayload): unknown {
  const type = payload['content-type'];
  if (type !== CONTENT_TYPE_JSON && type !== 'application/x-json') {
    reject(
      'ERR_CELERY_CONTENT_TYPE',
      `content type ${JSON.stringify(type)} is not accepted (greenhub accepts only ${CONTENT_TYPE_JSON})`,
    );
  }
  const charset = payload['content-encoding'];
  if (charset !== null && !/^utf-?8$/i.test(charset)) {
    reject('ERR_CELERY_CONTENT_TYPE', `content encoding ${JSON.stringify(charset)} is not accepted (only utf-8)`);
  }
  let text: string;
  try {
    text = UTF8.decode(bodyBytes(payload));
  } catch (error) {
    if (error instanceof Rejection) throw error;
    return reject('ERR_CELERY_BAD_BODY', 'body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    return reject('ERR_CELERY_BAD_BODY', `body is not valid JSON (${(error as Error).message})`);
  }
}

function field<T>(value: unknown, name: string, check: (v: unknown) => v is T, expected: string): T {
  if (!check(value)) reject('ERR_CELERY_BAD_MESSAGE', `${name} must be ${expected}, got ${pythonRepr(value)}`);
  return value;
}

const isNonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isStringOrNull = (v: unknown): v is string | null => v === null || v === undefined || typeof v === 'string';
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isObjectOrNull = (v: unknown): v is Record<string, unknown> | null | undefined => v === null || v === undefined || isPlainObject(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function asNull<T>(v: T | undefined): T | null {
  return v === undefined ? null : v;
}

function timeValue(value: unknown, name: string): Date | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'string') {
    const date = parseIsoInstant(value);
    if (date) return date;
  }
  return reject('ERR_CELERY_BAD_MESSAGE', `invalid ${name} value ${pythonRepr(value)}`);
}

function limitValue(value: unknown, name: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  return reject('ERR_CELERY_BAD_MESSAGE', `${name} must be a number of seconds > 0 or null, got ${pythonRepr(value)}`);
}

function signatures(value: unknown, name: string): SignatureJSON[] | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value) && value.every(isPlainObject)) return value as SignatureJSON[];
  return reject('ERR_CELERY_BAD_MESSAGE', `${name} must be a list of signatures or null`);
}

function embedOf(value: unknown): TaskEmbed {
  const embed = field(value, 'body[2] (embed)', isObjectOrNull, 'an object or null') ?? {};
  const chord = embed.chord;
  if (chord !== null && chord !== undefined && !isPlainObject(chord)) {
    reject('ERR_CELERY_BAD_MESSAGE', 'embed.chord must be a signature or null');
  }
  return {
    callbacks: signatures(embed.callbacks, 'embed.callbacks'),
    errbacks: signatures(embed.errbacks, 'embed.errbacks'),
    chain: signatures(embed.chain, 'embed.chain'),
    chord: (chord as SignatureJSON | undefined) ?? null,
  };
}

function timelimits(value: unknown): [number | null, number | null] {
  if (value === null || value === undefined) return [null, null];
  if (!Array.isArray(value) || value.length !== 2) {
    return reject('ERR_CELERY_BAD_MESSAGE', `timelimit must be [hard, soft], got ${pythonRepr(value)}`);
  }
  return [limitValue(value[0], 'timelimit[0] (hard)'), limitValue(value[1], 'timelimit[1] (soft)')];
}

function decodeV2(payload: KombuPayload, body: unknown): TaskRequest {
  const h = payload.headers;
  if (!Array.isArray(body) || body.length < 2 || body.length > 3) {
    reject('ERR_CELERY_BAD_MESSAGE', 'protocol 2 body must be [args, kwargs, embed]');
  }
  const args = field(body[0], 'body[0] (args)', isArray, 'a list');
  const kwargs = field(body[1], 'body[1] (kwargs)', isPlainObject, 'a dict');
  const [timeLimit, softTimeLimit] = timelimits(h.timelimit);
  const groupIndex = h.group_index;
  return common(payload, {
    protocol: 2,
    id: field(h.id, 'headers.id', isNonEmpty, 'a non-empty string'),
    task: field(h.task, 'headers.task', isNonEmpty, 'a non-empty string'),
    args,
    kwargs,
    embed: embedOf(body[2]),
    lang: asNull(field(h.lang, 'headers.lang', isStringOrNull, 'a string')),
    rootId: asNull(field(h.root_id, 'headers.root_id', isStringOrNull, 'a string or null')),
    parentId: asNull(field(h.parent_id, 'headers.parent_id', isStringOrNull, 'a string or null')),
    group: asNull(field(h.group, 'headers.group', isStringOrNull, 'a string or null')),
    groupIndex: typeof groupIndex === 'number' ? groupIndex : null,
    retries: h.retries === undefined || h.retries === null ? 0 : field(h.retries, 'headers.retries', isCount, 'an integer >= 0'),
    eta: timeValue(h.eta, 'ETA'),
    expires: timeValue(h.expires, 'expires'),
    timeLimit,
    softTimeLimit,
    shadow: asNull(field(h.shadow, 'headers.shadow', isStringOrNull, 'a string or null')),
    origin: asNull(field(h.origin, 'headers.origin', isStringOrNull, 'a string or null')),
    ignoreResult: h.ignore_result === true,
    argsrepr: typeof h.argsrepr === 'string' ? h.argsrepr : null,
    kwargsrepr: typeof h.kwargsrepr === 'string' ? h.kwargsrepr : null,
  });
}

function decodeV1(payload: KombuPayload, body: Record<string, unknown>): TaskRequest {
  const args = body.args === undefined || body.args === null ? [] : field(body.args, 'body.args', isArray, 'a list');
  const kwargs = body.kwargs === undefined || body.kwargs === null ? {} : field(body.kwargs, 'body.kwargs', isPlainObject, 'a dict');
  const [timeLimit, softTimeLimit] = timelimits(body.timelimit);
  const chord = body.chord;
  return common(payload, {
    protocol: 1,
    id: field(body.id, 'body.id', isNonEmpty, 'a non-empty string'),
    task: field(body.task, 'body.task', isNonEmpty, 'a non-empty string'),
    args,
    kwargs,
    embed: {
      callbacks: signatures(body.callbacks, 'body.callbacks'),
      errbacks: signatures(body.errbacks, 'body.errbacks'),
      chain: null,
      chord: isPlainObject(chord) ? chord : null,
    },
    lang: 'py',
    rootId: null,
    parentId: null,
    group: asNull(field(body.taskset ?? body.group, 'body.taskset', isStringOrNull, 'a string or null')),
    groupIndex: null,
    retries: body.retries === undefined || body.retries === null ? 0 : field(body.retries, 'body.retries', isCount, 'an integer >= 0'),
    eta: timeValue(body.eta, 'ETA'),
    expires: timeValue(body.expires, 'expires'),
    timeLimit,
    softTimeLimit,
    shadow: null,
    origin: null,
    ignoreResult: false,
    argsrepr: null,
    kwargsrepr: null,
  });
}

type Specific = Omit<TaskRequest, 'correlationId' | 'replyTo' | 'priority' | 'exchange' | 'routingKey' | 'redelivered' | 'headers'>;

function common(payload: KombuPayload, specific: Specific): TaskRequest {
  const p = payload.properties;
  const info = p.delivery_info;
  const priority = typeof p.priority === 'number' && Number.isFinite(p.priority) ? p.priority : 0;
  return {
    ...specific,
    correlationId: typeof p.correlation_id === 'string' && p.correlation_id !== '' ? p.correlation_id : specific.id,
    replyTo: typeof p.reply_to === 'string' && p.reply_to !== '' ? p.reply_to : null,
    priority,
    exchange: info.exchange,
    routingKey: info.routing_key,
    redelivered: info.redelivered === true || payload.headers.redelivered === true,
    headers: Object.freeze({ ...payload.headers }),
  };
}

/**
 * The JSON value a Kombu message carries (checking content type, body
 * encoding, compression and UTF-8), for messages other than tasks, such as
 * control commands. Never throws.
 */
export function decodeJsonBody(payload: KombuPayload): { ok: true; value: unknown } | { ok: false; reason: RejectReason } {
  try {
    return { ok: true, value: bodyValue(payload) };
  } catch (error) {
    if (error instanceof Rejection) return { ok: false, reason: { code: error.code, message: error.message } };
    return { ok: false, reason: { code: 'ERR_CELERY_BAD_BODY', message: String(error) } };
  }
}

/**
 * Decodes a task message. Returns `{ ok: false, reason }` — never throws —
 * for anything a worker must not run: another serializer (pickle, yaml,
 * msgpack), a body that is not base64/UTF-8/JSON, missing or mistyped
 * fields, an unparsable ETA. Whether the task name is registered is the
 * worker's question (reason code ERR_CELERY_UNKNOWN_TASK).
 */
export function decodeTaskMessage(payload: KombuPayload): DecodeResult {
  try {
    const body = bodyValue(payload);
    if (payload.headers.task !== undefined) return { ok: true, request: decodeV2(payload, body) };
    if (isPlainObject(body) && 'task' in body && 'id' in body) return { ok: true, request: decodeV1(payload, body) };
    return reject('ERR_CELERY_BAD_MESSAGE', 'not a Celery task message (no task header, no protocol 1 body)');
  } catch (error) {
    if (error instanceof Rejection) return { ok: false, reason: { code: error.code, message: error.message } };
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: { code: 'ERR_CELERY_BAD_MESSAGE', message: `cannot decode message: ${message}` } };
  }
}

/** Where the retried message goes: the queue the request came from. */
export interface RetryRoute {
  exchange: string;
  routingKey: string;
}

export interface RetryOptions {
  countdown?: number;
  eta?: Date | string;
  args?: readonly unknown[];
  kwargs?: Readonly<Record<string, unknown>>;
  now?: Date;
}

/**
 * The message Celery's `Task.retry()` sends: the same task id, retries + 1,
 * the original root and limits, this task as parent, delayed by countdown
 * (or until eta). With neither, Celery uses the task's default_retry_delay;
 * the caller passes that as countdown.
 */
export function retryMessage(request: TaskRequest, options: RetryOptions = {}): { message: TaskMessageOptions; route: RetryRoute } {
  const message: TaskMessageOptions = {
    task: request.task,
    id: request.id,
    args: options.args ?? request.args,
    kwargs: options.kwargs ?? request.kwargs,
    retries: request.retries + 1,
    rootId: request.rootId ?? request.id,
    parentId: request.id,
    group: request.group,
    groupIndex: request.groupIndex,
    shadow: request.shadow,
    expires: request.expires,
    timeLimit: request.timeLimit,
    softTimeLimit: request.softTimeLimit,
    callbacks: request.embed.callbacks,
    errbacks: request.embed.errbacks,
    chain: request.embed.chain,
    chord: request.embed.chord,
    ignoreResult: request.ignoreResult,
    replyTo: request.replyTo ?? undefined,
    priority: request.priority,
  };
  if (options.now) message.now = options.now;
  if (options.eta !== undefined) message.eta = options.eta;
  else if (options.countdown !== undefined) message.countdown = options.countdown;
  return { message, route: { exchange: request.exchange, routingKey: request.routingKey } };
}
