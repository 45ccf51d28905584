"""Batching: pad sequences of different lengths into one array, and group similar lengths together.

    ids, attention_mask = pad_batch([[5, 6, 7], [8]], pad_id=0)
    # ids            = [[5, 6, 7], [8, 0, 0]]
    # attention_mask = [[True, True, True], [True, False, False]]     True = a real token
"""
import numpy as np

from ..functional.checks import check_id_array, check_positive_int


def pad_batch(sequences, pad_id, max_len=None):
    """(ids (B, T) int64, attention_mask (B, T) bool, True = real token) with T = max_len or the longest
    sequence; pads on the right."""
    rows = [check_id_array(f"sequences[{i}]", s, ndim=1) for i, s in enumerate(sequences)]
    if not rows:
        raise ValueError("pad_batch needs at least one sequence, got none")
    longest = max(len(r) for r in rows)
    if max_len is None:
        max_len = longest
    elif check_positive_int("max_len", max_len) < longest:
        raise ValueError(f"a sequence has {longest} tokens, more than max_len={max_len}; truncate it first")
    ids = np.full((len(rows), max_len), pad_id, dtype=np.int64)
    attention_mask = np.zeros((len(rows), max_len), dtype=bool)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = r
        attention_mask[i, :len(r)] = True
    return ids, attention_mask


def length_buckets(lengths, batch_size, rng, pool_batches=50):
    """Batches of example indices whose lengths are close, so little padding is needed.

    The indices are shuffled, cut into pools of `pool_batches` batches, each pool is
    sorted by length and cut into batches of `batch_size` (the last may be smaller),
    and the order of the batches is shuffled. Every index appears exactly once.
    """
    lengths = check_id_array("lengths", lengths, ndim=1)
    check_positive_int("batch_size", batch_size)
    check_positive_int("pool_batches", pool_batches)
    order = rng.permutation(len(lengths))
    pool = batch_size * pool_batches
    batches = []
    for start in range(0, len(order), pool):
        chunk = order[start:start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]
