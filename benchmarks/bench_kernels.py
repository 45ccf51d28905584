"""Numba kernels against the NumPy reference: softmax and attention, float32, on this machine.

    python benchmarks/bench_kernels.py               # the table, then the threading check
    python benchmarks/bench_kernels.py --repeat 100  # more runs per case (steadier on a busy machine)

The table gives, per case, the best and the median time of --repeat runs of each
backend (the two are interleaved so that both see the same machine) and the
speed-up, NumPy best / Numba best. Shapes: B=4, H=12 (B*H=48), D=32, T=64 and 256;
"causal" means a causal mask for softmax and causal=True for attention.

The threading check runs, in a fresh process per Numba threading layer (it can
be chosen only once per process), a loop that alternates a BLAS matmul (a
query-key-value projection) with a parallel Numba kernel (softmax forward+backward
over the attention scores), and compares it with the two parts timed alone. With
OpenMP's spinning workers the two thread pools fight; with the workqueue layer
(minitrans's choice) they do not.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import minitrans  # noqa: E402
from minitrans import ops  # noqa: E402

minitrans.tune_cpu()                 # the process-wide settings training runs with (minitrans/tuning.py)
from minitrans.functional.attention import causal_mask  # noqa: E402
from minitrans.kernels.threads import threading_layer  # noqa: E402

B, H, D = 4, 12, 32


def best_and_median(fn, repeat, warmup=3):
    """(best, median) milliseconds of `repeat` calls of fn after `warmup` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(1e3 * (time.perf_counter() - start))
    return min(times), float(np.median(times))


def time_pair(run_numpy, run_numba, repeat):
    """Best and median milliseconds of each function, calls interleaved, after two warm-up calls each."""
    times = {"numpy": [], "numba": []}
    for _ in range(2):
        run_numpy(), run_numba()
    for _ in range(repeat):
        for name, run in (("numpy", run_numpy), ("numba", run_numba)):
            start = time.perf_counter()
            run()
            times[name].append(1e3 * (time.perf_counter() - start))
    return {name: (min(t), float(np.median(t))) for name, t in times.items()}


def with_backend(name, fn):
    """fn run with the given backend selected."""
    def run():
        minitrans.set_backend(name)
        return fn()
    return run


def cases(T, causal, rng):
    """name -> function of the current backend, for one sequence length."""
    x = rng.standard_normal((B, H, T, T)).astype(np.float32)
    mask = causal_mask(T, T) if causal else None
    dx = rng.standard_normal(x.shape).astype(np.float32)
    q, k, v, dout = (rng.standard_normal((B, H, T, D)).astype(np.float32) for _ in range(4))
    return {
        "softmax fwd": lambda: ops.softmax_forward(x, mask),
        "softmax fwd+bwd": lambda: ops.softmax_backward(dx, ops.softmax_forward(x, mask)[1]),
        "attention fwd": lambda: ops.attention_forward(q, k, v, causal=causal),
        "attention fwd+bwd": lambda: ops.attention_backward(dout, ops.attention_forward(q, k, v, causal=causal)[1]),
    }


def print_table(repeat):
    rng = np.random.default_rng(0)
    print(f"{'case':<19}{'T':>5}{'causal':>8}  {'numpy ms (best/median)':>24}  {'numba ms (best/median)':>24}  {'speed-up':>8}")
    for T in (64, 256):
        for causal in (False, True):
            for name, fn in cases(T, causal, rng).items():
                t = time_pair(with_backend("numpy", fn), with_backend("numba", fn), repeat)
                print(f"{name:<19}{T:>5}{str(causal):>8}  {t['numpy'][0]:>12.2f} / {t['numpy'][1]:<9.2f}"
                      f"  {t['numba'][0]:>12.2f} / {t['numba'][1]:<9.2f}  {t['numpy'][0] / t['numba'][0]:>7.2f}x")
    minitrans.set_backend("numba")


def alternating_worker(repeat):
    """(Runs in a child process.) Matmul alone, softmax fwd+bwd alone, and the two alternating; prints JSON."""
    rng = np.random.default_rng(0)
    result = {"layer": None}
    for T in (64, 256):
        x = rng.standard_normal((B * T, H * D)).astype(np.float32)
        W = rng.standard_normal((H * D, 3 * H * D)).astype(np.float32)
        scores, dprobs = (rng.standard_normal((B, H, T, T)).astype(np.float32) for _ in range(2))
        mask = causal_mask(T, T)

        def matmul():
            return x @ W

        def softmax():
            return ops.softmax_backward(dprobs, ops.softmax_forward(scores, mask)[1])

        def both():
            matmul()
            softmax()

        for name, fn in (("matmul", matmul), ("softmax", softmax), ("alternating", both)):
            result[f"{name} T={T}"] = best_and_median(fn, repeat)
    result["layer"] = threading_layer()
    print(json.dumps(result))


def threading_check(repeat):
    print("\nThreading check: softmax fwd+bwd (causal mask) and a (B*T, 384) x (384, 1152) matmul, ms best / median")
    layers = [("numba's default", "default"), ("minitrans (workqueue)", None)]
    for label, layer in layers:
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
        if layer:
            env["NUMBA_THREADING_LAYER"] = layer
        done = subprocess.run([sys.executable, __file__, "--alternating-worker", "--repeat", str(repeat)],
                              env=env, capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        for T in (64, 256):
            mm, att, alt = (r[f"{n} T={T}"] for n in ("matmul", "softmax", "alternating"))
            print(f"  {label + ' = ' + r['layer']:<30} T={T:<4} matmul {mm[0]:6.2f} / {mm[1]:<6.2f}"
                  f" softmax {att[0]:6.2f} / {att[1]:<6.2f} alternating {alt[0]:6.2f} / {alt[1]:<6.2f}"
                  f" (alone, summed: {mm[0] + att[0]:6.2f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per case (default 30)")
    parser.add_argument("--skip-threading", action="store_true", help="print only the table")
    parser.add_argument("--alternating-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.alternating_worker:
        return alternating_worker(args.repeat)
    import numba
    print(f"cores: {os.cpu_count()}, numba threads: {numba.get_num_threads()}, numpy {np.__version__}, "
          f"numba {numba.__version__}, float32, B*H={B * H}, D={D}")
    print_table(args.repeat)
    print(f"(numba threading layer: {threading_layer()})")
    if not args.skip_threading:
        threading_check(args.repeat)


if __name__ == "__main__":
    main()
