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


# One pretraining budget for every family: STEPS steps of about 1,000 input tokens each (GPT and LSTM:
# 16 windows of 64 BPE tokens; BERT: 25 sentence pairs of about 40 WordPiece tokens). The learning
# rates are each family's best validation loss at 1,000 steps among 1e-3 to 6e-3 (GPT: 3e-3), 3e-3 to
# 4e-2 (LSTM: 2e-2) and 5e-4 to 3e-3 (BERT of GPT's size: 1e-3); docs/results.md has the sweep.
STEPS = 2000
LEARNING_RATES = {"gpt": 3e-3, "lstm": 2e-2, "bert-gpt-size": 1e-3}
# The finetuning learning rate of each family, the same in every study and every row of the family (from
# random weights too): the best five-task dev average (seed 0, 300 examples, 10 epochs) over a grid around
# the family's pretraining rate (GPT 5e-4 to 4e-3, LSTM 5e-4 to 2e-2, BERT 2.5e-4 to 2e-3); docs/results.md
# has the sweep.
FINETUNING_LEARNING_RATES = {"gpt": 2e-3, "lstm": 1e-2, "bert": 1e-3}


def causal_lm_train_config(family, out, progress, seed, quick, iters=STEPS, **changes):
    """The TrainConfig of the GPT and LSTM pretraining: lr LEARNING_RATES[family], cosine-decayed to a
    tenth, the rest the baby-GPT recipe's (recipes.causal_lm.default_train_config); `changes` replace any."""
    from ..recipes.causal_lm import default_train_config
    lr = LEARNING_RATES[family]
    settings = {"lr": lr, "min_lr": lr / 10, "eval_interval": 500, "eval_iters": 10, **(QUICK if quick else {}),
                **changes}
    return default_train_config(QUICK_ITERS if quick else iters, out_dir=out, progress=progress, seed=seed,
                                **settings)


def pretrain_gpt_recipe(out, progress=True, seed=0, quick=False, resume=False, on_evaluate=None, eval_interval=None,
                        **options):
    """Pretrain the baby GPT of the studies (BPE 600, block 64, batch 16, STEPS steps at lr 3e-3) into
    folder `out` -> (model, tokenizer, trainer); on_evaluate(trainer) runs at each evaluation, every
    eval_interval steps (default 500)."""
    from ..recipes.gpt import pretrain_gpt
    cfg = causal_lm_train_config("gpt", out, progress, seed, quick,
                                 **({"eval_interval": eval_interval} if eval_interval else {}))
    settings = {"preset": "baby", "batch_size": 16, "vocab_size": 600, "block_size": 64, **options}
    return pretrain_gpt(corpus="toyworld", tokenizer="bpe", train_config=cfg, seed=seed, resume=resume, on_evaluate=on_evaluate,
                        **settings)


def _lstm(out, progress, seed, quick, resume, **options):
    from ..recipes.lstm import pretrain_lstm
    cfg = causal_lm_train_config("lstm", out, progress, seed, quick)
    settings = {"batch_size": 16, "vocab_size": 600, "block_size": 64, **options}
    return pretrain_lstm(corpus="toyworld", tokenizer="bpe", preset="baby", train_config=cfg, seed=seed, resume=resume, **settings)


def _lstm_backward(out, progress, seed, quick, resume, **options):
    return _lstm(out, progress, seed, quick, resume, reverse=True, **options)


def _bert(out, progress, seed, quick, resume, iters=None, lr=None, **options):
    from ..recipes.bert import ITERS, default_train_config, pretrain_bert
    iters = QUICK_ITERS if quick else iters or ITERS
    changes = {"lr": lr, "min_lr": lr / 10} if lr else {}
    cfg = default_train_config(iters, out_dir=out, progress=progress, seed=seed, **(QUICK if quick else {}),
                               **changes)
    return pretrain_bert("toyworld", train_config=cfg, seed=seed, resume=resume,
                         **{**({"passes": 1} if quick else {}), **options})


# the LSTM LMs (ELMo's biLM halves) get GPT's recipe and tokenizer
RECIPES = {"gpt": pretrain_gpt_recipe, "bert": _bert, "lstm": _lstm, "lstm-backward": _lstm_backward}
VARIANTS = {   # family: {variant name: options of the recipe function (pretrain_gpt / pretrain_bert), and iters}
    "gpt": {}, "lstm": {}, "lstm-backward": {},
    "bert": {"mask-only": {"mask_only": True}, "no-nsp": {"nsp": False},
             # the GPT's size (4 layers x 128, 4 heads, FF 512) and compute: its steps, and about its 16 x 64
             # tokens a step (the toy world's sentence pairs average 40 WordPiece tokens; 25 x 40 = 1000)
             "gpt-size": {"preset": "mini", "batch_size": 25, "iters": STEPS,
                          "lr": LEARNING_RATES["bert-gpt-size"]}},
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
    ckpt = load_checkpoint(path)       # a train_config present in it has been checked to hold "iters"
    train_config = ckpt.extra.get("train_config") if isinstance(ckpt.extra, dict) else None
    if train_config is None:
        raise ValueError(f"checkpoint '{path}' holds no train_config: it was not written by a recipe's Trainer")
    return ckpt.step >= train_config["iters"]
