"""ELMo: contextual features from a frozen bidirectional pair of LSTM LMs, mixed per task.

The biLM is two LSTM LMs (lstm.py) pretrained separately: a forward one on text read left
to right and a backward one on text read right to left. For a sequence, layer j of the
biLM at position t is [forward layer j at t ; backward layer j at t] (2C wide), for
j = 0 (the token embeddings) .. L (the top LSTM layer). A task learns ELMo's mix

    ELMo_t = gamma * sum_j s_j * layer_j(t),   s = softmax(w)            (ScalarMix)

and a head on the features averaged over the real tokens:

    single   mean_t ELMo_t = u                       -> linear -> classes or a score
    pair     u, v of the two texts: [u; v; |u - v|; u * v]   -> linear -> classes or a score

Only w, gamma and the head learn; the biLM stays frozen (requires_grad=False, eval mode).
Batches are dicts {"ids", "attention_mask", "labels"}, ids (B, T) for single and (B, 2, T)
for pair, right padded, no special tokens.
"""
import numbers

import numpy as np

from ..nn import Dropout, Linear, Module, Parameter
from .gpt_heads import task_labels, task_loss_backward, task_loss_forward

ELMO_KINDS = ("single", "pair")


class ScalarMix(Module):
    """gamma * sum_j softmax(w)_j * layer_j: ELMo's learned weighting of the biLM's layers.

    Starts at equal weights (w = 0) and gamma = 1."""

    def __init__(self, num_layers, dtype=np.float32):
        super().__init__()
        self.weights = Parameter(np.zeros(num_layers, dtype=dtype))    # w (J,)
        self.gamma = Parameter(np.ones(1, dtype=dtype))                # (1,)

    def forward(self, layers):
        """layers: (J, ...) -> mixed: (...), cache."""
        if layers.shape[0] != self.weights.shape[0]:
            raise ValueError(f"ScalarMix mixes {self.weights.shape[0]} layers, got {layers.shape[0]}")
        w = self.weights.data
        s = np.exp(w - w.max())
        s /= s.sum()                                                   # (J,)
        mixed = np.tensordot(s, layers, axes=1)                        # (...)
        return self.gamma.data[0] * mixed, (layers, s, mixed)

    def backward(self, dout, cache):
        """dout: (...) -> dlayers: (J, ...); adds into weights.grad and gamma.grad."""
        layers, s, mixed = cache
        gamma = self.gamma.data[0]
        self.gamma.grad += np.sum(dout * mixed)
        ds = gamma * np.tensordot(layers, dout, axes=dout.ndim)        # (J,): d loss / d s_j
        self.weights.grad += s * (ds - np.dot(s, ds))                  # through the softmax
        return gamma * s.reshape((-1,) + (1,) * dout.ndim) * dout[None]


def reverse_real_tokens(x, lengths):
    """Each row's first lengths[n] entries in reverse order, the padding after them in place.
    x: (N, T, ...) -> (N, T, ...); its own inverse."""
    N, T = x.shape[:2]
    t = np.arange(T)[None, :]
    order = np.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)   # (N, T)
    return x[np.arange(N)[:, None], order]


class ELMoForClassification(Module):
    """A frozen biLM, ELMo's scalar mix and a linear head on the pooled features.

    forward(batch) -> (outputs, cache); loss(batch) -> (loss, metrics); predict(batch).
    kind: "single" or "pair"; num_labels 1 makes it a regression (mean squared error).
    """

    def __init__(self, forward_lm, backward_lm, num_labels, kind="single", dropout=0.1, seed=0):
        super().__init__()
        if kind not in ELMO_KINDS:
            raise ValueError(f"kind must be one of {ELMO_KINDS}, got {kind!r}")
        if not isinstance(num_labels, numbers.Integral) or num_labels < 1:
            raise ValueError(f"num_labels must be an integer >= 1, got {num_labels!r}")
        if forward_lm.config.reverse or not backward_lm.config.reverse:
            raise ValueError("ELMo needs a forward LM (reverse=False) and a backward LM (reverse=True), got "
                             f"reverse={forward_lm.config.reverse} and reverse={backward_lm.config.reverse}")
        if (forward_lm.config.n_layer, forward_lm.config.vocab_size) != (backward_lm.config.n_layer,
                                                                         backward_lm.config.vocab_size):
            raise ValueError("the forward and backward LMs need the same number of layers and vocabulary")
        rng = np.random.default_rng(seed)
        self.forward_lm, self.backward_lm = forward_lm, backward_lm
        self.kind, self.num_labels, self.regression = kind, int(num_labels), num_labels == 1
        for p in forward_lm.parameters() + backward_lm.parameters():
            p.requires_grad = False
        dtype = forward_lm.dtype
        self.mix = ScalarMix(forward_lm.config.n_layer + 1, dtype)
        width = 2 * forward_lm.config.n_embd * (4 if kind == "pair" else 1)
        self.drop = Dropout(dropout, rng=rng)
        self.head = Linear(width, num_labels, rng=rng, std=0.02, dtype=dtype)

    def bilm_layers(self, ids, mask):
        """ids, mask: (N, T) -> the biLM's layers (J, N, T, 2C), the frozen LMs in eval mode."""
        lengths = mask.sum(axis=1)
        with self.forward_lm.evaluating(), self.backward_lm.evaluating():
            h, cache = self.forward_lm.hidden_forward(ids, mask)
            forward_layers = self.forward_lm.layer_states(h, cache)
            h, cache = self.backward_lm.hidden_forward(reverse_real_tokens(ids, lengths), mask)
            backward_layers = [reverse_real_tokens(x, lengths) for x in self.backward_lm.layer_states(h, cache)]
        return np.stack([np.concatenate(pair, axis=-1) for pair in zip(forward_layers, backward_layers)])

    def forward(self, batch):
        """batch -> outputs: logits (B, num_labels) or predictions (B,) when regressing, cache."""
        ids, mask = np.asarray(batch["ids"]), np.asarray(batch["attention_mask"])
        ndim = 2 if self.kind == "single" else 3
        if ids.ndim != ndim or mask.shape != ids.shape or mask.dtype != np.bool_:
            raise ValueError(f"kind {self.kind!r} needs ids of {ndim} dimensions and a bool attention_mask of "
                             f"their shape, got ids {ids.shape} and attention_mask {mask.dtype} {mask.shape}")
        B, T = ids.shape[0], ids.shape[-1]
        ids, mask = ids.reshape(-1, T), mask.reshape(-1, T)
        if not mask[:, 0].all() or (mask[:, 1:] & ~mask[:, :-1]).any():
            raise ValueError("every sequence needs at least one real token and right padding "
                             "(attention_mask True, then only False)")
        mixed, mix_cache = self.mix.forward(self.bilm_layers(ids, mask))           # (N, T, 2C)
        weights = mask / mask.sum(axis=1, keepdims=True)                           # (N, T): mean over real tokens
        pooled = np.einsum("nt,ntd->nd", weights, mixed).astype(mixed.dtype)       # (N, 2C)
        if self.kind == "pair":
            u, v = pooled[0::2], pooled[1::2]                                      # (B, 2C) each
            features = np.concatenate([u, v, np.abs(u - v), u * v], axis=1)        # (B, 8C)
        else:
            features = pooled
        features, dropout_cache = self.drop.forward(features)
        out, head_cache = self.head.forward(features)                              # (B, num_labels)
        if self.regression:
            out = out[:, 0]
        return out, {"mix": mix_cache, "weights": weights, "pooled": pooled, "dropout": dropout_cache,
                     "head": head_cache, "B": B}

    def backward(self, dout, cache):
        """dout: like the outputs -> None; fills the grads of the head and the scalar mix."""
        dfeatures = self.drop.backward(self.head.backward(dout.reshape(cache["B"], -1), cache["head"]),
                                       cache["dropout"])
        if self.kind == "pair":
            u, v = cache["pooled"][0::2], cache["pooled"][1::2]
            du_, dv_, dabs, dprod = np.split(dfeatures, 4, axis=1)
            dpooled = np.empty_like(cache["pooled"])
            dpooled[0::2] = du_ + dabs * np.sign(u - v) + dprod * v
            dpooled[1::2] = dv_ - dabs * np.sign(u - v) + dprod * u
        else:
            dpooled = dfeatures
        dmixed = cache["weights"][:, :, None] * dpooled[:, None, :]                # (N, T, 2C)
        self.mix.backward(dmixed.astype(dpooled.dtype), cache["mix"])            # the biLM is frozen: stop here
        return None

    def loss(self, batch, backward=True):
        """The task loss on a batch -> (loss, metrics); backward=True also fills the grads."""
        out, cache = self.forward(batch)
        labels = task_labels(batch, cache["B"], self.num_labels, self.regression, self.forward_lm.dtype)
        loss, loss_cache, metrics = task_loss_forward(out, labels, self.regression)
        if backward:
            self.backward(task_loss_backward(loss_cache, self.regression), cache)
        return loss, {"loss": loss, **metrics}

    def predict(self, batch):
        """Predicted class ids or regression values: (B,), in eval mode (dropout off)."""
        with self.evaluating():
            out, _ = self.forward(batch)
        return out if self.regression else out.argmax(axis=-1)
