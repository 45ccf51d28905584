"""Fill in the blanks with a masked language model (a BertForPreTraining).

    fill_mask(model, tok, "[MASK] is the capital of Borovia.", top_k=3)
    # -> [(token, probability), ...] for the 3 most likely tokens, most likely first

The text is encoded as [CLS] text [SEP]; "[MASK]" written in the text is the mask token.
The model predicts each [MASK] position from both sides at once.

    fill_iteratively(model, tok, "Jack [MASK] [MASK] [MASK] [MASK].")
    # -> the text after each step: one [MASK] filled per step, the most confident first

is one answer to "how would BERT generate text?": start from masks and fill them one at a time.
"""
import numpy as np

from .. import functional as F


def check_masked_lm(model):
    """TypeError unless `model` has BERT's masked-LM head (a BertForPreTraining)."""
    if not hasattr(model, "mlm_forward") or not hasattr(model, "bert"):
        raise TypeError(f"a masked language model (BertForPreTraining) is needed, got {type(model).__name__}")


def masked_log_probs(model, ids, attention_mask, masked):
    """log p(token | context) at the masked positions, in eval mode (the model's mode is restored).

    ids: (B, T) ints, attention_mask: bool (B, T) or None, masked: bool (B, T)
    -> (N, V) float64 log-probabilities for the N masked positions in row-major order.
    """
    check_masked_lm(model)
    with model.evaluating():
        logits, _, _ = model.forward(ids, None, attention_mask, masked)
    log_probs, _ = F.log_softmax_forward(logits.astype(np.float64))
    return log_probs


def fill_mask(model, tokenizer, text, top_k=5):
    """The `top_k` most likely tokens for the [MASK] in `text`, with their probabilities.

    -> [(token, probability), ...] sorted by probability, most likely first; a text with several
    [MASK]s gives one such list per [MASK], in order. Continuation pieces keep their '##'.
    Raises ValueError when the text has no [MASK] or is longer than the model's max_position.
    """
    check_masked_lm(model)
    if not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be a positive int, got {top_k!r}")
    mask_id = tokenizer.mask_id
    ids, _ = tokenizer.encode_single(tokenizer.encode(text))
    if mask_id not in ids:
        raise ValueError(f"the text has no {tokenizer.id_to_token(mask_id)} to fill in: {text!r}")
    limit = model.bert.config.max_position
    if len(ids) > limit:
        raise ValueError(f"the text is {len(ids)} tokens long with [CLS] and [SEP], longer than the "
                         f"model's max_position {limit}")
    ids = np.asarray([ids], dtype=np.int64)
    probs = np.exp(masked_log_probs(model, ids, None, ids == mask_id))
    k = min(top_k, probs.shape[1])
    answers = []
    for row in probs:
        best = np.argsort(-row, kind="stable")[:k]
        answers.append([(tokenizer.id_to_token(int(i)), float(row[i])) for i in best])
    return answers[0] if len(answers) == 1 else answers


def fill_iteratively(model, tokenizer, text):
    """Fill every [MASK] of `text` one at a time: each step runs the model, fills the masked position whose
    most likely token is the most probable of all with that token, and decodes -> the texts after each step
    (as many as the text had masks; the last has none left). The model sees the tokens filled so far,
    but never revises them: a masked LM has no left-to-right order of its own, so an order must be chosen."""
    check_masked_lm(model)
    ids, _ = tokenizer.encode_single(tokenizer.encode(text))
    ids = np.asarray([ids], dtype=np.int64)
    if not (ids == tokenizer.mask_id).any():
        raise ValueError(f"the text has no {tokenizer.id_to_token(tokenizer.mask_id)} to fill in: {text!r}")
    steps = []
    while (ids == tokenizer.mask_id).any():
        masked = ids == tokenizer.mask_id
        probs = np.exp(masked_log_probs(model, ids, None, masked))       # (N masks, V)
        best = np.unravel_index(np.argmax(probs), probs.shape)           # (which mask, which token)
        ids[0, np.nonzero(masked[0])[0][best[0]]] = best[1]
        steps.append(tokenizer.decode(ids[0, 1:-1].tolist()))
    return steps
