// Monkey patches (gevent.monkey, in Node's terms). All opt-in, each alone
// or through patchAll(), each undone by unpatch(). See docs/monkey.md for
// what each one changes and what it may break.
//
// - promises: Promise.prototype[Symbol.iterator], so a greenlet can
//   `yield*` any promise.
// - timers: setTimeout/setInterval/setImmediate and clear* (global, node:
//   timers and node:timers/promises) on the hub's loop.
// - context: AsyncLocalStorage stores follow the greenlet that set them.
//
// There is no socket, DNS, file or subprocess patch: gevent needs them
// because Python's standard library blocks the thread, while Node's own
// I/O never blocks the loop. Node's sockets, fs and child processes keep
// working next to greenlets unchanged; a greenlet waits on them through
// their promises (with the promises patch, `yield*` on them directly).
import { invalidArgType, invalidArgValue } from './loop/errors';
import { isContextPatched, patchContext as applyContext, unpatchContext } from './monkey/context';
import { isPromisesPatched, patchPromises as applyPromises, unpatchPromises } from './monkey/promises';
import { isTimersPatched, originalTimer, patchTimers as applyTimers, unpatchTimers, type OriginalTimers } from './monkey/timers';

export type { OriginalTimers } from './monkey/timers';
export { GreenImmediate } from './monkey/immediate';
export { GreenTimeout } from './monkey/timeout';
export { AbortError, type TimerOptions } from './monkey/timers-promises';

export type PatchName = 'promises' | 'timers' | 'context';

/** Every patch, in the order patchAll() applies them. */
export const patchNames: readonly PatchName[] = Object.freeze(['promises', 'timers', 'context']);

export interface PatchAllOptions {
  promises?: boolean;
  timers?: boolean;
  context?: boolean;
}

interface Patch {
  apply(): boolean;
  remove(): boolean;
  applied(): boolean;
}

const PATCHES: Record<PatchName, Patch> = {
  promises: { apply: applyPromises, remove: unpatchPromises, applied: isPromisesPatched },
  timers: { apply: applyTimers, remove: unpatchTimers, applied: isTimersPatched },
  context: { apply: applyContext, remove: unpatchContext, applied: isContextPatched },
};

// gevent's patches that have no counterpart here, and why.
const NOT_NEEDED = new Set(['socket', 'dns', 'ssl', 'select', 'selectors', 'os', 'subprocess', 'thread', 'threading', 'time', 'signal', 'queue', 'sys', 'builtins']);

function validateName(name: unknown, argument = 'name'): PatchName {
  if (typeof name === 'string' && Object.hasOwn(PATCHES, name)) return name as PatchName;
  const known = patchNames.map((n) => `'${n}'`).join(', ');
  const hint =
    typeof name === 'string' && NOT_NEEDED.has(name)
      ? ` (gevent's '${name}' patch has no counterpart: Node's own I/O, timers and processes never block the loop)`
      : '';
  throw invalidArgValue(argument, `must be one of ${known}${hint}`, name);
}

/** Applies one patch; returns false if it was on already. */
export function patch(name: PatchName): boolean {
  return PATCHES[validateName(name)].apply();
}

/**
 * Undoes one patch (or, with no name, every patch), restoring exactly what
 * was there before. Returns whether anything was undone.
 */
export function unpatch(name?: PatchName): boolean {
  if (name !== undefined) return PATCHES[validateName(name)].remove();
  let any = false;
  for (const each of [...patchNames].reverse()) any = PATCHES[each].remove() || any;
  return any;
}

/** Whether the patch is on (with no name: whether any is). */
export function isPatched(name?: PatchName): boolean {
  if (name !== undefined) return PATCHES[validateName(name)].applied();
  return patchNames.some((each) => PATCHES[each].applied());
}

/**
 * Applies every patch not turned off in `options` (all by default) and
 * returns the ones this call applied. Repeated calls add to what is on,
 * as gevent's do; they never undo a patch.
 */
export function patchAll(options: PatchAllOptions = {}): PatchName[] {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgType('options', 'of type object', options);
  }
  for (const [key, value] of Object.entries(options)) {
    validateName(key, `options.${key}`);
    if (value !== undefined && typeof value !== 'boolean') throw invalidArgType(`options.${key}`, 'of type boolean', value);
  }
  const applied: PatchName[] = [];
  for (const name of patchNames) {
    if (options[name] === false) continue;
    if (PATCHES[name].apply()) applied.push(name);
  }
  return applied;
}

/** Yields any promise inside a greenlet: `const rows = yield* db.query(sql)`. */
export function patchPromises(): boolean {
  return applyPromises();
}

/** setTimeout, setInterval, setImmediate (and node:timers/promises) on the hub's loop. */
export function patchTimers(): boolean {
  return applyTimers();
}

/** AsyncLocalStorage stores follow the greenlet that set them. */
export function patchContext(): boolean {
  return applyContext();
}

/** Node's own timer function, whether or not the timers patch is on. */
export function getOriginal<K extends keyof OriginalTimers>(name: K): OriginalTimers[K] {
  const names: readonly string[] = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'];
  if (typeof name !== 'string' || !names.includes(name)) {
    throw invalidArgValue('name', `must be one of ${names.map((n) => `'${n}'`).join(', ')}`, name);
  }
  return originalTimer(name);
}
