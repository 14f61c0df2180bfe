"""The one timing helper of the PyTorch side of the benchmarks (bench/torch_*.py)."""
import time


def median(fn, reps=9, budget=4.0, clock=time.perf_counter):
    """Median ms of `fn` over `reps` calls after two warm-ups, stopping early past `budget`
    seconds once 3 calls are timed; `clock` is wall time unless a CPU clock is given."""
    fn(); fn()
    ts = []
    t_start = time.perf_counter()
    for _ in range(reps):
        t0 = clock()
        fn()
        ts.append((clock() - t0) * 1000)
        if time.perf_counter() - t_start > budget and len(ts) >= 3:
            break
    ts.sort()
    return ts[len(ts) // 2]
