// A greenhub Celery app module for the worker tests that run
// `greenhub celery worker -A test/celery/js/tasks.ts` in a process of its
// own (kill -9, signals). Broker and visibility timeout from the
// environment, like test/celery/py/pytasks.py.
import { sleep } from '../../../lib/core';
import { CeleryApp, type TaskContext } from '../../../lib/celery';

export const app = new CeleryApp({
  broker: process.env.GREENHUB_TEST_BROKER ?? 'redis://127.0.0.1:6379/0',
  transportOptions: { visibilityTimeout: Number(process.env.GREENHUB_TEST_VISIBILITY ?? 3600) },
  beatSchedule: {
    'tick-every-300ms': { task: 'js.tick', schedule: 0.3, args: ['beat'], options: { queue: 'beatq' } },
  },
});

app.task('js.add', function* (a: number, b: number) {
  return a + b;
});

/** Sleeps, then says whether it came back redelivered (the kill -9 test). */
app.task(
  'js.slow',
  function* (this: TaskContext, seconds: number) {
    yield* sleep(seconds);
    return { redelivered: this.request.redelivered, pid: process.pid };
  },
  { trackStarted: true },
);
