"""TransformerBlock: self-attention, optional cross-attention, and a feed-forward network,
each wrapped in a residual connection with a norm before it (pre-norm: GPT-2, T5)
or after it (post-norm: BERT, the original Transformer).
"""
import numpy as np

from .attention import MultiHeadAttention
from .feedforward import FeedForward
from .layers import Dropout, LayerNorm, RMSNorm
from .module import Module


def make_norm(kind, dim, eps, dtype, bias=True):
    """'layernorm' (with a shift unless bias=False) or 'rmsnorm' (never a shift)."""
    if kind == "layernorm":
        return LayerNorm(dim, eps, dtype, bias)
    if kind == "rmsnorm":
        return RMSNorm(dim, eps, dtype)
    raise ValueError(f"norm must be 'layernorm' or 'rmsnorm', got {kind!r}")


class Residual(Module):
    """x + drop(f(norm(x))) (pre-norm) or norm(x + drop(f(x))) (post-norm) around one sub-layer f."""

    def __init__(self, sublayer, norm, dropout, pre_norm, rng):
        super().__init__()
        self.sublayer, self.norm, self.pre_norm = sublayer, norm, pre_norm
        self.drop = Dropout(dropout, rng)

    def forward(self, x, **kwargs):
        """x: (B, T, C) -> (B, T, C); kwargs go to the sub-layer (mask, context, past_kv)."""
        cn = None
        h = x
        if self.pre_norm:
            h, cn = self.norm.forward(x)
        y, cs = self.sublayer.forward(h, **kwargs)
        y, cd = self.drop.forward(y)
        out = x + y
        if not self.pre_norm:
            out, cn = self.norm.forward(out)
        return out, (cn, cs, cd)

    def backward(self, dout, cache):
        """dout: (B, T, C) -> dx (B, T, C), or (dx, dcontext) when the sub-layer is cross-attention."""
        cn, cs, cd = cache
        if not self.pre_norm:
            dout = self.norm.backward(dout, cn)
        grads = self.sublayer.backward(self.drop.backward(dout, cd), cs)
        dh, dcontext = grads if isinstance(grads, tuple) else (grads, None)
        dx = dout + (self.norm.backward(dh, cn) if self.pre_norm else dh)
        return dx if dcontext is None else (dx, dcontext)


class TransformerBlock(Module):
    """One encoder or decoder layer.

    norm_first=True: pre-norm (GPT-2, T5); False: post-norm (BERT).
    cross_attention=True adds a cross-attention sub-layer (T5's decoder); then
    forward needs a context and backward returns (dx, dcontext).
    """

    def __init__(self, d_model, n_heads, d_ff, norm_first=True, norm="layernorm", activation="gelu",
                 causal=False, cross_attention=False, bias=True, dropout=0.0, relative_bias=None,
                 attn_scale=None, eps=1e-5, rng=None, std=0.02, dtype=np.float32):
        """bias=False drops the biases of every Linear and the shifts of the LayerNorms."""
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng(0)
        self.has_cross = cross_attention
        attn = MultiHeadAttention(d_model, n_heads, causal=causal, bias=bias, dropout=dropout,
                                  relative_bias=relative_bias, scale=attn_scale, rng=rng, std=std, dtype=dtype)
        self.self_attn = Residual(attn, make_norm(norm, d_model, eps, dtype, bias), dropout, norm_first, rng)
        self.cross_attn = None
        if cross_attention:
            xattn = MultiHeadAttention(d_model, n_heads, cross=True, bias=bias, dropout=dropout,
                                       scale=attn_scale, rng=rng, std=std, dtype=dtype)
            self.cross_attn = Residual(xattn, make_norm(norm, d_model, eps, dtype, bias), dropout, norm_first, rng)
        ffn = FeedForward(d_model, d_ff, activation, bias, dropout, rng, std, dtype)
        self.ffn = Residual(ffn, make_norm(norm, d_model, eps, dtype, bias), dropout, norm_first, rng)

    def forward(self, x, mask=None, context=None, context_mask=None, past_kv=None):
        """x: (B, T, C), mask: bool (B, T) or 4-D for self-attention,
        context: (B, S, C) and context_mask: bool (B, S) for cross-attention
        -> out: (B, T, C), cache."""
        h, c1 = self.self_attn.forward(x, mask=mask, past_kv=past_kv)
        c2 = None
        if self.has_cross:
            if context is None:
                raise ValueError("this block has cross-attention: forward needs a context")
            h, c2 = self.cross_attn.forward(h, context=context, mask=context_mask)
        out, c3 = self.ffn.forward(h)
        return out, (c1, c2, c3)

    def backward(self, dout, cache):
        """dout: (B, T, C) -> dx: (B, T, C), or (dx, dcontext) with cross-attention."""
        c1, c2, c3 = cache
        dh = self.ffn.backward(dout, c3)
        dcontext = None
        if self.has_cross:
            dh, dcontext = self.cross_attn.backward(dh, c2)
        dx = self.self_attn.backward(dh, c1)
        return dx if dcontext is None else (dx, dcontext)

    def attention_maps(self, cache):
        """The self-attention probabilities (B, H, T, T) from a forward cache, for plotting."""
        return cache[0][1]["attn"]["probs"]
