// Event bits, as libev numbers them.
import { validateInteger } from './validate';

export const READ = 0x01;
export const WRITE = 0x02;
export const READWRITE = READ | WRITE;
export const TIMER = 0x100;
export const PERIODIC = 0x200;
export const SIGNAL = 0x400;
export const CHILD = 0x800;
export const STAT = 0x1000;
export const IDLE = 0x2000;
export const PREPARE = 0x4000;
export const CHECK = 0x8000;
export const ASYNC = 0x80000;
export const ERROR = 0x80000000 | 0;
/** @internal The addon marks events after which the watcher stopped itself. */
export const STOPPED = 0x20000000;

export const MINPRI = -2;
export const MAXPRI = 2;

/**
 * Pass EVENTS among a watcher's arguments to receive the event bits there:
 * `io.start((revents) => ..., EVENTS)`, as with gevent's `core.EVENTS`.
 */
export const EVENTS: unique symbol = Symbol('greenhub.EVENTS');
export type EventsPlaceholder = typeof EVENTS;

const NAMES: [number, string][] = [
  [READ, 'READ'],
  [WRITE, 'WRITE'],
  [TIMER, 'TIMER'],
  [PERIODIC, 'PERIODIC'],
  [SIGNAL, 'SIGNAL'],
  [CHILD, 'CHILD'],
  [STAT, 'STAT'],
  [IDLE, 'IDLE'],
  [PREPARE, 'PREPARE'],
  [CHECK, 'CHECK'],
  [ASYNC, 'ASYNC'],
  [ERROR, 'ERROR'],
];

/** 'READ|WRITE' for READ | WRITE. */
export function eventsToString(events: number): string {
  // ERROR is the sign bit: event masks are int32 or their unsigned reading.
  validateInteger('events', events, -0x80000000, 0xffffffff);
  const names = NAMES.filter(([bit]) => (events & bit) !== 0).map(([, name]) => name);
  return names.length > 0 ? names.join('|') : '0';
}
