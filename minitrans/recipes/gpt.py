"""GPT pretraining: a token stream, random windows, next-token loss, the shared Trainer."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..checkpoint import load_checkpoint
from ..data.objectives import random_windows
from ..models import GPT, GPTConfig
from ..tokenizers import ByteLevelBPETokenizer, CharTokenizer, tokenizer_from_dict
from ..train import Trainer, TrainConfig
from .corpora import load_corpus_text


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


def pretrain_gpt(corpus="toyworld", tokenizer="char", preset="baby", iters=2000, batch_size=12,
                 vocab_size=None, val_fraction=0.1, out_dir=None, resume=False, progress=True,
                 train_config=None, **overrides):
    """Pretrain a GPT on a corpus ('toyworld', 'shakespeare' or a text file path).

    The defaults are the classic CPU baby-GPT recipe: character level, 4 layers,
    4 heads, 128 wide, block 64, batch 12, 2000 iterations, lr 1e-3 warmed up and
    cosine-decayed to 1e-4, no dropout, a 90/10 train/validation split.
    Returns (model, tokenizer, trainer); trainer.final_loss("val") is the last validation loss.
    """
    text = load_corpus_text(corpus)
    tok = build_tokenizer(tokenizer, text, vocab_size)
    ids = np.asarray(tok.encode(text), dtype=np.int64)
    split = int(len(ids) * (1 - val_fraction))
    streams = {"train": ids[:split], "val": ids[split:]}
    config = GPTConfig.preset(preset, **{"vocab_size": tok.vocab_size, **overrides})
    model = GPT(config)
    cfg = train_config or TrainConfig(iters=iters, out_dir=out_dir, progress=progress)

    def get_batch(which, rng):
        return random_windows(streams[which], config.block_size, batch_size, rng)

    trainer = Trainer(model, get_batch, lm_step, cfg, model_config=config, tokenizer=tok)
    t0 = time.perf_counter()
    trainer.run(resume=resume)
    trainer.wall_time = time.perf_counter() - t0
    return model, tok, trainer


def load_gpt(path):
    """A GPT and its tokenizer from a checkpoint written by pretrain_gpt."""
    return load_pretrained(path, GPT, GPTConfig)


def load_pretrained(path, model_class, config_class):
    """A model of model_class (in eval mode) and its tokenizer from a checkpoint written by a recipe."""
    ckpt = load_checkpoint(path)
    if ckpt.model_type != model_class.__name__:
        raise ValueError(f"checkpoint '{path}' holds a {ckpt.model_type}, expected a {model_class.__name__}")
    model = model_class(config_class.from_dict(ckpt.config))
    load_checkpoint(path, model)
    model.eval()
    return model, tokenizer_from_dict(ckpt.tokenizer)


def default_out_dir(family, corpus):
    """runs/<family>-<corpus name>, under the current directory."""
    return str(Path("runs") / f"{family}-{Path(str(corpus)).stem}")
