"""Python Celery tasks and settings for greenhub's interop tests.

The broker/backend URL comes from GREENHUB_TEST_BROKER; the tests start
their own redis-server on a free port.
"""
import os
import time

from celery import Celery

BROKER = os.environ.get('GREENHUB_TEST_BROKER', 'redis://127.0.0.1:6379/0')
VISIBILITY = float(os.environ.get('GREENHUB_TEST_VISIBILITY', '3600'))

app = Celery('pytasks', broker=BROKER, backend=BROKER)
app.conf.update(
    worker_prefetch_multiplier=int(os.environ.get('GREENHUB_TEST_PREFETCH', '4')),
    task_track_started=True,
    broker_transport_options={'visibility_timeout': VISIBILITY},
    result_expires=3600,
    worker_hijack_root_logger=False,
)


class CustomError(Exception):
    """A task-defined exception: greenhub must report its module and name."""


@app.task(name='pytasks.mul')
def mul(x, y):
    return x * y


@app.task(name='pytasks.kw')
def kw(a, b=0, c=None):
    return {'a': a, 'b': b, 'c': c}


@app.task(name='pytasks.fail')
def fail(message):
    raise ValueError(message)


@app.task(name='pytasks.custom_fail')
def custom_fail(message):
    raise CustomError(message)


@app.task(name='pytasks.stamp')
def stamp(label):
    """Returns when it ran: the tests order and time executions by it."""
    return {'label': label, 'at': time.time()}


@app.task(name='pytasks.sleep')
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name='pytasks.request_info', bind=True)
def request_info(self):
    """What the Python worker understood from the message headers."""
    r = self.request
    return {
        'id': r.id,
        'retries': r.retries,
        'timelimit': list(r.timelimit) if r.timelimit else None,
        'eta': r.eta,
        'expires': r.expires,
        'root_id': r.root_id,
        'parent_id': r.parent_id,
        'argsrepr': r.argsrepr,
        'kwargsrepr': r.kwargsrepr,
        'origin': r.origin,
        'priority': (r.delivery_info or {}).get('priority'),
        'routing_key': (r.delivery_info or {}).get('routing_key'),
    }


@app.task(name='pytasks.flaky', bind=True, max_retries=3)
def flaky(self, succeed_after):
    if self.request.retries < succeed_after:
        raise self.retry(countdown=0.2, exc=KeyError('not yet'))
    return self.request.retries
