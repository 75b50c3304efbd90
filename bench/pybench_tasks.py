"""The Python side of bench/celery.js: the same two tasks for
`celery -A pybench_tasks worker -P gevent -c 100`."""
import os

import gevent
from celery import Celery

BROKER = os.environ.get('BENCH_BROKER', 'redis://127.0.0.1:6379/0')
app = Celery('pybench_tasks', broker=BROKER, backend=BROKER)
app.conf.update(worker_prefetch_multiplier=4, task_acks_late=True, worker_hijack_root_logger=False, result_expires=3600)


@app.task(name='bench.noop')
def noop():
    return None


@app.task(name='bench.io10ms')
def io10ms():
    gevent.sleep(0.01)
    return None
