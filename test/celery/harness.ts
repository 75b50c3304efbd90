// Shared by the Celery interop tests: a private redis-server on a free local
// port, Python Celery workers and a Python client (Debian's python3-celery,
// always through /usr/bin/python3: a python3 earlier on PATH may lack it).
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

import { delay } from '../helpers';

export const PYTHON = '/usr/bin/python3';
export const PY_DIR = path.join(__dirname, 'py');

let missingRedis: string | null | undefined;
let missingPython: string | null | undefined;

/** Why the interop suites cannot run here (null when they can). Checked once. */
export function missingPrerequisite(needPython: boolean): string | null {
  if (missingRedis === undefined) {
    const redis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    missingRedis = redis.error || redis.status !== 0 ? 'redis-server is not installed (Debian package redis-server)' : null;
  }
  if (missingRedis || !needPython) return missingRedis;
  if (missingPython === undefined) {
    const py = spawnSync(PYTHON, ['-c', 'import celery, redis, kombu'], { encoding: 'utf8' });
    missingPython = py.error || py.status !== 0
      ? `${PYTHON} cannot import celery/redis (Debian packages python3-celery python3-redis)`
      : null;
  }
  return missingPython;
}

/** Skips the suite, saying why, when redis-server (or, with needPython, Python Celery) is missing. */
export function skipWithoutPrerequisites(context: Mocha.Context, needPython = true): void {
  const reason = missingPrerequisite(needPython);
  if (reason) {
    // CI installs both (.ci/run): there a missing one is a failure, not a skip.
    if (process.env.CI) throw new Error(`the Celery tests cannot run: ${reason}`);
    console.log(`      (skipped: ${reason})`);
    context.skip();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(500);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A throwaway redis-server: no persistence, loopback only. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
    await delay(20);
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    stop: () => stopChild(child, 'SIGTERM', 5000),
  };
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

export interface PythonWorker {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export interface PythonWorkerOptions {
  queues?: string[];
  name?: string;
  /** Broker visibility timeout in seconds (transport option). */
  visibility?: number;
  /** Wait for "ready." (default true). */
  waitReady?: boolean;
  /** Sync with other workers at start-up (Celery's mingle); off by default for speed. */
  mingle?: boolean;
}

/** A Python Celery worker (solo pool; prefetch multiplier 4: with 1, kombu 5.2 picks up messages seconds late) on the test Redis. */
export async function startPythonWorker(url: string, options: PythonWorkerOptions = {}): Promise<PythonWorker> {
  const args = [
    '-m', 'celery', '-A', 'pytasks', 'worker',
    '-P', 'solo', '-c', '1',
    '-n', options.name ?? 'py@test',
    '-Q', (options.queues ?? ['celery']).join(','),
    ...(options.mingle ? [] : ['--without-mingle']),
    '--without-gossip', '--without-heartbeat',
    '-l', 'info',
  ];
  const env = { ...process.env, GREENHUB_TEST_BROKER: url, GREENHUB_TEST_VISIBILITY: String(options.visibility ?? 3600) };
  const child = spawn(PYTHON, args, { cwd: PY_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const worker: PythonWorker = {
    child,
    output: () => output,
    stop: () => stopChild(child, 'SIGTERM', 8000),
  };
  if (options.waitReady ?? true) {
    const deadline = Date.now() + 30_000;
    while (!/ ready\.\s*$/m.test(output)) {
      if (child.exitCode !== null) throw new Error(`Python worker exited early:\n${output}`);
      if (Date.now() > deadline) {
        await worker.stop();
        throw new Error(`Python worker not ready after 30 s:\n${output}`);
      }
      await delay(50);
    }
  }
  return worker;
}

/** One step of test/celery/py/client.py (see its docstring). */
export type ClientStep = Record<string, unknown>;

/** Runs the Python client with these steps; resolves with its JSON output. */
export function runPythonClient(url: string, steps: ClientStep[], timeoutMs = 30_000): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      ['client.py', JSON.stringify(steps)],
      { cwd: PY_DIR, env: { ...process.env, GREENHUB_TEST_BROKER: url }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`python client failed: ${error.message}\n${stderr}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}'));
        } catch {
          reject(new Error(`python client printed no JSON:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}
