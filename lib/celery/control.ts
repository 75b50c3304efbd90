// Celery's remote control ("pidbox", celery/app/control.py and
// kombu/pidbox.py) over Redis. `app.control.revoke(id)` and `celery inspect`
// publish a Kombu message to the fanout exchange `celery.pidbox`, which on
// Redis is a PUBLISH on channel `/<db>.celery.pidbox`; its JSON body is
//
//   {"method": "revoke", "arguments": {"task_id": "...", "terminate": false,
//    "signal": "SIGTERM"}, "destination": null, "pattern": null,
//    "matcher": null}
//
// plus "ticket" and "reply_to": {"exchange": "reply.celery.pidbox",
// "routing_key": <client oid>} when the sender waits for answers. Each worker
// keeps revoked ids in memory (see RevokedSet), checks every task it receives
// against them and marks a revoked one REVOKED without running it.
//
// A worker must listen to that channel. `ControlListener` does the listening:
// it PSUBSCRIBEs like Kombu, keeps messages addressed to this worker, and
// handles `revoke` (recording the ids and calling the worker back, which
// terminates a running task when asked), `ping` (so `celery inspect ping`
// lists greenhub workers) and `hello` (answering other workers' start-up sync
// with the revoked ids, and taking theirs). Replies go, as Kombu sends them,
// to the direct exchange named in reply_to, which routes them through its
// binding set to the waiting client's reply queue.
import type Redis from 'ioredis';

import { invalidArgType, invalidArgValue } from '../loop/errors';
import type { CeleryLogger } from './log';
import { parsePayload, type KombuPayload } from './payload';
import { CONTENT_TYPE_JSON, decodeJsonBody } from './protocol';
import { closeRedis } from './redis';
import type { RedisTransport } from './redis-transport';
import { RevokedSet } from './revoked-set';

/** A decoded control message body. */
export interface ControlMessage {
  method: string;
  arguments: Record<string, unknown>;
  destination: string[] | null;
  pattern: string | null;
  matcher: string | null;
  ticket: string | null;
  replyTo: { exchange: string; routingKey: string } | null;
}

export interface RevokeRequest {
  taskIds: string[];
  terminate: boolean;
  /** Signal name for terminate (e.g. 'SIGTERM'); a greenlet worker kills the greenlet whatever it is. */
  signal: string | null;
}

export interface ControlListenerOptions {
  /** This worker's node name, e.g. 'greenhub@myhost': what `destination` lists match. */
  hostname: string;
  /** The worker's revoked set; a new one when absent. */
  revoked?: RevokedSet;
  /** Mailbox namespace (Celery's app.control.mailbox: 'celery'). */
  namespace?: string;
  /** Called after ids were recorded as revoked; terminate running ones here. */
  onRevoke?: (request: RevokeRequest) => void;
  /**
   * Other commands: return a reply value to answer (when the sender asked
   * for replies), or undefined to refuse the command as unknown.
   */
  onCommand?: (message: ControlMessage) => unknown;
  logger?: CeleryLogger;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** fnmatch-style glob (Kombu's default matcher) as a RegExp. */
function globRegExp(glob: string): RegExp {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Whether a control message is for this node (Kombu's Node.handle_message). */
export function addressedTo(message: ControlMessage, hostname: string): boolean {
  if (message.destination && message.destination.length > 0) return message.destination.includes(hostname);
  if (message.pattern && message.matcher) {
    try {
      if (message.matcher === 'pcre') return new RegExp(message.pattern).test(hostname);
      if (message.matcher === 'glob') return globRegExp(message.pattern).test(hostname);
    } catch {
      return false;
    }
    return false;
  }
  return true;
}

/** Decodes a control message body; a reason string when it is not one. */
export function parseControlMessage(payload: KombuPayload): ControlMessage | string {
  const decoded = decodeJsonBody(payload);
  if (!decoded.ok) return decoded.reason.message;
  const body = decoded.value;
  if (!isRecord(body) || typeof body.method !== 'string') return 'control message has no method';
  const destination = Array.isArray(body.destination) ? body.destination.filter((d): d is string => typeof d === 'string') : null;
  const replyTo = isRecord(body.reply_to) && typeof body.reply_to.exchange === 'string' && typeof body.reply_to.routing_key === 'string'
    ? { exchange: body.reply_to.exchange, routingKey: body.reply_to.routing_key }
    : null;
  return {
    method: body.method,
    arguments: isRecord(body.arguments) ? body.arguments : {},
    destination,
    pattern: typeof body.pattern === 'string' ? body.pattern : null,
    matcher: typeof body.matcher === 'string' ? body.matcher : null,
    ticket: typeof body.ticket === 'string' ? body.ticket : null,
    replyTo,
  };
}

/** A Kombu envelope with a JSON body, as the pidbox publishes. */
function controlEnvelope(body: unknown, headers: Record<string, unknown>, deliveryMode: 1 | 2): KombuPayload {
  return {
    body: Buffer.from(JSON.stringify(body), 'utf8').toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': CONTENT_TYPE_JSON,
    headers,
    properties: {
      delivery_mode: deliveryMode,
      delivery_info: { exchange: '', routing_key: '' },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: '',
    },
  };
}

export class ControlListener {
  readonly hostname: string;
  readonly revoked: RevokedSet;
  readonly namespace: string;
  readonly channel: string;
  #transport: RedisTransport;
  #subscriber: Redis;
  #options: ControlListenerOptions;
  #logger: CeleryLogger;
  #clock = 0;
  #closed = false;

  private constructor(transport: RedisTransport, subscriber: Redis, options: ControlListenerOptions) {
    this.hostname = options.hostname;
    this.revoked = options.revoked ?? new RevokedSet();
    this.namespace = options.namespace ?? 'celery';
    this.channel = transport.fanoutChannel(`${this.namespace}.pidbox`);
    this.#transport = transport;
    this.#subscriber = subscriber;
    this.#options = options;
    this.#logger = options.logger ?? transport.logger;
  }

  /** Subscribes (on a connection of its own) and resolves once listening. */
  static async start(transport: RedisTransport, options: ControlListenerOptions): Promise<ControlListener> {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    if (typeof options.hostname !== 'string' || options.hostname === '') {
      throw invalidArgValue('options.hostname', 'must be a non-empty node name', options.hostname);
    }
    const subscriber = transport.client.duplicate();
    const listener = new ControlListener(transport, subscriber, options);
    subscriber.on('pmessage', (_pattern: string, _channel: string, text: string) => listener.#onMessage(text));
    subscriber.on('error', (error: Error) => listener.#logger('warn', `control subscriber: ${error.message}`));
    await subscriber.psubscribe(listener.channel);
    return listener;
  }

  #onMessage(text: string): void {
    const parsed = parsePayload(text);
    if (!parsed.ok) {
      this.#logger('warn', `ignored control message: ${parsed.reason.message}`);
      return;
    }
    const clock = parsed.payload.headers.clock;
    if (typeof clock === 'number') this.#clock = Math.max(this.#clock, clock) + 1;
    const message = parseControlMessage(parsed.payload);
    if (typeof message === 'string') {
      this.#logger('warn', `ignored control message: ${message}`);
      return;
    }
    if (!addressedTo(message, this.hostname)) return;
    let reply: unknown;
    try {
      reply = this.#dispatch(message);
    } catch (error) {
      reply = { error: `${(error as Error).name}: ${(error as Error).message}` };
      this.#logger('error', `control command ${message.method} failed: ${(error as Error).message}`);
    }
    if (message.replyTo && message.ticket) {
      this.#reply(message, reply).catch((error: Error) => this.#logger('warn', `control reply failed: ${error.message}`));
    }
  }

  #dispatch(message: ControlMessage): unknown {
    const args = message.arguments;
    switch (message.method) {
      case 'revoke': {
        const raw = args.task_id;
        const ids = (Array.isArray(raw) ? raw : [raw]).filter((id): id is string => typeof id === 'string' && id !== '');
        for (const id of ids) this.revoked.add(id);
        const request: RevokeRequest = {
          taskIds: ids,
          terminate: args.terminate === true,
          signal: typeof args.signal === 'string' ? args.signal : null,
        };
        this.#logger('info', `tasks flagged as revoked: ${ids.join(', ')}`);
        this.#options.onRevoke?.(request);
        return { ok: `tasks ${ids.join(', ')} flagged as revoked` };
      }
      case 'ping':
        return { ok: 'pong' };
      case 'hello': {
        if (args.from_node === this.hostname) return undefined;
        if (isRecord(args.revoked)) this.revoked.update(args.revoked);
        return { revoked: this.revoked.toCelery(), clock: this.#clock };
      }
      default: {
        const answer = this.#options.onCommand?.(message);
        if (answer === undefined) return { error: `No such control command: ${message.method}` };
        return answer;
      }
    }
  }

  async #reply(message: ControlMessage, reply: unknown): Promise<void> {
    if (reply === undefined || this.#closed || !message.replyTo) return;
    this.#clock += 1;
    const envelope = controlEnvelope({ [this.hostname]: reply }, { ticket: message.ticket, clock: this.#clock }, 1);
    await this.#transport.publish(envelope, { exchange: message.replyTo.exchange, routingKey: message.replyTo.routingKey });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeRedis(this.#subscriber);
  }
}

export interface BroadcastOptions {
  /** Node names to address; all workers when absent. */
  destination?: readonly string[];
  namespace?: string;
}

/** Publishes a control command to every worker (Celery's `app.control.broadcast`, no replies). */
export async function broadcastControl(
  transport: RedisTransport,
  method: string,
  args: Readonly<Record<string, unknown>> = {},
  options: BroadcastOptions = {},
): Promise<void> {
  if (typeof method !== 'string' || method === '') throw invalidArgValue('method', 'must be a non-empty command name', method);
  const body = {
    method,
    arguments: args,
    destination: options.destination ? [...options.destination] : null,
    pattern: null,
    matcher: null,
  };
  const envelope = controlEnvelope(body, { clock: 1, expires: 0 }, 2);
  await transport.publish(envelope, {
    exchange: `${options.namespace ?? 'celery'}.pidbox`,
    routingKey: '',
    exchangeType: 'fanout',
  });
}

/** `app.control.revoke(ids, terminate=..., signal=...)`. */
export function revokeTasks(
  transport: RedisTransport,
  taskIds: string | readonly string[],
  options: BroadcastOptions & { terminate?: boolean; signal?: string } = {},
): Promise<void> {
  const ids = typeof taskIds === 'string' ? [taskIds] : [...taskIds];
  if (ids.length === 0 || ids.some((id) => typeof id !== 'string' || id === '')) {
    throw invalidArgValue('taskIds', 'must be a task id or a non-empty list of them', taskIds);
  }
  return broadcastControl(
    transport,
    'revoke',
    { task_id: ids.length === 1 ? ids[0] : ids, terminate: options.terminate ?? false, signal: options.signal ?? 'SIGTERM' },
    options,
  );
}
