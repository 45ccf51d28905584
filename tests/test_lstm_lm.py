"""The LSTM LM, GPT's finetuning head on an LSTM body, and ELMo: gradients, causality, learning, recipes."""
import numpy as np
import pytest

from minitrans.data.batching import pad_batch
from minitrans.data.gpt_inputs import make_batch
from minitrans.gradcheck import assert_gradients_close, check_loss, check_module
from minitrans.models import LMForClassification, LSTMConfig, LSTMLM, count_lstm_parameters, resize_token_embeddings
from minitrans.models.elmo import ELMoForClassification, ScalarMix, reverse_real_tokens
from minitrans.optim import AdamW

START, DELIM, EXTRACT = 6, 7, 8          # special tokens after the 6 "word" tokens 0..5


def tiny(**overrides):
    return LSTMLM(LSTMConfig(**{**dict(vocab_size=6, n_layer=2, n_embd=5, dtype="float64"), **overrides}))


def bumped(module, scale=0.4):
    """Larger random weights, so that no gradient path is tiny."""
    noise = np.random.default_rng(2)
    for p in module.parameters():
        p.data += noise.standard_normal(p.shape) * scale
    return module


# ---------------------------------------------------------------- the LM
@pytest.mark.parametrize("overrides", [{}, {"tie_weights": False, "dropout": 0.2, "n_layer": 1}])
def test_lm_loss_gradients(overrides):
    model = bumped(tiny(**overrides)).train()
    rng = np.random.default_rng(0)
    ids, targets = rng.integers(0, 6, size=(2, 5)), rng.integers(0, 6, size=(2, 5))
    targets[1, 3:] = -100

    def loss_fn(backward):
        loss, dlogits, cache = model.loss(ids, targets)
        if backward:
            model.backward(dlogits, cache)
        return loss
    errors = check_loss(model, loss_fn)
    assert set(errors) == {name for name, _ in model.named_parameters()}
    assert_gradients_close(errors)


def test_causality_and_parameter_count():
    model = tiny()
    ids = np.random.default_rng(0).integers(0, 6, size=(1, 7))
    changed = ids.copy()
    changed[0, 4] = (changed[0, 4] + 1) % 6
    a, _ = model.forward(ids)
    b, _ = model.forward(changed)
    assert np.array_equal(a[:, :4], b[:, :4]) and not np.allclose(a[:, 4:], b[:, 4:])
    config = LSTMConfig.preset("baby", vocab_size=600)
    assert count_lstm_parameters(config) == LSTMLM(config).num_parameters() == 877824


def test_memorises_a_repeating_text():
    """A 1 x 32 LSTM LM learns "hello world! " * 3 to a next-character loss below 0.01 in 150 Adam steps."""
    text = "hello world! " * 3
    vocab = sorted(set(text))
    ids = np.array([[vocab.index(ch) for ch in text]])
    model = LSTMLM(LSTMConfig(vocab_size=len(vocab), n_layer=1, n_embd=32))
    opt = AdamW(model, lr=2e-2, weight_decay=0.0)
    for _ in range(150):
        opt.zero_grad()
        loss, dlogits, cache = model.loss(ids[:, :-1], ids[:, 1:])
        model.backward(dlogits, cache)
        opt.step()
    assert loss < 0.01


# ------------------------------------------------- GPT's head, LSTM body
def lstm_body(dtype="float64", **overrides):
    return resize_token_embeddings(tiny(dtype=dtype, **overrides), 9, seed=1)


@pytest.mark.parametrize("kind,num_labels", [("single", 3), ("similarity", 1), ("choice", 2)])
def test_finetuning_head_gradients_with_an_lstm_body(kind, num_labels):
    clf = bumped(LMForClassification(lstm_body(tie_weights=kind != "choice"), num_labels, kind=kind,
                                     lm_weight=0.7, dropout=0.2)).train()
    rng = np.random.default_rng(0)
    seq = lambda n: list(rng.integers(0, 6, size=n))
    inputs = {"single": [seq(1), seq(3), seq(2)], "similarity": [(seq(1), seq(2)), (seq(3), seq(1))],
              "choice": [(seq(2), [seq(1), seq(3)]), (seq(1), [seq(2), seq(1)])]}[kind]
    labels = rng.standard_normal(len(inputs)) if num_labels == 1 else rng.integers(0, num_labels, len(inputs))
    batch = make_batch(kind, inputs, labels, START, EXTRACT, DELIM)
    assert not batch["attention_mask"].all()
    assert_gradients_close(check_loss(clf, lambda backward: clf.loss(batch, backward)[0], max_entries=20))


def test_finetuning_head_with_an_lstm_body_learns_whether_token_3_occurs():
    """GPT's single-text head on a 1 x 32 LSTM reaches >= 0.95 accuracy on "does token 3 occur" in 150 steps."""
    def make(rng, n):
        inputs = [list(rng.choice([0, 1, 2, 4, 5], size=rng.integers(2, 6))) for _ in range(n)]
        labels = rng.integers(0, 2, size=n)
        for x, label in zip(inputs, labels):
            if label:
                x.insert(rng.integers(0, len(x) + 1), 3)
        return make_batch("single", inputs, labels, START, EXTRACT)
    clf = LMForClassification(lstm_body("float32", n_layer=1, n_embd=32), 2, kind="single", lm_weight=0.5)
    opt, rng = AdamW(clf, lr=1e-2, weight_decay=0.0), np.random.default_rng(0)
    for _ in range(150):
        opt.zero_grad()
        clf.loss(make(rng, 32))
        opt.step()
    test = make(np.random.default_rng(99), 200)
    assert np.mean(clf.predict(test) == test["labels"]) >= 0.95


# -------------------------------------------------------------- ELMo
def test_scalar_mix_gradients():
    mix = ScalarMix(3, np.float64)
    mix.weights.data[:] = [0.3, -0.5, 0.1]
    mix.gamma.data[:] = 1.7
    layers = np.random.default_rng(0).standard_normal((3, 2, 4, 5))
    errors = check_module(mix, {"layers": layers})
    assert set(errors) == {"input:layers", "param:weights", "param:gamma"}
    assert_gradients_close(errors)


def bilm(dtype="float64"):
    return tiny(dtype=dtype, seed=1), tiny(dtype=dtype, seed=2, reverse=True)


def padded(texts, labels, pair=False):
    """An ELMo batch: ids (B, T), or (B, 2, T) when the texts are pairs in a row."""
    ids, mask = pad_batch(texts, pad_id=0)
    shape = (len(texts) // 2, 2, -1) if pair else ids.shape
    return {"ids": ids.reshape(shape), "attention_mask": mask.reshape(shape), "labels": labels}


def elmo_batch(kind, rng, labels):
    lengths = (2, 4, 1, 3) if kind == "pair" else (2, 4)
    return padded([list(rng.integers(0, 6, size=n)) for n in lengths], labels, pair=kind == "pair")


@pytest.mark.parametrize("kind,num_labels", [("single", 3), ("pair", 2), ("pair", 1)])
def test_elmo_head_gradients(kind, num_labels):
    clf = bumped(ELMoForClassification(*bilm(), num_labels, kind=kind, dropout=0.2)).train()
    rng = np.random.default_rng(0)
    labels = rng.standard_normal(2) if num_labels == 1 else np.array([0, num_labels - 1])
    batch = elmo_batch(kind, rng, labels)
    errors = check_loss(clf, lambda backward: clf.loss(batch, backward)[0])
    assert set(errors) == {"mix.weights", "mix.gamma", "head.weight", "head.bias"}   # the biLM is frozen
    assert_gradients_close(errors)


def test_elmo_reads_both_directions():
    """At position t the forward half has read tokens <= t, the backward half tokens >= t; padding is ignored."""
    clf = ELMoForClassification(*bilm(), 2)
    ids = np.array([[1, 2, 3, 4, 0, 0]])
    mask = np.array([[True] * 4 + [False] * 2])
    assert reverse_real_tokens(ids, mask.sum(1)).tolist() == [[4, 3, 2, 1, 0, 0]]
    layers = clf.bilm_layers(ids, mask)                       # (3, 1, 6, 10)
    changed = clf.bilm_layers(np.array([[1, 2, 5, 4, 3, 3]]), mask)
    C = 5
    assert np.array_equal(layers[1:, :, :2, :C], changed[1:, :, :2, :C])      # forward: before the change
    assert np.array_equal(layers[1:, :, 3:4, C:], changed[1:, :, 3:4, C:])    # backward: after it
    assert not np.allclose(layers[1:, :, 2:4, :C], changed[1:, :, 2:4, :C])
    assert not np.allclose(layers[1:, :, :3, C:], changed[1:, :, :3, C:])


def test_elmo_learns_whether_token_3_occurs_with_the_bilm_frozen():
    """Mix and head alone on random biLM features: >= 0.9 accuracy on "does token 3 occur" in 150 steps."""
    fwd, bwd = tiny(dtype="float32", n_embd=16, seed=1), tiny(dtype="float32", n_embd=16, seed=2, reverse=True)
    before = fwd.state_dict()
    clf = ELMoForClassification(fwd, bwd, 2)

    def make(rng, n):
        texts = [list(rng.choice([0, 1, 2, 4, 5], size=rng.integers(2, 6))) for _ in range(n)]
        labels = rng.integers(0, 2, size=n)
        for x, label in zip(texts, labels):
            if label:
                x.insert(rng.integers(0, len(x) + 1), 3)
        return padded(texts, labels)
    opt, rng = AdamW(clf, lr=3e-2, weight_decay=0.0), np.random.default_rng(0)
    for _ in range(150):
        opt.zero_grad()
        clf.loss(make(rng, 32))
        opt.step()
    test = make(np.random.default_rng(99), 200)
    assert np.mean(clf.predict(test) == test["labels"]) >= 0.9
    assert all(np.array_equal(before[k], v) for k, v in fwd.state_dict().items())


def test_elmo_bad_input():
    fwd, bwd = bilm()
    with pytest.raises(ValueError, match="needs a forward LM .* and a backward LM"):
        ELMoForClassification(fwd, fwd, 2)
    with pytest.raises(ValueError, match="kind must be one of"):
        ELMoForClassification(fwd, bwd, 2, kind="choice")
    clf = ELMoForClassification(fwd, bwd, 2, kind="pair")
    with pytest.raises(ValueError, match="kind 'pair' needs ids of 3 dimensions"):
        clf.loss(elmo_batch("single", np.random.default_rng(0), np.array([0, 1])))


# ---------------------------------------------------- recipes and CLI
def test_pretrain_a_backward_lstm_from_the_command_line(tmp_path):
    """`pretrain lstm --reverse` writes a checkpoint that loads as a backward LM, which finetune_lstm refuses
    (the forward LM's finetuning runs in the gpt-ablation study's test)."""
    from minitrans.cli import main
    from minitrans.recipes.lstm import finetune_lstm, load_lstm
    assert main(["pretrain", "lstm", "--preset", "nano", "--iters", "2", "--eval-interval", "2", "--reverse",
                 "--out", str(tmp_path), "--no-progress"]) == 0
    backward, _ = load_lstm(str(tmp_path / "checkpoint.safetensors"))
    assert backward.config.reverse and backward.config.n_embd == 64
    with pytest.raises(ValueError, match="backward .* LSTM LM; finetune a forward one"):
        finetune_lstm("sentiment", str(tmp_path / "checkpoint.safetensors"), n_train=4)
