"""GPT finetuning heads: gradients of L_task + lambda L_LM, input transformations, learning, freezing."""
import numpy as np
import pytest

from minitrans.data.batching import pad_batch
from minitrans.eval.metrics import pearson
from minitrans.gradcheck import assert_gradients_close, check_loss
from minitrans.models import GPT, GPTConfig
from minitrans.data.gpt_inputs import make_batch
from minitrans.models.gpt_heads import GPTForClassification, lm_targets, resize_token_embeddings
from minitrans.optim import AdamW

START, DELIM, EXTRACT = 6, 7, 8          # special tokens added after the 6 "word" tokens 0..5


def body(dtype="float32", **overrides):
    """A tiny GPT over 6 word tokens, grown to hold the 3 special tokens (the finetuning recipe)."""
    cfg = dict(vocab_size=6, block_size=16, n_layer=2, n_head=2, n_embd=32, dtype=dtype)
    return resize_token_embeddings(GPT(GPTConfig(**{**cfg, **overrides})), 9, seed=1)


def batch_of(kind, inputs, labels):
    return make_batch(kind, inputs, labels, START, EXTRACT, DELIM)


# ---------------------------------------------------------------- gradients
def random_inputs(kind, rng, n=3):
    """Examples with different lengths, so every batch has padding."""
    seq = lambda length: list(rng.integers(0, 6, size=length))
    if kind == "single":
        return [seq(i + 1) for i in range(n)]
    if kind in ("pair", "similarity"):
        return [(seq(i + 1), seq(2)) for i in range(n)]
    return [(seq(i + 1), [seq(1), seq(2), seq(3)]) for i in range(n)]


@pytest.mark.parametrize("kind,num_labels", [("single", 3), ("pair", 2), ("similarity", 3),
                                             ("similarity", 1), ("choice", 3)])
def test_gradients_with_auxiliary_lm_loss_and_padding(kind, num_labels):
    gpt = body("float64", n_layer=1, n_embd=8, dropout=0.1, tie_weights=kind != "pair")
    clf = GPTForClassification(gpt, num_labels, kind=kind, lm_weight=0.7, dropout=0.2)
    noise = np.random.default_rng(2)
    for p in clf.parameters():                        # larger weights so no gradient is tiny
        p.data += noise.standard_normal(p.shape) * 0.4
    rng = np.random.default_rng(0)
    labels = rng.standard_normal(3) if num_labels == 1 else rng.integers(0, num_labels, size=3)
    batch = batch_of(kind, random_inputs(kind, rng), labels)
    assert not batch["attention_mask"].all()                    # padding present
    clf.train()
    errors = check_loss(clf, lambda backward: clf.loss(batch, backward)[0], max_entries=20)
    assert_gradients_close(errors)
    assert clf.loss(batch, backward=False)[1]["lm_loss"] > 0


# ---------------------------------------------------------- input formats
def test_make_batch_builds_the_task_sequences():
    b = batch_of("single", [[1, 2], [3]], [0, 1])
    assert b["ids"].tolist() == [[6, 1, 2, 8], [6, 3, 8, 0]]
    assert b["attention_mask"].tolist() == [[True] * 4, [True, True, True, False]]
    b = batch_of("pair", [([1], [2, 3])], [1])
    assert b["ids"].tolist() == [[6, 1, 7, 2, 3, 8]]
    b = batch_of("similarity", [([1], [2, 3])], [0.5])
    assert b["ids"].tolist() == [[[6, 1, 7, 2, 3, 8], [6, 2, 3, 7, 1, 8]]]
    b = batch_of("choice", [([1, 2], [[3], [4, 5]])], [1])
    assert b["ids"].tolist() == [[[6, 1, 2, 7, 3, 8, 0], [6, 1, 2, 7, 4, 5, 8]]]
    assert b["attention_mask"][0, 0].tolist() == [True] * 6 + [False]
    ids, mask = pad_batch([[4], [1, 2]], pad_id=5)
    assert ids.tolist() == [[4, 5], [1, 2]] and lm_targets(ids, mask).tolist() == [[-100, -100], [2, -100]]


def test_padding_and_order_do_not_change_predictions():
    clf = GPTForClassification(body(), 1, kind="similarity").eval()
    inputs = [([1, 2], [3]), ([4], [5, 0, 1])]
    out, _ = clf.forward(batch_of("similarity", inputs, [0.0, 0.0]))
    swapped, _ = clf.forward(batch_of("similarity", [(b, a) for a, b in inputs], [0.0, 0.0]))
    np.testing.assert_allclose(out, swapped, rtol=0, atol=1e-6)
    alone, _ = clf.forward(batch_of("similarity", inputs[:1], [0.0]))   # less padding
    np.testing.assert_allclose(out[:1], alone, rtol=0, atol=1e-6)


def test_resize_token_embeddings():
    gpt = GPT(GPTConfig(vocab_size=6, block_size=8, n_layer=1, n_head=2, n_embd=8, tie_weights=False))
    old_wte, old_head = gpt.wte.weight.data.copy(), gpt.lm_head.weight.data.copy()
    resize_token_embeddings(gpt, 9, seed=3)
    assert gpt.config.vocab_size == 9 and gpt.wte.weight.shape == (9, 8) and gpt.lm_head.weight.shape == (8, 9)
    assert np.array_equal(gpt.wte.weight.data[:6], old_wte) and np.array_equal(gpt.lm_head.weight.data[:, :6], old_head)
    assert 0 < np.abs(gpt.wte.weight.data[6:]).max() < 0.1
    logits, _ = gpt.forward(np.array([[8, 7, 6]]))
    assert logits.shape == (1, 3, 9)
    with pytest.raises(ValueError, match="new_vocab_size must be an integer >= the current vocab_size 9"):
        resize_token_embeddings(gpt, 5)


# ---------------------------------------------------------------- learning
def train(clf, make, steps, rng, lr=3e-3):
    opt = AdamW(clf, lr=lr, weight_decay=0.0)
    for _ in range(steps):
        opt.zero_grad()
        clf.loss(make(rng, 32))
        opt.step()


def words(rng, allow=(0, 1, 2, 3, 4, 5)):
    return list(rng.choice(allow, size=rng.integers(2, 6)))


def has_three_examples(rng, n):
    """Single input: does token 3 occur? Half the examples get a 3 at a random place."""
    inputs, labels = [], []
    for _ in range(n):
        x = words(rng, (0, 1, 2, 4, 5))
        label = int(rng.random() < 0.5)
        if label:
            x.insert(rng.integers(0, len(x) + 1), 3)
        inputs.append(x)
        labels.append(label)
    return inputs, labels


def test_single_head_learns_whether_token_3_occurs():
    rng = np.random.default_rng(0)
    clf = GPTForClassification(body(), 2, kind="single", lm_weight=0.5)
    train(clf, lambda r, n: batch_of("single", *has_three_examples(r, n)), 120, rng)
    test = batch_of("single", *has_three_examples(np.random.default_rng(99), 200))
    assert np.mean(clf.predict(test) == test["labels"]) >= 0.95


def test_pair_head_learns_whether_token_3_is_in_the_second_text():
    def make(rng, n):
        inputs, labels = [], []
        for i in range(n):
            a, b = words(rng, (0, 1, 2, 4, 5)), words(rng, (0, 1, 2, 4, 5))
            label = i % 2
            if label:
                b.insert(rng.integers(0, len(b) + 1), 3)
            if rng.random() < 0.5:                       # a 3 in the first text is a distractor
                a.insert(rng.integers(0, len(a) + 1), 3)
            inputs.append((a, b))
            labels.append(label)
        return batch_of("pair", inputs, labels)
    rng = np.random.default_rng(0)
    clf = GPTForClassification(body(), 2, kind="pair", lm_weight=0.5)
    train(clf, make, 150, rng)
    test = make(np.random.default_rng(99), 200)
    assert np.mean(clf.predict(test) == test["labels"]) >= 0.95


def test_similarity_regression_learns_a_symmetric_score():
    def make(rng, n):
        (a, ya), (b, yb) = has_three_examples(rng, n), has_three_examples(rng, n)
        return batch_of("similarity", list(zip(a, b)), np.add(ya, yb).astype(float))   # 0, 1 or 2 threes
    rng = np.random.default_rng(0)
    clf = GPTForClassification(body(), 1, kind="similarity", lm_weight=0.2)
    train(clf, make, 120, rng)
    test = make(np.random.default_rng(99), 200)
    assert pearson(clf.predict(test), test["labels"]) >= 0.95


def test_choice_head_learns_which_choice_repeats_the_context_token():
    def make(rng, n):
        inputs, labels = [], []
        for _ in range(n):
            x = int(rng.integers(0, 6))
            others = rng.choice([t for t in range(6) if t != x], size=2, replace=False).tolist()
            answer = int(rng.integers(0, 3))
            choices = [[t] for t in others]
            choices.insert(answer, [x])
            inputs.append(([x], choices))
            labels.append(answer)
        return batch_of("choice", inputs, labels)
    rng = np.random.default_rng(0)
    clf = GPTForClassification(body(), 3, kind="choice", lm_weight=0.5)
    train(clf, make, 200, rng)
    test = make(np.random.default_rng(99), 200)
    assert np.mean(clf.predict(test) == test["labels"]) >= 0.95


def test_freeze_body_leaves_the_body_unchanged():
    gpt = body()
    before = gpt.state_dict()
    clf = GPTForClassification(gpt, 2, kind="single", lm_weight=0.5, freeze_body=True)
    head_before = clf.head.weight.data.copy()
    assert all(not p.requires_grad for p in gpt.parameters()) and clf.head.weight.requires_grad
    rng = np.random.default_rng(0)
    opt = AdamW(clf, lr=1e-2)                          # weight decay must not touch the body either
    for _ in range(3):
        opt.zero_grad()
        _, metrics = clf.loss(batch_of("single", *has_three_examples(rng, 8)))
        opt.step()
    assert metrics["lm_loss"] > 0
    assert all(np.array_equal(before[k], v) for k, v in gpt.state_dict().items())
    assert not np.array_equal(clf.head.weight.data, head_before)
    # by default everything trains
    assert all(p.requires_grad for p in GPTForClassification(body(), 2).parameters())


def test_bad_input():
    clf = GPTForClassification(body(), 2, kind="pair")
    good = batch_of("pair", [([1], [2])], [1])
    with pytest.raises(ValueError, match="kind must be one of"):
        GPTForClassification(body(), 2, kind="triple")
    with pytest.raises(ValueError, match="lm_weight must be a number >= 0"):
        GPTForClassification(body(), 2, lm_weight=-1)
    with pytest.raises(ValueError, match="needs ids of 2 dimensions"):
        clf.loss(batch_of("similarity", [([1], [2])], [1]))
    with pytest.raises(ValueError, match="right padding"):
        clf.loss({**good, "attention_mask": np.array([[False, True, True, True, True]])})
    with pytest.raises(ValueError, match=r"labels must be integers in \[0, 2\)"):
        clf.loss({**good, "labels": np.array([2])})
    with pytest.raises(ValueError, match="labels must have shape"):
        clf.loss({**good, "labels": np.array([0, 1])})
    with pytest.raises(ValueError, match="scores 3 choices, the batch has 2"):
        GPTForClassification(body(), 3, kind="choice").loss(batch_of("choice", [([1], [[2], [3]])], [0]))
    with pytest.raises(ValueError, match="same number of choices"):
        batch_of("choice", [([1], [[2], [3]]), ([1], [[2]])], [0, 0])
    with pytest.raises(ValueError, match="needs a delim_id"):
        make_batch("pair", [([1], [2])], [0], START, EXTRACT)
    with pytest.raises(ValueError, match="as many labels as inputs"):
        batch_of("single", [[1], [2]], [0])
    with pytest.raises(ValueError, match="longer than block_size 16"):
        clf.loss(batch_of("pair", [([1] * 10, [2] * 10)], [0]))
