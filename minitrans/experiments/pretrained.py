"""The pretrained models the studies start from, trained once per output root and reused.

pretrained_checkpoint("gpt", root) pretrains with the family's standard recipe the first time
and returns the same checkpoint path afterwards, so that the studies that finetune from a
pretrained model (and the several seeds of one study) do not pretrain again. A variant
(VARIANTS: "mask-only", "no-nsp", ...) and a seed other than 0 are separate checkpoints.
"""
from pathlib import Path

from ..checkpoint import load_checkpoint
from ..recipes.runs import CHECKPOINT_NAME


QUICK_ITERS = 20   # the quick size: a check that the pipeline runs, in seconds; one evaluation on 2 batches
QUICK = {"eval_iters": 2, "eval_interval": QUICK_ITERS}


GPT_ITERS = 600


def _gpt(out, progress, seed, quick, resume, iters=GPT_ITERS, **options):
    from ..recipes.gpt import default_train_config, pretrain_gpt
    iters = QUICK_ITERS if quick else iters
    cfg = default_train_config(iters, out_dir=out, progress=progress, seed=seed, **(QUICK if quick else {}))
    settings = {"preset": "baby", "batch_size": 16, "vocab_size": 600, "block_size": 64, **options}
    pretrain_gpt("toyworld", "bpe", train_config=cfg, seed=seed, resume=resume, **settings)


def _lstm(out, progress, seed, quick, resume, iters=GPT_ITERS, **options):
    from ..recipes.gpt import default_train_config
    from ..recipes.lstm import pretrain_lstm
    iters = 5 if quick else iters
    cfg = default_train_config(iters, out_dir=out, progress=progress, seed=seed, **(QUICK if quick else {}))
    settings = {"batch_size": 16, "vocab_size": 600, "block_size": 64, **options}
    pretrain_lstm("toyworld", "bpe", "baby", train_config=cfg, seed=seed, resume=resume, **settings)


def _lstm_backward(out, progress, seed, quick, resume, **options):
    _lstm(out, progress, seed, quick, resume, reverse=True, **options)


def _bert(out, progress, seed, quick, resume, iters=None, **options):
    from ..recipes.bert import ITERS, default_train_config, pretrain_bert
    iters = QUICK_ITERS if quick else iters or ITERS
    cfg = default_train_config(iters, out_dir=out, progress=progress, seed=seed, **(QUICK if quick else {}))
    pretrain_bert("toyworld", train_config=cfg, seed=seed, resume=resume,
                  **{**({"passes": 1} if quick else {}), **options})


# the LSTM LMs (ELMo's biLM halves) get GPT's recipe and tokenizer
RECIPES = {"gpt": _gpt, "bert": _bert, "lstm": _lstm, "lstm-backward": _lstm_backward}
VARIANTS = {   # family: {variant name: options of the recipe function (pretrain_gpt / pretrain_bert), and iters}
    "gpt": {}, "lstm": {}, "lstm-backward": {},
    "bert": {"mask-only": {"mask_only": True}, "no-nsp": {"nsp": False},
             # the GPT's size (4 layers x 128, 4 heads, FF 512) and compute: its steps, and about its 16 x 64
             # tokens a step (the toy world's sentence pairs average 40 WordPiece tokens; 25 x 40 = 1000)
             "gpt-size": {"preset": "mini", "batch_size": 25, "iters": GPT_ITERS}},
}


def pretrained_checkpoint(family, root, quick=False, progress=True, seed=0, variant=None):
    """The checkpoint path of `family` (gpt, bert, lstm, lstm-backward) pretrained on the toy world under
    root/pretrained/: made by the family's recipe the first time (the quick size when quick), reused afterwards; a run
    that was stopped before its last step (its checkpoint is written at every evaluation) is resumed.
    variant: a name of VARIANTS[family] (other recipe options, e.g. BERT without NSP); seed: the
    model's initialisation and the order of its data."""
    if family not in RECIPES:
        raise ValueError(f"family must be one of {sorted(RECIPES)}, got {family!r}")
    if variant is not None and variant not in VARIANTS[family]:
        raise ValueError(f"variant of {family} must be one of {sorted(VARIANTS[family])} or None, got {variant!r}")
    name = family + (f"-{variant}" if variant else "") + (f"-seed{seed}" if seed else "") + ("-quick" if quick else "")
    out = Path(root) / "pretrained" / name
    path = out / CHECKPOINT_NAME
    if not path.exists() or not finished(path):
        RECIPES[family](str(out), progress, seed, quick, path.exists(), **VARIANTS[family].get(variant, {}))
    return str(path)


def finished(path):
    """Whether the training run that wrote the checkpoint at `path` reached its last step."""
    ckpt = load_checkpoint(path)
    return ckpt.step >= ckpt.extra["train_config"]["iters"]
