"""Position schemes: how attention is told where its tokens are.

Attention alone cannot tell one order of its tokens from another. A model tells it either
before the blocks (GPT's and BERT's learned position embeddings, added to the tokens) or
inside every attention layer, by a PositionScheme given to the layer (`positions=`):

    qh, kh, bias, cache = positions.forward(qh, kh, offset)     # per-head queries and keys
    scores = qh kh^T * scale + bias                              # ops.attention_forward
    dqh, dkh = positions.backward((dqh, dkh, dbias), cache)       # adds into the scheme's grads

A scheme may change the queries and keys (rotary embeddings rotate them by their positions)
and may return a bias to add to the scores (T5's relative bias, minitrans/nn/relative_bias.py;
ALiBi); a scheme that only adds a bias writes scores_bias and scores_bias_backward. How to
add one: docs/extending.md.
"""
from .module import Module


class PositionScheme(Module):
    """The interface of a position scheme inside attention; this base changes nothing.

    `attribute` is the name an attention layer holds its scheme by, so the scheme's parameters
    are named `<attention>.<attribute>.<parameter>` in a state dict."""

    attribute = "positions"

    def forward(self, q, k, offset=0):
        """q: (B, H, Tq, D) queries at positions offset..offset+Tq-1, k: (B, H, Tk, D) keys at 0..Tk-1
        -> q, k as attention scores them (same shapes), bias: (1 or B, H, Tq, Tk) added to the
        scores or None, cache."""
        bias, cache = self.scores_bias(q.shape[2], k.shape[2], offset)
        return q, k, bias, cache

    def backward(self, dout, cache):
        """dout: (dq, dk, dbias), the gradients of forward's q, k and bias (dbias None without a bias)
        -> dq, dk at forward's inputs; adds into the scheme's parameter grads."""
        dq, dk, dbias = dout
        self.scores_bias_backward(dbias, cache)
        return dq, dk

    def scores_bias(self, Tq, Tk, offset=0):
        """The bias of Tq queries at offset.. and Tk keys at 0.. -> bias (1 or B, H, Tq, Tk) or None, cache."""
        return None, None

    def scores_bias_backward(self, dbias, cache):
        """dbias: the gradient of scores_bias's bias -> None; adds into the scheme's parameter grads."""
        return None
