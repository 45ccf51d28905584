"""Mixing several tasks into one stream of batches, the three ways the T5 paper compares.

    "proportional":  rate_i ∝ min(n_i, K)               examples-proportional mixing with a limit K
    "temperature":   rate_i ∝ min(n_i, K) ** (1 / T)     T = 1 is proportional; large T tends to equal
    "equal":         rate_i = 1 / number of tasks

n_i is the number of training examples of task i (for span corruption, the number of windows
of the corpus: large, so the limit K decides its share). Each example of a batch draws its task
with these rates.
"""
import numpy as np

MIXINGS = ("proportional", "temperature", "equal")


def mixing_rates(sizes, mixing="proportional", limit=None, temperature=1.0):
    """sizes: dict task -> number of examples -> dict task -> rate (the rates sum to 1)."""
    if mixing not in MIXINGS:
        raise ValueError(f"mixing must be one of {MIXINGS}, got {mixing!r}")
    if not sizes:
        raise ValueError("mixing needs at least one task")
    for task, n in sizes.items():
        if not n > 0:
            raise ValueError(f"task {task!r} has {n} examples; every task needs at least one")
    if limit is not None and not limit > 0:
        raise ValueError(f"the limit K must be positive, got {limit}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    capped = np.array([min(n, limit) if limit else n for n in sizes.values()], dtype=np.float64)
    if mixing == "equal":
        weights = np.ones_like(capped)
    elif mixing == "temperature":
        weights = capped ** (1.0 / temperature)
    else:
        weights = capped
    return dict(zip(sizes, weights / weights.sum()))


def draw_tasks(rates, n, rng):
    """n task names drawn independently with the given rates."""
    names = list(rates)
    return [names[i] for i in rng.choice(len(names), size=n, p=np.array([rates[t] for t in names]))]

