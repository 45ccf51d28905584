"""GPT finetuning on the toy-world tasks with the GPT paper's input transformations and aux LM loss.

finetune_lm is the recipe for any left-to-right LM body (the LSTM LM's recipe uses it too)."""
import functools

from ..models import GPT, GPTConfig, LMForClassification, resize_token_embeddings
from ..data.gpt_inputs import make_batch
from .corpora import toyworld_tokenizer
from .finetune import finetune, label_of, load_splits
from .causal_lm import build_tokenizer
from .runs import load_pretrained

KIND = {"sentiment": "single", "acceptability": "single", "paraphrase": "pair", "entailment": "pair",
        "similarity": "similarity", "multiple_choice": "choice"}
SPECIALS = ["<|start|>", "<|delim|>", "<|extract|>"]


def train_bpe(text, vocab_size):
    """The byte-level BPE tokenizer the GPT recipe trains on `text`."""
    return build_tokenizer("bpe", text, vocab_size)


def prepare_gpt(checkpoint=None, preset="baby", vocab_size=600, seed=0):
    """A pretrained GPT and tokenizer from `checkpoint`, or (None) a fresh GPT with a BPE
    tokenizer trained on the toy world: the same model with no pretraining."""
    return prepare_lm(GPT, GPTConfig, checkpoint=checkpoint, preset=preset, vocab_size=vocab_size, seed=seed)


def prepare_lm(model_class, config_class, *, checkpoint=None, preset="baby", vocab_size=600, seed=0):
    """prepare_gpt for any left-to-right LM class written by the recipes (GPT, LSTMLM)."""
    if checkpoint is not None:
        return load_pretrained(checkpoint, model_class, config_class)
    tok = toyworld_tokenizer(train_bpe, vocab_size)
    return model_class(config_class.preset(preset, vocab_size=tok.vocab_size, seed=seed)), tok


def gpt_batcher(task, tok):
    """make_batch(examples) for a task: the tokenizer's ids in the task's input transformation."""
    kind = KIND[task]
    start, delim, extract = (tok.token_to_id(s) for s in SPECIALS)
    enc = functools.lru_cache(maxsize=None)(tok.encode)    # each text is encoded once, not once per epoch

    def batch(examples):
        if kind == "single":
            inputs = [enc(e["text"]) for e in examples]
        elif kind == "choice":
            inputs = [(enc(e["context"]), [enc(" " + c) for c in e["choices"]]) for e in examples]
        else:
            a, b = [k for k in examples[0] if k not in ("label", "score")]
            inputs = [(enc(e[a]), enc(" " + e[b])) for e in examples]
        labels = [label_of(task, e) for e in examples]
        return make_batch(kind, inputs, labels, start, extract, delim, pad_id=extract)

    return batch


def check_task(task):
    """ValueError unless a language model can be finetuned on the task."""
    if task not in KIND:
        raise ValueError(f"finetuning a language model supports {sorted(KIND)}, got {task!r}")


def finetune_gpt(task="sentiment", checkpoint=None, lm_weight=0.5, n_train=None, epochs=3, batch_size=16,
                 lr=5e-4, freeze_body=False, seed=0, progress=True, out_dir=None, n_eval=None, evals=4):
    """Finetune a GPT (pretrained from `checkpoint`, or from scratch when None) on a toy-world task;
    n_train: the first n training examples; n_eval: score on the first n dev and test examples;
    evals: dev-loss measurements during training (0: none).

    Returns (scores, head): scores = {"dev": {...}, "test": {...}} with the task's metrics.
    """
    check_task(task)                       # before the tokenizer is trained
    gpt, tok = prepare_gpt(checkpoint, seed=seed)
    return finetune_lm(gpt, tok, task=task, lm_weight=lm_weight, n_train=n_train, epochs=epochs,
                       batch_size=batch_size, lr=lr, freeze_body=freeze_body, seed=seed, progress=progress,
                       out_dir=out_dir, n_eval=n_eval, evals=evals)


def finetune_lm(model, tok, task="sentiment", lm_weight=0.5, n_train=None, epochs=3, batch_size=16, lr=5e-4,
                freeze_body=False, seed=0, progress=True, out_dir=None, n_eval=None, evals=4, sample_seed=None):
    """Finetune a left-to-right LM (GPT, LSTMLM) and its tokenizer on a toy-world task: the special
    tokens added, the task's input transformation, LMForClassification with the aux LM loss.
    sample_seed: train on a label-balanced random sample of n_train examples drawn with this seed
    (recipes.finetune.sample_balanced) instead of the first n_train.

    Returns (scores, head): scores = {"dev": {...}, "test": {...}} with the task's metrics.
    """
    check_task(task)
    train, dev, test = load_splits(task, n_train, n_eval, sample_seed)
    if SPECIALS[0] not in tok:
        tok.add_special_tokens(SPECIALS)
    resize_token_embeddings(model, tok.vocab_size, seed=seed)
    num_labels = 1 if task == "similarity" else (len(train[0]["choices"]) if task == "multiple_choice" else
                                                 1 + max(e["label"] for e in train))
    head = LMForClassification(model, num_labels, KIND[task], lm_weight=lm_weight, freeze_body=freeze_body,
                               seed=seed)
    scores, _ = finetune(head, gpt_batcher(task, tok), task, train, dev, test, epochs=epochs, batch_size=batch_size,
                         lr=lr, seed=seed, progress=progress, out_dir=out_dir, evals=evals)
    return scores, head
