"""BERT: a bidirectional Transformer encoder (toy sizes, BERT-base and BERT-large).

    ids (B, T), segment_ids (B, T)
      -> token + position + segment embeddings -> LayerNorm -> dropout
      -> n_layer post-norm encoder blocks (GELU, padding mask)   -> hidden states h (B, T, C)
      -> pooler: tanh(h[:, 0] @ W + b), the [CLS] summary      -> pooled (B, C)

forward/backward follow the minitrans contract with two outputs:
`forward(ids, segment_ids, attention_mask) -> (hidden, pooled, cache)` and
`backward((dhidden, dpooled), cache)`, one upstream gradient per output, either may be None.
The task heads (pretraining, classification, tagging, QA, multiple choice)
live in bert_heads.py and each hold a reference to this body.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .. import ops
from ..functional.checks import check_compute_dtype, check_padding_mask, check_token_batch
from ..nn import BlockOptions, Dropout, Embedding, LayerNorm, Linear, Module, TransformerBlock
from .config import PresetConfig


@dataclass
class BertConfig(PresetConfig):
    """Sizes and switches of a BERT. `BertConfig.preset("tiny", vocab_size=len(tokenizer))` gives a named size."""

    vocab_size: int = 1000
    max_position: int = 128        # longest sequence the learned position table covers
    type_vocab_size: int = 2       # segment ids: 0 for sentence A, 1 for sentence B
    n_layer: int = 2
    n_head: int = 2
    d_model: int = 64
    d_ff: int = 256
    dropout: float = 0.1           # embeddings, attention probabilities, residual branches
    activation: str = "gelu"       # the erf form of GELU, as BERT uses
    layer_norm_eps: float = 1e-12
    pad_token_id: int | None = None   # the word embedding row that gets no gradient (BERT's [PAD]); None: none
    tie_weights: bool = True       # the MLM decoder reuses the token embedding matrix (False: a matrix of its own)
    pooler: bool = True            # the [CLS] pooler; masked-LM checkpoints have none (pooled is then None)
    seed: int = 0
    dtype: str = "float32"

    PRESETS = {
        "tiny": dict(n_layer=2, n_head=2, d_model=64, d_ff=256, max_position=128),
        "mini": dict(n_layer=4, n_head=4, d_model=128, d_ff=512, max_position=128),
        "base": dict(vocab_size=30522, max_position=512, n_layer=12, n_head=12, d_model=768, d_ff=3072),
        "large": dict(vocab_size=30522, max_position=512, n_layer=24, n_head=16, d_model=1024, d_ff=4096),
    }

    def __post_init__(self):
        super().__post_init__()
        if self.type_vocab_size < 1:
            raise ValueError(f"BertConfig.type_vocab_size must be an integer >= 1, got {self.type_vocab_size}")
        if self.pad_token_id is not None and not 0 <= self.pad_token_id < self.vocab_size:
            raise ValueError(f"BertConfig.pad_token_id must lie in [0, {self.vocab_size}), got {self.pad_token_id}")
        if self.d_model % self.n_head:
            raise ValueError(f"BertConfig.d_model ({self.d_model}) must be divisible by n_head ({self.n_head})")


def bert_parameter_counts(config):
    """Parameters per part, counted from the shapes without building the model.

    Returns a dict: embeddings, encoder, pooler (together: BertModel), and the
    pretraining heads mlm_head (dense, LayerNorm and output bias; the decoder
    matrix is the tied token embedding, so it adds nothing unless tie_weights=False) and nsp_head.
    """
    V, P, S = config.vocab_size, config.max_position, config.type_vocab_size
    C, Fd, L = config.d_model, config.d_ff, config.n_layer
    attention = 4 * (C * C + C)                      # q, k, v, out projections with biases
    feed_forward = (C * Fd + Fd) + (Fd * C + C)
    per_layer = attention + feed_forward + 2 * (2 * C)   # two LayerNorms
    return {
        "embeddings": (V + P + S) * C + 2 * C,
        "encoder": L * per_layer,
        "pooler": C * C + C if config.pooler else 0,
        "mlm_head": (C * C + C) + 2 * C + V + (0 if config.tie_weights else C * V),
        "nsp_head": 2 * C + 2,
    }


def count_bert_parameters(config):
    """Parameters of BertModel (embeddings, encoder and pooler; heads excluded), without building it."""
    counts = bert_parameter_counts(config)
    return counts["embeddings"] + counts["encoder"] + counts["pooler"]


class BertModel(Module):
    """The BERT encoder body. forward(ids, segment_ids, attention_mask) -> (hidden, pooled, cache)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        c, dtype = config, np.dtype(config.dtype)
        rng = np.random.default_rng(c.seed)
        self.tok_emb = Embedding(c.vocab_size, c.d_model, rng=rng, std=0.02, dtype=dtype, padding_idx=c.pad_token_id)
        self.pos_emb = Embedding(c.max_position, c.d_model, rng=rng, std=0.02, dtype=dtype)
        self.seg_emb = Embedding(c.type_vocab_size, c.d_model, rng=rng, std=0.02, dtype=dtype)
        self.emb_norm = LayerNorm(c.d_model, eps=c.layer_norm_eps, dtype=dtype)
        self.emb_drop = Dropout(c.dropout, rng=rng)
        options = BlockOptions(norm_first=False, activation=c.activation, dropout=c.dropout, eps=c.layer_norm_eps,
                               rng=rng, std=0.02, dtype=dtype)
        self.blocks = [TransformerBlock(c.d_model, c.n_head, c.d_ff, options) for _ in range(c.n_layer)]
        self.pooler = Linear(c.d_model, c.d_model, rng=rng, std=0.02, dtype=dtype) if c.pooler else None

    def add_pooler(self, seed=0):
        """Give a BERT without a pooler (a masked-LM checkpoint) a fresh, untrained one, for the heads
        that read the pooled [CLS]; it learns only when finetuned, and a warning says so."""
        if self.pooler is not None:
            raise ValueError("this BERT already has a pooler")
        warnings.warn("BertModel.add_pooler: the pooler is new and untrained (random weights); "
                      "it learns only when the model is finetuned", stacklevel=2)
        rng = np.random.default_rng(seed)
        self.pooler = Linear(self.config.d_model, self.config.d_model, rng=rng, std=0.02, dtype=self.dtype)
        self.config.pooler = True
        return self

    def require_pooler(self, who):
        """Raise a clear error when a head that reads the pooled [CLS] gets a BERT without a pooler."""
        if self.pooler is None:
            raise ValueError(f"{who} reads the pooled [CLS], but this BERT has no pooler (BertConfig.pooler=False, "
                             "as masked-LM checkpoints have); call bert.add_pooler() to give it a fresh one")

    # ---------------------------------------------------------------- checks
    def check_inputs(self, ids, segment_ids=None, attention_mask=None):
        """Raise a clear error unless the inputs fit this model; returns (segment_ids, attention_mask)
        with segment_ids filled with zeros when None (attention_mask stays None: no padding)."""
        c = self.config
        check_compute_dtype("BertModel", self.dtype)
        check_token_batch(ids, c.vocab_size, c.max_position, "max_position")
        if segment_ids is None:
            segment_ids = np.zeros(ids.shape, dtype=np.int64)
        if not isinstance(segment_ids, np.ndarray) or segment_ids.dtype.kind not in "iu":
            got = getattr(segment_ids, "dtype", type(segment_ids))
            raise TypeError(f"segment_ids must be an integer numpy array like ids, got {got}")
        if segment_ids.shape != ids.shape:
            raise ValueError(f"segment_ids must have the shape of ids {ids.shape}, got {segment_ids.shape}")
        if segment_ids.min() < 0 or segment_ids.max() >= c.type_vocab_size:
            raise ValueError(f"segment ids must lie in [0, {c.type_vocab_size}), "
                             f"got values from {segment_ids.min()} to {segment_ids.max()}")
        check_padding_mask("attention_mask", attention_mask, "ids", ids.shape)
        return segment_ids, attention_mask

    # ------------------------------------------------------------------ body
    def hidden_forward(self, ids, segment_ids=None, attention_mask=None):
        """ids, segment_ids: (B, T) ints, attention_mask: bool (B, T), True = real token
        -> hidden states h: (B, T, C), cache."""
        segment_ids, attention_mask = self.check_inputs(ids, segment_ids, attention_mask)
        T = ids.shape[1]
        tok, tok_cache = self.tok_emb.forward(ids)
        pos, pos_cache = self.pos_emb.forward(np.arange(T))
        seg, seg_cache = self.seg_emb.forward(segment_ids)
        x, norm_cache = self.emb_norm.forward(tok + pos + seg)
        x, dropout_cache = self.emb_drop.forward(x)
        block_caches = []
        for block in self.blocks:
            x, block_cache = block.forward(x, mask=attention_mask)
            block_caches.append(block_cache)
        return x, {"tok_emb": tok_cache, "pos_emb": pos_cache, "seg_emb": seg_cache, "emb_norm": norm_cache,
                   "emb_dropout": dropout_cache, "blocks": block_caches}

    def hidden_backward(self, dh, cache):
        """dh: (B, T, C) -> None; adds into every body parameter's grad (not the pooler's)."""
        for block, block_cache in zip(reversed(self.blocks), reversed(cache["blocks"])):
            dh = block.backward(dh, block_cache)
        dx = self.emb_norm.backward(self.emb_drop.backward(dh, cache["emb_dropout"]), cache["emb_norm"])
        self.tok_emb.backward(dx, cache["tok_emb"])
        self.pos_emb.backward(dx.sum(axis=0), cache["pos_emb"])
        self.seg_emb.backward(dx, cache["seg_emb"])

    # ---------------------------------------------------------------- pooler
    def pool_forward(self, h):
        """h: (B, T, C) -> pooled = tanh(h[:, 0] @ W + b): (B, C), cache."""
        self.require_pooler("pool_forward")
        z, linear_cache = self.pooler.forward(h[:, 0])
        pooled, tanh_cache = ops.tanh_forward(z)
        return pooled, {"linear": linear_cache, "tanh": tanh_cache, "hidden_shape": h.shape}

    def pool_backward(self, dpooled, cache):
        """dpooled: (B, C) -> dh: (B, T, C), zero except at position 0 ([CLS])."""
        dh = np.zeros(cache["hidden_shape"], dtype=dpooled.dtype)
        dh[:, 0] = self.pooler.backward(ops.tanh_backward(dpooled, cache["tanh"]), cache["linear"])
        return dh

    # ------------------------------------------------------------ full model
    def forward(self, ids, segment_ids=None, attention_mask=None):
        """ids, segment_ids: (B, T) ints, attention_mask: bool (B, T) or None
        -> hidden: (B, T, C), pooled: (B, C) (None without a pooler), cache."""
        h, hidden_cache = self.hidden_forward(ids, segment_ids, attention_mask)
        pooled, pool_cache = self.pool_forward(h) if self.pooler is not None else (None, None)
        return h, pooled, {"hidden": hidden_cache, "pool": pool_cache}

    def backward(self, douts, cache):
        """douts = (dhidden: (B, T, C) or None, dpooled: (B, C) or None) -> None; adds into every parameter's grad."""
        dhidden, dpooled = douts
        if dhidden is None and dpooled is None:
            raise ValueError("BertModel.backward needs dhidden or dpooled (both were None)")
        if dpooled is not None:
            self.require_pooler("backward of dpooled")
            dh = self.pool_backward(dpooled, cache["pool"])
            dhidden = dh if dhidden is None else dh + dhidden
        self.hidden_backward(dhidden, cache["hidden"])

    def attention_maps(self, cache):
        """Per layer the (B, H, T, T) attention probabilities of a forward cache, for plotting."""
        blocks = cache["hidden"]["blocks"] if "hidden" in cache else cache["blocks"]
        return [TransformerBlock.attention_map(block_cache) for block_cache in blocks]
