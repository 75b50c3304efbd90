// Beat: publishes tasks on a schedule (Celery's `celery beat`), each entry
// on a wall-clock periodic watcher of the loop (libev's ev_periodic):
//
//   - an interval of N seconds is periodic(start, N): it fires at start +
//     k*N of real time;
//   - a crontab is periodic with a reschedule callback that answers
//     nextCrontabTime(schedule, now).
//
// Surviving clock jumps comes by construction: a periodic watcher is armed
// for an absolute wall-clock time, and when the system clock is set
// (Linux: timerfd with TFD_TIMER_CANCEL_ON_SET) the loop re-arms it from the
// new time — asking the reschedule callback again for crontabs. A jump
// forward fires a missed entry once (not once per missed slot); a jump back
// does not fire an entry again early, it waits for the next slot of the new
// time. Celery's beat wakes up on a relative timer and compares times
// instead; the result is the same without polling.
//
// Like Celery's beat, run one beat per schedule: two would both publish.
import { spawn } from '../core/greenlet';
import type { Operation, Task } from '../core/operation';
import { getHub } from '../core/hub';
import { awaitable } from '../core/task';
import { until } from '../core/until';
import { invalidArgType, invalidArgValue, outOfRange } from '../loop/errors';
import { wallClock, type PeriodicWatcher } from '../loop/periodic';
import type { CeleryApp } from './app';
import type { SendTaskOptions } from './client';
import { Crontab, nextCrontabTime } from './crontab';
import type { CeleryLogger } from './log';

/** Every `seconds` seconds of wall-clock time (Celery's schedule(run_every)). */
export class Every {
  readonly seconds: number;
  constructor(seconds: number) {
    if (typeof seconds !== 'number') throw invalidArgType('seconds', 'of type number', seconds);
    if (!Number.isFinite(seconds) || seconds <= 0) throw outOfRange('seconds', 'a finite number > 0', seconds);
    this.seconds = seconds;
  }

  toString(): string {
    return `<every ${this.seconds} seconds>`;
  }
}

/** An interval schedule: `every(30)`. */
export function every(seconds: number): Every {
  return new Every(seconds);
}

/** A schedule: seconds, every(seconds), or crontab({...}). */
export type Schedule = number | Every | Crontab;

/** One line of the beat schedule (Celery's beat_schedule entries). */
export interface BeatEntry {
  /** The task name to send. */
  task: string;
  schedule: Schedule;
  args?: readonly unknown[];
  kwargs?: Readonly<Record<string, unknown>>;
  /** apply_async options: queue, priority, expires... */
  options?: SendTaskOptions;
}

export interface BeatOptions {
  /** Entries by name (default: the app's beatSchedule). */
  schedule?: Readonly<Record<string, BeatEntry>>;
  logger?: CeleryLogger;
}

/** What beat reports about an entry. */
export interface BeatEntryState {
  name: string;
  task: string;
  schedule: string;
  /** When it fires next (null when beat is not running). */
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  totalRunCount: number;
}

interface Scheduled {
  name: string;
  entry: BeatEntry;
  schedule: Every | Crontab;
  watcher: PeriodicWatcher | null;
  lastRunAt: Date | null;
  runs: number;
}

function checkEntry(name: string, entry: unknown): Every | Crontab {
  const where = `schedule[${JSON.stringify(name)}]`;
  if (entry === null || typeof entry !== 'object') throw invalidArgType(where, 'of type object', entry);
  const e = entry as BeatEntry;
  if (typeof e.task !== 'string' || e.task === '') throw invalidArgValue(`${where}.task`, 'must be a task name', e.task);
  if (e.args !== undefined && !Array.isArray(e.args)) throw invalidArgType(`${where}.args`, 'an instance of Array', e.args);
  if (e.kwargs !== undefined && (e.kwargs === null || typeof e.kwargs !== 'object' || Array.isArray(e.kwargs))) {
    throw invalidArgType(`${where}.kwargs`, 'of type object', e.kwargs);
  }
  if (e.options !== undefined && (e.options === null || typeof e.options !== 'object')) throw invalidArgType(`${where}.options`, 'of type object', e.options);
  const schedule = e.schedule;
  if (typeof schedule === 'number') {
    if (!Number.isFinite(schedule) || schedule <= 0) throw outOfRange(`${where}.schedule`, 'a finite number of seconds > 0', schedule);
    return new Every(schedule);
  }
  if (schedule instanceof Every || schedule instanceof Crontab) return schedule;
  throw invalidArgType(`${where}.schedule`, 'seconds, every(seconds) or crontab({...})', schedule);
}

export class Beat {
  readonly app: CeleryApp;
  readonly log: CeleryLogger;
  readonly #entries: Scheduled[];
  #running = false;
  #stopped: Promise<void> = Promise.resolve();
  #resolveStopped: () => void = () => undefined;

  constructor(app: CeleryApp, options: BeatOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const schedule = options.schedule ?? app.beatSchedule;
    if (schedule === null || typeof schedule !== 'object') throw invalidArgType('options.schedule', 'an object of entry name -> entry', schedule);
    const logger = options.logger ?? app.logger;
    if (typeof logger !== 'function') throw invalidArgType('options.logger', 'of type function', logger);
    this.app = app;
    this.log = logger;
    this.#entries = Object.entries(schedule).map(([name, entry]) => ({
      name,
      entry,
      schedule: checkEntry(name, entry),
      watcher: null,
      lastRunAt: null,
      runs: 0,
    }));
  }

  get running(): boolean {
    return this.#running;
  }

  /** The entries with their next and last run times. */
  entries(): BeatEntryState[] {
    return this.#entries.map((s) => ({
      name: s.name,
      task: s.entry.task,
      schedule: s.schedule.toString(),
      nextRunAt: s.watcher && s.watcher.active ? new Date(s.watcher.at * 1000) : null,
      lastRunAt: s.lastRunAt,
      totalRunCount: s.runs,
    }));
  }

  /** Arms every entry's watcher. Needs no greenlet; each firing sends in a greenlet of its own. */
  start(): void {
    if (this.#running) return;
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
    const loop = getHub().loop;
    const started = wallClock();
    for (const scheduled of this.#entries) {
      const schedule = scheduled.schedule;
      scheduled.watcher =
        schedule instanceof Every
          ? loop.periodic(started, schedule.seconds)
          : loop.periodic(0, 0, (_watcher, now) => nextCrontabTime(schedule, now * 1000).getTime() / 1000);
      scheduled.watcher.start(() => this.#fire(scheduled));
    }
    this.#running = true;
    this.log('info', `beat: starting with ${this.#entries.length} entr${this.#entries.length === 1 ? 'y' : 'ies'}: ${this.#entries.map((s) => `${s.name} (${s.schedule})`).join(', ') || 'none'}`);
  }

  #fire(scheduled: Scheduled): void {
    scheduled.lastRunAt = new Date();
    scheduled.runs++;
    const { name, entry } = scheduled;
    this.log('info', `Scheduler: Sending due task ${name} (${entry.task})`);
    // Its own greenlet: a slow broker delays this send, not the schedule.
    spawn(() => this.#send(entry, name));
  }

  *#send(entry: BeatEntry, name: string): Operation<void> {
    try {
      const result = yield* this.app.sendTask(entry.task, entry.args ?? [], entry.kwargs ?? {}, entry.options ?? {});
      this.log('debug', `beat: ${name} sent as ${result.id}`);
    } catch (error) {
      this.log('error', `beat: sending ${name} (${entry.task}) failed: ${(error as Error).message}`);
    }
  }

  /** Starts (unless started) and blocks until stop(). */
  run(): Task<void> {
    return runTask(this);
  }

  /** @internal */
  *_run(): Operation<void> {
    this.start();
    yield* until(this.#stopped);
  }

  /** Disarms every entry; sends in progress finish. */
  stop(): void {
    for (const scheduled of this.#entries) {
      scheduled.watcher?.close();
      scheduled.watcher = null;
    }
    if (this.#running) this.log('info', 'beat: stopped');
    this.#running = false;
    this.#resolveStopped();
  }
}

const runTask = awaitable(function* run(beat: Beat): Operation<void> {
  yield* beat._run();
});
