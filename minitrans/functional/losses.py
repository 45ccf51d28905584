"""Losses: cross-entropy with ignored targets, and mean squared error (for regression heads)."""
import numpy as np

from .checks import check_float


def check_cross_entropy_inputs(logits, targets, ignore_index):
    """Validate; -> logits as (N, V), targets as (N,), keep (N,) bool (not ignored), n = keep.sum()."""
    check_float("logits", logits)
    targets = np.asarray(targets)
    if targets.dtype.kind not in "iu":
        raise TypeError(f"targets must be integers, got dtype {targets.dtype}")
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"targets must have shape {logits.shape[:-1]} to match logits {logits.shape}, got {targets.shape}")
    V = logits.shape[-1]
    flat_t = targets.reshape(-1)
    keep = flat_t != ignore_index
    bad = keep & ((flat_t < 0) | (flat_t >= V))
    if bad.any():
        raise ValueError(f"targets must lie in [0, {V}) or equal ignore_index={ignore_index}, got {flat_t[bad][0]}")
    return logits.reshape(-1, V), flat_t, keep, int(keep.sum())


def cross_entropy_forward(logits, targets, ignore_index=-100):
    """Mean cross-entropy over the targets that are not `ignore_index`.

    logits: (..., V) float, targets: (...) int in [0, V) or ignore_index -> loss: float.
    If every target is ignored the loss is 0 and so is the gradient.
    """
    flat_logits, flat_t, keep, n = check_cross_entropy_inputs(logits, targets, ignore_index)
    m = flat_logits.max(axis=-1, keepdims=True)
    logp = flat_logits - m - np.log(np.exp(flat_logits - m).sum(axis=-1, keepdims=True))
    rows = np.nonzero(keep)[0]
    loss = -logp[rows, flat_t[rows]].sum() / max(n, 1)
    return float(loss), (logp, flat_t, keep, n, logits.shape)


def cross_entropy_backward(dloss, cache):
    """dloss: float (usually 1.0) -> dlogits: same shape as logits."""
    logp, flat_t, keep, n, shape = cache         # logp: (N, V), flat_t: (N,), keep: (N,) bool, n = keep.sum()
    rows = np.nonzero(keep)[0]                   # the rows whose target counts
    ### BEGIN SOLUTION
    # in the forward pass loss = -(1/n) sum over kept rows of logp[row, target], and
    # d(logp[t])/d(logit_j) = delta_tj - softmax_j, so a kept row's gradient is softmax - onehot(target)
    d = np.exp(logp)                                # softmax: (N, V)
    d[rows, flat_t[rows]] -= 1.0
    d[~keep] = 0.0                                  # an ignored target adds nothing to the loss
    d *= dloss / max(n, 1)                          # the mean over the n kept rows, times the upstream gradient
    return d.reshape(shape)
    ### END SOLUTION


def mse_forward(pred, target):
    """Mean squared error.   pred, target: same shape -> loss: float."""
    check_float("pred", pred)
    target = np.asarray(target, dtype=pred.dtype)
    if target.shape != pred.shape:
        raise ValueError(f"target must have shape {pred.shape}, got {target.shape}")
    diff = pred - target
    return float((diff * diff).mean()), diff


def mse_backward(dloss, cache):
    """dloss: float -> dpred: same shape as pred."""
    diff = cache
    return dloss * 2.0 * diff / diff.size
