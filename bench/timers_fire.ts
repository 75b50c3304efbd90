// 100,000 active timers firing: greenhub's timer watchers against
// setTimeout, each side in a process of its own so that its peak RSS is its
// own.
//
//   node -r tsx/cjs bench/timers_fire.ts [--timers=100000] [--rounds=3] [--backends=uv,ev]
//
// spread: deadlines spread evenly over 1..1000 ms. burst: all due at 50 ms,
// so that one loop turn delivers them all. Reported: the time to arm them,
// the total time from the first start to the last firing, the CPU time of
// the whole run (arming, waiting, firing), and the process's peak RSS along
// with its growth over the RSS measured just before arming.
//
// The total includes the arming differently on each side: a greenhub timer
// counts from its own start, a setTimeout from the loop's cached time, which
// does not advance while the arming loop runs.
import { greenhub } from './greenhub';
import { backendEnv, backendsToRun, column, median, option, printTable, runChild, standardRatios, stringOption, type Row } from './common';

type Shape = 'spread' | 'burst';

interface Result {
  armMs: number;
  totalMs: number;
  cpuMs: number;
  peakRssMb: number;
  growthMb: number;
}

const delayOf = (shape: Shape, i: number, count: number): number =>
  shape === 'burst' ? 50 : 1 + Math.floor((i * 1000) / count);

function child(side: string, shape: Shape, count: number): void {
  const loop = side === 'greenhub' ? greenhub.defaultLoop() : undefined;
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let fired = 0;
  const onFire = (): void => {
    if (++fired < count) return;
    const used = process.cpuUsage(cpu);
    const peak = process.resourceUsage().maxRSS * 1024;
    const result: Result = {
      armMs,
      totalMs: Number(process.hrtime.bigint() - start) / 1e6,
      cpuMs: (used.user + used.system) / 1000,
      peakRssMb: peak / 2 ** 20,
      growthMb: (peak - baseline) / 2 ** 20,
    };
    console.log(JSON.stringify(result));
    process.exit(0);
  };
  for (let i = 0; i < count; i++) {
    const ms = delayOf(shape, i, count);
    if (loop !== undefined) {
      loop.timer(ms / 1000).start(onFire);
    } else {
      setTimeout(onFire, ms);
    }
  }
  const armMs = Number(process.hrtime.bigint() - start) / 1e6;
}

function main(): void {
  const count = option('timers', 100_000);
  const rounds = option('rounds', 3);
  const backends = backendsToRun(greenhub.Loop.backends);
  console.log(`${count.toLocaleString('en-US')} active timers firing, median of ${rounds} processes per side`);
  console.log(`node ${process.version}, greenhub backends ${backends.join(', ')}`);
  const columns = [...backends.map(column), 'node'];
  for (const shape of ['spread', 'burst'] as Shape[]) {
    const runs: Record<string, Result[]> = Object.fromEntries(columns.map((c) => [c, []]));
    for (let round = 0; round < rounds; round++) {
      const args = (side: string): string[] => [`--side=${side}`, `--shape=${shape}`, `--timers=${count}`];
      for (const b of backends) runs[column(b)].push(runChild<Result>(__filename, args('greenhub'), backendEnv(b)));
      runs.node.push(runChild<Result>(__filename, args('node')));
    }
    const row = (label: string, key: keyof Result, unit: string, digits = 1): Row => ({
      label,
      values: Object.fromEntries(columns.map((c) => [c, median(runs[c].map((r) => r[key]))])),
      unit,
      higherIsBetter: false,
      digits,
    });
    printTable(
      shape === 'spread' ? 'deadlines spread over 1..1000 ms' : 'all due at 50 ms',
      columns,
      [
        row('arming all timers', 'armMs', 'ms'),
        row('total: first start to last firing', 'totalMs', 'ms'),
        row('CPU time, whole run', 'cpuMs', 'ms'),
        row('peak RSS', 'peakRssMb', 'MB'),
        row('  growth over the idle process', 'growthMb', 'MB'),
      ],
      standardRatios(backends, true),
    );
  }
}

const side = stringOption('side');
if (side !== undefined) {
  child(side, stringOption('shape') as Shape, option('timers', 100_000));
} else {
  main();
}
