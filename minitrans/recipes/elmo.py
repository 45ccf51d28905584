"""ELMo on the toy-world tasks: a frozen pretrained biLM (two LSTM LMs), its layers mixed per task,
a linear head on the features averaged over the tokens (models/elmo.py)."""
import functools

import numpy as np

from ..data.batching import pad_batch
from ..models.elmo import ELMoForClassification
from .finetune import finetune, label_of, load_splits
from .lstm import load_lstm

ELMO_KIND = {"sentiment": "single", "acceptability": "single", "paraphrase": "pair", "entailment": "pair",
             "similarity": "pair"}


def elmo_batcher(task, tok):
    """make_batch(examples) for a task: ids (B, T), or (B, 2, T) for the two texts of a pair, right padded."""
    kind = ELMO_KIND[task]
    enc = functools.lru_cache(maxsize=None)(tok.encode)    # each text is encoded once, not once per epoch

    def batch(examples):
        if kind == "single":
            texts = [enc(e["text"]) for e in examples]
        else:
            a, b = [k for k in examples[0] if k not in ("label", "score")]
            texts = [enc(t) for e in examples for t in (e[a], e[b])]
        ids, mask = pad_batch(texts, pad_id=0)
        shape = (len(examples), -1, ids.shape[1]) if kind == "pair" else ids.shape
        return {"ids": ids.reshape(shape), "attention_mask": mask.reshape(shape),
                "labels": np.asarray([label_of(task, e) for e in examples])}

    return batch


def finetune_elmo(task, forward_checkpoint, backward_checkpoint, n_train=None, epochs=3, batch_size=16, lr=3e-3,
                  seed=0, progress=True, out_dir=None, n_eval=None, evals=4):
    """Train ELMo's scalar mix and a task head on a frozen biLM (the two checkpoints of pretrain_lstm,
    the second with reverse=True) on a toy-world task (n_train, n_eval, evals as for finetune_gpt).
    Returns (scores, head) as finetune_gpt does."""
    if task not in ELMO_KIND:
        raise ValueError(f"ELMo finetuning supports {sorted(ELMO_KIND)}, got {task!r}")
    train, dev, test = load_splits(task, n_train, n_eval)
    forward_lm, tok = load_lstm(forward_checkpoint)
    backward_lm, backward_tok = load_lstm(backward_checkpoint)
    if backward_tok.to_dict() != tok.to_dict():
        raise ValueError(f"the two LMs of a biLM need the same tokenizer; '{forward_checkpoint}' and "
                         f"'{backward_checkpoint}' have different ones")
    num_labels = 1 if task == "similarity" else 1 + max(e["label"] for e in train)
    head = ELMoForClassification(forward_lm, backward_lm, num_labels, ELMO_KIND[task], seed=seed)
    scores, _ = finetune(head, elmo_batcher(task, tok), task, train, dev, test, epochs=epochs, batch_size=batch_size,
                         lr=lr, seed=seed, progress=progress, out_dir=out_dir, evals=evals)
    return scores, head
