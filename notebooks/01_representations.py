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
# # 1. Representations: from word vectors to contextual ones
#
# *Runtime: under one minute on a 2-core machine (measured while it was shared with other work, so slower
# than alone).*
#
# The lecture starts from the question: what does a model's input look like after pretraining? A word
# vector (word2vec, GloVe) gives each word one vector, whatever its sentence. A contextual model (ELMo,
# BERT, GPT) gives each *occurrence* of a word a vector computed from its sentence. In this notebook,
# with the small BERT that minitrans ships (pretrained with masked language modelling on the toy world):
#
# 1. **word vectors**: the rows of BERT's token embedding, before and after pretraining: which words are
#    nearest neighbours?
# 2. **contextual vectors**: the same word in different sentences gets different vectors;
# 3. **frozen features**: a linear classifier on top of the vectors, the model itself untouched: how
#    much of a task do they already contain?
#
# **The toy world.** minitrans generates a small synthetic world (people with jobs, homes and pets;
# invented countries with capitals, towns and languages; restaurants and their reviews) and writes a
# corpus of 15,000 documents about it, a vocabulary of about 500 words (`data/corpus.txt`). The
# countries are invented, so whatever a model knows about them it learned from this corpus. All
# notebooks use it.

# %%
import numpy as np

from minitrans.data import load_corpus, load_task
from minitrans.data.toyworld.lexicon import ANIMALS, CITIES, COUNTRIES, FEMALE_NAMES, LANGUAGES, MALE_NAMES
from minitrans.eval.representations import nearest_neighbours, train_linear_probe
from minitrans.recipes.bert import random_init_like
from minitrans.recipes.shipped import load_shipped

pretrained, tok = load_shipped("bert")
fresh = random_init_like(pretrained)      # the same BERT, same seed, before pretraining
print(load_corpus()[0])

# %% [markdown]
# ## 1. Word vectors: nearest neighbours
#
# Each word of the vocabulary has a row in the token embedding (64 numbers here). Two words are
# neighbours when their rows point the same way (cosine similarity). Before pretraining the rows are
# random; masked LM moves words that fill the same blanks towards each other.

# %%
def unit_rows(matrix):
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def embedding_vectors(model):
    """{word: its row of the token embedding} for every whole word of the vocabulary."""
    table = model.bert.tok_emb.weight.data.astype(np.float64)
    return {tok.id_to_token(i): table[i] for i in range(tok.vocab_size)
            if not tok.id_to_token(i).startswith(("[", "##"))}


def neighbours(model, word, k=5):
    """The k words whose embedding rows are most similar (cosine) to `word`'s."""
    return [w for w, _ in nearest_neighbours(embedding_vectors(model), word, k)]


for word in ["borovia", "mirra", "dog", "jane", "happy", "soup"]:
    print(f"{word:8s} random init: {', '.join(neighbours(fresh, word)):45s} pretrained: {', '.join(neighbours(pretrained, word))}")

# %% [markdown]
# A measurement instead of examples: take the words of five kinds (countries, towns, languages, first
# names, animals); for each, is its nearest neighbour among them of the same kind?

# %%
kinds = {"country": COUNTRIES, "town": CITIES, "language": LANGUAGES, "name": MALE_NAMES + FEMALE_NAMES,
         "animal": [singular for singular, _ in ANIMALS]}
words = [(w.lower(), kind) for kind, members in kinds.items() for w in members if len(tok.encode(w)) == 1]


def same_kind_share(model):
    table = unit_rows(model.bert.tok_emb.weight.data.astype(np.float64))
    vectors = table[[tok.token_to_id(w) for w, _ in words]]
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = similarity.argmax(axis=1)
    return np.mean([words[j][1] == kind for (_, kind), j in zip(words, nearest)])


shares = {"random init": same_kind_share(fresh), "pretrained": same_kind_share(pretrained)}
print(f"{len(words)} words of {len(kinds)} kinds; nearest neighbour of the same kind:",
      ", ".join(f"{k} {v:.2f}" for k, v in shares.items()))
assert shares["pretrained"] > shares["random init"] + 0.3, "the text says pretraining groups words by kind"

# %% [markdown]
# Pretraining has grouped the words by the blanks they fill: countries with countries, names with names.
# Nothing told the model what a country is; "Lisk is a town in ___" is filled by the same few words.
#
# ## 2. Contextual vectors
#
# An embedding row is the same in every sentence. BERT's output at a position mixes in the whole
# sentence through attention, so the same word gets a different vector in each sentence. Take the word
# "it" referring to an animal or to food, and compare its final hidden states:

# %%
sentences = ["My dog is small. It is happy.", "The cat is hungry. It is sleeping.",
             "The soup is fresh. It is good.", "The cake is sweet. It is great."]


def vector_of(model, sentence, word):
    """BERT's final hidden state at the first occurrence of `word` (a single WordPiece) in the sentence."""
    ids, _ = tok.encode_single(sentence)
    hidden, _, _ = model.bert.forward(np.array([ids]))
    return hidden[0, ids.index(tok.token_to_id(word))].astype(np.float64)


similarities = {}
for name, model in (("random init", fresh), ("pretrained", pretrained)):
    vectors = unit_rows(np.stack([vector_of(model, s, "it") for s in sentences]))
    similarities[name] = vectors @ vectors.T
    print(f"{name}: cosine similarity of 'it' across the four sentences\n{np.round(similarities[name], 2)}")
same = similarities["pretrained"][[0, 2], [1, 3]]                      # animal-animal, food-food
across = similarities["pretrained"][:2, 2:]                           # animal-food
assert same.min() > across.max(), "the text says 'it' is nearer to 'it' of the same kind of referent"

# %%
import matplotlib.pyplot as plt
from IPython.display import Image, display

from minitrans.plot import save

fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
referents = ["dog", "cat", "soup", "cake"]
for ax, (name, similarity) in zip(axes, similarities.items()):
    image = ax.imshow(similarity, vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_title(f"'it' after ..., {name}")
    ax.set_xticks(range(4), referents)
    ax.set_yticks(range(4), referents)
fig.colorbar(image, ax=list(axes), label="cosine similarity")
display(Image(save(fig, "it_similarity.png")))

# %% [markdown]
# At random initialisation the vector of "it" is nearly the same wherever it stands (the attention of an
# untrained model mixes in almost nothing). After pretraining the same word has a different vector in
# each sentence, and "it" after an animal is nearer to "it" after another animal than to "it" after a
# food: the vector carries what the word refers to. That is what a contextual representation adds to a
# word vector.
#
# ## 3. Frozen features and a linear classifier
#
# ELMo's recipe: keep the pretrained model fixed, compute its vectors for each sentence, and train only
# a linear classifier on them. Here the feature of a sentence is the mean of BERT's final hidden states
# over its tokens; the classifier is one `Linear` layer trained with cross-entropy and AdamW
# (`minitrans.eval.representations.train_linear_probe`). The same classifier on the random-initialisation BERT's features is the baseline:
# a random network already gives the classifier some features (which words occur), so the difference
# is what pretraining added.

# %%
def features(model, texts):
    """(n, d) mean of the final hidden states over each text's tokens."""
    rows = []
    for text in texts:
        ids, _ = tok.encode_single(text)
        hidden, _, _ = model.bert.forward(np.array([ids]))
        rows.append(hidden[0].mean(axis=0))
    return np.stack(rows).astype(np.float64)


def linear_probe(train_x, train_y, test_x, test_y):
    """Test accuracy of a linear classifier trained on frozen features (eval.representations: softmax
    regression on standardized features, full-batch AdamW)."""
    return train_linear_probe(train_x, train_y).accuracy(test_x, test_y)


N_TRAIN, N_TEST = 500, 300
probe_scores = {}
for task in ("sentiment", "acceptability"):
    train, test = load_task(task, "train")[:N_TRAIN], load_task(task, "test")[:N_TEST]
    ys = [np.array([e["label"] for e in split]) for split in (train, test)]
    for name, model in (("random init", fresh), ("pretrained", pretrained)):
        xs = [features(model, [e["text"] for e in split]) for split in (train, test)]
        probe_scores[task, name] = linear_probe(xs[0], ys[0], xs[1], ys[1])
    print(f"{task:14s} linear classifier on frozen features: random init {probe_scores[task, 'random init']:.2f}, "
          f"pretrained {probe_scores[task, 'pretrained']:.2f}")
assert probe_scores["acceptability", "pretrained"] > probe_scores["acceptability", "random init"] + 0.05, \
    "the text says pretrained features carry agreement"

# %% [markdown]
# On acceptability, the pretrained features carry what the random ones do not: whether subject and verb
# agree, which masked LM practised on every sentence. On sentiment they add nothing here: the mean over the
# tokens of any network, even a random one, keeps which words occur, and the toy reviews' negations and
# contrasts ("not bad, but ...") need more than a linear read-out of an average.
#
# Finetuning (notebooks 2, 4 and 5) goes further: it trains the whole model on the task, so the features
# themselves adapt.
