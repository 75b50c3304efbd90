"""Python Celery client used by greenhub's interop tests.

Usage: client.py '<json>' where the JSON is a list of steps, run in order:
  {"send": name, "args": [...], "kwargs": {...}, "options": {...}, "as": key}
                                      -> {id, sent_at}
  {"get": key, "timeout": seconds}    -> adds the result or exception details
  {"revoke": key, "terminate": bool}
  {"chain": [[name, args], ...], "as": key}  -> sends chain(sig, sig, ...) -> {id}
  {"inspect": method, "destination": [node names], "timeout": seconds}
                                      -> app.control.inspect(...).<method>()
  {"ping": [node names], "timeout": seconds}
  {"state": key}
  {"sleep": seconds}
  {"many": name, "count": n, "timeout": seconds}
                                      -> sends name(i, i) for i < n, then gets all:
                                         {sent, correct, wrong: [first few]}
Prints one JSON object: {key or step index: outcome}.
"""
import json
import sys
import time

from celery import chain

from pytasks import app


def describe(exc):
    return {
        'ok': False,
        'type': type(exc).__name__,
        'module': type(exc).__module__,
        'message': str(exc),
        'args': [repr(a) for a in exc.args],
    }


def main():
    steps = json.loads(sys.argv[1])
    sent = {}
    out = {}
    for i, step in enumerate(steps):
        if 'send' in step:
            sent_at = time.time()  # before: countdown counts from Celery's app.now() inside send_task
            r = app.send_task(step['send'], args=step.get('args', []),
                              kwargs=step.get('kwargs', {}),
                              **step.get('options', {}))
            sent[step.get('as', str(i))] = r
            out[step.get('as', str(i))] = {'id': r.id, 'sent_at': sent_at}
        elif 'get' in step:
            r = sent[step['get']]
            try:
                value = r.get(timeout=step.get('timeout', 10))
                out[step['get']].update({'ok': True, 'result': value, 'traceback': None})
            except Exception as exc:  # noqa: the test inspects every failure
                d = describe(exc)
                d['traceback'] = r.traceback
                d['state'] = r.state
                out[step['get']].update(d)
        elif 'revoke' in step:
            app.control.revoke(sent[step['revoke']].id, terminate=step.get('terminate', False))
        elif 'inspect' in step:
            inspector = app.control.inspect(destination=step.get('destination'), timeout=step.get('timeout', 1))
            out['inspect:' + step['inspect']] = getattr(inspector, step['inspect'])()
        elif 'chain' in step:
            sigs = [app.signature(name, args=args) for name, args in step['chain']]
            r = chain(*sigs).apply_async()
            sent[step.get('as', str(i))] = r
            out[step.get('as', str(i))] = {'id': r.id}
        elif 'state' in step:
            out['state:' + step['state']] = sent[step['state']].state
        elif 'ping' in step:
            out['ping'] = app.control.ping(destination=step['ping'], timeout=step.get('timeout', 1))
        elif 'many' in step:
            results = [app.send_task(step['many'], args=[i, i]) for i in range(step['count'])]
            wrong = []
            for i, r in enumerate(results):
                value = r.get(timeout=step.get('timeout', 30))
                if value != 2 * i:
                    wrong.append([i, value])
            out['many'] = {'sent': len(results), 'correct': len(results) - len(wrong), 'wrong': wrong[:5]}
        elif 'sleep' in step:
            time.sleep(step['sleep'])
    print(json.dumps(out, default=str))


if __name__ == '__main__':
    main()
