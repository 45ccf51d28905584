"""T5's relative position bias: a position scheme (minitrans/nn/positions.py) that adds to each
attention score a learned scalar per head for the bucket of the key's distance from the query."""
import math

import numpy as np

from .layers import normal_init
from .module import Parameter
from .positions import PositionScheme


def relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    """Map key_pos - query_pos to a bucket id (T5): exact buckets for small distances,
    logarithmically wider ones up to max_distance, one side per direction when bidirectional.

    relative_position: int array (...) -> bucket ids (...) in [0, num_buckets).
    """
    n = -relative_position
    bucket = np.zeros_like(n)
    if bidirectional:
        num_buckets //= 2
        bucket += (n < 0) * num_buckets
        n = np.abs(n)
    else:
        n = np.maximum(n, 0)
    max_exact = num_buckets // 2
    is_small = n < max_exact
    safe_n = np.maximum(n, 1)  # log(0) is never used: those entries are small
    large = max_exact + (np.log(safe_n / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).astype(n.dtype)
    large = np.minimum(large, num_buckets - 1)
    return bucket + np.where(is_small, n, large)


class RelativePositionBias(PositionScheme):
    """A learned scalar per (bucket, head), added to the attention scores (T5).

    One instance is shared by every layer of a T5 stack.
    """

    attribute = "relative_bias"      # the name in T5's checkpoints and in minitrans/interop/t5.py's mapping

    def __init__(self, n_heads, *, num_buckets=32, max_distance=128, bidirectional=True,
                 rng=None, std=0.02, dtype=np.float32):
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng(0)
        self.num_buckets, self.max_distance, self.bidirectional = num_buckets, max_distance, bidirectional
        self.weight = Parameter(normal_init(rng, (num_buckets, n_heads), std, dtype))

    def scores_bias(self, Tq, Tk, offset=0):
        """Bias for queries at positions offset..offset+Tq-1 and keys 0..Tk-1 -> bias (1, H, Tq, Tk),
        cache (the (Tq, Tk) bucket ids)."""
        rel = np.arange(Tk)[None, :] - (offset + np.arange(Tq))[:, None]        # (Tq, Tk)
        buckets = relative_position_bucket(rel, self.bidirectional, self.num_buckets, self.max_distance)
        bias = self.weight.data[buckets].transpose(2, 0, 1)[None]              # (1, H, Tq, Tk)
        return bias, buckets

    def scores_bias_backward(self, dbias, cache):
        """dbias: (B or 1, H, Tq, Tk) -> None; adds into weight.grad."""
        buckets = cache
        d = dbias.sum(axis=0).transpose(1, 2, 0)                                # (Tq, Tk, H)
        np.add.at(self.weight.grad, buckets.reshape(-1), d.reshape(-1, d.shape[-1]))
        return None
