"""Finetuning a pretrained GPT (or any left-to-right LM body: the LSTM LM) on a task, the GPT paper's recipe.

Every task becomes one or more token sequences for the same body, through
three special tokens: start, delimiter and extract.

    single       [start] text [extract]                         -> classify
    pair         [start] a [delim] b [extract]                  -> classify (entailment, paraphrase)
    similarity   [start] a [delim] b [extract] and [start] b [delim] a [extract],
                 their final states added                        -> classify or regress
    choice       [start] context [delim] choice_i [extract], each separately,
                 one score per choice                            -> softmax over the choices

The head reads the final state of the extract token (the last real token of
each right-padded sequence) and applies dropout and a linear layer. It reads
its body only through the interface of causal_lm.py (hidden_forward/backward,
head_forward/backward, config.n_embd), so GPT and the LSTM LM share it. The
objective is L_task + lm_weight * L_LM, where L_LM is the language-model loss
over the input tokens (padding ignored); lm_weight = 0 turns it off.

The special tokens must be in the vocabulary. A pretrained GPT usually lacks
them: add them to the tokenizer (they get the ids vocab_size, vocab_size + 1, ...)
and grow the model with `resize_token_embeddings(gpt, new_vocab_size)`; the new
embedding rows start as N(0, 0.02) and are learned during finetuning. Build
the optimizer after resizing (the embedding is a new Parameter).

Batches are dicts {"ids", "attention_mask", "labels"} (minitrans.data.gpt_inputs.make_batch
builds them): ids and attention_mask are (B, T) for single and pair, (B, 2, T) for
similarity, (B, n_choices, T) for choice; attention_mask is True on real tokens, right padded.
"""
import dataclasses
import numbers

import numpy as np

from .. import ops
from ..nn import Dropout, Linear, Module, Parameter

KINDS = ("single", "pair", "similarity", "choice")


def resize_token_embeddings(model, new_vocab_size, seed=0):
    """Grow the token embedding (and an untied LM head) of `model` (GPT, LSTMLM) to `new_vocab_size` rows, in place.

    The old rows are kept; the new rows are drawn from N(0, 0.02) with `seed`.
    model.config is replaced by a copy with the new vocab_size. Returns model.
    """
    old = model.config.vocab_size
    if not isinstance(new_vocab_size, numbers.Integral) or new_vocab_size < old:
        raise ValueError(f"new_vocab_size must be an integer >= the current vocab_size {old}, got {new_vocab_size!r}")
    rng = np.random.default_rng(seed)
    W = model.wte.weight.data
    extra = (rng.standard_normal((new_vocab_size - old, W.shape[1])) * 0.02).astype(W.dtype)
    model.wte.weight = Parameter(np.concatenate([W, extra], axis=0))
    if model.lm_head is not None:                     # untied head: weight (C, V) gets new columns
        H = model.lm_head.weight.data
        extra = (rng.standard_normal((H.shape[0], new_vocab_size - old)) * 0.02).astype(H.dtype)
        model.lm_head.weight = Parameter(np.concatenate([H, extra], axis=1))
    model.config = dataclasses.replace(model.config, vocab_size=int(new_vocab_size))
    return model


def lm_targets(ids, attention_mask):
    """Next-token targets of right-padded sequences: ids[:, t + 1] where it is real, else -100. (N, T)."""
    targets = np.full(ids.shape, -100, dtype=np.int64)
    targets[:, :-1] = np.where(attention_mask[:, 1:], ids[:, 1:], -100)
    return targets


def task_labels(batch, B, num_labels, regression, dtype):
    """The batch's labels, checked: (B,) floats of `dtype` when regressing, else ints in [0, num_labels)."""
    labels = np.asarray(batch.get("labels"))
    if labels.shape != (B,):
        raise ValueError(f"labels must have shape ({B},), got {labels.shape}")
    if regression:
        return labels.astype(dtype)
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= num_labels:
        raise ValueError(f"labels must be integers in [0, {num_labels}), got {labels.dtype} values {labels[:5]}")
    return labels


def task_loss_forward(out, labels, regression):
    """The task's loss: mean squared error when regressing, else cross-entropy over the classes (or
    choices). out: (B,) or (B, K) -> (loss, cache, metrics), metrics {"mse"} or {"accuracy"}."""
    if regression:
        loss, cache = ops.mse_forward(out, labels)
        return loss, cache, {"mse": loss}
    loss, cache = ops.cross_entropy_forward(out, labels)
    return loss, cache, {"accuracy": float(np.mean(out.argmax(axis=-1) == labels))}


def task_loss_backward(cache, regression):
    """d task loss / d out, like out."""
    return (ops.mse_backward if regression else ops.cross_entropy_backward)(1.0, cache)


# ---------------------------------------------------------------------- model
class LMForClassification(Module):
    """A language-model body (GPT, LSTMLM) with a task head: forward(batch) -> (outputs, cache);
    loss(batch) -> (loss, metrics).

    kind: "single", "pair", "similarity" or "choice" (see the module docstring).
    num_labels: the number of classes; 1 makes single/pair/similarity a regression
        (mean squared error); for "choice" it is the number of choices per example.
    lm_weight: lambda in L_task + lambda * L_LM (0 turns the auxiliary LM loss off).
    freeze_body: requires_grad=False on every body parameter (the optimizer skips them)
        and no gradient flows into the body; only the head learns (so the embeddings of
        newly added special tokens keep their random start).
    dropout: on the extracted state before the linear layer.
    """

    def __init__(self, body, num_labels, kind="single", lm_weight=0.5, freeze_body=False, dropout=0.1, seed=0):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if not isinstance(num_labels, numbers.Integral) or num_labels < 1:
            raise ValueError(f"num_labels must be an integer >= 1, got {num_labels!r}")
        if not isinstance(lm_weight, numbers.Real) or not lm_weight >= 0:
            raise ValueError(f"lm_weight must be a number >= 0, got {lm_weight!r}")
        rng = np.random.default_rng(seed)
        self.body, self.kind, self.num_labels = body, kind, int(num_labels)
        self.lm_weight, self.freeze_body = float(lm_weight), bool(freeze_body)
        self.regression = num_labels == 1 and kind != "choice"
        self.drop = Dropout(dropout, rng=rng)
        out_features = 1 if kind == "choice" else num_labels
        self.head = Linear(body.config.n_embd, out_features, rng=rng, std=0.02, dtype=body.dtype)
        for p in body.parameters():
            p.requires_grad = not freeze_body

    # ------------------------------------------------------------ checking
    def _flat_inputs(self, batch):
        """The batch's ids and attention_mask as (N, T) arrays, N sequences for B examples -> ids, mask, B."""
        if not isinstance(batch, dict) or not {"ids", "attention_mask"} <= set(batch):
            raise ValueError(f"a batch is a dict with 'ids', 'attention_mask' (and 'labels'), got "
                             f"{type(batch).__name__}" + (f" with keys {sorted(batch)}" if isinstance(batch, dict) else ""))
        ids, mask = np.asarray(batch["ids"]), np.asarray(batch["attention_mask"])
        ndim = 2 if self.kind in ("single", "pair") else 3
        if ids.ndim != ndim:
            raise ValueError(f"kind {self.kind!r} needs ids of {ndim} dimensions, got shape {ids.shape}")
        if mask.shape != ids.shape or mask.dtype != np.bool_:
            raise ValueError(f"attention_mask must be a bool array of shape {ids.shape}, got {mask.dtype} {mask.shape}")
        if self.kind == "similarity" and ids.shape[1] != 2:
            raise ValueError(f"similarity batches hold both orders: ids (B, 2, T), got {ids.shape}")
        if self.kind == "choice" and ids.shape[1] != self.num_labels:
            raise ValueError(f"this head scores {self.num_labels} choices, the batch has {ids.shape[1]}")
        B, T = ids.shape[0], ids.shape[-1]
        ids, mask = ids.reshape(-1, T), mask.reshape(-1, T)
        if not mask[:, 0].all() or (mask[:, 1:] & ~mask[:, :-1]).any():
            raise ValueError("every sequence needs at least one real token and right padding "
                             "(attention_mask True, then only False)")
        return ids, mask, B

    # ------------------------------------------------------------ forward
    def forward(self, batch):
        """batch -> outputs, cache. outputs: logits (B, num_labels), predictions (B,) when
        regressing, or choice scores (B, n_choices)."""
        ids, mask, B = self._flat_inputs(batch)
        h, hidden_cache = self.body.hidden_forward(ids, attention_mask=mask)       # (N, T, C)
        last = mask.sum(axis=1) - 1                                      # the extract token of each sequence
        e = h[np.arange(len(ids)), last]                                 # (N, C)
        if self.kind == "similarity":
            e = e.reshape(B, 2, -1).sum(axis=1)                          # (B, C): both orders added
        e, dropout_cache = self.drop.forward(e)
        out, head_cache = self.head.forward(e)                           # (B or N, num_labels or 1)
        if self.kind == "choice":
            out = out.reshape(B, -1)                                     # (B, n_choices)
        elif self.regression:
            out = out[:, 0]                                              # (B,)
        cache = {"h": h, "hidden": hidden_cache, "last": last, "dropout": dropout_cache, "head": head_cache,
                 "ids": ids, "attention_mask": mask, "B": B}
        return out, cache

    def backward(self, dout, cache, dh=None):
        """dout: like the outputs of forward -> None; fills the head's grads and, unless the body is
        frozen, the body's. dh: (N, T, C) extra gradient of the final states (the LM loss)."""
        de = self.drop.backward(self.head.backward(dout.reshape(-1, self.head.weight.shape[1]), cache["head"]),
                                cache["dropout"])
        if self.freeze_body:
            return None
        if self.kind == "similarity":
            de = np.repeat(de[:, None], 2, axis=1).reshape(-1, de.shape[-1])   # (N, C): the sum's gradient
        dh = np.zeros_like(cache["h"]) if dh is None else dh.copy()
        dh[np.arange(len(cache["last"])), cache["last"]] += de
        self.body.hidden_backward(dh, cache["hidden"])
        return None

    # --------------------------------------------------------------- loss
    def loss(self, batch, backward=True):
        """L_task + lm_weight * L_LM on a batch -> (loss, metrics); backward=True also fills the grads.

        metrics: loss, task_loss, lm_loss, and accuracy (classification, choice) or mse (regression).
        """
        out, cache = self.forward(batch)
        labels = task_labels(batch, cache["B"], self.num_labels, self.regression, self.body.dtype)
        task_loss, task_cache, metrics = task_loss_forward(out, labels, self.regression)
        lm_loss, dh = 0.0, None
        if self.lm_weight > 0:
            logits, lm_head_cache = self.body.head_forward(cache["h"])                 # (N, T, V)
            lm_loss, lm_loss_cache = ops.cross_entropy_forward(logits, lm_targets(cache["ids"], cache["attention_mask"]))
        if backward:
            if self.lm_weight > 0 and not self.freeze_body:
                dlogits = self.lm_weight * ops.cross_entropy_backward(1.0, lm_loss_cache)
                dh = self.body.head_backward(dlogits, lm_head_cache)
            self.backward(task_loss_backward(task_cache, self.regression), cache, dh)
        total = task_loss + self.lm_weight * lm_loss
        return total, {"loss": total, "task_loss": task_loss, "lm_loss": lm_loss, **metrics}

    def predict(self, batch):
        """Predicted class ids, regression values, or the index of the best choice: (B,).

        Runs in eval mode (dropout off) and restores the previous mode.
        """
        with self.evaluating():
            out, _ = self.forward(batch)
        return out if self.regression else out.argmax(axis=-1)


GPTForClassification = LMForClassification      # the name of the GPT paper's recipe, with a GPT body
