// The context patch: AsyncLocalStorage values follow greenlets. Without
// it, every greenlet runs in the hub's async context (the loop's), so
// als.enterWith() in one greenlet is seen by all of them and a store set
// around spawn() is lost. With it, each greenlet gets an AsyncResource when
// it is started (so it inherits the starter's stores, as any Node async
// resource does) and every resume runs inside it: what the greenlet sets
// stays its own across switches, and promises it creates inherit it.
//
// It uses only Node's public AsyncResource API, so it works whatever
// AsyncLocalStorage is built on (async hooks in Node 20, AsyncContextFrame
// later). The cost is a runInAsyncScope per resume (see bench/README.md).
import { AsyncResource } from 'node:async_hooks';

import { Greenlet } from '../core/greenlet';

const RESOURCE = Symbol('greenhub.asyncResource');

interface Contextual {
  [RESOURCE]?: AsyncResource | null;
  dead: boolean;
}

// Greenlet's methods the patch wraps, as they were.
interface Wrapped {
  start(this: Greenlet): void;
  startLater(this: Greenlet, seconds: number): void;
  _begin(this: Greenlet): void;
  _resume(this: Greenlet, isThrow: boolean, value: unknown): void;
}

let saved: Wrapped | null = null;

function bind(greenlet: Contextual): AsyncResource {
  let resource = greenlet[RESOURCE];
  if (resource === undefined || resource === null) {
    resource = new AsyncResource('Greenlet', { requireManualDestroy: true });
    greenlet[RESOURCE] = resource;
  }
  return resource;
}

function finished(greenlet: Contextual, resource: AsyncResource): void {
  // Once: _begin's scope holds _resume's, and both end here.
  if (!greenlet.dead || greenlet[RESOURCE] !== resource) return;
  greenlet[RESOURCE] = null;
  resource.emitDestroy();
}

/** @internal */
export function isContextPatched(): boolean {
  return saved !== null;
}

/** @internal Wraps Greenlet's start and resume; false if done already. */
export function patchContext(): boolean {
  if (saved !== null) return false;
  const proto = Greenlet.prototype as unknown as Wrapped;
  const original: Wrapped = {
    start: proto.start,
    startLater: proto.startLater,
    _begin: proto._begin,
    _resume: proto._resume,
  };
  saved = original;
  // The context a greenlet inherits is its starter's.
  proto.start = function start(this: Greenlet): void {
    if (!this.started && !this.dead) bind(this as unknown as Contextual);
    original.start.call(this);
  };
  proto.startLater = function startLater(this: Greenlet, seconds: number): void {
    if (!this.started && !this.dead) bind(this as unknown as Contextual);
    original.startLater.call(this, seconds);
  };
  // Greenlets begun by the hub itself (link callbacks) inherit the hub's.
  proto._begin = function _begin(this: Greenlet): void {
    const resource = bind(this as unknown as Contextual);
    resource.runInAsyncScope(original._begin, this);
    finished(this as unknown as Contextual, resource);
  };
  proto._resume = function _resume(this: Greenlet, isThrow: boolean, value: unknown): void {
    const resource = (this as unknown as Contextual)[RESOURCE];
    if (resource === undefined || resource === null) {
      // Started before the patch: it keeps the hub's context.
      original._resume.call(this, isThrow, value);
      return;
    }
    resource.runInAsyncScope(original._resume, this, isThrow, value);
    finished(this as unknown as Contextual, resource);
  };
  return true;
}

/** @internal Puts Greenlet's methods back; false if the patch was not on. */
export function unpatchContext(): boolean {
  if (saved === null) return false;
  Object.assign(Greenlet.prototype, saved);
  saved = null;
  return true;
}
