import { strict as assert } from 'node:assert';
import * as zlib from 'node:zlib';

import {
  CeleryException,
  decodeTaskMessage,
  encodeTaskMessage,
  fromCeleryException,
  isoformatUtc,
  parseIsoInstant,
  parsePayload,
  pythonRepr,
  pythonTupleRepr,
  retryMessage,
  TaskRevokedError,
  TimeLimitExceeded,
  toCeleryException,
  type KombuPayload,
  type TaskRequest,
} from '../../lib/celery';

// A message as Python Celery 5.2.6 put it on Redis for
// add.apply_async((2, 3), countdown=10, priority=5, expires=60, time_limit=30, soft_time_limit=20).
const PYTHON_MESSAGE =
  '{"body": "W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.add", "id": "3244fa71-6ec6-43b3-b109-a471c4850150", "shadow": null, "eta": "2026-11-27T05:50:16.164660+00:00", "expires": "2026-11-27T05:51:06.164660+00:00", "group": null, "group_index": null, "retries": 0, "timelimit": [30, 20], "root_id": "3244fa71-6ec6-43b3-b109-a471c4850150", "parent_id": null, "argsrepr": "(2, 3)", "kwargsrepr": "{}", "origin": "gen11517@vm", "ignore_result": false}, "properties": {"correlation_id": "3244fa71-6ec6-43b3-b109-a471c4850150", "reply_to": "0d37dab8-9598-3061-9766-f6267e78d5e3", "delivery_mode": 2, "expiration": "60000", "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 5, "body_encoding": "base64", "delivery_tag": "d9f75b8f-eeb9-4130-8659-b7f7955d0166"}}';

function payloadOf(raw: string): KombuPayload {
  const parsed = parsePayload(raw);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason.message);
  return parsed.payload;
}

function decoded(payload: KombuPayload): TaskRequest {
  const result = decodeTaskMessage(payload);
  assert.ok(result.ok, result.ok ? '' : result.reason.message);
  return result.request;
}

function rejected(payload: KombuPayload): { code: string; message: string } {
  const result = decodeTaskMessage(payload);
  assert.equal(result.ok, false);
  return (result as { ok: false; reason: { code: string; message: string } }).reason;
}

/** Our own envelope as a transport would publish it. */
function published(payload: KombuPayload): KombuPayload {
  return payloadOf(JSON.stringify({
    ...payload,
    properties: { ...payload.properties, delivery_tag: 'tag-1', delivery_info: { exchange: '', routing_key: 'celery' } },
  }));
}

describe('celery.protocol', () => {
  it('decodes a protocol 2 message written by Python Celery', () => {
    const r = decoded(payloadOf(PYTHON_MESSAGE));
    assert.equal(r.protocol, 2);
    assert.equal(r.task, 'tasks.add');
    assert.equal(r.id, '3244fa71-6ec6-43b3-b109-a471c4850150');
    assert.deepEqual(r.args, [2, 3]);
    assert.deepEqual(r.kwargs, {});
    assert.deepEqual(r.embed, { callbacks: null, errbacks: null, chain: null, chord: null });
    assert.equal(r.eta?.toISOString(), '2026-11-27T05:50:16.164Z');
    assert.equal(r.expires?.toISOString(), '2026-11-27T05:51:06.164Z');
    // Celery sends timelimit as [hard, soft].
    assert.equal(r.timeLimit, 30);
    assert.equal(r.softTimeLimit, 20);
    assert.equal(r.priority, 5);
    assert.equal(r.routingKey, 'celery');
    assert.equal(r.exchange, '');
    assert.equal(r.lang, 'py');
    assert.equal(r.rootId, r.id);
    assert.equal(r.replyTo, '0d37dab8-9598-3061-9766-f6267e78d5e3');
    assert.equal(r.redelivered, false);
  });

  it('encodes what Python sends: headers, properties and [args, kwargs, embed] in base64 JSON', () => {
    const now = new Date('2026-01-02T03:04:05.678Z');
    const p = encodeTaskMessage({
      task: 'tasks.mul',
      args: [6, 7],
      kwargs: { z: 'x' },
      id: 'id-1',
      countdown: 10,
      expires: 60,
      timeLimit: 30,
      softTimeLimit: 20,
      priority: 3,
      now,
    });
    assert.equal(p['content-type'], 'application/json');
    assert.equal(p['content-encoding'], 'utf-8');
    assert.equal(p.properties.body_encoding, 'base64');
    assert.equal(p.properties.correlation_id, 'id-1');
    assert.equal(p.properties.delivery_mode, 2);
    assert.equal(p.properties.priority, 3);
    assert.equal(p.properties.expiration, '60000');
    assert.deepEqual(JSON.parse(Buffer.from(p.body, 'base64').toString()), [
      [6, 7],
      { z: 'x' },
      { callbacks: null, errbacks: null, chain: null, chord: null },
    ]);
    const h = p.headers;
    assert.equal(h.lang, 'js');
    assert.equal(h.task, 'tasks.mul');
    assert.equal(h.id, 'id-1');
    assert.equal(h.root_id, 'id-1');
    assert.equal(h.parent_id, null);
    assert.equal(h.retries, 0);
    assert.deepEqual(h.timelimit, [30, 20]);
    assert.equal(h.eta, '2026-01-02T03:04:15.678000+00:00');
    assert.equal(h.expires, '2026-01-02T03:05:05.678000+00:00');
    assert.equal(h.argsrepr, '(6, 7)');
    assert.equal(h.kwargsrepr, "{'z': 'x'}");
    assert.equal(h.ignore_result, false);
    for (const key of ['shadow', 'group', 'group_index', 'origin']) assert.ok(key in h, key);

    const r = decoded(published(p));
    assert.deepEqual(r.args, [6, 7]);
    assert.deepEqual(r.kwargs, { z: 'x' });
    assert.equal(r.eta?.getTime(), now.getTime() + 10_000);
    assert.equal(r.timeLimit, 30);
  });

  it('validates encode options with Node-style errors', () => {
    assert.throws(() => encodeTaskMessage({ task: '' }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => encodeTaskMessage({ task: 3 as unknown as string }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => encodeTaskMessage({ task: 't', args: 'x' as unknown as unknown[] }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => encodeTaskMessage({ task: 't', priority: 1.5 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => encodeTaskMessage({ task: 't', timeLimit: 0 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => encodeTaskMessage({ task: 't', eta: 'tomorrow' }), { code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('decodes protocol 1 messages', () => {
    const body = { task: 'tasks.add', id: 'v1-id', args: [1, 2], kwargs: { k: 1 }, retries: 2, eta: '2026-01-01T00:00:00', timelimit: [10, null] };
    const r = decoded(payloadOf(JSON.stringify({
      body: Buffer.from(JSON.stringify(body)).toString('base64'),
      'content-type': 'application/json',
      'content-encoding': 'utf-8',
      headers: {},
      properties: { body_encoding: 'base64', delivery_tag: 't', delivery_info: { exchange: 'celery', routing_key: 'celery' } },
    })));
    assert.equal(r.protocol, 1);
    assert.equal(r.id, 'v1-id');
    assert.deepEqual(r.args, [1, 2]);
    assert.deepEqual(r.kwargs, { k: 1 });
    assert.equal(r.retries, 2);
    assert.equal(r.eta?.toISOString(), '2026-01-01T00:00:00.000Z'); // naive means UTC
    assert.equal(r.timeLimit, 10);
    assert.equal(r.softTimeLimit, null);
  });

  it('accepts zlib-compressed bodies (Kombu\'s application/x-gzip)', () => {
    const p = encodeTaskMessage({ task: 't', args: [1] });
    const raw = Buffer.from(p.body, 'base64');
    const compressed = published({ ...p, body: zlib.deflateSync(raw).toString('base64'), headers: { ...p.headers, compression: 'application/x-gzip' } });
    assert.deepEqual(decoded(compressed).args, [1]);
  });

  describe('rejects what a worker must not run, with a reason and without throwing', () => {
    const base = () => published(encodeTaskMessage({ task: 'tasks.x', id: 'i' }));
    it('another serializer', () => {
      const r = rejected({ ...base(), 'content-type': 'application/x-python-serialize' });
      assert.equal(r.code, 'ERR_CELERY_CONTENT_TYPE');
      assert.match(r.message, /x-python-serialize/);
    });
    it('a body that is not base64, UTF-8 or JSON', () => {
      assert.equal(rejected({ ...base(), body: '***' }).code, 'ERR_CELERY_BAD_BODY');
      assert.equal(rejected({ ...base(), body: Buffer.from([0xff, 0xfe]).toString('base64') }).code, 'ERR_CELERY_BAD_BODY');
      assert.match(rejected({ ...base(), body: Buffer.from('[1, 2').toString('base64') }).message, /not valid JSON/);
    });
    it('an unknown compression or body encoding', () => {
      assert.match(rejected({ ...base(), headers: { ...base().headers, compression: 'application/x-bz2' } }).message, /compression/);
      const p = base();
      assert.match(rejected({ ...p, properties: { ...p.properties, body_encoding: 'rot13' } }).message, /body_encoding/);
    });
    it('missing or mistyped fields', () => {
      const p = base();
      assert.match(rejected({ ...p, headers: { ...p.headers, id: '' } }).message, /headers\.id/);
      assert.match(rejected({ ...p, headers: { ...p.headers, retries: -1 } }).message, /retries/);
      assert.match(rejected({ ...p, headers: { ...p.headers, eta: 'soon' } }).message, /invalid ETA/);
      assert.match(rejected({ ...p, headers: { ...p.headers, timelimit: [1] } }).message, /timelimit/);
      assert.match(rejected({ ...p, body: Buffer.from('{"a": 1}').toString('base64') }).message, /\[args, kwargs, embed\]/);
      assert.match(rejected({ ...p, body: Buffer.from('[1, {}, {}]').toString('base64') }).message, /args/);
      assert.match(rejected({ ...p, headers: {} }).message, /not a Celery task message/);
    });
    it('an envelope that is not Kombu\'s', () => {
      for (const raw of ['not json', '[]', '{"body": "x"}', '{"properties": {"delivery_info": {}}}']) {
        const r = parsePayload(raw);
        assert.equal(r.ok, false, raw);
        assert.equal((r as { ok: false; reason: { code: string } }).reason.code, 'ERR_CELERY_BAD_PAYLOAD');
      }
    });
  });

  it('parses the ISO instants Celery writes', () => {
    assert.equal(parseIsoInstant('2026-11-27T05:50:16.164660+00:00')?.toISOString(), '2026-11-27T05:50:16.164Z');
    assert.equal(parseIsoInstant('2026-11-27T07:50:16+02:00')?.toISOString(), '2026-11-27T05:50:16.000Z');
    assert.equal(parseIsoInstant('2026-11-27T05:50:16Z')?.toISOString(), '2026-11-27T05:50:16.000Z');
    assert.equal(parseIsoInstant('2026-11-27 05:50')?.toISOString(), '2026-11-27T05:50:00.000Z');
    assert.equal(parseIsoInstant('nope'), null);
    assert.equal(isoformatUtc(new Date('2026-01-01T00:00:00.5Z')), '2026-01-01T00:00:00.500000+00:00');
  });

  it('builds the retry message Celery\'s Task.retry() sends', () => {
    const r = decoded(published(encodeTaskMessage({ task: 't', id: 'orig', args: [1], kwargs: { a: 2 }, timeLimit: 5, priority: 6 })));
    const now = new Date('2026-01-01T00:00:00Z');
    const { message, route } = retryMessage(r, { countdown: 3, now });
    assert.deepEqual(route, { exchange: '', routingKey: 'celery' });
    const again = decoded(published(encodeTaskMessage(message)));
    assert.equal(again.id, 'orig');
    assert.equal(again.retries, 1);
    assert.equal(again.parentId, 'orig');
    assert.equal(again.rootId, 'orig');
    assert.equal(again.timeLimit, 5);
    assert.equal(again.priority, 6);
    assert.deepEqual(again.kwargs, { a: 2 });
    assert.equal(again.eta?.toISOString(), '2026-01-01T00:00:03.000Z');
  });

  it('writes Python reprs for argsrepr/kwargsrepr', () => {
    assert.equal(pythonTupleRepr([1]), '(1,)');
    assert.equal(pythonTupleRepr([]), '()');
    assert.equal(pythonRepr([null, true, false, 'it\'s', 'a"b\n']), '[None, True, False, "it\'s", \'a"b\\n\']');
    assert.equal(pythonRepr({ k: [1.5, { n: null }] }), "{'k': [1.5, {'n': None}]}");
  });
});

describe('celery.exceptions', () => {
  it('maps JS errors to Celery\'s JSON form', () => {
    assert.deepEqual(toCeleryException(new TypeError('bad')), { exc_type: 'TypeError', exc_message: ['bad'], exc_module: 'builtins' });
    assert.deepEqual(toCeleryException(new Error('boom')), { exc_type: 'Error', exc_message: ['boom'], exc_module: 'greenhub' });
    class QuotaError extends Error {
      override name = 'QuotaError';
    }
    assert.deepEqual(toCeleryException(new QuotaError('over')), { exc_type: 'QuotaError', exc_message: ['over'], exc_module: 'greenhub' });
    assert.deepEqual(toCeleryException('plain'), { exc_type: 'Exception', exc_message: ['plain'], exc_module: 'builtins' });
    assert.deepEqual(toCeleryException(new TimeLimitExceeded(30)), { exc_type: 'TimeLimitExceeded', exc_message: [30], exc_module: 'billiard.exceptions' });
    // Never let a task make a Python client raise SystemExit.
    const exit = new Error('x');
    exit.name = 'SystemExit';
    assert.equal(toCeleryException(exit).exc_module, 'greenhub');
    // An error may name its Python identity.
    assert.deepEqual(toCeleryException(Object.assign(new Error('m'), { excType: 'LookupError', excModule: 'builtins' })).exc_type, 'LookupError');
  });

  it('rebuilds stored failures keeping the Python identity', () => {
    const e = fromCeleryException({ exc_type: 'ValueError', exc_message: ['bad thing'], exc_module: 'builtins' }, { traceback: 'tb', taskId: 'id' });
    assert.ok(e instanceof CeleryException);
    assert.equal(e.name, 'ValueError');
    assert.equal(e.message, 'bad thing');
    assert.equal(e.qualifiedName, 'builtins.ValueError');
    assert.equal(e.traceback, 'tb');
    assert.equal(e.taskId, 'id');
    const revoked = fromCeleryException({ exc_type: 'TaskRevokedError', exc_message: ['expired'], exc_module: 'celery.exceptions' });
    assert.ok(revoked instanceof TaskRevokedError);
    assert.equal(revoked.message, 'expired');
    assert.ok(fromCeleryException({ exc_type: 'TimeLimitExceeded', exc_message: [1], exc_module: 'billiard.exceptions' }) instanceof TimeLimitExceeded);
    assert.equal(fromCeleryException({ exc_type: 'KeyError', exc_message: ['k'], exc_module: 'builtins' }).message, "'k'");
    assert.equal(fromCeleryException({ exc_type: 'E', exc_message: [1, 'a'], exc_module: null }).message, "(1, 'a')");
    assert.equal(fromCeleryException({ exc_type: 'E', exc_message: 'bare', exc_module: 'm' }).message, 'bare');
    assert.equal(fromCeleryException(null).name, 'Exception');
  });
});
