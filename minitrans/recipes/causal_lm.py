"""Pretraining any left-to-right language model (GPT, the LSTM LM; minitrans/models/causal_lm.py):
a token stream, random windows, next-token loss, the shared Trainer.

The whole recipe is pretrain_causal_lm; `minitrans pretrain gpt` and `minitrans pretrain lstm`
call it with their model class, and recipes/gpt.py and recipes/lstm.py give it a name per family.
"""
from __future__ import annotations

import numpy as np

from ..data.objectives import document_windows, random_windows
from ..tokenizers import ByteLevelBPETokenizer, CharTokenizer
from ..train import Trainer, TrainConfig
from .corpora import load_corpus_text
from .runs import encode_for_resume, resumed_tokenizer, run_and_plot

ITERS = 2000


def default_train_config(iters=ITERS, **changes):
    """The baby-GPT recipe's training settings, which are TrainConfig's own defaults: AdamW with lr 1e-3
    warmed up over 100 steps and cosine-decayed to 1e-4, betas (0.9, 0.99), weight decay 0.1, clipping
    at 1.0, an evaluation on 20 batches every 250 steps (and a checkpoint with it); `changes` replace any."""
    return TrainConfig(iters=iters, **changes)


def build_tokenizer(kind, text, vocab_size=None):
    """'char' (one id per character) or 'bpe' (byte-level BPE with `vocab_size` ids) trained on text."""
    if kind == "char":
        return CharTokenizer.train([text])
    if kind == "bpe":
        return ByteLevelBPETokenizer.train([text], vocab_size or 512, special_tokens=["<|endoftext|>"])
    raise ValueError(f"tokenizer must be 'char' or 'bpe', got {kind!r}")


def lm_step(model, batch, backward):
    """Next-token loss on one (x, y) batch; backward fills the grads when asked."""
    x, y = batch
    loss, dlogits, cache = model.loss(x, y)
    if backward:
        model.backward(dlogits, cache)
    return loss, {"tokens": float(x.size)}


def pretrain_causal_lm(model_class, config_class, *, corpus="toyworld", tokenizer="char", preset="baby",
                       iters=ITERS, batch_size=12, vocab_size=None, val_fraction=0.1, out_dir=None, resume=False,
                       progress=True, train_config=None, until=None, on_evaluate=None, **overrides):
    """Pretrain a left-to-right LM of model_class on a corpus ('toyworld', 'shakespeare' or a text file path).

    The model's config is config_class.preset(preset, **overrides) (a config with reverse=True
    reads the corpus right to left: ELMo's backward LM). The defaults are the classic CPU
    baby-GPT recipe: character level, the "baby" preset, batch 12, 2000 iterations, the training
    settings of default_train_config (replaced by a TrainConfig in train_config), a 90/10
    train/validation split. With an out_dir the run writes log.jsonl, loss.png and
    checkpoint.safetensors there; resume=True continues that run exactly, with the tokenizer
    stored in its checkpoint; until=N stops at step N of the schedule (Trainer.run).
    on_evaluate(trainer) is called after each periodic evaluation (see Trainer).
    Returns (model, tokenizer, trainer); trainer.final_loss("val") is the last validation loss.
    """
    cfg = train_config or default_train_config(iters, out_dir=out_dir, progress=progress)
    text = load_corpus_text(corpus)
    if resume:
        tok = resumed_tokenizer(cfg.out_dir, model_class)
        ids = encode_for_resume(tok, text, corpus)
    else:
        tok = build_tokenizer(tokenizer, text, vocab_size)
        ids = tok.encode(text)
    config = config_class.preset(preset, **{"vocab_size": tok.vocab_size, **overrides})
    ids = np.asarray(ids, dtype=np.int64)
    if getattr(config, "reverse", False):
        ids = ids[::-1].copy()
    streams = split_stream(ids, val_fraction, config.block_size)
    model = model_class(config)
    # the toy world is one document a line: windows start at a document (at its line break);
    # any other text is read from random places
    starts = {which: line_starts(stream, tok) for which, stream in streams.items()} if corpus == "toyworld" else None

    def get_batch(which, rng):
        if starts is None:
            return random_windows(streams[which], config.block_size, batch_size, rng)
        return document_windows(streams[which], starts[which], config.block_size, batch_size, rng)

    trainer = Trainer(model, get_batch, lm_step, cfg, model_config=config, tokenizer=tok, on_evaluate=on_evaluate)
    run_and_plot(trainer, resume, until)
    return model, tok, trainer


def line_starts(stream, tokenizer):
    """The positions of the stream's line-break tokens (where the documents of corpus_to_lines begin)."""
    newline = tokenizer.encode("\n")
    if len(newline) != 1:
        raise ValueError(f"the tokenizer must encode a line break as one token, got {newline}")
    return np.flatnonzero(stream == newline[0])


def split_stream(ids, val_fraction, block_size):
    """{"train": the first (1 - val_fraction) of the ids, "val": the rest}; ValueError, before any
    training, if either part is too short for one window of block_size + 1 tokens."""
    split = int(len(ids) * (1 - val_fraction))
    streams = {"train": ids[:split], "val": ids[split:]}
    for name, stream in streams.items():
        if len(stream) <= block_size:
            raise ValueError(f"the {name} split of the corpus has {len(stream)} tokens, but one window of "
                             f"block_size {block_size} needs {block_size + 1}: use a longer corpus or a "
                             f"smaller block size")
    return streams
