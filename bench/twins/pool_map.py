"""gevent twin of greenhub's g_pool_map (bench/micro.js): Pool(100).map of
x * 2 over 100,000 items. Same JSON line as the anchors' micro.py.

    /usr/bin/python3 bench/twins/pool_map.py g_pool_map
"""
import gc
import json
import os
import resource
import sys
import time

import gevent.pool

N_TASKS = 100_000
POOL_SIZE = 100
PAGE = os.sysconf('SC_PAGE_SIZE')
now = time.perf_counter


def rss_bytes():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * PAGE


def bench_g_pool_map():
    items = list(range(N_TASKS))

    def double(x):
        return x * 2

    pool = gevent.pool.Pool(POOL_SIZE)
    t0 = now()
    out = pool.map(double, items)
    dt = now() - t0
    assert len(out) == N_TASKS and out[-1] == 2 * (N_TASKS - 1)
    return dict(n=N_TASKS, secs=dt, ops_per_s=N_TASKS / dt, unit='items/s',
                variant='gevent.pool.Pool(100).map(double, 100,000 items)')


def main(argv):
    if argv[:1] != ['g_pool_map']:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    gc.collect()
    start_rss = rss_bytes()
    res = bench_g_pool_map()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    gc.collect()
    warm = bench_g_pool_map()
    res.update(warm_secs=warm['secs'], warm_ops_per_s=warm['ops_per_s'], impl='gevent',
               bench='g_pool_map', start_rss_mb=start_rss / 2**20, peak_rss_mb=peak_kb / 1024)
    print(json.dumps(res), flush=True)


if __name__ == '__main__':
    main(sys.argv[1:])
