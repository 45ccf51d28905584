"""Zero-shot scoring: use a pretrained GPT's probabilities alone, with no finetuning.

    total, per_token = sequence_logprob(model, ids)
    total, per_token = continuation_logprob(model, context_ids, continuation_ids)
    label = classify_by_prompt(model, tok, "i loved it .", prompt_suffix=" it was very",
                               label_words={"positive": " good", "negative": " bad"})
    best, scores = multiple_choice(model, tok, "the cat sat on the", [" mat", " idea"])
    scores = acceptability_scores(model, tok, sentences); threshold = choose_threshold(dev_scores, dev_labels)

log p(x_t | x_<t) comes from one forward pass of the model over the whole
sequence: the logits at position t - 1 predict token t. The first token has
nothing before it and is not scored, unless a `start_id` is put in front.
Many sequences are scored in batches, right padded with an attention mask.
Functions that take a `tokenizer` (any object with `encode(text) -> ids`)
also accept tokenizer=None and lists of token ids instead of text.
"""
import numpy as np

from .metrics import accuracy


def _eval_forward(model, ids, mask):
    """Logits of a forward pass in eval mode (dropout off); the model's mode is restored."""
    with model.evaluating():
        logits, _ = model.forward(ids, attention_mask=mask)
    return logits


def _check_ids(name, ids, model):
    """A non-empty list of ints in the vocabulary that fits the block, or a clear error."""
    array = np.asarray(ids)
    if array.size and (array.ndim != 1 or array.dtype.kind not in "iu"):
        raise TypeError(f"{name} must be a 1-D sequence of integer token ids, got {array.dtype} {array.shape}")
    ids = [int(i) for i in array]
    if len(ids) == 0:
        raise ValueError(f"{name} is empty: give at least one token id")
    V, block = model.config.vocab_size, model.config.block_size
    bad = [i for i in ids if not 0 <= i < V]
    if bad:
        raise ValueError(f"{name} holds token id {bad[0]}, outside the vocabulary [0, {V})")
    if len(ids) > block:
        raise ValueError(f"{name} has {len(ids)} tokens, more than block_size {block}")
    return ids


def token_logprobs(model, sequences, batch_size=32):
    """log p(x_t | x_<t) for t = 1 .. len - 1 of each sequence -> list of float64 arrays (len - 1,).

    sequences: lists of token ids, each 2 .. block_size long; scored in right-padded batches.
    """
    if len(sequences) == 0:
        raise ValueError("no sequences to score")
    sequences = [_check_ids(f"sequence {i}", s, model) for i, s in enumerate(sequences)]
    short = [i for i, s in enumerate(sequences) if len(s) < 2]
    if short:
        raise ValueError(f"sequence {short[0]} has one token: nothing to score (prepend a start token)")
    out = []
    for first in range(0, len(sequences), batch_size):
        chunk = sequences[first:first + batch_size]
        T = max(len(s) for s in chunk)
        ids = np.zeros((len(chunk), T), dtype=np.int64)
        mask = np.zeros((len(chunk), T), dtype=bool)
        for i, s in enumerate(chunk):
            ids[i, :len(s)], mask[i, :len(s)] = s, True
        logits = _eval_forward(model, ids, mask).astype(np.float64)[:, :-1]      # (B, T - 1, V)
        m = logits.max(axis=-1, keepdims=True)
        logp = logits - m - np.log(np.exp(logits - m).sum(axis=-1, keepdims=True))
        picked = np.take_along_axis(logp, ids[:, 1:, None], axis=-1)[..., 0]   # (B, T - 1)
        out.extend(picked[i, :len(s) - 1].copy() for i, s in enumerate(chunk))
    return out


def sequence_logprob(model, ids, start_id=None):
    """Log-probability of a token sequence -> (total, per_token (len - 1,)).

    start_id: if given it is put in front, so the first token is scored too (per_token (len,)).
    """
    ids = _check_ids("ids", ids, model)
    if start_id is not None:
        ids = [start_id] + ids
    per_token = token_logprobs(model, [ids])[0]
    return float(per_token.sum()), per_token


def _joined(model, context, continuation):
    """context + continuation, the context cropped from the left to fit block_size."""
    context = _check_ids("context", context, model)
    continuation = _check_ids("continuation", continuation, model)
    keep = model.config.block_size - len(continuation)
    if keep < 1:
        raise ValueError(f"the continuation has {len(continuation)} tokens: with at least one context token "
                         f"it does not fit block_size {model.config.block_size}")
    return context[-keep:] + continuation, len(continuation)


def continuation_logprob(model, context_ids, continuation_ids):
    """log p(continuation | context) -> (total, per_token (len(continuation),)).

    A context too long for the block is cropped from the left (its last tokens are kept).
    """
    seq, n = _joined(model, context_ids, continuation_ids)
    per_token = token_logprobs(model, [seq])[0][-n:]
    return float(per_token.sum()), per_token


def score_continuations(model, context_ids, continuations, length_normalize=False, batch_size=32):
    """log p(c | context) for each continuation c, in batches -> float64 array (n,).

    length_normalize: divide each by its number of tokens (the mean per-token log-probability),
    so that long continuations are not penalised for their length.
    """
    if len(continuations) == 0:
        raise ValueError("no continuations to score")
    joined = [_joined(model, context_ids, c) for c in continuations]
    logps = token_logprobs(model, [seq for seq, _ in joined], batch_size)
    totals = np.array([lp[-n:].sum() for lp, (_, n) in zip(logps, joined)])
    return totals / np.array([n for _, n in joined]) if length_normalize else totals


def _encode(tokenizer, text, name):
    if tokenizer is None:
        return list(text)
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str when a tokenizer is given, got {type(text).__name__}")
    if text == "":
        raise ValueError(f"{name} is empty")
    return list(tokenizer.encode(text))


def label_word_scores(model, tokenizer, text, prompt_suffix=" very", label_words=None, length_normalize=False):
    """log p(label word | text + prompt_suffix) for each label -> dict label -> float."""
    label_words = label_words if label_words is not None else {"positive": " good", "negative": " bad"}
    if len(label_words) == 0:
        raise ValueError("label_words is empty: give a dict label -> word")
    context = _encode(tokenizer, text, "text") + (_encode(tokenizer, prompt_suffix, "prompt_suffix")
                                                  if prompt_suffix else [])
    words = [_encode(tokenizer, w, f"label word {label!r}") for label, w in label_words.items()]
    scores = score_continuations(model, context, words, length_normalize)
    return dict(zip(label_words, scores.tolist()))


def classify_by_prompt(model, tokenizer, text, prompt_suffix=" very", label_words=None, length_normalize=False):
    """The label whose word is most likely after text + prompt_suffix (default labels: " good" / " bad")."""
    scores = label_word_scores(model, tokenizer, text, prompt_suffix, label_words, length_normalize)
    return max(scores, key=scores.get)


def multiple_choice(model, tokenizer, context, choices, length_normalize=False):
    """Pick the choice with the highest log-probability after the context -> (index, scores (n,)).

    length_normalize: compare mean per-token log-probabilities instead of sums.
    """
    if len(choices) == 0:
        raise ValueError("no choices given")
    context_ids = _encode(tokenizer, context, "context")
    choice_ids = [_encode(tokenizer, c, f"choice {i}") for i, c in enumerate(choices)]
    scores = score_continuations(model, context_ids, choice_ids, length_normalize)
    return int(np.argmax(scores)), scores


def acceptability_scores(model, tokenizer, sentences, start_id=None, batch_size=32):
    """Mean per-token log-probability of each sentence -> float64 array (n,); higher = more acceptable.

    start_id: put in front of each sentence so that its first token is scored too.
    """
    if len(sentences) == 0:
        raise ValueError("no sentences to score")
    prefix = [] if start_id is None else [start_id]
    seqs = [prefix + _encode(tokenizer, s, f"sentence {i}") for i, s in enumerate(sentences)]
    return np.array([lp.mean() for lp in token_logprobs(model, seqs, batch_size)])


def choose_threshold(scores, labels, metric=accuracy):
    """The threshold on dev-set scores that maximises metric(predictions, labels) -> float.

    labels: 1 = acceptable, 0 = not; a sentence is predicted acceptable when score >= threshold.
    Candidates are the midpoints between neighbouring distinct scores and one value below and
    above them all; ties go to the lowest threshold. metric: e.g. metrics.matthews_corrcoef.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels).reshape(-1)
    if scores.size == 0 or scores.shape != labels.shape:
        raise ValueError(f"need equally many scores and labels (at least one), got {scores.size} and {labels.size}")
    values = np.unique(scores)
    candidates = np.concatenate([[values[0] - 1.0], (values[:-1] + values[1:]) / 2, [values[-1] + 1.0]])
    results = [metric((scores >= t).astype(np.int64), labels) for t in candidates]
    return float(candidates[int(np.argmax(results))])
