// Timer churn: starting and stopping timers that never fire, as timeouts
// around I/O do. greenhub's timer watchers against setTimeout/clearTimeout.
//
//   node -r tsx/cjs bench/timer_churn.ts [--n=1000000] [--rounds=3] [--backends=uv,ev]
//
// Each figure is the median of `rounds` fresh processes per side (every
// greenhub backend this build has is a side of its own); inside a
// process, the median of 3 timed passes after a warm-up pass. Times are CPU
// time (user + system) per operation.
import type { TimerWatcher } from '../lib/loop';
import { greenhub } from './greenhub';
import { backendEnv, backendsToRun, column, median, option, printTable, runChild, standardRatios, stringOption, type Row } from './common';

type Mode = 'pair' | 'batch' | 'lifecycle';
type Delays = 'same' | 'varied';

const MODES: Record<Mode, string> = {
  pair: 'start then stop at once, existing timer',
  batch: 'start 1,000, then stop the 1,000',
  lifecycle: 'create, start, stop and free',
};

const POOL = 1000;
const noop = (): void => undefined;
const delayOf = (delays: Delays, i: number): number => (delays === 'same' ? 1000 : 1 + (i % 1000));

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * One timed pass of `n` operations; answers CPU nanoseconds per operation
 * (user + system: on a shared machine, time spent descheduled is not the
 * code's).
 */
async function greenhubPass(mode: Mode, delays: Delays, n: number, pool: TimerWatcher[]): Promise<number> {
  const loop = greenhub.defaultLoop();
  const started = process.cpuUsage();
  if (mode === 'pair') {
    for (let i = 0; i < n; i++) {
      const t = pool[i % POOL];
      t.start(noop);
      t.stop();
    }
  } else if (mode === 'batch') {
    for (let done = 0; done < n; done += POOL) {
      for (let i = 0; i < POOL; i++) pool[i].start(noop);
      for (let i = 0; i < POOL; i++) pool[i].stop();
    }
  } else {
    // Freed handles finish closing on the next loop turn: let it come.
    for (let done = 0; done < n; done += 10000) {
      for (let i = 0; i < 10000; i++) {
        const t = loop.timer(delayOf(delays, i) / 1000);
        t.start(noop);
        t.close();
      }
      await yieldToLoop();
    }
  }
  return cpuNs(started) / n;
}

function cpuNs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) * 1000;
}

async function nodePass(mode: Mode, delays: Delays, n: number): Promise<number> {
  const started = process.cpuUsage();
  if (mode === 'pair' || mode === 'lifecycle') {
    // setTimeout allocates its Timeout each time: pair and lifecycle are the
    // same thing for Node (lifecycle yields like greenhub's does).
    for (let done = 0; done < n; done += 10000) {
      for (let i = 0; i < 10000; i++) clearTimeout(setTimeout(noop, delayOf(delays, i)));
      if (mode === 'lifecycle') await yieldToLoop();
    }
  } else {
    const batch: NodeJS.Timeout[] = new Array<NodeJS.Timeout>(POOL);
    for (let done = 0; done < n; done += POOL) {
      for (let i = 0; i < POOL; i++) batch[i] = setTimeout(noop, delayOf(delays, i));
      for (let i = 0; i < POOL; i++) clearTimeout(batch[i]);
    }
  }
  return cpuNs(started) / n;
}

async function child(side: string, mode: Mode, delays: Delays, n: number): Promise<void> {
  const pool = side === 'greenhub' ? Array.from({ length: POOL }, (_, i) => greenhub.defaultLoop().timer(delayOf(delays, i) / 1000)) : [];
  const pass = (count: number): Promise<number> =>
    side === 'greenhub' ? greenhubPass(mode, delays, count, pool) : nodePass(mode, delays, count);
  await pass(n / 10);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    global.gc?.();
    await yieldToLoop();
    times.push(await pass(n));
  }
  console.log(JSON.stringify({ nsPerOp: median(times) }));
  process.exit(0);
}

function main(): void {
  const n = option('n', 1_000_000);
  const rounds = option('rounds', 3);
  const backends = backendsToRun(greenhub.Loop.backends);
  console.log(`timer churn: ${n.toLocaleString('en-US')} operations per pass, median of ${rounds} processes per side`);
  console.log(`node ${process.version}, greenhub backends ${backends.join(', ')}`);
  const columns = [...backends.map(column), 'node'];
  const rows: Row[] = [];
  for (const mode of Object.keys(MODES) as Mode[]) {
    for (const delays of ['same', 'varied'] as Delays[]) {
      const figures: Record<string, number[]> = Object.fromEntries(columns.map((c) => [c, []]));
      for (let round = 0; round < rounds; round++) {
        const runs: [string, string, NodeJS.ProcessEnv][] = [
          ...backends.map((b): [string, string, NodeJS.ProcessEnv] => [column(b), 'greenhub', backendEnv(b)]),
          ['node', 'node', {}],
        ];
        for (const [name, side, env] of runs) {
          const args = [`--side=${side}`, `--mode=${mode}`, `--delays=${delays}`, `--n=${n}`];
          figures[name].push(runChild<{ nsPerOp: number }>(__filename, args, env).nsPerOp);
        }
      }
      const ns = Object.fromEntries(columns.map((c) => [c, median(figures[c])]));
      const label = `${MODES[mode]} (${delays === 'same' ? 'one delay' : '1,000 delays'})`;
      rows.push({ label, values: Object.fromEntries(columns.map((c) => [c, 1e9 / ns[c]])), unit: 'ops/s', higherIsBetter: true });
      rows.push({ label: '  per operation', values: ns, unit: 'ns', higherIsBetter: false, digits: 1 });
    }
  }
  printTable(
    'timer churn (an operation = one start and one stop; setTimeout + clearTimeout for node)',
    columns,
    rows,
    standardRatios(backends, true),
  );
}

const side = stringOption('side');
if (side !== undefined) {
  void child(side, stringOption('mode') as Mode, stringOption('delays') as Delays, option('n', 1_000_000));
} else {
  main();
}
