"""Finetuning on the toy-world tasks, shared by GPT and BERT: batches, the Trainer, task metrics."""
import numpy as np

from ..data import load_task
from ..eval.metrics import accuracy, binary_f1, matthews_corrcoef, pearson, spearman
from ..train import Trainer, TrainConfig
from .runs import run_and_plot

SCORES = {   # which metrics each task reports, as in GLUE
    "sentiment": ("accuracy",),
    "acceptability": ("accuracy", "mcc"),
    "paraphrase": ("accuracy", "f1"),
    "entailment": ("accuracy",),
    "similarity": ("pearson", "spearman"),
    "multiple_choice": ("accuracy",),
    "ner": ("f1", "precision", "recall"),   # entity level, computed by the BERT recipe's own evaluate
    "qa": ("exact_match", "f1"),            # on the answer text, likewise
}
METRICS = {"accuracy": accuracy, "mcc": matthews_corrcoef, "f1": binary_f1, "pearson": pearson, "spearman": spearman}


def label_of(task, example):
    """The target of one example: a class id, a similarity score, or the right choice."""
    return float(example["score"]) if task == "similarity" else int(example["label"])


def score(task, predictions, labels):
    """{metric: value} for the task's metrics (see SCORES)."""
    return {name: float(METRICS[name](np.asarray(predictions), np.asarray(labels))) for name in SCORES[task]}


def load_splits(task, n_train=None, n_eval=None, sample_seed=None):
    """(train, dev, test) example lists of a toy-world task; n_train keeps the first n training examples
    (or, with sample_seed, a random sample_balanced of n of them), n_eval the first n dev and test examples."""
    if task not in SCORES:
        raise ValueError(f"task must be one of {sorted(SCORES)}, got {task!r}")
    train = load_task(task, "train")
    if n_train is not None:
        if n_train < 1 or n_train > len(train):
            raise ValueError(f"n_train must be in [1, {len(train)}], got {n_train}")
        train = train[:n_train] if sample_seed is None else sample_balanced(train, n_train, sample_seed)
    dev, test = load_task(task, "dev"), load_task(task, "test")
    if n_eval is not None:
        if n_eval < 1:
            raise ValueError(f"n_eval must be at least 1, got {n_eval}")
        dev, test = dev[:n_eval], test[:n_eval]
    return train, dev, test


def sample_balanced(examples, n, seed):
    """n examples drawn at random (seeded), each label as often as the others to within one, in their file
    order: a small labelled set that is a fair draw, not whatever happens to open the file."""
    rng = np.random.default_rng(seed)
    by_label = {}
    for i, example in enumerate(examples):
        by_label.setdefault(example["label"], []).append(i)
    pools = [rng.permutation(indices) for _, indices in sorted(by_label.items())]
    if n > len(pools) * min(len(pool) for pool in pools):
        raise ValueError(f"a balanced sample of {n} needs at least {-(-n // len(pools))} examples of each label, "
                         f"got {[len(pool) for pool in pools]}")
    picks = [pools[j % len(pools)][j // len(pools)] for j in range(n)]
    return [examples[i] for i in sorted(picks)]


def predict_all(head, make_batch, examples, batch_size=64):
    """The head's predictions on every example, in batches of `batch_size`."""
    out = [head.predict(make_batch(examples[i:i + batch_size])) for i in range(0, len(examples), batch_size)]
    return np.concatenate(out)


def finetune(head, make_batch, task, train, dev, test=None, epochs=3, batch_size=16, lr=1e-4, seed=0,
             progress=True, out_dir=None, warmup_fraction=0.1, evaluate=None, evals=4):
    """Train `head` on the examples (AdamW, linear warmup then cosine decay), then score it.

    head.loss(batch, backward) -> (loss, metrics); head.predict(batch) -> predictions.
    make_batch(examples) -> a batch for the head.
    evaluate(head, examples) -> {metric: value}; by default the head's predictions against
    label_of(task, example), scored by score(task, ...).
    evals: how many times the dev loss is measured during training, for the loss curve (0: never).
    Returns (scores, trainer) where scores = {"dev": {...}, "test": {...}}.
    """
    iters = max(1, epochs * int(np.ceil(len(train) / batch_size)))
    splits = {"train": train, "val": dev}

    def get_batch(split, rng):
        examples = splits[split]
        picks = rng.choice(len(examples), size=min(batch_size, len(examples)), replace=False)
        return make_batch([examples[i] for i in picks])

    def step(model, batch, backward):
        loss, metrics = model.loss(batch, backward=backward)
        return loss, {k: v for k, v in metrics.items() if k != "loss"}

    cfg = TrainConfig(iters=iters, lr=lr, min_lr=lr / 10, warmup=int(warmup_fraction * iters), weight_decay=0.01,
                      eval_interval=max(1, iters // evals) if evals else 0, eval_iters=5, seed=seed, progress=progress,
                      out_dir=out_dir)
    trainer = run_and_plot(Trainer(head, get_batch, step, cfg))
    if evaluate is None:
        def evaluate(head, examples):
            return score(task, predict_all(head, make_batch, examples), [label_of(task, e) for e in examples])
    scores = {name: evaluate(head, examples) for name, examples in (("dev", dev), ("test", test)) if examples}
    return scores, trainer

