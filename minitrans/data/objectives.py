"""Pretraining objectives: they turn token ids into (inputs, targets) for one kind of model.

- masked LM (BERT):            mask_tokens
- next sentence prediction:     nsp_pairs, pack_pair
- span corruption (T5):         span_corrupt, span_uncorrupt, span_corruption_lengths,
                                tokens_length_for_inputs, span_corruption_batch (span_corruption.py)
- causal LM (GPT):              random_windows, document_windows

They work on token ids only (special ids are passed in), so any tokenizer fits.
Every random choice comes from the `rng` (a numpy Generator) given by the caller.
"""
import numpy as np

from ..functional.checks import check_id_array, check_positive_int, check_probability
from .span_corruption import (random_span_mask, span_corrupt, span_corruption_batch, span_corruption_lengths,
                              span_uncorrupt, tokens_length_for_inputs)

__all__ = ["IGNORE_INDEX", "mask_tokens", "nsp_pairs", "pack_pair", "random_windows", "document_windows",
           "random_span_mask",
           "span_corrupt", "span_uncorrupt", "span_corruption_lengths", "tokens_length_for_inputs",
           "span_corruption_batch"]

IGNORE_INDEX = -100


def mask_tokens(ids, rng, vocab_size, mask_id, special_ids=(), mask_prob=0.15, random_prob=0.1, keep_prob=0.1,
                mask_only=False, ignore_index=IGNORE_INDEX):
    """BERT's masking. ids: (B, T) or (T,) ints -> (inputs, targets), both the shape of ids, int64.

    In each row, round(mask_prob * n) of its n ordinary tokens are chosen (at least one
    when n > 0); special ids (pad, [CLS], [SEP], ... and mask_id) are never chosen.
    A chosen token becomes mask_id with probability 1 - random_prob - keep_prob, a
    random ordinary token with probability random_prob, and stays as it is with
    probability keep_prob; `mask_only` makes every chosen token mask_id.
    targets hold the original id at chosen positions and `ignore_index` elsewhere.
    """
    ids = check_id_array("ids", ids, ndim=(1, 2), vocab_size=vocab_size)
    check_positive_int("vocab_size", vocab_size)
    mask_prob = check_probability("mask_prob", mask_prob, low_open=True)
    random_prob = check_probability("random_prob", random_prob)
    keep_prob = check_probability("keep_prob", keep_prob)
    if random_prob + keep_prob > 1:
        raise ValueError(f"random_prob + keep_prob must be <= 1, got {random_prob} + {keep_prob}")
    special = np.unique(np.append(check_id_array("special_ids", list(special_ids), ndim=1, vocab_size=vocab_size),
                                  check_id_array("mask_id", mask_id, ndim=0, vocab_size=vocab_size)))
    ordinary = np.setdiff1d(np.arange(vocab_size), special)
    if mask_only:
        random_prob, keep_prob = 0.0, 0.0

    ### BEGIN SOLUTION
    rows = ids.reshape(-1, ids.shape[-1]) if ids.ndim == 2 else ids[None, :]
    is_special = np.isin(rows, special)
    n_ordinary = (~is_special).sum(axis=1)
    n_chosen = np.where(n_ordinary > 0, np.maximum(np.floor(mask_prob * n_ordinary + 0.5), 1), 0)
    # rank the ordinary positions of each row in random order; specials rank last
    keys = np.where(is_special, 2.0, rng.random(rows.shape))
    rank = np.argsort(np.argsort(keys, axis=1, kind="stable"), axis=1, kind="stable")
    chosen = rank < n_chosen[:, None]

    u = rng.random(rows.shape)
    to_mask = chosen & (u < 1 - random_prob - keep_prob)
    to_random = chosen & ~to_mask & (u < 1 - keep_prob)
    random_ids = ordinary[rng.integers(ordinary.size, size=rows.shape)] if ordinary.size else rows
    inputs = np.where(to_mask, int(mask_id), np.where(to_random, random_ids, rows))
    targets = np.where(chosen, rows, ignore_index)
    return inputs.reshape(ids.shape).astype(np.int64), targets.reshape(ids.shape).astype(np.int64)
    ### END SOLUTION


def nsp_pairs(documents, rng):
    """Next-sentence pairs: [(a_ids, b_ids, is_next)] for every sentence that has a next one.

    documents: list of documents, each a list of sentences, each a sequence of token ids.
    With probability 1/2, b is the sentence that follows a (is_next = 1); otherwise b is
    a random sentence of another document (is_next = 0).
    """
    docs = [[check_id_array("sentence", s, ndim=1) for s in doc] for doc in documents]
    if sum(1 for doc in docs if doc) < 2:
        raise ValueError(f"next sentence prediction needs at least 2 non-empty documents, got {len(docs)}")
    non_empty = [d for d, doc in enumerate(docs) if doc]
    pairs = []
    for d, doc in enumerate(docs):
        here = non_empty.index(d) if doc else None
        for i in range(len(doc) - 1):
            if rng.random() < 0.5:
                pairs.append((doc[i], doc[i + 1], 1))
            else:
                j = int(rng.integers(len(non_empty) - 1))     # a non-empty document other than d
                other = docs[non_empty[j + (j >= here)]]
                pairs.append((doc[i], other[int(rng.integers(len(other)))], 0))
    return pairs


def pack_pair(a, b, cls_id, sep_id, max_len=None):
    """(ids, segment_ids): [CLS] a [SEP] b [SEP] and 0 for the first part, 1 for the second.

    With `max_len`, tokens are dropped from the end of the longer of a and b until it fits.
    """
    a, b = list(check_id_array("a", a, ndim=1)), list(check_id_array("b", b, ndim=1))
    if max_len is not None:
        check_positive_int("max_len", max_len)
        if max_len < 3:
            raise ValueError(f"max_len must leave room for [CLS] and two [SEP] (>= 3), got {max_len}")
        while len(a) + len(b) + 3 > max_len:
            (a if len(a) >= len(b) else b).pop()
    ids = [cls_id] + a + [sep_id] + b + [sep_id]
    segments = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    return np.asarray(ids, dtype=np.int64), np.asarray(segments, dtype=np.int64)


def random_windows(stream, block_size, batch_size, rng):
    """x, y: (batch_size, block_size) windows at random places of a 1-D id stream.

    y is x shifted by one token: y[:, t] is the token that follows x[:, t] in the stream.
    """
    stream = check_id_array("stream", stream, ndim=1)
    check_positive_int("block_size", block_size)
    check_positive_int("batch_size", batch_size)
    if len(stream) <= block_size:
        raise ValueError(f"the token stream has {len(stream)} tokens; it needs more than block_size={block_size}")
    starts = rng.integers(0, len(stream) - block_size, size=batch_size)
    offsets = starts[:, None] + np.arange(block_size)[None, :]
    return stream[offsets], stream[offsets + 1]


def document_windows(stream, starts, block_size, batch_size, rng):
    """x, y: (batch_size, block_size) windows of a 1-D id stream, each beginning at one of `starts`
    (the positions where documents begin), drawn at random; a window runs on into the documents that
    follow when its first one is shorter. y is x shifted by one token, as for random_windows.

    Starting at a document means its first tokens are read with all of the document before them, and a
    short document (a review with its verdict) is always seen whole."""
    stream = check_id_array("stream", stream, ndim=1)
    starts = check_id_array("starts", starts, ndim=1)
    check_positive_int("block_size", block_size)
    check_positive_int("batch_size", batch_size)
    usable = starts[starts + block_size < len(stream)]
    if usable.size == 0:
        raise ValueError(f"no document starts {block_size + 1} or more tokens before the end of the "
                         f"{len(stream)}-token stream: use a longer corpus or a smaller block size")
    offsets = usable[rng.integers(0, usable.size, size=batch_size)][:, None] + np.arange(block_size)[None, :]
    return stream[offsets], stream[offsets + 1]
