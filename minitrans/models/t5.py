"""T5: an encoder-decoder Transformer that turns every task into text (toy sizes, T5-small and T5-base).

    input_ids (B, S) -> shared token embedding -> dropout
       -> n_encoder_layer pre-norm blocks (RMSNorm, bidirectional relative bias, no biases)
       -> final RMSNorm -> dropout                                   -> encoder states e (B, S, C)
    decoder_input_ids (B, T) (the targets shifted right, pad id first) -> shared embedding -> dropout
       -> n_decoder_layer pre-norm blocks: causal self-attention (causal relative bias),
          cross-attention to e, feed-forward
       -> final RMSNorm -> dropout -> * d_model^-0.5 -> logits (B, T, V) through the embedding (tied head)

As published: attention scores are q k^T without the 1/sqrt(d) (the scale lives in the
initialisation of q), the relative position bias is one table per stack computed in its first
layer and shared by the others, and the feed-forward is ReLU (T5 v1.0) or gated GELU (v1.1).
forward/backward follow the minitrans contract; encode/decode are public for generation
(minitrans/generate_t5.py).
"""
from dataclasses import dataclass

import numpy as np

from .. import ops
from ..functional.checks import check_compute_dtype, check_padding_mask, check_token_batch
from ..nn import (BlockOptions, CrossAttentionBlock, Dropout, Embedding, Linear, Module, RelativePositionBias,
                  RMSNorm, TransformerBlock)
from .config import PresetConfig


@dataclass
class T5Config(PresetConfig):
    """Sizes and switches of a T5. `T5Config.preset("tiny", vocab_size=len(tokenizer))` gives a named size."""

    vocab_size: int = 64
    d_model: int = 32
    n_head: int = 4
    d_ff: int = 64
    n_encoder_layer: int = 2
    n_decoder_layer: int = 2
    num_buckets: int = 32          # relative position buckets (half per direction in the encoder)
    max_distance: int = 128        # distances beyond this share the last bucket
    max_input_length: int = 512    # longest encoder input accepted
    max_target_length: int = 512   # longest decoder input accepted
    dropout: float = 0.0
    activation: str = "relu"       # "relu" (T5) or "gated-gelu" (T5 v1.1)
    tie_weights: bool = True       # the head reuses the shared embedding (scaled by d_model^-0.5)
    pad_id: int = 0                # also the decoder's start token
    eos_id: int = 1
    layer_norm_eps: float = 1e-6
    seed: int = 0
    dtype: str = "float32"

    PRESETS = {
        "tiny": dict(d_model=32, n_head=4, d_ff=64, n_encoder_layer=2, n_decoder_layer=2, num_buckets=16,
                     max_distance=64, max_input_length=128, max_target_length=128),
        "mini": dict(d_model=128, n_head=4, d_ff=512, n_encoder_layer=4, n_decoder_layer=4,
                     max_input_length=256, max_target_length=256),
        "small": dict(vocab_size=32128, d_model=512, n_head=8, d_ff=2048, n_encoder_layer=6, n_decoder_layer=6,
                      dropout=0.1),
        "base": dict(vocab_size=32128, d_model=768, n_head=12, d_ff=3072, n_encoder_layer=12,
                     n_decoder_layer=12, dropout=0.1),
    }

    def __post_init__(self):
        super().__post_init__()
        if self.d_model % self.n_head:
            raise ValueError(f"T5Config.d_model ({self.d_model}) must be divisible by n_head ({self.n_head})")
        # relative_position_bucket divides by the exact buckets (a quarter of num_buckets in the encoder)
        # and by the log of max_distance over them (half of num_buckets in the decoder)
        if self.num_buckets < 4 or self.max_distance <= self.num_buckets // 2:
            raise ValueError(f"T5Config needs num_buckets >= 4 and max_distance > num_buckets // 2, "
                             f"got num_buckets={self.num_buckets}, max_distance={self.max_distance}")
        if self.activation not in ("relu", "gated-gelu"):
            raise ValueError(f"T5Config.activation must be 'relu' or 'gated-gelu', got {self.activation!r}")
        for name in ("pad_id", "eos_id"):
            if not 0 <= getattr(self, name) < self.vocab_size:
                raise ValueError(f"T5Config.{name} must lie in [0, {self.vocab_size}), got {getattr(self, name)}")


def count_t5_parameters(config):
    """Parameters of a T5 of this config, counted from the shapes without building it."""
    C, F, V, H = config.d_model, config.d_ff, config.vocab_size, config.n_head
    attention = 4 * C * C                                    # q, k, v, out; no biases
    ffn = (3 if config.activation == "gated-gelu" else 2) * C * F
    encoder = config.n_encoder_layer * (attention + ffn + 2 * C) + config.num_buckets * H + C
    decoder = config.n_decoder_layer * (2 * attention + ffn + 3 * C) + config.num_buckets * H + C
    return V * C + encoder + decoder + (0 if config.tie_weights else C * V)


def shift_right(labels, start_id):
    """Decoder inputs from targets: (B, T) -> (B, T), start_id first and the last target dropped;
    ignored targets (-100) become start_id (the pad id), which the causal mask keeps harmless."""
    labels = np.asarray(labels)
    shifted = np.full(labels.shape, start_id, dtype=np.int64)
    shifted[:, 1:] = labels[:, :-1]
    shifted[shifted == -100] = start_id
    return shifted



class T5(Module):
    """A T5 encoder-decoder. forward(input_ids, decoder_input_ids, ...) -> (logits, cache); backward(dlogits, cache)."""

    def __init__(self, config: T5Config):
        super().__init__()
        self.config = config
        c, dtype = config, np.dtype(config.dtype)
        rng = np.random.default_rng(c.seed)
        C, D = c.d_model, c.d_model // c.n_head
        self.shared = Embedding(c.vocab_size, C, rng=rng, std=1.0, dtype=dtype)
        options = BlockOptions(norm_first=True, norm="rmsnorm", activation=c.activation, bias=False, dropout=c.dropout,
                               attn_scale=1.0, eps=c.layer_norm_eps, rng=rng, std=C ** -0.5, dtype=dtype)
        encoder_bias = RelativePositionBias(c.n_head, num_buckets=c.num_buckets, max_distance=c.max_distance,
                                            bidirectional=True, rng=rng, std=C ** -0.5, dtype=dtype)
        self.encoder = [TransformerBlock(C, c.n_head, c.d_ff, options, positions=encoder_bias)
                        for _ in range(c.n_encoder_layer)]
        self.encoder_norm = RMSNorm(C, eps=c.layer_norm_eps, dtype=dtype)
        decoder_bias = RelativePositionBias(c.n_head, num_buckets=c.num_buckets, max_distance=c.max_distance,
                                            bidirectional=False, rng=rng, std=C ** -0.5, dtype=dtype)
        self.decoder = [CrossAttentionBlock(C, c.n_head, c.d_ff, options, positions=decoder_bias)
                        for _ in range(c.n_decoder_layer)]
        self.decoder_norm = RMSNorm(C, eps=c.layer_norm_eps, dtype=dtype)
        self.drop = Dropout(c.dropout, rng=rng)
        self.lm_head = None if c.tie_weights else Linear(C, c.vocab_size, bias=False, rng=rng, std=C ** -0.5,
                                                         dtype=dtype)
        # T5's initialisation: queries by (d_model * d_head)^-0.5 (the attention scale moved into q),
        # keys, values and outputs by d_model^-0.5 or d_ff^-0.5 (the std above), the embedding by 1
        blocks = list(self.encoder) + list(self.decoder)
        attentions = [b.self_attn.sublayer for b in blocks] + [b.cross_attn.sublayer for b in self.decoder]
        for attn in attentions:
            attn.q.weight.data *= dtype.type(D ** -0.5)
        for block in blocks:
            block.ffn.sublayer.down.weight.data *= dtype.type((C / c.d_ff) ** 0.5)

    # ---------------------------------------------------------------- encoder
    def encode(self, input_ids, attention_mask=None):
        """input_ids: (B, S) ints, attention_mask: bool (B, S), True = real token
        -> encoder states e: (B, S, C), cache."""
        check_compute_dtype("T5", self.dtype)
        check_token_batch(input_ids, self.config.vocab_size, self.config.max_input_length, "max_input_length")
        check_padding_mask("attention_mask", attention_mask, "input_ids", input_ids.shape)
        x, emb_cache = self.shared.forward(input_ids)
        x, dropout_cache = self.drop.forward(x)
        block_caches = []
        for block in self.encoder:
            x, block_cache = block.forward(x, mask=attention_mask)
            block_caches.append(block_cache)
        x, norm_cache = self.encoder_norm.forward(x)
        x, final_dropout_cache = self.drop.forward(x)
        return x, {"embedding": emb_cache, "dropout": dropout_cache, "blocks": block_caches, "norm": norm_cache,
                   "final_dropout": final_dropout_cache}

    def encode_backward(self, de, cache):
        """de: (B, S, C) -> None; adds into the encoder's and the embedding's grads."""
        dx = self.encoder_norm.backward(self.drop.backward(de, cache["final_dropout"]), cache["norm"])
        for block, block_cache in zip(reversed(self.encoder), reversed(cache["blocks"])):
            dx = block.backward(dx, block_cache)
        self.shared.backward(self.drop.backward(dx, cache["dropout"]), cache["embedding"])

    # ---------------------------------------------------------------- decoder
    def decode(self, decoder_input_ids, encoder_states, attention_mask=None, decoder_attention_mask=None,
               past_kv=None, context_kv=None):
        """decoder_input_ids: (B, T), encoder_states: (B, S, C), attention_mask: bool (B, S) of the encoder
        input, decoder_attention_mask: bool (B, T_past + T); past_kv / context_kv: per layer, for
        generation (cache["present_kv"] holds the self-attention keys and values to pass next time;
        context_keys_values computes context_kv) -> logits: (B, T, V), cache."""
        past = 0 if past_kv is None else past_kv[0][0].shape[2]
        check_token_batch(decoder_input_ids, self.config.vocab_size, self.config.max_target_length,
                          "max_target_length", past)
        B, T = decoder_input_ids.shape
        check_padding_mask("decoder_attention_mask", decoder_attention_mask, "decoder_input_ids", (B, past + T))
        check_padding_mask("attention_mask", attention_mask, "the encoder input", encoder_states.shape[:2])
        x, emb_cache = self.shared.forward(decoder_input_ids)
        x, dropout_cache = self.drop.forward(x)
        block_caches = []
        for i, block in enumerate(self.decoder):
            x, block_cache = block.forward(x, encoder_states, mask=decoder_attention_mask, context_mask=attention_mask,
                                           past_kv=None if past_kv is None else past_kv[i],
                                           context_kv=None if context_kv is None else context_kv[i])
            block_caches.append(block_cache)
        h, norm_cache = self.decoder_norm.forward(x)
        h, final_dropout_cache = self.drop.forward(h)
        logits, head_cache = self.head_forward(h)
        return logits, {"embedding": emb_cache, "dropout": dropout_cache, "blocks": block_caches,
                        "norm": norm_cache, "final_dropout": final_dropout_cache, "head": head_cache,
                        "present_kv": [TransformerBlock.present_kv(bc) for bc in block_caches]}

    def decode_backward(self, dlogits, cache):
        """dlogits: (B, T, V) -> de: (B, S, C), the gradient at the encoder states (summed over the
        decoder layers' cross-attentions); adds into the decoder's and the embedding's grads."""
        dh = self.drop.backward(self.head_backward(dlogits, cache["head"]), cache["final_dropout"])
        dx = self.decoder_norm.backward(dh, cache["norm"])
        de = 0.0
        for block, block_cache in zip(reversed(self.decoder), reversed(cache["blocks"])):
            dx, dcontext = block.backward(dx, block_cache)
            de = de + dcontext
        self.shared.backward(self.drop.backward(dx, cache["dropout"]), cache["embedding"])
        return de

    def context_keys_values(self, encoder_states):
        """Per decoder layer the cross-attention keys and values of the encoder states, computed once for generation."""
        return [block.cross_attn.sublayer.keys_values(encoder_states) for block in self.decoder]

    # ------------------------------------------------------------------- head
    def head_forward(self, h):
        """h: (B, T, C) -> logits: (B, T, V); the tied head scales h by d_model^-0.5 first."""
        if self.lm_head is not None:
            return self.lm_head.forward(h)
        scale = h.dtype.type(self.config.d_model ** -0.5)
        return ops.linear_forward(h * scale, self.shared.weight.data.T)

    def head_backward(self, dlogits, cache):
        """dlogits: (B, T, V) -> dh: (B, T, C)."""
        if self.lm_head is not None:
            return self.lm_head.backward(dlogits, cache)
        dh, dWt, _ = ops.linear_backward(dlogits, cache)
        self.shared.weight.grad += dWt.T
        return dh * dh.dtype.type(self.config.d_model ** -0.5)

    # ------------------------------------------------------------- full model
    def forward(self, input_ids, decoder_input_ids, attention_mask=None, decoder_attention_mask=None):
        """input_ids: (B, S), decoder_input_ids: (B, T) ints; masks bool (B, S) and (B, T), True = real token
        -> logits: (B, T, V), cache."""
        e, encoder_cache = self.encode(input_ids, attention_mask)
        if len(decoder_input_ids) != len(input_ids):
            raise ValueError(f"decoder_input_ids has {len(decoder_input_ids)} rows, input_ids {len(input_ids)}")
        logits, decoder_cache = self.decode(decoder_input_ids, e, attention_mask, decoder_attention_mask)
        return logits, {"encoder": encoder_cache, "decoder": decoder_cache}

    def backward(self, dlogits, cache):
        """dlogits: (B, T, V) -> None; fills every parameter's grad, the encoder's through cross-attention."""
        self.encode_backward(self.decode_backward(dlogits, cache["decoder"]), cache["encoder"])

    def loss(self, input_ids, labels, attention_mask=None, decoder_attention_mask=None):
        """Forward on the labels shifted right, and cross-entropy against the labels.

        labels: (B, T) ints, -100 ignored (padding) -> (loss, dlogits, cache)."""
        labels = np.asarray(labels)
        if labels.ndim != 2:
            raise ValueError(f"labels must have shape (B, T), got {labels.shape}")
        if labels.shape[1] > self.config.max_target_length:
            raise ValueError(f"labels have length {labels.shape[1]}, longer than "
                             f"max_target_length={self.config.max_target_length}")
        logits, cache = self.forward(input_ids, shift_right(labels, self.config.pad_id), attention_mask,
                                     decoder_attention_mask)
        loss, loss_cache = ops.cross_entropy_forward(logits, labels)
        return loss, ops.cross_entropy_backward(1.0, loss_cache), cache
