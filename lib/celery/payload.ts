// The message envelope of Kombu's virtual transports: the JSON object a Redis
// list holds for each message (kombu/transport/virtual/base.py, Message and
// _inplace_augment_message). The transport reads only `properties` (the
// delivery tag, delivery_info, priority); the task protocol reads the rest.

export interface KombuDeliveryInfo {
  exchange: string;
  routing_key: string;
  /** Set by Kombu when it puts a message back after a reject or a lost worker. */
  redelivered?: boolean;
  [key: string]: unknown;
}

export interface KombuProperties {
  /** 'base64' when `body` is base64 text (Kombu's default for Redis). */
  body_encoding?: string;
  /** A uuid the publisher assigns; the key of the message in the `unacked` hash. */
  delivery_tag: string;
  delivery_info: KombuDeliveryInfo;
  /** 0..9; on Redis a lower number is consumed first. */
  priority?: number;
  correlation_id?: string;
  reply_to?: string;
  /** 1 transient, 2 persistent (informational on Redis). */
  delivery_mode?: number;
  [key: string]: unknown;
}

export interface KombuPayload {
  body: string;
  'content-encoding': string | null;
  'content-type': string | null;
  headers: Record<string, unknown>;
  properties: KombuProperties;
}

/** Why a message was refused. Never thrown by the consumer path: returned. */
export type RejectCode =
  | 'ERR_CELERY_BAD_PAYLOAD'
  | 'ERR_CELERY_CONTENT_TYPE'
  | 'ERR_CELERY_BAD_BODY'
  | 'ERR_CELERY_BAD_MESSAGE'
  | 'ERR_CELERY_UNKNOWN_TASK';

export interface RejectReason {
  code: RejectCode;
  message: string;
}

export type PayloadResult = { ok: true; payload: KombuPayload } | { ok: false; reason: RejectReason };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function bad(message: string): PayloadResult {
  return { ok: false, reason: { code: 'ERR_CELERY_BAD_PAYLOAD', message } };
}

/**
 * Parses a raw list item into an envelope, checking only what the transport
 * relies on: a JSON object with a string body, a properties object with a
 * delivery tag and delivery_info. Never throws.
 */
export function parsePayload(raw: string): PayloadResult {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return bad(`message is not JSON (${(error as Error).message}): ${raw.slice(0, 120)}`);
  }
  if (!isRecord(value)) return bad('message is not a JSON object');
  const { properties } = value;
  if (!isRecord(properties)) return bad('message has no "properties" object');
  if (typeof properties.delivery_tag !== 'string' || properties.delivery_tag === '') {
    return bad('message has no delivery_tag');
  }
  const info = properties.delivery_info;
  if (!isRecord(info)) return bad('message has no delivery_info');
  const body = value.body ?? '';
  if (typeof body !== 'string') return bad('message body is not a string');
  const headers = value.headers ?? {};
  if (!isRecord(headers)) return bad('message headers are not an object');
  const contentType = value['content-type'];
  const contentEncoding = value['content-encoding'];
  return {
    ok: true,
    payload: {
      ...value,
      body,
      headers,
      'content-type': typeof contentType === 'string' ? contentType : null,
      'content-encoding': typeof contentEncoding === 'string' ? contentEncoding : null,
      properties: {
        ...properties,
        delivery_tag: properties.delivery_tag,
        delivery_info: {
          ...info,
          exchange: typeof info.exchange === 'string' ? info.exchange : '',
          routing_key: typeof info.routing_key === 'string' ? info.routing_key : '',
        },
      },
    },
  };
}
