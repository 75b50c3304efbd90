// The greenhub Celery worker (or beat) as a process of its own, through the
// command module (`greenhub celery worker -A test/celery/js/tasks.ts`).
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

import { delay, ROOT } from '../helpers';

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | string>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export async function startWorkerProcess(url: string, args: string[], env: NodeJS.ProcessEnv = {}, ready = / ready: /): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(ROOT, 'lib', 'cli', 'main.ts'), 'celery', ...args, '-A', path.join(__dirname, 'js', 'tasks.ts')],
    { cwd: ROOT, env: { ...process.env, GREENHUB_TEST_BROKER: url, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const waitFor = async (pattern: RegExp, timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the process exited while waiting for ${pattern}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${output}`);
      await delay(20);
    }
  };
  await waitFor(ready);
  return { child, output: () => output, exited, waitFor };
}
