"""GPT: a decoder-only Transformer language model (GPT-1, GPT-2 and toy sizes).

    ids (B, T) -> token + position embeddings -> dropout -> n_layer causal blocks
       -> final LayerNorm (pre-norm models) -> logits (B, T, V) through the
          token embedding matrix (tied head)

forward/backward follow the minitrans contract; `hidden_forward`/`head_forward`
are exposed separately (causal_lm.py, shared with the LSTM LM) so that finetuning
heads can read the final states and add their own gradient (L_task + lambda * L_LM).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..functional.checks import check_compute_dtype, check_token_batch
from ..nn import BlockOptions, Dropout, Embedding, LayerNorm, Linear, TransformerBlock
from .causal_lm import CausalLM
from .config import PresetConfig


@dataclass
class GPTConfig(PresetConfig):
    """Sizes and switches of a GPT. `GPTConfig.preset("baby")` gives a named size."""

    vocab_size: int = 65
    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    n_inner: int | None = None     # feed-forward width; None: 4 * n_embd
    dropout: float = 0.0
    norm_first: bool = True        # pre-norm (GPT-2); False: post-norm (GPT-1)
    tie_weights: bool = True       # the LM head reuses the token embedding matrix
    bias: bool = True
    activation: str = "gelu_tanh"  # GPT-2's GELU
    scale_attn: bool = True        # scores q.k / sqrt(head size); False: plain q.k (GPT-2's scale_attn_weights)
    layer_norm_eps: float = 1e-5
    seed: int = 0
    dtype: str = "float32"

    PRESETS = {
        "nano": dict(vocab_size=65, block_size=32, n_layer=2, n_head=2, n_embd=64),
        # the classic CPU baby GPT of the character-level Shakespeare recipe: no biases, exact GELU
        "baby": dict(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128, bias=False, activation="gelu"),
        "gpt1": dict(vocab_size=40478, block_size=512, n_layer=12, n_head=12, n_embd=768, norm_first=False,
                     dropout=0.1, activation="gelu"),
        "gpt2": dict(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768, dropout=0.1),
        "gpt2-medium": dict(vocab_size=50257, block_size=1024, n_layer=24, n_head=16, n_embd=1024, dropout=0.1),
        "gpt2-large": dict(vocab_size=50257, block_size=1024, n_layer=36, n_head=20, n_embd=1280, dropout=0.1),
        "gpt2-xl": dict(vocab_size=50257, block_size=1024, n_layer=48, n_head=25, n_embd=1600, dropout=0.1),
    }

    def __post_init__(self):
        super().__post_init__()
        if self.n_embd % self.n_head:
            raise ValueError(f"GPTConfig.n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})")

    @property
    def d_ff(self):
        """The feed-forward width: n_inner, or 4 * n_embd when n_inner is None."""
        return 4 * self.n_embd if self.n_inner is None else self.n_inner


def count_gpt_parameters(config):
    """Parameters of a GPT of this config, counted from the shapes without building it."""
    C, L, Fd = config.n_embd, config.n_layer, config.d_ff
    b = 1 if config.bias else 0
    per_block = 4 * (C * C + b * C) + (C * Fd + b * Fd) + (Fd * C + b * C) + 2 * (C + b * C)
    total = config.vocab_size * C + config.block_size * C + L * per_block
    total += C + b * C if config.norm_first else 0     # the final LayerNorm
    total += 0 if config.tie_weights else C * config.vocab_size
    return total


class GPT(CausalLM):
    """A GPT language model. forward(ids) -> (logits, cache); backward(dlogits, cache)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        c, dtype = config, np.dtype(config.dtype)
        rng = np.random.default_rng(c.seed)
        self.wte = Embedding(c.vocab_size, c.n_embd, rng=rng, std=0.02, dtype=dtype)
        self.wpe = Embedding(c.block_size, c.n_embd, rng=rng, std=0.02, dtype=dtype)
        self.drop = Dropout(c.dropout, rng=rng)
        options = BlockOptions(norm_first=c.norm_first, activation=c.activation, causal=True, bias=c.bias,
                               dropout=c.dropout, attn_scale=None if c.scale_attn else 1.0, eps=c.layer_norm_eps,
                               rng=rng, std=0.02, dtype=dtype)
        self.blocks = [TransformerBlock(c.n_embd, c.n_head, c.d_ff, options) for _ in range(c.n_layer)]
        # GPT-2: the projections that write into the residual stream start smaller, by 1/sqrt(2 n_layer)
        for block in self.blocks:
            for proj in (block.self_attn.sublayer.out, block.ffn.sublayer.down):
                proj.weight.data *= dtype.type(1.0 / np.sqrt(2 * c.n_layer))
        self.ln_f = LayerNorm(c.n_embd, eps=c.layer_norm_eps, bias=c.bias, dtype=dtype) if c.norm_first else None
        self.lm_head = None if c.tie_weights else Linear(c.n_embd, c.vocab_size, bias=False, rng=rng, std=0.02,
                                                         dtype=dtype)

    # ------------------------------------------------------------------ body
    def check_ids(self, ids, past_length=0):
        """Raise a clear error unless ids is a (B, T) int array that fits the block and vocabulary."""
        check_compute_dtype("GPT", self.dtype)
        check_token_batch(ids, self.config.vocab_size, self.config.block_size, "block_size", past_length)

    def hidden_forward(self, ids, attention_mask=None, past_kv=None):
        """ids: (B, T) -> final hidden states h: (B, T, C), cache.

        attention_mask: bool (B, T_total), True for real tokens (right padding).
        past_kv: per-layer (k, v) from an earlier call, for incremental decoding;
        cache["present_kv"] holds the keys and values to pass next time.
        """
        past = 0 if past_kv is None else past_kv[0][0].shape[2]
        self.check_ids(ids, past)
        T = ids.shape[1]
        tok, tok_cache = self.wte.forward(ids)
        pos, pos_cache = self.wpe.forward(np.arange(past, past + T))
        x, dropout_cache = self.drop.forward(tok + pos)
        block_caches = []
        for i, block in enumerate(self.blocks):
            x, block_cache = block.forward(x, mask=attention_mask, past_kv=None if past_kv is None else past_kv[i])
            block_caches.append(block_cache)
        ln_f_cache = None
        if self.ln_f is not None:
            x, ln_f_cache = self.ln_f.forward(x)
        present = [TransformerBlock.present_kv(cache) for cache in block_caches]
        return x, {"tok_emb": tok_cache, "pos_emb": pos_cache, "dropout": dropout_cache, "blocks": block_caches,
                   "ln_f": ln_f_cache, "present_kv": present}

    def hidden_backward(self, dh, cache):
        """dh: (B, T, C) -> None; adds into every parameter's grad."""
        if self.ln_f is not None:
            dh = self.ln_f.backward(dh, cache["ln_f"])
        for block, block_cache in zip(reversed(self.blocks), reversed(cache["blocks"])):
            dh = block.backward(dh, block_cache)
        dx = self.drop.backward(dh, cache["dropout"])
        self.wte.backward(dx, cache["tok_emb"])
        self.wpe.backward(dx.sum(axis=0), cache["pos_emb"])

    def attention_maps(self, cache):
        """Per layer the (B, H, T, T) attention probabilities of a forward cache, for plotting."""
        blocks = cache["hidden"]["blocks"] if "hidden" in cache else cache["blocks"]
        return [TransformerBlock.attention_map(block_cache) for block_cache in blocks]
