// The timers patch: the global setTimeout/setInterval/setImmediate and
// clear* (also node:timers' exports, and node:timers/promises' setTimeout,
// setImmediate and setInterval) replaced by versions on the hub's loop.
// unpatch puts back exactly the functions that were there.
import * as util from 'node:util';
import nodeTimers = require('node:timers');
import timersPromises = require('node:timers/promises');

import { GreenImmediate, greenSetImmediate } from './immediate';
import { greenSetInterval, greenSetTimeout, greenTimeoutOf } from './timeout';
import * as green from './timers-promises';

/** The functions the timers patch replaces, as they were before it. */
export interface OriginalTimers {
  setTimeout: typeof globalThis.setTimeout;
  clearTimeout: typeof globalThis.clearTimeout;
  setInterval: typeof globalThis.setInterval;
  clearInterval: typeof globalThis.clearInterval;
  setImmediate: typeof globalThis.setImmediate;
  clearImmediate: typeof globalThis.clearImmediate;
}

type TimerName = keyof OriginalTimers;
const TIMER_NAMES: readonly TimerName[] = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'];
const PROMISE_NAMES = ['setTimeout', 'setImmediate', 'setInterval'] as const;

type Saved = {
  global: Record<string, unknown>;
  timers: Record<string, unknown>;
  promises: Record<string, unknown>;
};

let saved: Saved | null = null;

// Node's own functions, captured when this module loads: what getOriginal()
// returns, and what green clear* hand foreign timers to.
const nodeOriginals: OriginalTimers = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  clearImmediate: globalThis.clearImmediate,
};

/** @internal Node's function `name`, whatever is patched. */
export function originalTimer<K extends TimerName>(name: K): OriginalTimers[K] {
  return nodeOriginals[name];
}

// The clear* functions in force before the patch take care of everything
// that is not green (timers made before the patch, or by Node's own module).
function foreign(name: 'clearTimeout' | 'clearInterval' | 'clearImmediate'): (timer: unknown) => void {
  return ((saved?.global[name] as ((t: unknown) => void) | undefined) ?? nodeOriginals[name]) as (timer: unknown) => void;
}

function clearTimeout(timer?: unknown): void {
  const green = greenTimeoutOf(timer);
  if (green !== undefined) green._clear();
  else foreign('clearTimeout')(timer);
}

function clearInterval(timer?: unknown): void {
  const green = greenTimeoutOf(timer);
  if (green !== undefined) green._clear();
  else foreign('clearInterval')(timer);
}

function clearImmediate(immediate?: unknown): void {
  if (immediate instanceof GreenImmediate) immediate._clear();
  else foreign('clearImmediate')(immediate);
}

// util.promisify(setTimeout) and util.promisify(setImmediate) give the
// green timers/promises functions, as Node's give Node's.
Object.defineProperty(greenSetTimeout, util.promisify.custom, { value: green.setTimeout });
Object.defineProperty(greenSetImmediate, util.promisify.custom, { value: green.setImmediate });

const replacements: Record<TimerName, unknown> = {
  setTimeout: greenSetTimeout,
  clearTimeout,
  setInterval: greenSetInterval,
  clearInterval,
  setImmediate: greenSetImmediate,
  clearImmediate,
};

function swap(target: Record<string, unknown>, names: readonly string[], values: Record<string, unknown>): Record<string, unknown> {
  const before: Record<string, unknown> = {};
  for (const name of names) {
    before[name] = target[name];
    target[name] = values[name];
  }
  return before;
}

/** @internal */
export function isTimersPatched(): boolean {
  return saved !== null;
}

/** @internal Installs the green timers; false if they were installed already. */
export function patchTimers(): boolean {
  if (saved !== null) return false;
  const global = globalThis as unknown as Record<string, unknown>;
  const before: Saved = {
    global: swap(global, TIMER_NAMES, replacements),
    timers: {},
    promises: {},
  };
  // Set first: the green clear* look up the functions they replaced here.
  saved = before;
  before.timers = swap(nodeTimers as unknown as Record<string, unknown>, TIMER_NAMES, replacements);
  before.promises = swap(timersPromises as unknown as Record<string, unknown>, PROMISE_NAMES, green as unknown as Record<string, unknown>);
  return true;
}

/** @internal Puts the saved functions back; false if the patch was not on. */
export function unpatchTimers(): boolean {
  if (saved === null) return false;
  const before = saved;
  swap(globalThis as unknown as Record<string, unknown>, TIMER_NAMES, before.global);
  swap(nodeTimers as unknown as Record<string, unknown>, TIMER_NAMES, before.timers);
  swap(timersPromises as unknown as Record<string, unknown>, PROMISE_NAMES, before.promises);
  saved = null;
  return true;
}
