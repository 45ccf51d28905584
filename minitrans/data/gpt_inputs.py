"""GPT's input transformations (the GPT paper, section 3.3): every task as token sequences.

    single       [start] text [extract]
    pair         [start] a [delim] b [extract]
    similarity   both orders of a pair, their final states added by the model
    choice       [start] context [delim] choice_i [extract], one sequence per choice

make_batch turns a batch of task examples into the dict GPTForClassification reads.
"""
import numpy as np

from ..models.gpt_heads import KINDS
from .batching import pad_batch


def single_input(text, start_id, extract_id):
    """[start] text [extract] as a list of ids."""
    return [start_id, *text, extract_id]


def pair_input(a, b, start_id, delim_id, extract_id):
    """[start] a [delim] b [extract]."""
    return [start_id, *a, delim_id, *b, extract_id]


def similarity_inputs(a, b, start_id, delim_id, extract_id):
    """Both orders: [[start] a [delim] b [extract], [start] b [delim] a [extract]]."""
    return [pair_input(a, b, start_id, delim_id, extract_id), pair_input(b, a, start_id, delim_id, extract_id)]


def choice_inputs(context, choices, start_id, delim_id, extract_id):
    """One sequence per choice: [start] context [delim] choice_i [extract]."""
    return [pair_input(context, c, start_id, delim_id, extract_id) for c in choices]


def make_batch(kind, inputs, labels, start_id, extract_id, delim_id=None, pad_id=0):
    """Token sequences of a batch of task examples -> {"ids", "attention_mask", "labels"}.

    inputs: single: list of id lists; pair and similarity: list of (a, b);
    choice: list of (context, [choice_1, ..., choice_n]) with the same n for all.
    labels: class ids (ints), regression targets (floats) or the index of the right choice.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if len(inputs) == 0 or len(inputs) != len(labels):
        raise ValueError(f"need as many labels as inputs (at least one), got {len(inputs)} inputs "
                         f"and {len(labels)} labels")
    if kind != "single" and delim_id is None:
        raise ValueError(f"kind {kind!r} needs a delim_id")
    if kind == "single":
        groups = [[single_input(x, start_id, extract_id)] for x in inputs]
    elif kind == "pair":
        groups = [[pair_input(a, b, start_id, delim_id, extract_id)] for a, b in inputs]
    elif kind == "similarity":
        groups = [similarity_inputs(a, b, start_id, delim_id, extract_id) for a, b in inputs]
    else:
        groups = [choice_inputs(c, choices, start_id, delim_id, extract_id) for c, choices in inputs]
        if len({len(g) for g in groups}) != 1:
            raise ValueError(f"every example needs the same number of choices, got {sorted({len(g) for g in groups})}")
    ids, attention_mask = pad_batch([s for g in groups for s in g], pad_id)
    if kind in ("single", "pair"):
        shape = (len(groups), ids.shape[1])
    else:
        shape = (len(groups), len(groups[0]), ids.shape[1])
    return {"ids": ids.reshape(shape), "attention_mask": attention_mask.reshape(shape), "labels": np.asarray(labels)}
