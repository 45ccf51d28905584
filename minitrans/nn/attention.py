"""Multi-head attention (self or cross, causal and padding masks, an optional position scheme)."""
import numpy as np

from .. import ops
from .layers import Linear
from .module import Module
from .positions import PositionScheme


def split_heads(x, n_heads):
    """(B, T, H*D) -> (B, H, T, D)."""
    B, T, C = x.shape
    return x.reshape(B, T, n_heads, C // n_heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    """(B, H, T, D) -> (B, T, H*D)."""
    B, H, T, D = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, H * D)


def as_attention_mask(mask, B, Tk):
    """A (B, Tk) key-padding mask becomes (B, 1, 1, Tk); a 4-D mask passes through."""
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"attention mask must be boolean (True = real token), got dtype {mask.dtype}")
    if mask.ndim == 2:
        if mask.shape != (B, Tk):
            raise ValueError(f"padding mask must have shape ({B}, {Tk}), got {mask.shape}")
        return mask[:, None, None, :]
    if mask.ndim != 4:
        raise ValueError(f"attention mask must be (B, Tk) or 4-D broadcastable to (B, H, Tq, Tk), got shape {mask.shape}")
    return mask


class Attention(Module):
    """What self- and cross-attention share: the q, k, v and output projections around
    ops.attention_forward / ops.attention_backward, split into n_heads heads.

    positions: a PositionScheme (minitrans/nn/positions.py) that tells the heads where the tokens
    are (T5's RelativePositionBias), or None; it is held as a child named by its `attribute`."""

    def __init__(self, d_model, n_heads, *, causal=False, bias=True, dropout=0.0, positions=None, scale=None,
                 rng=None, std=0.02, dtype=np.float32):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        rng = rng if rng is not None else np.random.default_rng(0)
        self.n_heads, self.causal = n_heads, causal
        self.dropout_p, self.scale, self.rng = float(dropout), scale, rng
        self.q = Linear(d_model, d_model, bias=bias, rng=rng, std=std, dtype=dtype)
        self.k = Linear(d_model, d_model, bias=bias, rng=rng, std=std, dtype=dtype)
        self.v = Linear(d_model, d_model, bias=bias, rng=rng, std=std, dtype=dtype)
        self.out = Linear(d_model, d_model, bias=bias, rng=rng, std=std, dtype=dtype)
        if positions is not None and not isinstance(positions, PositionScheme):
            raise TypeError(f"positions must be a PositionScheme (minitrans/nn/positions.py) or None, "
                            f"got {type(positions).__name__}")
        self.positions_attribute = None if positions is None else positions.attribute
        if positions is not None:        # a child by the scheme's own name, which names its parameters
            self._children[positions.attribute] = positions

    @property
    def positions(self):
        """The position scheme, or None."""
        return self._children.get(self.positions_attribute)

    def keys_values(self, source):
        """source: (B, Tk, C) -> per-head keys and values, each (B, H, Tk, D)."""
        k, _ = self.k.forward(source)
        v, _ = self.v.forward(source)
        return split_heads(k, self.n_heads), split_heads(v, self.n_heads)

    def attend(self, x, source, mask, past_kv=None, fixed_kv=None):
        """x: (B, Tq, C) queries; source: (B, Tk, C) keys and values; mask: bool (B, Tk) or 4-D.
        past_kv: (k, v) of earlier positions to put before the new ones; fixed_kv: (k, v) to use
        instead of projecting the source (both for generation) -> out: (B, Tq, C), cache."""
        if x.ndim != 3:
            raise ValueError(f"attention expects (B, T, C) inputs, got {x.shape}")
        q, q_cache = self.q.forward(x)
        k_cache = v_cache = None
        if fixed_kv is not None:
            kh, vh = fixed_kv
        else:
            if source.ndim != 3:
                raise ValueError(f"attention expects (B, T, C) inputs, got {source.shape}")
            k, k_cache = self.k.forward(source)
            v, v_cache = self.v.forward(source)
            kh, vh = split_heads(k, self.n_heads), split_heads(v, self.n_heads)
        if past_kv is not None:
            kh = np.concatenate([past_kv[0], kh], axis=2)
            vh = np.concatenate([past_kv[1], vh], axis=2)
        qh = split_heads(q, self.n_heads)
        B, _, Tq, _ = qh.shape
        Tk = kh.shape[2]
        # the queries are the last Tq of the Tk positions; present_kv keeps the keys from before the
        # scheme, so that a cached key is not changed a second time when it is passed back as past_kv
        q_scored, k_scored, bias, positions_cache = qh, kh, None, None
        if self.positions is not None:
            q_scored, k_scored, bias, positions_cache = self.positions.forward(qh, kh, offset=Tk - Tq)
        p = self.dropout_p if self.training else 0.0
        heads_out, attention_cache = ops.attention_forward(q_scored, k_scored, vh,
                                                           mask=as_attention_mask(mask, B, Tk), causal=self.causal,
                                                           bias=bias, dropout_p=p, rng=self.rng, scale=self.scale)
        out, out_cache = self.out.forward(merge_heads(heads_out))
        cache = {"q_proj": q_cache, "k_proj": k_cache, "v_proj": v_cache, "attention": attention_cache,
                 "positions": positions_cache, "out_proj": out_cache, "present_kv": (kh, vh),
                 "for_generation": past_kv is not None or fixed_kv is not None}
        return out, cache

    def attend_backward(self, dout, cache):
        """dout: (B, Tq, C) -> dx: (B, Tq, C) through the queries, dsource: (B, Tk, C) through keys and values.
        With a position scheme, its backward takes the heads' (dq, dk, dbias) back to its inputs."""
        if cache["for_generation"]:
            raise ValueError("backward through a call with past_kv or context_kv is not supported "
                             "(they are for generation)")
        ### BEGIN SOLUTION
        dheads = split_heads(self.out.backward(dout, cache["out_proj"]), self.n_heads)
        dq, dk, dv, dbias = ops.attention_backward(dheads, cache["attention"])
        if self.positions is not None:
            dq, dk = self.positions.backward((dq, dk, dbias), cache["positions"])
        dx = self.q.backward(merge_heads(dq), cache["q_proj"])
        dsource = self.k.backward(merge_heads(dk), cache["k_proj"]) + self.v.backward(merge_heads(dv), cache["v_proj"])
        return dx, dsource
        ### END SOLUTION


class MultiHeadAttention(Attention):
    """Self-attention: each position of x attends to the positions of x (causal=True: only to
    itself and earlier ones). cache["attention"]["probs"] is the (B, H, T, T) attention map."""

    def forward(self, x, mask=None, past_kv=None):
        """x: (B, T, C), mask: bool (B, T) padding mask (True = real token) or 4-D
        past_kv: (k, v) of earlier positions, each (B, H, Tpast, D), for incremental decoding
        -> out: (B, T, C), cache (cache["present_kv"]: the keys and values to pass as past_kv next time)."""
        return self.attend(x, x, mask, past_kv=past_kv)

    def backward(self, dout, cache):
        """dout: (B, T, C) -> dx: (B, T, C)."""
        dx, dsource = self.attend_backward(dout, cache)
        return dx + dsource


class CrossAttention(Attention):
    """Cross-attention: each position of x attends to the positions of a context (the encoder's
    output, in T5's decoder). backward returns two gradients: (dx, dcontext)."""

    def forward(self, x, context, mask=None, context_kv=None):
        """x: (B, Tq, C), context: (B, Tk, C), mask: bool (B, Tk) padding mask of the context
        context_kv: the context's keys and values (Attention.keys_values), computed once for generation
        -> out: (B, Tq, C), cache."""
        if context is None and context_kv is None:
            raise ValueError("cross-attention needs a context (the encoder output)")
        return self.attend(x, context, mask, fixed_kv=context_kv)

    def backward(self, dout, cache):
        """dout: (B, Tq, C) -> dx: (B, Tq, C), dcontext: (B, Tk, C)."""
        ### BEGIN SOLUTION
        return self.attend_backward(dout, cache)
        ### END SOLUTION
