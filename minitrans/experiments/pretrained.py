"""The pretrained models the studies start from, trained once per output root and reused.

pretrained_checkpoint("gpt", root) pretrains with the family's standard recipe the first time
and returns the same checkpoint path afterwards, so that the studies that finetune from a
pretrained model (and the several seeds of one study) do not pretrain again.
"""
from pathlib import Path

from ..recipes.runs import CHECKPOINT_NAME

def _gpt(iters, out, progress):
    from ..recipes.gpt import default_train_config, pretrain_gpt
    cfg = default_train_config(iters, out_dir=out, progress=progress)
    pretrain_gpt("toyworld", "bpe", "baby", batch_size=16, vocab_size=600, train_config=cfg, block_size=64)


def _lstm(iters, out, progress, reverse=False):
    from ..recipes.gpt import default_train_config
    from ..recipes.lstm import pretrain_lstm
    cfg = default_train_config(iters, out_dir=out, progress=progress)
    pretrain_lstm("toyworld", "bpe", "baby", batch_size=16, vocab_size=600, train_config=cfg, block_size=64,
                  reverse=reverse)


def _lstm_backward(iters, out, progress):
    _lstm(iters, out, progress, reverse=True)


def _bert(iters, out, progress):
    from ..recipes.bert import pretrain_bert
    pretrain_bert("toyworld", "tiny", iters=iters, out_dir=out, progress=progress)


# family: (full steps, quick steps, recipe); the LSTM LMs (ELMo's biLM halves) get GPT's recipe and tokenizer
RECIPES = {"gpt": (600, 20, _gpt), "bert": (3000, 20, _bert), "lstm": (600, 5, _lstm),
           "lstm-backward": (600, 5, _lstm_backward)}


def pretrained_checkpoint(family, root, quick=False, progress=True):
    """The checkpoint path of `family` (gpt, bert, lstm, lstm-backward) pretrained on the toy world under
    root/pretrained/: made by the family's recipe the first time (the quick size when quick), reused afterwards."""
    if family not in RECIPES:
        raise ValueError(f"family must be one of {sorted(RECIPES)}, got {family!r}")
    full, short, train = RECIPES[family]
    out = Path(root) / "pretrained" / (family + ("-quick" if quick else ""))
    path = out / CHECKPOINT_NAME
    if not path.exists():
        train(short if quick else full, str(out), progress)
    return str(path)
