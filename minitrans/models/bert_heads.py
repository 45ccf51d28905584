"""Task heads on a BertModel: pretraining (MLM + NSP) and the finetuning heads, with one interface.

    head = BertForSequenceClassification(bert, num_labels=2)
    logits, cache = head.forward(ids, segment_ids, attention_mask)
    head.backward(dlogits, cache)                  # adds into the head's and the body's grads
    loss, metrics = head.loss(batch, backward=True)  # forward + loss (+ backward), grads accumulate

Each head holds its body as `head.bert`, so `head.parameters()` covers both and an
optimizer built on the head trains everything. `head.predict(batch)` gives the
predictions in eval mode. A batch is a dict of arrays: "ids" (B, T), optional
"segment_ids" (B, T) and "attention_mask" (bool, True = real token), and the targets of the task:

    BertForPreTraining              "mlm_labels" (B, T): original id at masked positions, -100 elsewhere;
                                    "nsp_labels" (B,): 1 = B follows A, 0 = B is random (as data.nsp_pairs)
    BertForSequenceClassification   "labels" (B,): class ids, or floats when num_labels=1 (regression)
    BertForTokenClassification      "labels" (B, T): -100 = not scored (see align_word_labels)
    BertForQuestionAnswering        "start_positions", "end_positions" (B,); optional "context_mask" (B, T)
    BertForMultipleChoice           ids etc. of shape (B, n_choices, T); "labels" (B,): the right choice
"""
import numpy as np

from .. import ops
from ..nn import Activation, Dropout, LayerNorm, Linear, Module, Parameter
from .bert import BertModel

IGNORE_INDEX = -100
MASKED_LOGIT = -1e4   # QA score of a padding position: exp(MASKED_LOGIT - max) is exactly 0


def align_word_labels(word_ids, word_labels, ignore_index=IGNORE_INDEX):
    """Per-piece labels from per-word labels, for token classification.

    word_ids: for each WordPiece the index of the word it came from (None or a negative
    number for [CLS], [SEP] and padding); word_labels: one int label per word
    -> int64 array (len(word_ids),): the first piece of a word gets the word's label,
    its continuation pieces and the special tokens get `ignore_index`.
    """
    out = np.full(len(word_ids), ignore_index, dtype=np.int64)
    previous = None
    for k, w in enumerate(word_ids):
        if w is None or w < 0:
            previous = None
            continue
        if w >= len(word_labels):
            raise ValueError(f"piece {k} comes from word {w}, but only {len(word_labels)} word labels were given")
        if w != previous:
            out[k] = word_labels[w]
        previous = w
    return out


class BertHead(Module):
    """What the heads share: the body `self.bert`, a seeded Generator, and `loss(batch)`."""

    targets = ()   # the batch keys that loss() needs besides "ids"

    def __init__(self, bert, seed=0):
        super().__init__()
        if not isinstance(bert, BertModel):
            raise TypeError(f"a BERT head is built on a BertModel, got {type(bert).__name__}")
        self.bert = bert
        self.rng = np.random.default_rng(seed)

    def new_linear(self, out_features):
        """A d_model -> out_features Linear with BERT's init (normal 0.02), in the body's dtype."""
        return Linear(self.bert.config.d_model, out_features, rng=self.rng, std=0.02, dtype=self.bert.dtype)

    def new_dropout(self, dropout):
        """Dropout with probability `dropout`, or the body's when None."""
        return Dropout(self.bert.config.dropout if dropout is None else dropout, rng=self.rng)

    def read_batch(self, batch, with_targets=True):
        """(ids, segment_ids, attention_mask) of a batch dict that holds ids (and this head's targets)."""
        if not isinstance(batch, dict):
            raise TypeError(f"batch must be a dict of arrays, got {type(batch).__name__}")
        needed = ("ids",) + (tuple(self.targets) if with_targets else ())
        missing = [k for k in needed if k not in batch]
        if missing:
            raise ValueError(f"{type(self).__name__} needs batch keys {list(needed)}; missing {missing}")
        return batch["ids"], batch.get("segment_ids"), batch.get("attention_mask")

    def loss(self, batch, backward=True):
        """Forward, the task loss and (when backward) the backward pass that adds into every p.grad
        -> (loss: float, metrics: dict of floats)."""
        out, cache = self.forward(*self.read_batch(batch))
        loss, dout, metrics = self.loss_terms(out, batch)
        if backward:
            self.backward(dout, cache)
        return loss, metrics

    def loss_terms(self, out, batch):
        """(loss, dloss/dout, metrics) of the head's output against the batch targets."""
        raise NotImplementedError

    def predict(self, batch):
        """The head's predictions for a batch (see `decode`), computed in eval mode; the mode is restored."""
        with self.evaluating():
            outputs = self.forward(*self.read_batch(batch, with_targets=False))[:-1]
        return self.decode(*outputs, batch)

    def decode(self, out, batch):
        """Predictions from the head's output(s)."""
        raise NotImplementedError


def classification_terms(logits, labels):
    """Cross-entropy over the last axis of logits (labels -100 ignored) -> (loss, dlogits, metrics)."""
    labels = np.asarray(labels)
    loss, cache = ops.cross_entropy_forward(logits, labels)
    scored = labels != IGNORE_INDEX
    n = int(scored.sum())
    acc = float(np.mean(logits.argmax(-1)[scored] == labels[scored])) if n else 0.0
    return loss, ops.cross_entropy_backward(1.0, cache), {"loss": loss, "accuracy": acc, "count": n}


# ------------------------------------------------------------------ pretraining
class BertForPreTraining(BertHead):
    """Masked language model (on the masked positions only) plus next-sentence prediction.

    MLM: logits = LayerNorm(gelu(h W + b)) E^T + bias, E the token embedding (tied), or with
    config.tie_weights=False a decoder matrix of its own (mlm_decoder, (C, V)).
    NSP: logits = pooled W + b over 2 classes; nsp=False leaves it out (MLM only).
    """

    def __init__(self, bert, nsp=True, seed=0):
        super().__init__(bert, seed)
        c = bert.config
        if nsp:
            bert.require_pooler("BertForPreTraining with NSP")
        self.targets = ("mlm_labels", "nsp_labels") if nsp else ("mlm_labels",)
        self.mlm_dense = self.new_linear(c.d_model)
        self.mlm_act = Activation(c.activation)
        self.mlm_norm = LayerNorm(c.d_model, eps=c.layer_norm_eps, dtype=bert.dtype)
        self.mlm_bias = Parameter(np.zeros(c.vocab_size, dtype=bert.dtype))
        self.mlm_decoder = None if c.tie_weights else Linear(c.d_model, c.vocab_size, bias=False, rng=self.rng,
                                                             std=0.02, dtype=bert.dtype)
        self.nsp_head = self.new_linear(2) if nsp else None

    def mlm_forward(self, x):
        """x: (N, C) hidden states of the masked positions -> logits: (N, V), cache."""
        cache = {}
        t, cache["dense"] = self.mlm_dense.forward(x)
        t, cache["act"] = self.mlm_act.forward(t)
        t, cache["norm"] = self.mlm_norm.forward(t)
        decoder = self.bert.tok_emb.weight.data.T if self.mlm_decoder is None else self.mlm_decoder.weight.data
        logits, cache["decoder"] = ops.linear_forward(t, decoder, self.mlm_bias.data)
        return logits, cache

    def mlm_backward(self, dlogits, cache):
        """dlogits: (N, V) -> dx: (N, C); the decoder's gradient goes into the token embedding when tied."""
        ### BEGIN SOLUTION
        dt, dW, dbias = ops.linear_backward(dlogits, cache["decoder"])
        if self.mlm_decoder is None:
            self.bert.tok_emb.weight.grad += dW.T                # the decoder is the token embedding, tied
        else:
            self.mlm_decoder.weight.grad += dW
        self.mlm_bias.grad += dbias
        dt = self.mlm_norm.backward(dt, cache["norm"])
        dt = self.mlm_act.backward(dt, cache["act"])
        return self.mlm_dense.backward(dt, cache["dense"])
        ### END SOLUTION

    def forward(self, ids, segment_ids=None, attention_mask=None, predict_positions=None):
        """predict_positions: bool (B, T), the (masked) positions to predict (default: all)
        -> mlm_logits: (N, V) for the N positions in row-major order, nsp_logits: (B, 2) or None, cache."""
        h, pooled, bert_cache = self.bert.forward(ids, segment_ids, attention_mask)
        if predict_positions is None:
            predict_positions = np.ones(ids.shape, dtype=bool)
        if not isinstance(predict_positions, np.ndarray) or predict_positions.dtype != np.bool_ \
                or predict_positions.shape != ids.shape:
            got = f"{getattr(predict_positions, 'dtype', type(predict_positions))} {getattr(predict_positions, 'shape', '')}"
            raise TypeError(f"predict_positions must be a boolean array of shape {ids.shape}, got {got}")
        mlm_logits, mlm_cache = self.mlm_forward(h[predict_positions])
        nsp_logits, nsp_cache = (None, None) if self.nsp_head is None else self.nsp_head.forward(pooled)
        return mlm_logits, nsp_logits, {"bert": bert_cache, "mlm": mlm_cache, "nsp": nsp_cache,
                                        "predict_positions": predict_positions, "hidden_shape": h.shape}

    def backward(self, douts, cache):
        """douts = (dmlm_logits: (N, V) or None, dnsp_logits: (B, 2) or None) -> None; adds into every grad."""
        dmlm_logits, dnsp_logits = douts
        dh = dpooled = None
        if dmlm_logits is not None:
            dh = np.zeros(cache["hidden_shape"], dtype=dmlm_logits.dtype)
            dh[cache["predict_positions"]] = self.mlm_backward(dmlm_logits, cache["mlm"])
        if dnsp_logits is not None:
            if self.nsp_head is None:
                raise ValueError("this head was built with nsp=False: there is no NSP gradient to take")
            dpooled = self.nsp_head.backward(dnsp_logits, cache["nsp"])
        # into the body; its token-embedding lookup adds a second gradient to the tied embedding
        self.bert.backward((dh, dpooled), cache["bert"])

    def loss(self, batch, backward=True):
        """MLM cross-entropy over the masked tokens (+ NSP cross-entropy) -> (loss, metrics) with
        mlm_loss, mlm_acc, nsp_loss, nsp_acc (when nsp), tokens (the number of masked tokens)."""
        ids, segment_ids, attention_mask = self.read_batch(batch)
        labels = np.asarray(batch["mlm_labels"])
        if labels.shape != np.shape(ids):
            raise ValueError(f"mlm_labels must have the shape of ids {np.shape(ids)}, got {labels.shape}")
        predict_positions = labels != IGNORE_INDEX
        mlm_logits, nsp_logits, cache = self.forward(ids, segment_ids, attention_mask, predict_positions)
        loss, dmlm, m = classification_terms(mlm_logits, labels[predict_positions])
        metrics = {"mlm_loss": loss, "mlm_acc": m["accuracy"], "tokens": m["count"]}
        dnsp = None
        if self.nsp_head is not None:
            nsp_loss, dnsp, n = classification_terms(nsp_logits, batch["nsp_labels"])
            loss += nsp_loss
            metrics.update(nsp_loss=nsp_loss, nsp_acc=n["accuracy"])
        if backward:
            self.backward((dmlm, dnsp), cache)
        return loss, {"loss": loss, **metrics}

    def decode(self, mlm_logits, nsp_logits, batch):
        """(the most likely token at every position (B, T), the NSP class (B,) or None)."""
        tokens = mlm_logits.argmax(axis=-1).reshape(np.shape(batch["ids"]))
        return tokens, None if nsp_logits is None else nsp_logits.argmax(axis=-1)


# ------------------------------------------------------------------ finetuning
class BertForSequenceClassification(BertHead):
    """One label per sequence (or sentence pair, told apart by segment ids) from the pooled [CLS]:
    logits = dropout(pooled) W + b. num_labels=1 is regression with a squared-error loss."""

    targets = ("labels",)

    def __init__(self, bert, num_labels=2, dropout=None, seed=0):
        super().__init__(bert, seed)
        bert.require_pooler("BertForSequenceClassification")
        if not isinstance(num_labels, int) or num_labels < 1:
            raise ValueError(f"num_labels must be a positive int, got {num_labels!r}")
        self.num_labels = num_labels
        self.drop = self.new_dropout(dropout)
        self.classifier = self.new_linear(num_labels)

    def forward(self, ids, segment_ids=None, attention_mask=None):
        """ids: (B, T) -> logits: (B, num_labels), cache."""
        _, pooled, bert_cache = self.bert.forward(ids, segment_ids, attention_mask)
        x, dropout_cache = self.drop.forward(pooled)
        logits, classifier_cache = self.classifier.forward(x)
        return logits, {"bert": bert_cache, "dropout": dropout_cache, "classifier": classifier_cache}

    def backward(self, dlogits, cache):
        """dlogits: (B, num_labels) -> None."""
        dpooled = self.drop.backward(self.classifier.backward(dlogits, cache["classifier"]), cache["dropout"])
        self.bert.backward((None, dpooled), cache["bert"])

    def loss_terms(self, logits, batch):
        """Cross-entropy (metrics loss, accuracy, count); for num_labels=1 squared error (loss, mse, count)."""
        if self.num_labels > 1:
            return classification_terms(logits, batch["labels"])
        loss, cache = ops.mse_forward(logits[:, 0], np.asarray(batch["labels"]))
        return loss, ops.mse_backward(1.0, cache)[:, None], {"loss": loss, "mse": loss, "count": len(logits)}

    def decode(self, logits, batch):
        """Class ids (B,), or the predicted values (B,) for regression."""
        return logits[:, 0] if self.num_labels == 1 else logits.argmax(axis=-1)


class BertForTokenClassification(BertHead):
    """A label per token (NER, tagging): logits = dropout(h) W + b. Labels -100 and padding are not scored."""

    targets = ("labels",)

    def __init__(self, bert, num_labels, dropout=None, seed=0):
        super().__init__(bert, seed)
        if not isinstance(num_labels, int) or num_labels < 2:
            raise ValueError(f"num_labels must be an int >= 2, got {num_labels!r}")
        self.num_labels = num_labels
        self.drop = self.new_dropout(dropout)
        self.classifier = self.new_linear(num_labels)

    def forward(self, ids, segment_ids=None, attention_mask=None):
        """ids: (B, T) -> logits: (B, T, num_labels), cache."""
        h, _, bert_cache = self.bert.forward(ids, segment_ids, attention_mask)
        x, dropout_cache = self.drop.forward(h)
        logits, classifier_cache = self.classifier.forward(x)
        return logits, {"bert": bert_cache, "dropout": dropout_cache, "classifier": classifier_cache}

    def backward(self, dlogits, cache):
        """dlogits: (B, T, num_labels) -> None."""
        dh = self.drop.backward(self.classifier.backward(dlogits, cache["classifier"]), cache["dropout"])
        self.bert.backward((dh, None), cache["bert"])

    def loss_terms(self, logits, batch):
        """Mean cross-entropy over the scored tokens -> metrics loss, accuracy, count (scored tokens)."""
        labels = np.asarray(batch["labels"])
        attention_mask = self.read_batch(batch)[2]
        if attention_mask is not None and labels.shape == attention_mask.shape:
            labels = np.where(attention_mask, labels, IGNORE_INDEX)
        return classification_terms(logits, labels)

    def decode(self, logits, batch):
        """A label id per token (B, T)."""
        return logits.argmax(axis=-1)


def default_context_mask(segment_ids, attention_mask, shape):
    """Where an answer may lie: segment 1 without its final [SEP] ([CLS] q [SEP] context [SEP]),
    or every real token when there are no segment ids. -> bool (B, T)."""
    real = np.ones(shape, dtype=bool) if attention_mask is None else attention_mask
    if segment_ids is None:
        return real.copy()
    context = (segment_ids == 1) & real
    has = context.any(axis=1)
    last = shape[1] - 1 - context[:, ::-1].argmax(axis=1)
    context[np.nonzero(has)[0], last[has]] = False
    return context


def best_spans(logits, context_mask, max_answer_length=30):
    """The best answer span per example: argmax of start + end score over start <= end,
    end - start < max_answer_length, both inside the context.

    logits: (B, T, 2) start and end scores, context_mask: bool (B, T)
    -> starts, ends: (B,) ints; (0, 0), the [CLS] "no answer", where no span is valid.
    """
    B, T, _ = logits.shape
    i = np.arange(T)
    width = i[None, :] - i[:, None]                                   # (start, end) -> end - start
    valid = (width >= 0) & (width < max_answer_length)
    valid = valid[None] & context_mask[:, :, None] & context_mask[:, None, :]   # (B, T, T)
    scores = np.where(valid, logits[:, :, None, 0] + logits[:, None, :, 1], -np.inf)
    starts, ends = np.divmod(scores.reshape(B, -1).argmax(axis=1), T)
    none = ~valid.reshape(B, -1).any(axis=1)
    starts[none], ends[none] = 0, 0
    return starts, ends


def span_scores(pred_starts, pred_ends, gold_starts, gold_ends):
    """Per example: exact match of the span, and the F1 of the token positions the spans share
    (SQuAD's token F1 counted on positions) -> exact, f1: (B,) floats."""
    ps, pe, gs, ge = (np.asarray(a) for a in (pred_starts, pred_ends, gold_starts, gold_ends))
    overlap = np.maximum(0, np.minimum(pe, ge) - np.maximum(ps, gs) + 1)
    precision, recall = overlap / (pe - ps + 1), overlap / (ge - gs + 1)
    f1 = np.where(overlap > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    return ((ps == gs) & (pe == ge)).astype(float), f1


class BertForQuestionAnswering(BertHead):
    """Extractive QA: a start and an end score per token, logits = h W + b with W: (C, 2).

    Padding positions get MASKED_LOGIT, so they never win and add nothing to the loss.
    """

    targets = ("start_positions", "end_positions")

    def __init__(self, bert, max_answer_length=30, seed=0):
        super().__init__(bert, seed)
        self.max_answer_length = max_answer_length
        self.qa_outputs = self.new_linear(2)

    def forward(self, ids, segment_ids=None, attention_mask=None):
        """ids: (B, T) -> logits: (B, T, 2) ([..., 0] start, [..., 1] end), cache."""
        h, _, bert_cache = self.bert.forward(ids, segment_ids, attention_mask)
        logits, qa_cache = self.qa_outputs.forward(h)
        if attention_mask is not None:
            logits = np.where(attention_mask[..., None], logits, logits.dtype.type(MASKED_LOGIT))
        return logits, {"bert": bert_cache, "qa_outputs": qa_cache, "attention_mask": attention_mask}

    def backward(self, dlogits, cache):
        """dlogits: (B, T, 2) -> None."""
        if cache["attention_mask"] is not None:
            dlogits = dlogits * cache["attention_mask"][..., None]
        self.bert.backward((self.qa_outputs.backward(dlogits, cache["qa_outputs"]), None), cache["bert"])

    def decode(self, logits, batch):
        """(starts, ends), each (B,): the best spans inside batch["context_mask"], or by default
        inside the context segment (see default_context_mask)."""
        context = batch.get("context_mask")
        if context is None:
            _, segment_ids, attention_mask = self.read_batch(batch, with_targets=False)
            context = default_context_mask(segment_ids, attention_mask, logits.shape[:2])
        return best_spans(logits, context, self.max_answer_length)

    def loss_terms(self, logits, batch):
        """(CE(start) + CE(end)) / 2 -> metrics loss, exact and f1 of the decoded spans, count."""
        starts, ends = np.asarray(batch["start_positions"]), np.asarray(batch["end_positions"])
        if starts.shape != ends.shape or np.any(starts > ends):
            raise ValueError(f"start_positions and end_positions must be (B,) ints with start <= end, "
                             f"got {starts.tolist()} and {ends.tolist()}")
        loss_s, start_cache = ops.cross_entropy_forward(logits[..., 0], starts)
        loss_e, end_cache = ops.cross_entropy_forward(logits[..., 1], ends)
        dlogits = np.stack([ops.cross_entropy_backward(0.5, start_cache), ops.cross_entropy_backward(0.5, end_cache)],
                           axis=-1)
        exact, f1 = span_scores(*self.decode(logits, batch), starts, ends)
        loss = 0.5 * (loss_s + loss_e)
        return loss, dlogits, {"loss": loss, "exact": float(exact.mean()), "f1": float(f1.mean()), "count": len(starts)}


class BertForMultipleChoice(BertHead):
    """Each (context, choice) pair is scored from its pooled [CLS] by a Linear C -> 1; softmax over the choices."""

    targets = ("labels",)

    def __init__(self, bert, dropout=None, seed=0):
        super().__init__(bert, seed)
        bert.require_pooler("BertForMultipleChoice")
        self.drop = self.new_dropout(dropout)
        self.classifier = self.new_linear(1)

    def forward(self, ids, segment_ids=None, attention_mask=None):
        """ids, segment_ids, attention_mask: (B, n_choices, T) -> logits: (B, n_choices), cache."""
        if not isinstance(ids, np.ndarray) or ids.ndim != 3:
            raise ValueError(f"multiple-choice ids must have shape (B, n_choices, T), got {getattr(ids, 'shape', ids)}")
        B, N, T = ids.shape
        flat = []
        for name, a in (("segment_ids", segment_ids), ("attention_mask", attention_mask)):
            if a is not None and np.shape(a) != ids.shape:
                raise ValueError(f"{name} must have the shape of ids {ids.shape}, got {np.shape(a)}")
            flat.append(None if a is None else a.reshape(B * N, T))
        _, pooled, bert_cache = self.bert.forward(ids.reshape(B * N, T), *flat)
        x, dropout_cache = self.drop.forward(pooled)
        scores, classifier_cache = self.classifier.forward(x)                        # (B * N, 1)
        return scores.reshape(B, N), {"bert": bert_cache, "dropout": dropout_cache, "classifier": classifier_cache}

    def backward(self, dlogits, cache):
        """dlogits: (B, n_choices) -> None."""
        dscores = self.classifier.backward(dlogits.reshape(-1, 1), cache["classifier"])
        self.bert.backward((None, self.drop.backward(dscores, cache["dropout"])), cache["bert"])

    def loss_terms(self, logits, batch):
        """Cross-entropy over the choices -> metrics loss, accuracy, count."""
        return classification_terms(logits, batch["labels"])

    def decode(self, logits, batch):
        """The index of the best choice (B,)."""
        return logits.argmax(axis=-1)
