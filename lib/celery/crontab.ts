// Crontab schedules with Celery's field syntax (celery/schedules.py,
// crontab and crontab_parser), and the arithmetic of the next matching
// minute. Fields: minute 0-59, hour 0-23, dayOfWeek 0-6 (Sunday = 0, or
// names: sun, mon...), dayOfMonth 1-31, monthOfYear 1-12 (or jan, feb...).
// Each field is '*', a number, a range 'a-b' (wrapping past the end, as
// 'fri-mon'), steps '*/n' or 'a-b/n', comma-separated lists of those, a
// number, or a list of numbers.
//
// As in Celery (and unlike Vixie cron), dayOfMonth and dayOfWeek must BOTH
// match. Times are in UTC (Celery's default timezone) unless the schedule
// says 'local'; in local time a minute the clock skips (DST) never fires, a
// repeated one fires once.
import { invalidArgType, invalidArgValue, outOfRange } from '../loop/errors';

/** A field: Celery's string syntax, a number, or a list of numbers. */
export type CrontabField = string | number | readonly number[];

export interface CrontabOptions {
  minute?: CrontabField;
  hour?: CrontabField;
  dayOfWeek?: CrontabField;
  dayOfMonth?: CrontabField;
  monthOfYear?: CrontabField;
  /** 'utc' (default, Celery's default timezone) or 'local'. */
  timezone?: 'utc' | 'local';
}

const WEEKDAYS: Readonly<Record<string, number>> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const MONTHS: Readonly<Record<string, number>> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names: Readonly<Record<string, number>> | null;
}

const FIELDS: Readonly<Record<string, FieldSpec>> = {
  minute: { name: 'minute', min: 0, max: 59, names: null },
  hour: { name: 'hour', min: 0, max: 23, names: null },
  dayOfWeek: { name: 'dayOfWeek', min: 0, max: 6, names: WEEKDAYS },
  dayOfMonth: { name: 'dayOfMonth', min: 1, max: 31, names: null },
  monthOfYear: { name: 'monthOfYear', min: 1, max: 12, names: MONTHS },
};

function bad(field: FieldSpec, text: string, why: string): TypeError {
  return invalidArgValue(`options.${field.name}`, `is not a valid crontab field: ${why}`, text);
}

function value(field: FieldSpec, token: string, whole: string): number {
  let n: number;
  if (/^\d+$/.test(token)) n = Number(token);
  else {
    const named = field.names?.[token.slice(0, 3).toLowerCase()];
    if (named === undefined || !/^[a-z]+$/i.test(token)) throw bad(field, whole, `${JSON.stringify(token)} is not a number${field.names ? ' or a name' : ''}`);
    n = named;
  }
  if (n < field.min || n > field.max) throw bad(field, whole, `${n} is outside ${field.min}-${field.max}`);
  return n;
}

/** a-b, wrapping past the end when b < a (Celery's _expand_range). */
function range(field: FieldSpec, from: number, to: number): number[] {
  const out: number[] = [];
  if (to >= from) for (let i = from; i <= to; i++) out.push(i);
  else {
    for (let i = from; i <= field.max; i++) out.push(i);
    for (let i = field.min; i <= to; i++) out.push(i);
  }
  return out;
}

function step(field: FieldSpec, text: string, whole: string): number {
  if (!/^\d+$/.test(text) || Number(text) === 0) throw bad(field, whole, `step ${JSON.stringify(text)} is not a whole number >= 1`);
  return Number(text);
}

function every<T>(items: T[], n: number): T[] {
  return items.filter((_, i) => i % n === 0);
}

/** The name of a crontab field. */
export type CrontabFieldName = 'minute' | 'hour' | 'dayOfWeek' | 'dayOfMonth' | 'monthOfYear';

/** The values a field's text stands for, sorted (Celery's crontab_parser); TypeError naming the field when invalid. */
export function parseCrontabField(name: CrontabFieldName, text: string): number[] {
  const field = FIELDS[name];
  if (field === undefined) throw invalidArgValue('name', 'must be minute, hour, dayOfWeek, dayOfMonth or monthOfYear', name);
  if (typeof text !== 'string') throw invalidArgType('text', 'of type string', text);
  return parseField(field, text);
}

function parseField(field: FieldSpec, text: string): number[] {
  const values = new Set<number>();
  const trimmed = text.replace(/\s+/g, '');
  if (trimmed === '') throw bad(field, text, 'it is empty');
  for (const part of trimmed.split(',')) {
    let m: RegExpExecArray | null;
    let expanded: number[];
    if ((m = /^(\w+)-(\w+)\/(\w+)$/.exec(part))) {
      expanded = every(range(field, value(field, m[1], text), value(field, m[2], text)), step(field, m[3], text));
    } else if ((m = /^(\w+)-(\w+)$/.exec(part))) {
      expanded = range(field, value(field, m[1], text), value(field, m[2], text));
    } else if ((m = /^\*\/(\w+)$/.exec(part))) {
      expanded = every(range(field, field.min, field.max), step(field, m[1], text));
    } else if (part === '*') {
      expanded = range(field, field.min, field.max);
    } else {
      expanded = [value(field, part, text)];
    }
    for (const v of expanded) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

function fieldValues(field: FieldSpec, given: unknown): number[] {
  if (given === undefined) return range(field, field.min, field.max);
  if (typeof given === 'string') return parseField(field, given);
  const list = typeof given === 'number' ? [given] : given;
  if (!Array.isArray(list) || list.length === 0) throw invalidArgType(`options.${field.name}`, 'a crontab string, a number or a non-empty list of numbers', given);
  for (const n of list) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < field.min || n > field.max) {
      throw outOfRange(`options.${field.name}`, `integers from ${field.min} to ${field.max}`, n);
    }
  }
  return [...new Set(list as number[])].sort((a, b) => a - b);
}

function describe(values: readonly number[], field: FieldSpec): string {
  return values.length === field.max - field.min + 1 ? '*' : values.join(',');
}

// The most days any month of the year has (February: 29).
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** How far ahead nextCrontabTime() looks before deciding a schedule never fires (Feb 29 on a given weekday can be 40 years apart). */
const HORIZON_MS = 100 * 366 * 86_400_000;

interface CrontabSets {
  minute: ReadonlySet<number>;
  hour: ReadonlySet<number>;
  dow: ReadonlySet<number>;
  dom: ReadonlySet<number>;
  month: ReadonlySet<number>;
}

export class Crontab {
  readonly minute: readonly number[];
  readonly hour: readonly number[];
  readonly dayOfWeek: readonly number[];
  readonly dayOfMonth: readonly number[];
  readonly monthOfYear: readonly number[];
  readonly timezone: 'utc' | 'local';
  readonly #sets: CrontabSets;

  constructor(options: CrontabOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    this.minute = Object.freeze(fieldValues(FIELDS.minute, options.minute));
    this.hour = Object.freeze(fieldValues(FIELDS.hour, options.hour));
    this.dayOfWeek = Object.freeze(fieldValues(FIELDS.dayOfWeek, options.dayOfWeek));
    this.dayOfMonth = Object.freeze(fieldValues(FIELDS.dayOfMonth, options.dayOfMonth));
    this.monthOfYear = Object.freeze(fieldValues(FIELDS.monthOfYear, options.monthOfYear));
    const timezone = options.timezone ?? 'utc';
    if (timezone !== 'utc' && timezone !== 'local') throw invalidArgValue('options.timezone', "must be 'utc' or 'local'", timezone);
    this.timezone = timezone;
    if (!this.monthOfYear.some((month) => this.dayOfMonth.some((day) => day <= MONTH_DAYS[month - 1]))) {
      throw invalidArgValue('options.dayOfMonth', `never falls in months ${this.monthOfYear.join(',')}`, this.dayOfMonth.join(','));
    }
    this.#sets = {
      minute: new Set(this.minute),
      hour: new Set(this.hour),
      dow: new Set(this.dayOfWeek),
      dom: new Set(this.dayOfMonth),
      month: new Set(this.monthOfYear),
    };
  }

  /** The next matching minute strictly after `now` (see nextCrontabTime). */
  next(now: Date | number = Date.now()): Date {
    return nextCrontabTime(this, now);
  }

  /** @internal */
  _sets(): CrontabSets {
    return this.#sets;
  }

  /** The five fields as a crontab line (minute hour day-of-month month day-of-week). */
  toString(): string {
    return `${describe(this.minute, FIELDS.minute)} ${describe(this.hour, FIELDS.hour)} ${describe(this.dayOfMonth, FIELDS.dayOfMonth)} ${describe(this.monthOfYear, FIELDS.monthOfYear)} ${describe(this.dayOfWeek, FIELDS.dayOfWeek)}${this.timezone === 'local' ? ' (local time)' : ''}`;
  }
}

/** A crontab schedule (Celery's `crontab(minute=..., hour=...)`); every field defaults to '*'. */
export function crontab(options: CrontabOptions = {}): Crontab {
  return new Crontab(options);
}

function daysIn(year: number, month: number): number {
  if (month !== 2) return MONTH_DAYS[month - 1];
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

interface Calendar {
  parts(t: number): [year: number, month: number, day: number, weekday: number, hour: number, minute: number];
  at(year: number, month: number, day: number, hour: number, minute: number): number;
}

const UTC: Calendar = {
  parts(t) {
    const d = new Date(t);
    return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCDay(), d.getUTCHours(), d.getUTCMinutes()];
  },
  at: (year, month, day, hour, minute) => Date.UTC(year, month - 1, day, hour, minute),
};

const LOCAL: Calendar = {
  parts(t) {
    const d = new Date(t);
    return [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getDay(), d.getHours(), d.getMinutes()];
  },
  at: (year, month, day, hour, minute) => new Date(year, month - 1, day, hour, minute).getTime(),
};

/**
 * The first minute after `now` (strictly: a schedule due at `now` answers
 * its next time) whose month, day of month, day of week, hour and minute
 * all match. A pure function of its arguments: it never reads the clock.
 * Throws RangeError for a schedule that cannot fire in the next century.
 */
export function nextCrontabTime(schedule: Crontab, now: Date | number): Date {
  if (!(schedule instanceof Crontab)) throw invalidArgType('schedule', 'a Crontab', schedule);
  const start = now instanceof Date ? now.getTime() : now;
  if (typeof start !== 'number' || !Number.isFinite(start)) throw invalidArgType('now', 'a valid Date or a number of milliseconds', now);
  const calendar = schedule.timezone === 'utc' ? UTC : LOCAL;
  const sets = schedule._sets();
  const minutes = schedule.minute;
  const hours = schedule.hour;
  const limit = start + HORIZON_MS;
  let t = Math.floor(start / 60_000) * 60_000 + 60_000;
  while (t <= limit) {
    const [year, month, day, weekday, hour, minute] = calendar.parts(t);
    let next: number;
    if (!sets.month.has(month)) next = calendar.at(year, month + 1, 1, 0, 0);
    else if (!sets.dom.has(day) || !sets.dow.has(weekday)) {
      // Walk the days of this month with plain arithmetic (no Date per day);
      // past its end, at() rolls over to the next month's first day.
      const last = daysIn(year, month);
      let d = day;
      let w = weekday;
      do {
        d++;
        w = (w + 1) % 7;
      } while (d <= last && !(sets.dom.has(d) && sets.dow.has(w)));
      next = calendar.at(year, month, d, 0, 0);
    }
    else if (!sets.hour.has(hour)) {
      const laterHour = hours.find((h) => h > hour);
      next = laterHour === undefined ? calendar.at(year, month, day + 1, 0, 0) : calendar.at(year, month, day, laterHour, 0);
    }
    else if (!sets.minute.has(minute)) {
      const later = minutes.find((m) => m > minute);
      next = later === undefined ? calendar.at(year, month, day, hour + 1, 0) : calendar.at(year, month, day, hour, later);
    } else {
      return new Date(t);
    }
    // Local time can map a wall-clock time back onto the past (DST): always move on.
    t = next > t ? next : t + 60_000;
  }
  throw outOfRange('schedule', 'a crontab that fires within a century', schedule.toString());
}
