# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     notebook_metadata_filter: kernelspec,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5. Finetuning, and what each ingredient buys
#
# *Runtime: under eight minutes on a 2-core machine (measured while it was shared with other work, so slower
# than alone). A dozen short finetuning runs of the small GPT.*
#
# The GPT paper's ablation asks which ingredients of its recipe matter: pretraining, the auxiliary
# language-model loss during finetuning, and the Transformer itself (against an LSTM). This notebook
# runs the first two on the toy world (minitrans's synthetic world of people, invented countries and
# restaurants, with a corpus and labelled tasks about it), with the small GPT that minitrans ships
# (`data/pretrained/gpt.safetensors`):
#
# 1. **pretrained vs from scratch**, with and without the auxiliary LM loss;
# 2. **small data**: how the gap changes with the number of labelled examples.
#
# `finetune_gpt(task, checkpoint, lm_weight=λ)` trains a classifier head and the whole GPT with
# L_task + λ L_LM on the task's input transformation (notebook 4); `checkpoint=None` starts the same
# GPT from random weights, so pretraining is the only difference between the rows.

# %%
import contextlib
import io

from IPython.display import Image, Markdown, display

from minitrans.plot import plot_curves
from minitrans.recipes.gpt_finetune import finetune_gpt
from minitrans.recipes.shipped import shipped_path

PRETRAINED = str(shipped_path("gpt"))
TASK = "sentiment"
EPOCHS = 5


def test_accuracy(checkpoint, n_train, lm_weight=0.5):
    """Test accuracy (on 300 test examples) of the GPT finetuned for EPOCHS epochs on the first n_train
    examples of TASK."""
    with contextlib.redirect_stdout(io.StringIO()):      # keep the per-evaluation lines out of the notebook
        scores, _ = finetune_gpt(TASK, checkpoint, lm_weight=lm_weight, n_train=n_train, epochs=EPOCHS,
                                 n_eval=300, progress=False)
    return scores["test"]["accuracy"]

# %% [markdown]
# ## 1. The ablation
#
# Each row is one finetuning run on the same labelled examples, scored on the same test set.

# %%
N_TRAIN = 200
rows = {"pretrained, with the auxiliary LM loss (λ = 0.5)": test_accuracy(PRETRAINED, N_TRAIN, 0.5),
        "pretrained, without it (λ = 0)": test_accuracy(PRETRAINED, N_TRAIN, 0.0),
        "from scratch, with it (λ = 0.5)": test_accuracy(None, N_TRAIN, 0.5)}
display(Markdown(f"| {TASK}, {N_TRAIN} labelled examples | test accuracy |\n|---|---:|\n" +
                 "\n".join(f"| {name} | {acc:.2f} |" for name, acc in rows.items())))
pretrained_row, without_aux, scratch_row = rows.values()
assert pretrained_row > scratch_row + 0.05, "the text says pretraining helps"
assert abs(pretrained_row - without_aux) < 0.1, "the text says the auxiliary loss changes a few points at most"

# %% [markdown]
# Pretraining is the big difference: the same GPT from random weights learns much less from the same
# labelled reviews. The auxiliary LM loss changes a few points at most here, about what one run scored on
# 300 test examples can tell apart; the GPT paper found it helped its larger data sets and not its
# smaller ones. (The paper's third row, an LSTM in place of the Transformer, is `minitrans finetune lstm`
# and the `gpt-ablation` study, `minitrans experiment gpt-ablation`.)
#
# ## 2. Small data: learning curves
#
# The same comparison with 1/4, 1 and 2 times as many labelled examples (5 epochs each, so fewer labels
# also mean fewer steps, as they would in practice).

# %%
sizes = [50, 200, 400]
curves = {"pretrained": [], "from scratch": []}
for n in sizes:
    curves["pretrained"].append(rows["pretrained, with the auxiliary LM loss (λ = 0.5)"] if n == N_TRAIN
                                else test_accuracy(PRETRAINED, n))
    curves["from scratch"].append(rows["from scratch, with it (λ = 0.5)"] if n == N_TRAIN else test_accuracy(None, n))
    print(f"{n:5d} examples: pretrained {curves['pretrained'][-1]:.2f}, from scratch {curves['from scratch'][-1]:.2f}")
display(Image(plot_curves({k: (sizes, v) for k, v in curves.items()}, "learning_curves.png",
                          title=f"{TASK}: test accuracy after finetuning")))
assert all(curves["pretrained"][i] > curves["from scratch"][i] + 0.05 for i in (1, 2)), "the text says it leads"
assert max(curves["pretrained"][0], curves["from scratch"][0]) < 0.6, "the text says 50 labels teach neither"

# %% [markdown]
# From 200 labelled reviews up, the pretrained GPT is clearly ahead: what it learned from the unlabelled
# corpus (which words praise and which blame, how "not" and "but" turn a sentence) is what a model from
# scratch must find in the labels alone. With twice the labels both improve, and the pretrained model stays
# ahead. With 50 labels (16 steps) neither learns the task: the toy reviews' negations and
# contrasts need more than a handful of examples even for the pretrained model, and pretraining is no
# substitute for having seen the task at all (notebook 6 measures what it gives with no labels).
# `minitrans experiment small-data` draws the full curves over several seeds.
