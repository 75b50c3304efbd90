// Beat and its crontab arithmetic. nextCrontabTime() is a pure function of
// (schedule, now): it is checked exhaustively — every minute of a year
// against an independent matcher — without touching the system clock.
// Beat itself publishes through a real Redis.
import { strict as assert } from 'node:assert';

import Redis from 'ioredis';

import { CeleryApp, crontab, Crontab, decodeTaskMessage, every, nextCrontabTime, parseCrontabField, parsePayload } from '../../lib/celery';
import { delay, runScript } from '../helpers';
import { skipWithoutPrerequisites, startRedis, type RedisServer } from './harness';
import { startWorkerProcess } from './worker-harness';

const MINUTE = 60_000;

/** Does minute `t` (UTC) match? Written from the fields directly, independently of the search. */
function matches(schedule: Crontab, t: number): boolean {
  const d = new Date(t);
  return (
    schedule.minute.includes(d.getUTCMinutes()) &&
    schedule.hour.includes(d.getUTCHours()) &&
    schedule.dayOfMonth.includes(d.getUTCDate()) &&
    schedule.monthOfYear.includes(d.getUTCMonth() + 1) &&
    schedule.dayOfWeek.includes(d.getUTCDay())
  );
}

const utc = (text: string) => Date.parse(`${text}Z`);
const iso = (date: Date) => date.toISOString().slice(0, 16);

describe('crontab: field syntax', () => {
  it("parses Celery's forms: *, */n, lists, ranges, stepped ranges, wrapping ranges, names", () => {
    assert.deepEqual(parseCrontabField('minute', '*/15'), [0, 15, 30, 45]);
    assert.deepEqual(parseCrontabField('minute', '1,2,5-7'), [1, 2, 5, 6, 7]);
    assert.deepEqual(parseCrontabField('hour', '*'), Array.from({ length: 24 }, (_, i) => i));
    assert.deepEqual(parseCrontabField('hour', '0-10/3'), [0, 3, 6, 9]);
    assert.deepEqual(parseCrontabField('hour', '22-2'), [0, 1, 2, 22, 23]);
    assert.deepEqual(parseCrontabField('dayOfWeek', 'mon-fri'), [1, 2, 3, 4, 5]);
    assert.deepEqual(parseCrontabField('dayOfWeek', 'fri-mon'), [0, 1, 5, 6]);
    assert.deepEqual(parseCrontabField('dayOfWeek', 'Sunday,sat'), [0, 6]);
    assert.deepEqual(parseCrontabField('dayOfMonth', '*/10'), [1, 11, 21, 31]);
    assert.deepEqual(parseCrontabField('dayOfMonth', '30-2'), [1, 2, 30, 31]);
    assert.deepEqual(parseCrontabField('monthOfYear', 'jan,mar-may/2'), [1, 3, 5]);
    assert.deepEqual(parseCrontabField('minute', ' 5 , 3 '), [3, 5]);
  });

  it('refuses what Celery refuses, naming the field', () => {
    assert.throws(() => parseCrontabField('minute', '60'), { name: 'TypeError', message: /"options\.minute".*60 is outside 0-59/ });
    assert.throws(() => parseCrontabField('hour', '*/0'), { message: /"options\.hour".*step "0"/ });
    assert.throws(() => parseCrontabField('dayOfWeek', '7'), { message: /"options\.dayOfWeek".*7 is outside 0-6/ });
    assert.throws(() => parseCrontabField('dayOfMonth', '0'), { message: /outside 1-31/ });
    assert.throws(() => parseCrontabField('monthOfYear', 'foo'), { message: /"foo" is not a number or a name/ });
    assert.throws(() => parseCrontabField('minute', 'mon'), { message: /"mon" is not a number/ });
    assert.throws(() => parseCrontabField('minute', ''), { message: /empty/ });
    assert.throws(() => parseCrontabField('minute', '1-'), { message: /not a number/ });
    assert.throws(() => parseCrontabField('minute', '3/5'), { message: /"3\/5" is not a number/ });
    assert.throws(() => parseCrontabField('second' as never, '1'), { name: 'TypeError', message: /"name"/ });
    assert.throws(() => parseCrontabField('minute', 5 as never), { name: 'TypeError', message: /"text"/ });
  });

  it('crontab() takes numbers and lists too, and refuses a day that never comes', () => {
    const c = crontab({ minute: 0, hour: [9, 17], dayOfWeek: 'mon-fri' });
    assert.deepEqual(c.minute, [0]);
    assert.deepEqual(c.hour, [9, 17]);
    assert.equal(c.toString(), '0 9,17 * * 1,2,3,4,5');
    assert.equal(crontab().toString(), '* * * * *');
    assert.throws(() => crontab({ hour: 24 }), { name: 'RangeError', message: /"options\.hour"/ });
    assert.throws(() => crontab({ minute: [] }), { name: 'TypeError', message: /"options\.minute"/ });
    assert.throws(() => crontab({ minute: 1.5 }), { name: 'RangeError' });
    assert.throws(() => crontab({ dayOfMonth: '30,31', monthOfYear: 2 }), { name: 'TypeError', message: /never falls in months 2/ });
    assert.throws(() => crontab({ timezone: 'Europe/Paris' as never }), { message: /"options\.timezone"/ });
    assert.throws(() => crontab(null as never), { name: 'TypeError', message: /"options"/ });
  });
});

describe('crontab: nextCrontabTime()', function () {
  this.timeout(60_000);
  const schedules: [string, Crontab][] = [
    ['every 15 minutes', crontab({ minute: '*/15' })],
    ['weekdays 9:30 and 17:30', crontab({ minute: 30, hour: '9,17', dayOfWeek: 'mon-fri' })],
    ['Friday the 13th at noon', crontab({ minute: 0, hour: 12, dayOfMonth: 13, dayOfWeek: 'fri' })],
    ['quarterly, 1st at 00:05', crontab({ minute: 5, hour: 0, dayOfMonth: 1, monthOfYear: '*/3' })],
    ['the 31st, 23:59', crontab({ minute: 59, hour: 23, dayOfMonth: 31 })],
  ];

  for (const [name, schedule] of schedules) {
    it(`every minute of a leap year agrees with the definition: ${name}`, () => {
      // Walking back from the end: next(t) is t+1 min when that matches, else next(t+1 min).
      const start = utc('2028-01-01T00:00');
      const end = utc('2029-01-01T00:00');
      let expected = nextCrontabTime(schedule, end).getTime();
      assert.ok(expected > end && matches(schedule, expected));
      let checked = 0;
      for (let t = end - MINUTE; t >= start; t -= MINUTE) {
        if (matches(schedule, t + MINUTE)) expected = t + MINUTE;
        assert.equal(nextCrontabTime(schedule, t).getTime(), expected, `from ${new Date(t).toISOString()}`);
        checked++;
      }
      assert.equal(checked, 366 * 24 * 60);
    });
  }

  it('is strictly after now, ignores seconds, and accepts Dates and numbers', () => {
    const c = crontab({ minute: '*/15' });
    assert.equal(iso(c.next(utc('2024-05-01T10:15'))), '2024-05-01T10:30');
    assert.equal(iso(c.next(utc('2024-05-01T10:14') + 59_999)), '2024-05-01T10:15');
    assert.equal(iso(nextCrontabTime(c, new Date(utc('2024-05-01T10:15') + 1))), '2024-05-01T10:30');
    assert.equal(iso(c.next(utc('2024-12-31T23:50'))), '2025-01-01T00:00');
  });

  it('finds rare days: Feb 29, and Feb 29 on a Monday', () => {
    assert.equal(iso(crontab({ minute: 0, hour: 0, dayOfMonth: 29, monthOfYear: 2 }).next(utc('2025-03-01T00:00'))), '2028-02-29T00:00');
    assert.equal(iso(crontab({ minute: 0, hour: 0, dayOfMonth: 29, monthOfYear: 'feb', dayOfWeek: 'mon' }).next(utc('2024-03-01T00:00'))), '2044-02-29T00:00');
  });

  it('a clock jump is just another `now`: the answer follows it', () => {
    const c = crontab({ minute: 0, hour: '*/6' });
    const before = utc('2024-05-01T10:20');
    assert.equal(iso(c.next(before)), '2024-05-01T12:00');
    assert.equal(iso(c.next(before + 5 * 3600_000)), '2024-05-01T18:00', 'jumped forward 5 h');
    assert.equal(iso(c.next(before - 24 * 3600_000)), '2024-04-30T12:00', 'jumped back a day');
  });

  it('refuses bad arguments', () => {
    assert.throws(() => nextCrontabTime({} as never, 0), { name: 'TypeError', message: /"schedule"/ });
    assert.throws(() => nextCrontabTime(crontab(), Number.NaN), { name: 'TypeError', message: /"now"/ });
    assert.throws(() => nextCrontabTime(crontab(), new Date('nope')), { name: 'TypeError', message: /"now"/ });
  });

  it("local time: a minute DST skips never fires, a repeated one fires once (TZ=America/New_York)", () => {
    const result = runScript(
      `
      import { crontab } from 'lib/celery';
      const at = (c: ReturnType<typeof crontab>, from: string) => c.next(new Date(from)).toISOString();
      const out = {
        // 2025-03-09: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist that day.
        spring: at(crontab({ minute: 30, hour: 2, timezone: 'local' }), '2025-03-09T05:00:00Z'),
        // 2025-11-02: 01:00-02:00 happens twice; 01:30 fires at its first occurrence, then the next day.
        fallFirst: at(crontab({ minute: 30, hour: 1, timezone: 'local' }), '2025-11-02T04:00:00Z'),
        fallAfter: at(crontab({ minute: 30, hour: 1, timezone: 'local' }), '2025-11-02T05:31:00Z'),
        nineLocal: at(crontab({ minute: 0, hour: 9, timezone: 'local' }), '2025-07-01T00:00:00Z'),
      };
      console.log(JSON.stringify(out));
      `,
      { env: { TZ: 'America/New_York' } },
    );
    assert.equal(result.status, 0, result.stderr);
    const out = JSON.parse(result.stdout.trim()) as Record<string, string>;
    assert.equal(out.spring, '2025-03-10T06:30:00.000Z');
    assert.equal(out.fallFirst, '2025-11-02T05:30:00.000Z');
    assert.equal(out.fallAfter, '2025-11-03T06:30:00.000Z');
    assert.equal(out.nineLocal, '2025-07-01T13:00:00.000Z');
  });
});

describe('beat', function () {
  this.timeout(30_000);
  let server: RedisServer;
  let redis: Redis;

  before(async function () {
    skipWithoutPrerequisites(this, false);
    server = await startRedis();
    redis = new Redis(server.url);
  });
  after(async () => {
    await redis?.quit();
    await server?.stop();
  });

  async function queued(queue: string): Promise<{ task: string; args: unknown[] }[]> {
    const items = await redis.lrange(queue, 0, -1);
    return items.reverse().map((raw) => {
      const parsed = parsePayload(raw);
      assert.ok(parsed.ok);
      const decoded = decodeTaskMessage(parsed.payload);
      assert.ok(decoded.ok);
      return { task: decoded.request.task, args: decoded.request.args };
    });
  }

  it('publishes interval entries on time, reports its entries, and stops', async () => {
    const app = new CeleryApp({ broker: server.url, logger: () => undefined });
    const beat = app.beat({
      schedule: {
        fast: { task: 'js.tick', schedule: every(0.25), args: ['fast'], options: { queue: 'beat1' } },
        seconds: { task: 'js.tick', schedule: 0.4, args: ['plain number'], kwargs: { k: 1 }, options: { queue: 'beat1' } },
        hourly: { task: 'js.report', schedule: crontab({ minute: 0 }), options: { queue: 'beat1' } },
      },
    });
    try {
      const before = Date.now();
      beat.start();
      const [, , hourly] = beat.entries();
      assert.equal(hourly.schedule, '0 * * * *');
      const expectedHourly = crontab({ minute: 0 }).next(before).getTime();
      assert.ok(Math.abs((hourly.nextRunAt as Date).getTime() - expectedHourly) < 2000, `crontab armed for ${hourly.nextRunAt?.toISOString()}`);
      await delay(1150);
      beat.stop();
      await delay(100);
      const sent = await queued('beat1');
      const fast = sent.filter((m) => m.args[0] === 'fast').length;
      const plain = sent.filter((m) => m.args[0] === 'plain number').length;
      assert.ok(fast >= 3 && fast <= 5, `fast fired ${fast} times`);
      assert.ok(plain >= 2 && plain <= 3, `plain fired ${plain} times`);
      const entries = beat.entries();
      assert.equal(entries[0].totalRunCount, fast);
      assert.ok(entries[0].lastRunAt instanceof Date);
      assert.equal(entries[0].nextRunAt, null, 'stopped');
      await delay(400);
      assert.equal((await queued('beat1')).length, sent.length, 'nothing after stop()');
    } finally {
      beat.stop();
      await app.close();
    }
  });

  it('checks its schedule, naming the entry', () => {
    const app = new CeleryApp({ broker: server.url });
    assert.throws(() => app.beat({ schedule: { x: { task: '', schedule: 1 } } }), { name: 'TypeError', message: /"schedule\["x"\]\.task"/ });
    assert.throws(() => app.beat({ schedule: { x: { task: 't', schedule: 0 } } }), { name: 'RangeError', message: /"schedule\["x"\]\.schedule"/ });
    assert.throws(() => app.beat({ schedule: { x: { task: 't', schedule: '5' as never } } }), { name: 'TypeError', message: /"schedule\["x"\]\.schedule"/ });
    assert.throws(() => app.beat({ schedule: { x: { task: 't', schedule: 1, args: 'a' as never } } }), { message: /"schedule\["x"\]\.args"/ });
    assert.throws(() => app.beat({ schedule: { x: null as never } }), { message: /"schedule\["x"\]"/ });
    assert.throws(() => every(-1), { name: 'RangeError', message: /"seconds"/ });
    assert.throws(() => every('1' as never), { name: 'TypeError', message: /"seconds"/ });
  });

  it('greenhub celery beat -A module publishes the app\'s beatSchedule until SIGTERM', async () => {
    const proc = await startWorkerProcess(server.url, ['beat', '-l', 'info'], {}, /beat: starting with 1 entry/);
    await delay(1000);
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited, 0);
    const sent = await queued('beatq');
    assert.ok(sent.length >= 2, `sent ${sent.length}`);
    assert.ok(sent.every((m) => m.task === 'js.tick' && m.args[0] === 'beat'));
    assert.match(proc.output(), /Scheduler: Sending due task tick-every-300ms \(js\.tick\)/);
  });
});
