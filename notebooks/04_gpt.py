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
# # 4. GPT: a decoder that learns by predicting the next token
#
# *Runtime: under one minute on a 2-core machine (measured while it was shared with other work, so slower
# than alone). No pretraining happens here: the GPT comes pretrained with minitrans
# (`data/pretrained/gpt.safetensors`, remade by `minitrans data pretrained`).*
#
# GPT reads left to right: every position may attend only to the positions before it (a causal mask),
# and the model is trained to predict each next token. In this notebook we
#
# 1. check the hand-written backward pass of a tiny GPT against finite differences,
# 2. look at how the shipped GPT was pretrained and sample from it,
# 3. see how GPT turns every task into one token sequence (the *input transformations* of the GPT paper),
# 4. put a classifier on top and see its loss: the task's plus λ times the language-model loss (the
#    *auxiliary* LM loss),
# 5. look at an attention map.
#
# The toy world: minitrans generates a small synthetic world (people, their jobs, homes and pets; invented
# countries with capitals and towns; restaurants and their reviews) and writes a corpus about it, 15,000
# documents of simple English. Because the countries are invented, whatever a model knows about them it
# learned from this corpus.

# %%
import re

import numpy as np
from IPython.display import Image, display

import minitrans
from minitrans.data import corpus_to_text, load_corpus, load_task
from minitrans.generate import generate_text
from minitrans.gradcheck import check_loss
from minitrans.models import GPT, GPTConfig, GPTForClassification, resize_token_embeddings
from minitrans.plot import plot_attention, plot_history
from minitrans.recipes.gpt_finetune import SPECIALS, gpt_batcher
from minitrans.recipes.shipped import load_shipped, shipped_record

print("kernel backend:", minitrans.get_backend())

# %% [markdown]
# ## 1. The backward pass is checked, not trusted
#
# `check_loss` compares every parameter's analytic gradient with central differences in float64 and
# reports the worst relative error per tensor. The check is only meaningful where the gradients are not
# tiny: at GPT's initialisation (weights of size 0.02) many gradients are so small that rounding
# dominates the relative error, so, like the test suite, we move the weights away from it first.

# %%
tiny = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=8, dtype="float64"))
rng = np.random.default_rng(0)
for p in tiny.parameters():              # larger weights make every path carry gradient
    p.data += 0.4 * rng.standard_normal(p.shape)
ids, targets = rng.integers(0, 11, (2, 6)), rng.integers(0, 11, (2, 6))


def loss_fn(backward):
    loss, dlogits, cache = tiny.loss(ids, targets)
    if backward:
        tiny.backward(dlogits, cache)
    return loss


errors = check_loss(tiny, loss_fn)
worst = max(errors.values())
print(f"{len(errors)} tensors checked, worst relative error {worst:.1e}")
assert worst < 1e-6, "the text says a correct backward pass gives errors below 1e-6"

# %% [markdown]
# Every error is far below 1e-6: the backward pass is right. (A bug, say a missing transpose, gives
# errors near 1.)
#
# ## 2. The pretrained GPT
#
# The shipped GPT is the "baby" size (4 layers, 4 heads, 128 wide, a context of 64 tokens) with a
# byte-level BPE vocabulary of 600 tokens, trained on random 64-token windows of the corpus to predict
# every next token. Its training record is stored in the file:

# %%
model, tok = load_shipped("gpt")
record = shipped_record("gpt")
print(f"GPT baby: {model.num_parameters():,} parameters, {tok.vocab_size} tokens, "
      f"{record['step']} steps of pretraining")
display(Image(plot_history(record["evaluations"], "gpt_pretraining.png", title="shipped GPT: next-token loss")))

# %% [markdown]
# ### Sampling
#
# `generate_text` feeds the prompt, then repeatedly samples a next token from the softmax of the last
# logits divided by a *temperature* (below 1: sharper, safer; above 1: flatter, wilder) and appends it.
# A key-value cache keeps every layer's keys and values, so each step runs only the new token.

# %%
corpus_words = set(re.findall(r"[A-Za-z]+", corpus_to_text(load_corpus())))
samples = []
for prompt in ["Jack works at", "The capital of Borovia is", "Kate ate at the", "Tom had 6 eggs."]:
    for temperature in (0.5, 1.0):
        text = generate_text(model, tok, prompt, max_new_tokens=30, temperature=temperature, seed=0)
        samples.append(text)
        print(f"T={temperature}: {text.splitlines()[0]!r}")

words = [w for s in samples for w in re.findall(r"[A-Za-z]+", s)]
known = np.mean([w in corpus_words for w in words])
print(f"\n{known:.0%} of the {len(words)} words sampled are words of the corpus")
assert known > 0.9, "the text says that almost every sampled word is a word of the toy world"

# %% [markdown]
# Almost every sampled word is a toy-world word and the sentences are grammatical: the model has learned
# spelling, word order and agreement. Many samples also state facts of the world that the corpus repeats
# (where someone works, which city belongs to which country): next-token prediction stores what it
# must predict. Whether it can *use* what it stored without any finetuning is the question of notebook 6.
#
# ## 3. Input transformations: every task as one sequence
#
# GPT has no segment embeddings and no `[CLS]`; the GPT paper instead writes every task as token
# sequences with three new special tokens, and reads the answer off the final token's state:
#
# | task | sequence(s) |
# |---|---|
# | one text (sentiment) | `<start> text <extract>` |
# | a pair (entailment, paraphrase) | `<start> a <delim> b <extract>` |
# | similarity (no order) | both orders, their final states added |
# | multiple choice | `<start> context <delim> choice_i <extract>` for each choice, a softmax over the choices |

# %%
if SPECIALS[0] not in tok:
    tok.add_special_tokens(SPECIALS)          # <|start|>, <|delim|>, <|extract|>
resize_token_embeddings(model, tok.vocab_size, seed=0)   # three new rows in the (tied) embedding
for task in ("sentiment", "entailment", "similarity", "multiple_choice"):
    batch = gpt_batcher(task, tok)(load_task(task, "train")[:1])
    ids, mask = batch["ids"], batch["attention_mask"]     # (1, T), or (1, n sequences, T)
    print(f"{task}: ids of shape {ids.shape}")
    for row, real in list(zip(ids.reshape(-1, ids.shape[-1]), mask.reshape(-1, ids.shape[-1])))[:2]:
        print("   ", tok.decode(row[real].tolist()))

# %% [markdown]
# ## 4. A classifier on top, and the auxiliary language-model loss
#
# `GPTForClassification` puts a linear layer on the `<extract>` token's final state. GPT's finetuning
# loss adds the language-model loss of the same sequences, weighted by λ (`lm_weight`):
# L = L_task + λ L_LM. It keeps the model a language model while it learns the task; notebook 5
# measures what it changes.

# %%
head = GPTForClassification(model, num_labels=2, kind="single", lm_weight=0.5, seed=0)
batch = gpt_batcher("sentiment", tok)(load_task("sentiment", "train")[:16])
loss, metrics = head.loss(batch, backward=False)
print(f"task loss {metrics['task_loss']:.3f} + 0.5 x LM loss {metrics['lm_loss']:.3f} = {loss:.3f}")
assert abs(loss - (metrics["task_loss"] + 0.5 * metrics["lm_loss"])) < 1e-5

# %% [markdown]
# The LM loss on task sentences is already low: the pretrained model knows how reviews go. The task loss
# is about log 2, a coin flip: the new head knows nothing yet.
#
# ## 5. An attention map
#
# The cache of a forward pass keeps each layer's attention probabilities. The causal mask shows as the
# empty upper triangle: no token looks ahead.

# %%
sentence = "Jack works at Bank of Borovia."
ids = np.array([tok.encode(sentence)])
logits, cache = model.forward(ids)
maps = model.attention_maps(cache)             # one (B, H, T, T) array per layer
pieces = [tok.decode([int(i)]) for i in ids[0]]
display(Image(plot_attention(maps[-1][0], pieces, "gpt_attention.png", title="last layer, every head")))
