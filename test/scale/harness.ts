// Shared by the prefork tests: a `greenhub serve` master in a child process,
// and an HTTP load that records which pid answered each request and when
// each request started and ended (every request on a new connection).
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';

import { delay, ROOT } from '../helpers';

export const FIXTURES = path.join(__dirname, 'fixtures');
const GREENHUB_CLI = path.join(ROOT, 'lib', 'cli', 'main.ts');

export interface Master {
  child: ChildProcess;
  port: number;
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** Waits until the output has `count` lines matching `pattern` (from `since`). */
  waitFor(pattern: RegExp, count?: number, timeoutMs?: number): Promise<void>;
  /** Pids of the workers that logged "accepting", in order. */
  accepting(): number[];
  kill(signal: NodeJS.Signals): void;
}

/** Starts `greenhub serve <app> --port 0 ...args` and waits until `workers` workers accept. */
export async function startMaster(app: string, args: string[], workers: number, env: NodeJS.ProcessEnv = {}): Promise<Master> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', GREENHUB_CLI, 'serve', path.join(FIXTURES, app), '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const waitFor = async (pattern: RegExp, count = 1, timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    while ((output.match(global) ?? []).length < count) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} x ${pattern}; output:\n${output}`);
      if (child.exitCode !== null) throw new Error(`master exited (${child.exitCode}) while waiting for ${pattern}; output:\n${output}`);
      await delay(20);
    }
  };
  await waitFor(/ on [^ ]+:(\d+) \(/);
  const port = Number(/ on [^ ]+:(\d+) \(/.exec(output)?.[1]);
  await waitFor(/accepting/, workers);
  return {
    child,
    port,
    output: () => output,
    exited,
    waitFor,
    accepting: () => [...output.matchAll(/worker (\d+) \(slot \d+\) accepting/g)].map((m) => Number(m[1])),
    kill: (signal) => child.kill(signal),
  };
}

export interface Outcome {
  ok: boolean;
  pid: number | null;
  error: string | null;
  start: number;
  end: number;
}

/** One GET on a new connection (no keep-alive): the pid that answered, or the error. */
export function request(port: number, pathname = '/', timeoutMs = 10_000): Promise<Outcome> {
  const start = Date.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const ok = res.statusCode === 200;
        resolve({ ok, pid: ok ? Number(body) : null, error: ok ? null : `status ${res.statusCode}`, start, end: Date.now() });
      });
      res.on('error', (error) => resolve({ ok: false, pid: null, error: error.message, start, end: Date.now() }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, pid: null, error: error.code ?? error.message, start, end: Date.now() }));
  });
}

export interface Load {
  outcomes: Outcome[];
  /** Stops issuing requests and waits for those in flight. */
  stop(): Promise<Outcome[]>;
}

/** `concurrency` loops of sequential requests until stopped; `slowEvery`: every n-th request of a loop asks ?ms=slowMs. */
export function startLoad(port: number, concurrency: number, options: { slowEvery?: number; slowMs?: number } = {}): Load {
  const outcomes: Outcome[] = [];
  let running = true;
  const loops = Array.from({ length: concurrency }, async () => {
    for (let i = 1; running; i++) {
      const slow = options.slowEvery !== undefined && i % options.slowEvery === 0;
      outcomes.push(await request(port, slow ? `/?ms=${options.slowMs ?? 300}` : '/'));
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}
