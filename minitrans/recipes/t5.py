"""T5 recipes: span-corruption pretraining, text-to-text multitask training and single-task finetuning.

    corpus --WordPiece (+ </s> and 100 sentinels)--> token stream
      --span_corruption_batch--> inputs with sentinels, targets = sentinel + span ... </s>
    toy-world tasks --to_text--> "sentiment: ..." -> "positive" --encode + </s>--> (inputs, labels)
    batches mix the tasks (and, in the joint regime, span corruption) by mixing_rates
      --T5.loss--> cross-entropy --backward--> the shared Trainer (AdamW, checkpoints, exact resume, plots)
    answers: greedy or beam search --parse_answer--> labels --score_task--> accuracy, F1, Pearson, exact match

The lecture's three regimes: pretrain_t5 then multitask_t5(checkpoint=...); multitask_t5(joint=True)
from random weights (span corruption mixed into the batches from the start); multitask_t5 from random
weights. One task in the same form is multitask_t5(tasks=["sentiment"]).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import load_task, pad_batch, span_corrupt, span_corruption_batch, tokens_length_for_inputs
from ..data.mixing import draw_tasks, mixing_rates
from ..data.text_to_text import (CLASS_TASKS, TEXT_TASKS, gold_label, parse_answer, score_task, task_from_prefix,
                                 to_text)
from ..generate_t5 import beam_search, greedy_decode
from ..models import T5, T5Config
from ..tokenizers import WordPieceTokenizer
from ..train import Trainer, TrainConfig
from .corpora import load_corpus_text
from .finetune import score
from .runs import CHECKPOINT_NAME, encode_for_resume, load_pretrained, resumed_tokenizer, run_and_plot

N_SENTINELS = 100
SPAN_CORRUPTION = "span_corruption"


def build_t5_tokenizer(corpus, vocab_size=1000):
    """WordPiece trained on the corpus (for the toy world, with the task texts too: prefixes and answer
    words become pieces), with [PAD] (also the decoder's start token), </s> as eos and the sentinels
    <extra_id_0> ... <extra_id_99>."""
    texts = [load_corpus_text(corpus)]
    if corpus == "toyworld":
        texts += [" ".join(to_text(task, e)) for task in TEXT_TASKS for e in load_task(task, "train")[:500]]
    tok = WordPieceTokenizer.train(texts, vocab_size)
    tok.add_special_tokens({"eos": "</s>"})
    tok.add_sentinels(N_SENTINELS)
    return tok


def encode_pair(tok, source, target, max_input_length, max_target_length):
    """(input ids, label ids), each ending in eos; the source is cut to fit, a target that does not fit is an error."""
    x = tok.encode(source)[:max_input_length - 1] + [tok.eos_id]
    y = tok.encode(target) + [tok.eos_id]
    if len(y) > max_target_length:
        raise ValueError(f"target {target[:40]!r} has {len(y)} tokens, more than max_target_length={max_target_length}")
    return x, y


def collate(pairs, pad_id):
    """[(input ids, label ids)] -> batch dict with input_ids, attention_mask and labels (-100 on padding)."""
    input_ids, attention_mask = pad_batch([np.asarray(x) for x, _ in pairs], pad_id)
    labels, label_mask = pad_batch([np.asarray(y) for _, y in pairs], pad_id)
    labels[~label_mask] = -100
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def t5_step(model, batch, backward):
    """Cross-entropy on one batch; backward fills the grads when asked."""
    loss, dlogits, cache = model.loss(batch["input_ids"], batch["labels"], batch.get("attention_mask"))
    if backward:
        model.backward(dlogits, cache)
    return loss, {"tokens": float(batch["input_ids"].size + (batch["labels"] != -100).sum())}


class SpanCorruptionSource:
    """Span-corruption examples from a token stream: windows that corrupt to inputs of `inputs_length`."""

    def __init__(self, stream, tok, inputs_length):
        self.stream, self.tok = stream, tok
        self.sentinels = [tok.sentinel_id(i) for i in range(N_SENTINELS)]
        self.window, _ = tokens_length_for_inputs(inputs_length)
        self.inputs_length = inputs_length

    def __len__(self):
        return max(1, len(self.stream) // self.window)         # the windows of the corpus, for mixing

    def batch(self, rng, n):
        """n random windows corrupted -> batch dict (every row one shape, no padding)."""
        x, y = span_corruption_batch(self.stream, rng, n, self.inputs_length, self.sentinels, self.tok.eos_id)
        return {"input_ids": x, "attention_mask": np.ones(x.shape, dtype=bool), "labels": y}

    def example(self, rng):
        """One random window corrupted -> (input ids, label ids), for mixing into task batches."""
        start = int(rng.integers(0, len(self.stream) - self.window + 1))
        x, y = span_corrupt(self.stream[start:start + self.window], rng, self.sentinels, self.tok.eos_id)
        return x.tolist(), y.tolist()


def corpus_stream(tok, corpus, resume=False, val_fraction=0.1):
    """The corpus as one token stream, split 90/10 into train and val (resume: with a resumed run's tokenizer)."""
    text = load_corpus_text(corpus)
    ids = np.asarray(encode_for_resume(tok, text, corpus) if resume else tok.encode(text), dtype=np.int64)
    split = int(len(ids) * (1 - val_fraction))
    return {"train": ids[:split], "val": ids[split:]}


def make_config(tok, preset, **overrides):
    """The preset's T5Config with the tokenizer's vocabulary size, pad id and eos id."""
    return T5Config.preset(preset, **{"vocab_size": tok.vocab_size, "pad_id": tok.pad_id, "eos_id": tok.eos_id,
                                      **overrides})


def default_train_config(iters=2000, **changes):
    """The T5 recipes' training settings: AdamW with lr 3e-3 warmed up over 100 steps and cosine-decayed
    to 3e-4, weight decay 0.01, clipping at 1.0, an evaluation on 20 batches every 250 steps; `changes`
    replace any."""
    return TrainConfig(**{"iters": iters, "lr": 3e-3, "min_lr": 3e-4, "weight_decay": 0.01, **changes})


def pretrain_t5(corpus="toyworld", preset="mini", iters=2000, batch_size=32, inputs_length=64, vocab_size=1000,
                out_dir=None, resume=False, progress=True, train_config=None, **overrides):
    """Span-corruption pretraining (noise density 0.15, mean span 3) on a corpus.

    Returns (model, tokenizer, trainer); trainer.final_loss("val") is the last validation loss."""
    cfg = train_config or default_train_config(iters, out_dir=out_dir, progress=progress)
    tok = resumed_tokenizer(cfg.out_dir, T5) if resume else build_t5_tokenizer(corpus, vocab_size)
    sources = {split: SpanCorruptionSource(s, tok, inputs_length)
               for split, s in corpus_stream(tok, corpus, resume).items()}
    config = make_config(tok, preset, **overrides)
    model = T5(config)
    trainer = Trainer(model, lambda split, rng: sources[split].batch(rng, batch_size), t5_step, cfg,
                      model_config=config, tokenizer=tok)
    return model, tok, run_and_plot(trainer, resume)


def load_t5(path):
    """A T5 and its tokenizer from a checkpoint written by pretrain_t5 or multitask_t5."""
    return load_pretrained(path, T5, T5Config)


class TaskMixture:
    """Batches that mix text-to-text tasks (and span corruption when joint) at the given rates."""

    def __init__(self, tok, config, tasks, n_train=None, mixing="proportional", limit=None, temperature=1.0,
                 span_source=None):
        self.tok, self.config = tok, config
        self.examples = {}
        for task in tasks:
            train = load_task(task, "train")[:n_train]
            self.examples[task] = {"train": train, "val": load_task(task, "dev")}
        sizes = {task: len(split["train"]) for task, split in self.examples.items()}
        self.span_source = span_source
        if span_source is not None:
            sizes[SPAN_CORRUPTION] = len(span_source["train"])
        self.rates = mixing_rates(sizes, mixing, limit, temperature)

    def batch(self, split, rng, batch_size):
        pairs = []
        for task in draw_tasks(self.rates, batch_size, rng):
            if task == SPAN_CORRUPTION:
                pairs.append(self.span_source[split].example(rng))
                continue
            examples = self.examples[task][split]
            source, target = to_text(task, examples[int(rng.integers(len(examples)))])
            pairs.append(encode_pair(self.tok, source, target, self.config.max_input_length,
                                     self.config.max_target_length))
        return collate(pairs, self.tok.pad_id)


def multitask_t5(tasks=TEXT_TASKS, checkpoint=None, preset="mini", iters=3000, batch_size=32, mixing="proportional",
                 limit=None, temperature=1.0, joint=False, corpus="toyworld", n_train=None, n_eval=200, beam_size=None,
                 lr=1e-3, seed=0, out_dir=None, resume=False, progress=True, vocab_size=1000, **overrides):
    """Text-to-text training on several toy-world tasks at once (one task: single-task finetuning).

    checkpoint: start from a pretrained T5 (its tokenizer too); None: random weights.
    joint: mix span corruption on the corpus into the batches (its share set by the mixing).
    Returns (scores, model, tokenizer, trainer): scores[task] = the task's test metrics on n_eval
    examples, with greedy decoding (beam_size=None) or beam search."""
    tasks = list(tasks)
    for task in tasks:
        if task not in TEXT_TASKS:
            raise ValueError(f"unknown text-to-text task {task!r}; choose from {list(TEXT_TASKS)}")
    if resume:                    # the run's own checkpoint: its config and tokenizer (the Trainer restores the rest)
        model, tok = load_t5(Path(str(out_dir)) / CHECKPOINT_NAME)
        config = model.config
    elif checkpoint is not None:
        model, tok = load_t5(checkpoint)
        config = model.config
    else:
        tok = build_t5_tokenizer(corpus, vocab_size)
        config = make_config(tok, preset, seed=seed, **overrides)
        model = T5(config)
    span_source = None
    if joint:
        span_source = {split: SpanCorruptionSource(s, tok, 64)
                       for split, s in corpus_stream(tok, corpus, resume).items()}
    mixture = TaskMixture(tok, config, tasks, n_train, mixing, limit, temperature, span_source)
    cfg = default_train_config(iters, lr=lr, min_lr=lr / 10, warmup=min(100, iters // 10),
                               eval_interval=max(1, iters // 5), eval_iters=5, seed=seed, out_dir=out_dir,
                               progress=progress)
    trainer = Trainer(model, lambda split, rng: mixture.batch(split, rng, batch_size), t5_step, cfg,
                      model_config=config, tokenizer=tok)
    run_and_plot(trainer, resume)
    trainer.rates = mixture.rates
    scores = {task: evaluate_task(model, tok, task, load_task(task, "test")[:n_eval], beam_size) for task in tasks}
    return scores, model, tok, trainer


def answer(model, tok, sources, beam_size=None, max_new_tokens=None, batch_size=64):
    """Answer texts for source texts (each must start with a known task prefix)."""
    for source in sources:
        task_from_prefix(source)
    model.eval()
    c = model.config
    max_new_tokens = max_new_tokens or min(48, c.max_target_length)
    encoded = [tok.encode(s)[:c.max_input_length - 1] + [tok.eos_id] for s in sources]
    outputs = []
    for i in range(0, len(encoded), batch_size):
        if beam_size:
            outputs += [beam_search(model, np.asarray(x), beam_size=beam_size, max_new_tokens=max_new_tokens)[0]
                        for x in encoded[i:i + batch_size]]
        else:
            x, mask = pad_batch([np.asarray(x) for x in encoded[i:i + batch_size]], tok.pad_id)
            outputs += greedy_decode(model, x, mask, max_new_tokens=max_new_tokens)
    special = set(tok.special_ids)
    return [tok.decode([t for t in ids if t not in special]) for ids in outputs]


def same_text(answer_text, target):
    """Whether an answer is the target text, ignoring case and spaces (a decoder writes '3 . 4' for '3.4')."""
    return "".join(answer_text.lower().split()) == "".join(target.lower().split())


def evaluate_task(model, tok, task, examples, beam_size=None):
    """The task's metrics on examples, the count of unparsed answers, and exact_match: the share of
    answers equal to the target text (same_text; for qa, SQuAD's normalized exact match).

    The classification tasks report the metrics finetuning reports (finetune.SCORES: MCC for
    acceptability, F1 for paraphrase); accuracy counts an unparsed answer as wrong, MCC and F1 take
    it as label 0 (a model that writes nothing parsable scores 0, not the -1 of always answering
    the wrong label)."""
    pairs = [to_text(task, e) for e in examples]
    answers = answer(model, tok, [s for s, _ in pairs], beam_size)
    result = score_task(task, answers, examples)
    if task in CLASS_TASKS:
        parsed = [parse_answer(task, a, e) for a, e in zip(answers, examples)]
        gold = [gold_label(task, e) for e in examples]
        finetune_scores = score(task, [0 if p is None else p for p in parsed], gold)
        result = {**finetune_scores, **result}          # score_task's accuracy, with unparsed answers wrong
    result.setdefault("exact_match", float(np.mean([same_text(a, t) for a, (_, t) in zip(answers, pairs)])))
    return result
