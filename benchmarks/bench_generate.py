"""Decoding speed with and without the key-value cache, in tokens per second.

    python benchmarks/bench_generate.py [--preset baby] [--batch 1] [--repeats 3]

Generates block_size - 1 tokens from a one-token prompt (so the whole block is
used and no cropping happens) with greedy decoding, once with the cache and
once recomputing every step, and prints the best of `repeats` runs of each.
The weights are random: speed does not depend on them.
"""
import argparse
import time

import numpy as np

from minitrans.generate import generate
from minitrans.models import GPT, GPTConfig


def tokens_per_second(model, prompt, n_new, use_cache, repeats):
    """Best-of-`repeats` decoding speed: new tokens (summed over the batch) per second."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        generate(model, prompt, n_new, greedy=True, use_cache=use_cache)
        best = min(best, time.perf_counter() - start)
    return n_new * prompt.shape[0] / best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="baby")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    model = GPT(GPTConfig.preset(args.preset)).eval()
    n_new = model.config.block_size - 1
    prompt = np.zeros((args.batch, 1), dtype=np.int64)
    generate(model, prompt, 2)                            # warm up (first-call costs)
    cached = tokens_per_second(model, prompt, n_new, True, args.repeats)
    uncached = tokens_per_second(model, prompt, n_new, False, args.repeats)
    print(f"preset {args.preset}, batch {args.batch}, {n_new} new tokens from a 1-token prompt")
    print(f"with cache:    {cached:8.1f} tokens/s")
    print(f"without cache: {uncached:8.1f} tokens/s")
    print(f"speed-up:      {cached / uncached:8.2f}x")


if __name__ == "__main__":
    main()
