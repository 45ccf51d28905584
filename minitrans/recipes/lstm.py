"""The LSTM LM's recipes: GPT's pretraining loop and finetuning recipe with an LSTM body.

pretrain_lstm trains a forward LM, or with reverse=True the backward LM of ELMo (the same
model reading the corpus right to left). finetune_lstm is GPT's finetuning recipe (special
tokens, input transformations, head on the extract token, aux LM loss) on a pretrained LSTM.
"""
from ..models import LSTMLM, LSTMConfig
from .causal_lm import pretrain_causal_lm
from .gpt_finetune import check_task, finetune_lm, prepare_lm
from .runs import load_pretrained


def pretrain_lstm(**options):
    """Pretrain an LSTM LM: pretrain_causal_lm(LSTMLM, LSTMConfig, **options), GPT's loop with its
    options and defaults; an option that is not pretrain_causal_lm's is an LSTMConfig field
    (reverse=True trains the backward LM). Returns (model, tokenizer, trainer)."""
    return pretrain_causal_lm(LSTMLM, LSTMConfig, **options)


def load_lstm(path):
    """An LSTM LM and its tokenizer from a checkpoint written by pretrain_lstm."""
    return load_pretrained(path, LSTMLM, LSTMConfig)


def prepare_lstm(checkpoint=None, preset="baby", vocab_size=600, seed=0):
    """A pretrained LSTM LM and tokenizer from `checkpoint`, or (None) a fresh one with a BPE
    tokenizer trained on the toy world: the same model with no pretraining."""
    return prepare_lm(LSTMLM, LSTMConfig, checkpoint=checkpoint, preset=preset, vocab_size=vocab_size, seed=seed)


def finetune_lstm(task="sentiment", checkpoint=None, lm_weight=0.5, n_train=None, epochs=3, batch_size=16,
                  lr=5e-4, freeze_body=False, seed=0, progress=True, out_dir=None, n_eval=None, evals=4):
    """Finetune an LSTM LM (pretrained from `checkpoint`, or from scratch when None) on a toy-world
    task with GPT's recipe. Returns (scores, head) as finetune_gpt does."""
    check_task(task)
    model, tok = prepare_lstm(checkpoint, seed=seed)
    if model.config.reverse:
        raise ValueError(f"checkpoint '{checkpoint}' holds a backward (right-to-left) LSTM LM; finetune a forward one")
    return finetune_lm(model, tok, task=task, lm_weight=lm_weight, n_train=n_train, epochs=epochs,
                       batch_size=batch_size, lr=lr, freeze_body=freeze_body, seed=seed, progress=progress,
                       out_dir=out_dir, n_eval=n_eval, evals=evals)
