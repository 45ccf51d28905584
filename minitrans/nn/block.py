"""Transformer layers: self-attention, (in a decoder layer of an encoder-decoder) cross-attention,
and a feed-forward network, each wrapped in a residual connection with a norm before it
(pre-norm: GPT-2, T5) or after it (post-norm: BERT, the original Transformer).
A layer's options are one BlockOptions, which both kinds of layer take.
"""
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from .attention import CrossAttention, MultiHeadAttention
from .feedforward import FeedForward
from .layers import Dropout, LayerNorm, RMSNorm
from .module import Module
from .positions import PositionScheme


@dataclass(frozen=True)
class BlockOptions:
    """How a Transformer layer is built (TransformerBlock, CrossAttentionBlock).

    `BlockOptions(norm="rmsnorm", bias=False)`; `dataclasses.replace(options, causal=True)` changes one."""
    norm_first: bool = True                     # pre-norm (GPT-2, T5); False: post-norm (BERT)
    norm: str = "layernorm"                     # or "rmsnorm"
    activation: str = "gelu"                    # of the feed-forward network (FeedForward)
    causal: bool = False                        # self-attention sees only itself and earlier positions
    bias: bool = True                           # False: no Linear biases and no LayerNorm shifts
    dropout: float = 0.0
    positions: Optional[PositionScheme] = None  # the self-attention's position scheme (T5: its relative bias)
    attn_scale: Optional[float] = None          # the scale of the scores; None: 1/sqrt(head size), T5: 1.0
    eps: float = 1e-5                           # of the norms
    rng: Optional[np.random.Generator] = None   # initial weights and dropout; None: a generator seeded 0
    std: float = 0.02                           # of the initial weights
    dtype: type = np.float32


def block_options(options, changes):
    """options (a BlockOptions, or None for the defaults) with `changes` made and an rng for sure."""
    if options is None:
        options = BlockOptions()
    if not isinstance(options, BlockOptions):
        raise TypeError(f"a block's options must be a BlockOptions (other options by keyword), "
                        f"got {type(options).__name__}")
    options = replace(options, **changes)
    return options if options.rng is not None else replace(options, rng=np.random.default_rng(0))


def make_norm(kind, dim, *, eps, bias=True, dtype=np.float32):
    """'layernorm' (with a shift unless bias=False) or 'rmsnorm' (never a shift)."""
    if kind == "layernorm":
        return LayerNorm(dim, eps=eps, bias=bias, dtype=dtype)
    if kind == "rmsnorm":
        return RMSNorm(dim, eps=eps, dtype=dtype)
    raise ValueError(f"norm must be 'layernorm' or 'rmsnorm', got {kind!r}")


class Residual(Module):
    """x + drop(f(norm(x))) (pre-norm) or norm(x + drop(f(x))) (post-norm) around one sub-layer f."""

    def __init__(self, sublayer, norm, *, dropout=0.0, pre_norm=True, rng=None):
        super().__init__()
        self.sublayer, self.norm, self.pre_norm = sublayer, norm, pre_norm
        self.drop = Dropout(dropout, rng=rng)

    def forward(self, x, **kwargs):
        """x: (B, T, C) -> (B, T, C); kwargs go to the sub-layer (mask, context, past_kv)."""
        norm_cache = None
        h = x
        if self.pre_norm:
            h, norm_cache = self.norm.forward(x)
        y, sublayer_cache = self.sublayer.forward(h, **kwargs)
        y, dropout_cache = self.drop.forward(y)
        out = x + y
        if not self.pre_norm:
            out, norm_cache = self.norm.forward(out)
        return out, {"norm": norm_cache, "sublayer": sublayer_cache, "dropout": dropout_cache}

    def backward(self, dout, cache):
        """dout: (B, T, C) -> dx: (B, T, C)."""
        ### BEGIN SOLUTION
        dout, dh = self.into_sublayer_backward(dout, cache)
        return self.out_of_sublayer_backward(dout, self.sublayer.backward(dh, cache["sublayer"]), cache)
        ### END SOLUTION

    def into_sublayer_backward(self, dout, cache):
        """dout: (B, T, C) -> (dout after a post-norm, gradient at the sub-layer's output)."""
        ### BEGIN SOLUTION
        if not self.pre_norm:
            dout = self.norm.backward(dout, cache["norm"])
        return dout, self.drop.backward(dout, cache["dropout"])
        ### END SOLUTION

    def out_of_sublayer_backward(self, dout, dh, cache):
        """The skip path's gradient dout plus the sub-layer's input gradient dh (through a pre-norm) -> dx."""
        ### BEGIN SOLUTION
        return dout + (self.norm.backward(dh, cache["norm"]) if self.pre_norm else dh)
        ### END SOLUTION


class CrossAttentionResidual(Residual):
    """A Residual around CrossAttention: backward returns (dx, dcontext)."""

    def backward(self, dout, cache):
        """dout: (B, T, C) -> dx: (B, T, C), dcontext: (B, S, C)."""
        ### BEGIN SOLUTION
        dout, dh = self.into_sublayer_backward(dout, cache)
        dh, dcontext = self.sublayer.backward(dh, cache["sublayer"])
        return self.out_of_sublayer_backward(dout, dh, cache), dcontext
        ### END SOLUTION


class TransformerBlock(Module):
    """One encoder layer (BERT) or decoder-only layer (GPT, causal=True): self-attention, then feed-forward.

    options: a BlockOptions (None: the defaults); `changes` by keyword replace any of its fields,
    so `TransformerBlock(128, 4, 512, causal=True)` is GPT's layer.
    """

    def __init__(self, d_model, n_heads, d_ff, options=None, **changes):
        super().__init__()
        o = block_options(options, changes)
        attn = MultiHeadAttention(d_model, n_heads, causal=o.causal, bias=o.bias, dropout=o.dropout,
                                  positions=o.positions, scale=o.attn_scale, rng=o.rng, std=o.std, dtype=o.dtype)
        self.self_attn = Residual(attn, make_norm(o.norm, d_model, eps=o.eps, bias=o.bias, dtype=o.dtype),
                                  dropout=o.dropout, pre_norm=o.norm_first, rng=o.rng)
        ffn = FeedForward(d_model, d_ff, activation=o.activation, bias=o.bias, dropout=o.dropout, rng=o.rng,
                          std=o.std, dtype=o.dtype)
        self.ffn = Residual(ffn, make_norm(o.norm, d_model, eps=o.eps, bias=o.bias, dtype=o.dtype),
                            dropout=o.dropout, pre_norm=o.norm_first, rng=o.rng)

    def forward(self, x, mask=None, past_kv=None):
        """x: (B, T, C), mask: bool (B, T) padding mask or 4-D; past_kv: see MultiHeadAttention
        -> out: (B, T, C), cache."""
        h, self_attn_cache = self.self_attn.forward(x, mask=mask, past_kv=past_kv)
        out, ffn_cache = self.ffn.forward(h)
        return out, {"self_attn": self_attn_cache, "ffn": ffn_cache}

    def backward(self, dout, cache):
        """dout: (B, T, C) -> dx: (B, T, C)."""
        ### BEGIN SOLUTION
        dh = self.ffn.backward(dout, cache["ffn"])
        return self.self_attn.backward(dh, cache["self_attn"])
        ### END SOLUTION

    @staticmethod
    def attention_map(cache):
        """The self-attention probabilities (B, H, T, T) from a forward cache, for plotting."""
        return cache["self_attn"]["sublayer"]["attention"]["probs"]

    @staticmethod
    def present_kv(cache):
        """The self-attention keys and values of a forward cache, to pass as past_kv next time."""
        return cache["self_attn"]["sublayer"]["present_kv"]


class CrossAttentionBlock(TransformerBlock):
    """A decoder layer of an encoder-decoder (T5, the original Transformer): causal self-attention,
    cross-attention to the encoder's output (the context), then feed-forward.
    backward returns two gradients: (dx, dcontext). Options as for TransformerBlock; the
    self-attention is always causal, the cross-attention has no position scheme."""

    def __init__(self, d_model, n_heads, d_ff, options=None, **changes):
        o = block_options(options, {**changes, "causal": True})
        super().__init__(d_model, n_heads, d_ff, o)
        cross = CrossAttention(d_model, n_heads, bias=o.bias, dropout=o.dropout, scale=o.attn_scale, rng=o.rng,
                               std=o.std, dtype=o.dtype)
        self.cross_attn = CrossAttentionResidual(cross, make_norm(o.norm, d_model, eps=o.eps, bias=o.bias,
                                                                  dtype=o.dtype),
                                                 dropout=o.dropout, pre_norm=o.norm_first, rng=o.rng)

    def forward(self, x, context, mask=None, context_mask=None, past_kv=None, context_kv=None):
        """x: (B, T, C), context: (B, S, C) the encoder's output; mask: bool (B, T) or 4-D for
        self-attention, context_mask: bool (B, S) padding mask of the context; past_kv and
        context_kv for generation (see MultiHeadAttention and CrossAttention) -> out: (B, T, C), cache."""
        h, self_attn_cache = self.self_attn.forward(x, mask=mask, past_kv=past_kv)
        h, cross_attn_cache = self.cross_attn.forward(h, context=context, mask=context_mask, context_kv=context_kv)
        out, ffn_cache = self.ffn.forward(h)
        return out, {"self_attn": self_attn_cache, "cross_attn": cross_attn_cache, "ffn": ffn_cache}

    def backward(self, dout, cache):
        """dout: (B, T, C) -> dx: (B, T, C), dcontext: (B, S, C)."""
        ### BEGIN SOLUTION
        dh = self.ffn.backward(dout, cache["ffn"])
        dh, dcontext = self.cross_attn.backward(dh, cache["cross_attn"])
        return self.self_attn.backward(dh, cache["self_attn"]), dcontext
        ### END SOLUTION

    @staticmethod
    def cross_attention_map(cache):
        """The cross-attention probabilities (B, H, T, S) from a forward cache, for plotting."""
        return cache["cross_attn"]["sublayer"]["attention"]["probs"]
