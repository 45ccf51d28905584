"""The LSTM language model: the recurrent baseline of the GPT paper's ablation, and ELMo's biLM halves.

    ids (B, T) -> token embedding -> dropout -> n_layer stacked LSTM layers (nn/lstm.py)
       -> logits (B, T, V) through the token embedding matrix (tied head)

It offers the same interface as GPT (causal_lm.py: hidden_forward / hidden_backward,
head_forward / head_backward, forward / backward / loss), so GPT's pretraining loop, its
checkpoints and its finetuning head with the auxiliary LM loss (gpt_heads.py) work on it
unchanged. The final state at a position has read every token up to it, and the extract
token of a right-padded sequence is its last real token, exactly as for GPT.

The embedding and hidden widths are both n_embd, so that the head can reuse the embedding
matrix. A backward LM (ELMo, elmo.py) is the same model trained on text read right to left;
its config says so with reverse=True.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..functional.checks import check_compute_dtype, check_padding_mask, check_token_batch
from ..nn import LSTM, Dropout, Embedding, Linear
from .causal_lm import CausalLM
from .config import PresetConfig


@dataclass
class LSTMConfig(PresetConfig):
    """Sizes and switches of an LSTM LM. `LSTMConfig.preset("baby")` has about the parameters of GPT's baby."""

    vocab_size: int = 65
    block_size: int = 64           # the length of the pretraining windows (an LSTM reads any length)
    n_layer: int = 2
    n_embd: int = 216              # embedding and hidden width
    dropout: float = 0.0           # on the embeddings
    tie_weights: bool = True       # the LM head reuses the token embedding matrix
    reverse: bool = False          # trained on text read right to left (ELMo's backward LM)
    seed: int = 0
    dtype: str = "float32"

    PRESETS = {
        "nano": dict(vocab_size=65, block_size=32, n_layer=1, n_embd=64),
        # 2 x 216 units: 878k parameters with a 600-token vocabulary, GPT's baby has 873k
        "baby": dict(vocab_size=65, block_size=64, n_layer=2, n_embd=216),
        # ELMo's biLM halves had 2 layers of 4096 cells projected to 512; without the projection:
        "elmo": dict(vocab_size=793471, block_size=20, n_layer=2, n_embd=512, dropout=0.1),
    }


def count_lstm_parameters(config):
    """Parameters of an LSTM LM of this config, counted from the shapes without building it."""
    C, V = config.n_embd, config.vocab_size
    total = V * C + config.n_layer * (4 * C * (C + C) + 4 * C)
    return total + (0 if config.tie_weights else C * V)


class LSTMLM(CausalLM):
    """An LSTM language model. forward(ids) -> (logits, cache); backward(dlogits, cache)."""

    def __init__(self, config: LSTMConfig):
        super().__init__()
        self.config = config
        c, dtype = config, np.dtype(config.dtype)
        rng = np.random.default_rng(c.seed)
        self.wte = Embedding(c.vocab_size, c.n_embd, rng=rng, std=0.1, dtype=dtype)
        self.drop = Dropout(c.dropout, rng=rng)
        self.lstm = LSTM(c.n_embd, c.n_embd, num_layers=c.n_layer, seed=int(rng.integers(2 ** 31)), dtype=dtype)
        self.lm_head = None if c.tie_weights else Linear(c.n_embd, c.vocab_size, bias=False, rng=rng, std=0.1,
                                                         dtype=dtype)

    def check_ids(self, ids, attention_mask=None):
        """Raise a clear error unless ids is a (B, T) int array of the vocabulary (and the mask matches it)."""
        check_compute_dtype("LSTMLM", self.dtype)
        check_token_batch(ids, self.config.vocab_size, np.inf, "any length")
        check_padding_mask("attention_mask", attention_mask, "ids", ids.shape)

    def hidden_forward(self, ids, attention_mask=None):
        """ids: (B, T) -> the top layer's states h: (B, T, C), cache.

        attention_mask (bool (B, T), True on real tokens) is only checked: with right padding, a
        left-to-right model never lets padding reach the states of the real tokens before it.
        """
        self.check_ids(ids, attention_mask)
        x, tok_cache = self.wte.forward(ids)                   # (B, T, C)
        x, dropout_cache = self.drop.forward(x)
        h, lstm_cache = self.lstm.forward(x)                   # (B, T, C)
        return h, {"tok_emb": tok_cache, "dropout": dropout_cache, "lstm": lstm_cache}

    def hidden_backward(self, dh, cache):
        """dh: (B, T, C) -> None; adds into every parameter's grad."""
        dx = self.lstm.backward(dh, cache["lstm"])
        self.wte.backward(self.drop.backward(dx, cache["dropout"]), cache["tok_emb"])

    @staticmethod
    def layer_states(h, cache):
        """ELMo's layers from hidden_forward's (h, cache): [the (dropped-out) embeddings, layer 1, ..., layer L],
        each (B, T, C); layer l's input is layer l - 1's output, and h is the top layer's."""
        return [layer["x"] for layer in cache["lstm"]["layers"]] + [h]
