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
# # 2. BERT: a bidirectional encoder trained to fill in blanks
#
# *Runtime: under four minutes on a 2-core machine (measured while it was shared with other work, so
# slower than alone). The BERT comes pretrained with minitrans (`data/pretrained/bert.safetensors`, remade
# by `minitrans data pretrained`); pretraining it again takes longer than a notebook should.*
#
# BERT reads the whole sentence at once: every token attends to every other, left and right. It cannot
# be trained to predict the next token (it would see it), so it is trained to fill in blanks (the
# *masked language model*) and to tell whether two segments follow each other (*next sentence
# prediction*). In this notebook we
#
# 1. check the backward pass of a tiny BERT with both pretraining heads,
# 2. build BERT's training examples: 80/10/10 masking and sentence pairs,
# 3. ask the pretrained BERT to fill in blanks and score the word-guessing probes,
# 4. put each of the four finetuning heads on it, and finetune one with and without pretraining,
# 5. try to generate text with BERT, and see why it is awkward.
#
# All text comes from the *toy world*: minitrans generates a small synthetic world (people, jobs, pets,
# invented countries with capitals and towns, restaurants and reviews) and a corpus of 15,000 documents
# about it. The countries are invented, so what BERT knows about them it learned from this corpus.

# %%
import numpy as np
from IPython.display import Image, Markdown, display

from minitrans.data import PHENOMENA, load_corpus, load_probes, load_task, mask_tokens, nsp_pairs, pack_pair
from minitrans.eval.fill_mask import fill_iteratively, fill_mask
from minitrans.eval.probes import format_report, masked_probe_scores
from minitrans.gradcheck import check_loss
from minitrans.models import BertConfig, BertForPreTraining, BertModel
from minitrans.plot import plot_attention, plot_history
from minitrans.recipes.bert import encode_documents, probe_report
from minitrans.recipes.bert_finetune import build_head, finetune_bert, qa_batcher, ner_batcher, sequence_batcher
from minitrans.recipes.shipped import load_shipped, shipped_path, shipped_record
from minitrans.data import task_info

# %% [markdown]
# ## 1. The backward pass is checked, not trusted
#
# `BertForPreTraining.loss` runs the encoder, the masked-LM head (tied to the token embedding) on the
# masked positions only, and the next-sentence head on the pooled `[CLS]`. `check_loss` compares every
# parameter's gradient with central differences in float64 (weights moved away from the 0.02
# initialisation, where gradients are too small for a relative error to mean anything).

# %%
config = BertConfig(vocab_size=13, max_position=8, n_layer=2, n_head=2, d_model=8, d_ff=16, dtype="float64")
tiny = BertForPreTraining(BertModel(config))
rng = np.random.default_rng(0)
for p in tiny.parameters():
    p.data += 0.4 * rng.standard_normal(p.shape)
batch = {"ids": rng.integers(0, 13, (2, 6)), "segment_ids": np.array([[0, 0, 0, 1, 1, 1]] * 2),
         "mlm_labels": np.where(rng.random((2, 6)) < 0.4, rng.integers(0, 13, (2, 6)), -100),
         "nsp_labels": np.array([1, 0])}
batch["mlm_labels"][0, 1] = 5          # at least one masked position

errors = check_loss(tiny, lambda backward: tiny.loss(batch, backward=backward)[0])
worst = max(errors.values())
print(f"{len(errors)} tensors checked, worst relative error {worst:.1e}")
assert worst < 1e-6, "a correct backward pass gives errors below 1e-6"

# %% [markdown]
# ## 2. BERT's training examples
#
# **Masked LM, 80/10/10.** 15% of the ordinary tokens are chosen for prediction. Of those, 80% become
# `[MASK]`, 10% a random token, 10% stay as they are. Why not always `[MASK]`? `[MASK]` never occurs
# when the model is finetuned or used, so a model that only learned to predict at `[MASK]` would have no
# reason to build good representations of ordinary tokens; the random and kept tokens force it to
# check every token.

# %%
model, tok = load_shipped("bert")
sentence = "Jack works at Bank of Borovia. His dog is small and happy, and it likes the park near the river."
ids = np.array([tok.encode(sentence)])
inputs, targets = mask_tokens(ids, np.random.default_rng(4), tok.vocab_size, tok.mask_id, tok.special_ids)
print("input :", " ".join(tok.id_to_token(int(i)) for i in inputs[0]))
print("target:", " ".join(tok.id_to_token(int(t)) if t >= 0 else "·" for t in targets[0]))

corpus_ids = np.concatenate([s for doc in encode_documents(load_corpus()[:300], tok) for s in doc])
inputs, targets = mask_tokens(corpus_ids[None, :], np.random.default_rng(0), tok.vocab_size, tok.mask_id,
                              tok.special_ids)
chosen = targets[0] >= 0
shares = {"chosen": chosen.mean(), "[MASK]": (inputs[0][chosen] == tok.mask_id).mean(),
          "random": ((inputs[0][chosen] != tok.mask_id) & (inputs[0][chosen] != targets[0][chosen])).mean(),
          "kept": (inputs[0][chosen] == targets[0][chosen]).mean()}
print(f"over {corpus_ids.size:,} tokens:", ", ".join(f"{k} {v:.3f}" for k, v in shares.items()))
assert abs(shares["chosen"] - 0.15) < 0.005 and abs(shares["[MASK]"] - 0.8) < 0.02

# %% [markdown]
# (A "random" token can by chance be the token itself, so "kept" comes out a little above 10%.)
#
# **Next sentence prediction.** Documents are cut into segments; a pair `[CLS] A [SEP] B [SEP]` has B
# the segment that follows A half of the time, and a segment of another document otherwise. Segment ids
# (0 for A, 1 for B) tell the model which is which; the pooled `[CLS]` state predicts "is next".

# %%
documents = [[np.concatenate(doc[:2]), np.concatenate(doc[2:4])] for doc in encode_documents(load_corpus()[:6], tok)]
for a, b, is_next in nsp_pairs(documents, np.random.default_rng(1))[:3]:
    pair, segments = pack_pair(a, b, tok.cls_id, tok.sep_id)
    print(f"is_next={is_next}: {tok.decode(pair)}")

# %% [markdown]
# ## 3. The pretrained BERT: fill in the blanks, and the probes
#
# The shipped BERT is the "tiny" size (2 layers, 2 heads, 64 wide), with a WordPiece vocabulary trained
# on the corpus, pretrained with both losses on batches of 32 pairs. Its record:

# %%
record = shipped_record("bert")
print(f"{model.bert.num_parameters():,} parameters, {tok.vocab_size} WordPieces, {record['step']} steps")
display(Image(plot_history(record["evaluations"], "bert_mlm_acc.png", metric="mlm_acc",
                           title="shipped BERT: accuracy at the masked positions")))

# %%
corpus_text = "\n".join(sentence for doc in load_corpus() for sentence in doc)
for fact in ["Lisk is a small town in Borovia", "People in Borovia speak Dorsh", "Jack works at Bank of Borovia"]:
    print(f"the corpus says {fact!r} {corpus_text.count(fact)} times")
best = {}
for prompt in ["Lisk is a small town in [MASK].", "People in Borovia speak [MASK].", "Jack works at Bank of [MASK].",
               "The dogs near the cat [MASK] happy.", "Mary called Tom because she missed [MASK]."]:
    answers = fill_mask(model, tok, prompt, top_k=4)
    best[prompt] = answers[0][0]
    print(f"{prompt:45s} " + ", ".join(f"{word} ({p:.2f})" for word, p in answers))
assert list(best.values())[:3] == ["borovia", "dorsh", "borovia"], "the text says the repeated facts come back"
assert best["The dogs near the cat [MASK] happy."] in ("are", "were"), "the text says agreement is right"
pronouns = dict(fill_mask(model, tok, "Mary called Tom because she missed [MASK].", top_k=2))
assert set(pronouns) == {"him", "her"} and sum(pronouns.values()) > 0.9 and max(pronouns.values()) < 0.6, \
    "the text says a pronoun goes there, about as often him as her"

# %% [markdown]
# The facts the corpus repeats come back as the top answers: Lisk is in Borovia, people there speak Dorsh,
# Jack works at Bank of Borovia (the runners-up are other countries and languages: the model knows the kind
# of word before the exact one). The verb after "The dogs near the cat" is plural although the nearest
# noun is singular: the model uses the subject, not the nearest noun. The pronoun for Tom is "him" or
# "her" at about even odds (neither above 0.6): the model knows a pronoun goes there, not yet which one
# (see the probes below).
#
# ### Word-guessing probes
#
# Each probe is a sentence with a blank and 2-4 candidate words, for one phenomenon: syntax (agreement),
# coreference (pronouns), knowledge (facts of the toy world, written differently from the corpus),
# commonsense (cause and effect), numbers (arithmetic) and sentiment (reviews). Each candidate is scored
# by the log-probabilities of its WordPieces at as many `[MASK]`s as it has pieces; the best-scored
# candidate is BERT's answer. The same BERT before training is the baseline.

# %%
probe = load_probes("coreference")[1]
print(probe.text, "->", dict(zip(probe.candidates, masked_probe_scores(model, tok, probe).round(2).tolist())))
report = probe_report(model, tok)
display(Markdown(format_report(report, PHENOMENA)))
gain = {p: report["pretrained"][p] - report["random init"][p] for p in PHENOMENA}
assert min(gain[p] for p in ("syntax", "knowledge", "commonsense")) > 0.1, "the text says these rise"
assert max(abs(gain[p]) for p in ("coreference", "numbers", "sentiment")) < 0.1, "the text says these stay near the baseline"

# %% [markdown]
# Pretraining lifts syntax, knowledge and commonsense well above the same model at random initialisation
# (knowledge most: the probes ask facts the corpus states in other words). Coreference, numbers
# (arithmetic) and the sentiment probes (reviews that turn on "not" or "but") stay near the baseline: at
# this step masked LM has taught the tiny model which words go where, not which person a pronoun names,
# how to add or how a contrast turns a review (the 4 x 128 GPT of `minitrans experiment word-guessing`,
# trained on every token, gets coreference 0.97). The table in docs/models.md shows the same model after all 16,000 steps of its schedule.
#
# ## 4. Four finetuning heads
#
# One body, four small heads, one per shape of task (`minitrans/models/bert_heads.py`):
#
# | head | reads | task here |
# |---|---|---|
# | `BertForSequenceClassification` | the pooled `[CLS]` of one text or a pair | sentiment, acceptability, entailment, paraphrase, similarity |
# | `BertForTokenClassification` | every token | named entities (BIO tags) |
# | `BertForQuestionAnswering` | every token of the context: start and end scores | extractive QA |
# | `BertForMultipleChoice` | the `[CLS]` of each (context, choice) pair, a softmax over choices | multiple choice |
#
# Here is what each head outputs for a batch of two examples, before finetuning:

# %%
max_len = model.bert.config.max_position
batchers = {"acceptability": sequence_batcher("acceptability", tok, max_len),
            "ner": ner_batcher(tok, task_info("ner")["labels"]), "qa": qa_batcher(tok, max_len),
            "multiple_choice": sequence_batcher("multiple_choice", tok, max_len)}
for task, make_batch in batchers.items():
    head = build_head(task, model.bert, seed=0)
    batch = make_batch(load_task(task, "dev")[:2])
    print(f"{type(head).__name__:32s} {task:16s} ids {str(batch['ids'].shape):12s} -> {head.predict(batch)!r:.70}")

# %% [markdown]
# Finetuning trains the head and the body together. `finetune_bert(task, checkpoint)` does it for any
# toy-world task; `checkpoint=None` starts the same BERT from random weights, so pretraining is the only
# difference. Acceptability asks whether a sentence is grammatical (the wrong sentences break agreement,
# which masked LM practises on every sentence):

# %%
N_TRAIN = 2000
scores = {}
for name, start in (("from scratch", None), ("pretrained", str(shipped_path("bert")))):
    result, _ = finetune_bert("acceptability", start, n_train=N_TRAIN, n_eval=300, epochs=3, progress=False)
    scores[name] = result["test"]["accuracy"]
    print(f"acceptability, {N_TRAIN} examples, {name:12s}: test accuracy {scores[name]:.2f}")
assert scores["pretrained"] > scores["from scratch"] + 0.1, "the text says pretraining helps acceptability"

# %% [markdown]
# From scratch, 2,000 labelled sentences are too few to discover agreement; the pretrained BERT already knows it.
#
# ## 5. Can BERT generate text?
#
# GPT generates by predicting the next token again and again. BERT has no "next": it fills blanks given
# both sides. One way to generate: write a row of `[MASK]`s, fill the one the model is most sure of,
# and repeat (`fill_iteratively`):

# %%
for text in ["Jack works at [MASK] [MASK] [MASK].", "[MASK] [MASK] in [MASK] [MASK] [MASK] [MASK]."]:
    for step in fill_iteratively(model, tok, text):
        print("  ", step)
    print()

# %% [markdown]
# It works, after a fashion, and shows why BERT is not used this way:
#
# - **The length is fixed in advance**: we chose how many masks to write.
# - **An order must be invented**: masked LM never learned one; "most confident first" is a choice, and
#   the masks filled early are never revised.
# - **The masks are predicted independently**: in one forward pass, each blank is filled as if the others
#   stayed blank, so two blanks can each pick a word that only fits with a different neighbour.
# - **It is expensive**: every step is a full forward pass over the whole sequence (no cache of earlier
#   steps can be kept, since every position sees every other).
# - **Pretraining never showed it many masks in a row**: only 15% of the tokens were masked, rarely
#   neighbours; a sentence of masks is far from anything it saw.
#
# Hence the split of the lecture: encoders (BERT) to understand, decoders (GPT) to generate, and
# encoder-decoders (T5, notebook 3) to do both.
#
# ### An attention map
#
# The forward cache keeps each layer's attention probabilities; BERT attends in both directions.

# %%
sentence = "The dogs near the cat are happy."
ids, segments = tok.encode_single(sentence)
hidden, pooled, cache = model.bert.forward(np.array([ids]))
maps = model.bert.attention_maps(cache)
display(Image(plot_attention(maps[-1][0], tok.tokenize("[CLS] " + sentence + " [SEP]"), "bert_attention.png",
                             title="last layer, every head")))
