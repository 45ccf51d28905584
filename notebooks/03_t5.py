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
# # 3. T5: every task as text
#
# *Runtime: under five minutes on a 2-core machine (measured while it was shared with other work, so
# slower than alone). A tiny T5 is pretrained and trained on every task here, briefly.*
#
# BERT reads, GPT writes; T5 does both. An encoder reads the input, a decoder writes the answer, and *every*
# task — sentiment, entailment, question answering, similarity scores, named entities — becomes text in,
# text out. This notebook shows span corruption on real text, pretrains a tiny T5 with it on the toy world
# (minitrans's synthetic world of people, invented countries and restaurants, and a corpus about it), trains
# it on all tasks at once with task prefixes, asks one model several questions, and compares greedy decoding
# with beam search. Every gradient is written by hand in `minitrans/models/t5.py`. The runs here are far too
# short for good scores (the T5 section of docs/models.md and `minitrans experiment t5-objectives` measure longer
# ones); what they show is the form: one model, one loss, every task.

# %%
import numpy as np
import matplotlib.pyplot as plt
from minitrans.data import load_task, span_corrupt
from minitrans.data.text_to_text import TEXT_TASKS, to_text
from minitrans.generate_t5 import beam_search, greedy_decode
from minitrans.models import T5, T5Config, count_t5_parameters
from minitrans.recipes.t5 import answer, build_t5_tokenizer, multitask_t5, pretrain_t5
from minitrans.train import TrainConfig

# %% [markdown]
# ## Span corruption on real text
#
# About 15% of the tokens are dropped, in spans of mean length 3. Each span becomes one sentinel in the input;
# the target lists each sentinel followed by the tokens it replaced.

# %%
tok = build_t5_tokenizer("toyworld")
text = "Jack works at the Red Lantern. The town of Domo lies in Kalandor, and Max lives in Domo."
ids = np.array(tok.encode(text))
sentinels = [tok.sentinel_id(i) for i in range(100)]
inputs, targets = span_corrupt(ids, np.random.default_rng(3), sentinels, tok.eos_id)
print("input :", tok.decode(inputs.tolist()))
print("target:", tok.decode(targets.tolist()))

# %% [markdown]
# ## The model
#
# Shared embedding, pre-norm blocks with RMSNorm and no biases, one relative-position bias table per stack,
# attention without the 1/sqrt(d) scale, the decoder's last states scaled by d_model^-0.5 before the tied head.
# The published sizes are counted, never trained here:

# %%
for name in ("small", "base"):
    print(name, f"{count_t5_parameters(T5Config.preset(name)):,}")
print("tiny", f"{count_t5_parameters(T5Config.preset('tiny', vocab_size=tok.vocab_size)):,}")

# %% [markdown]
# ## Pretraining with span corruption

# %%
cfg = TrainConfig(iters=200, lr=3e-3, min_lr=3e-4, warmup=20, weight_decay=0.01, eval_interval=50,
                  eval_iters=5, out_dir="runs/t5-pretrain", progress=False)
pre_model, tok, pre = pretrain_t5("toyworld", "tiny", train_config=cfg)
steps = [r["step"] for r in pre.history if r["split"] == "train"]
plt.plot(steps, [r["loss"] for r in pre.history if r["split"] == "train"], label="train")
plt.plot(*zip(*[(r["step"], r["loss"]) for r in pre.history if r["split"] == "val_eval"]), "o-", label="val")
plt.xlabel("step"); plt.ylabel("span-corruption loss"); plt.legend(); plt.show()

# %% [markdown]
# ## Text-to-text multitask training
#
# Each example is written with a task prefix; a batch mixes the tasks in proportion to their sizes
# (examples-proportional mixing; `mixing="temperature"` or `"equal"` are the paper's alternatives).

# %%
for task in ("sentiment", "entailment", "similarity", "ner"):
    print(to_text(task, load_task(task, "train")[0]))

# %%
scores, model, tok, trainer = multitask_t5(checkpoint=str(pre.checkpoint_path), iters=300, n_eval=50,
                                           out_dir="runs/t5-multitask", progress=False)
for task, metrics in scores.items():
    print(f"{task:14s}", ", ".join(f"{k} {v:.2f}" for k, v in metrics.items()))

# %% [markdown]
# ## One model, several tasks

# %%
questions = ["sentiment: The soup is not good, but the waiter is friendly.",
             "entailment premise: Anna lives in Mirra. hypothesis: Anna does not live in Mirra.",
             "question: Where does Max work? context: Max is 25 years old. Max works at Bank of Kalandor.",
             "similarity sentence1: Tom ate the cake at home. sentence2: Tom ate the cake at home.",
             "ner: Nick works at the Red Lantern ."]
replies = answer(model, tok, questions)
for q, a in zip(questions, replies):
    print(f"{q}\n   -> {a!r}")
assert replies[0] in ("positive", "negative") and replies[1] in ("entailment", "neutral", "contradiction"), \
    "the text says each answer takes its task's form"

# %% [markdown]
# The same weights answer each question in the form its prefix asks for: a sentiment label, an entailment
# label, a span copied from the context, a score, a list of entities. Nothing but the text of the input
# tells the model which task it is doing.

# %% [markdown]
# ## Greedy decoding vs beam search
#
# Greedy takes the most likely token at every step; beam search keeps the `beam_size` best partial answers
# and returns the one with the best length-normalised log-probability. With a beam of 1 it is greedy.

# %%
examples = load_task("qa", "test")[:20]
sources = [to_text("qa", e)[0] for e in examples]
greedy, beam = answer(model, tok, sources), answer(model, tok, sources, beam_size=4)
for s, g, b, e in list(zip(sources, greedy, beam, examples))[:5]:
    print(f"{e['question']:35s} gold {e['answer']!r:22s} greedy {g!r:22s} beam {b!r}")
print("answers that differ:", sum(g != b for g, b in zip(greedy, beam)), "of", len(sources))
