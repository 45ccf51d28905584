"""GPT: whole-model gradients, causality, padding, memorisation, presets and bad input."""
import numpy as np
import pytest

from minitrans.gradcheck import assert_gradients_close, check_loss
from minitrans.models import GPT, GPTConfig
from minitrans.models.gpt import count_gpt_parameters
from minitrans.optim import AdamW


def tiny(**overrides):
    cfg = dict(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=8, dtype="float64")
    return GPTConfig(**{**cfg, **overrides})


def lm_loss_check(model, ids, targets, mask=None):
    """Gradient-check the LM loss of a model over every parameter."""
    def loss_fn(backward):
        loss, dlogits, cache = model.loss(ids, targets, mask)
        if backward:
            model.backward(dlogits, cache)
        return loss
    return check_loss(model, loss_fn)


@pytest.mark.parametrize("overrides", [{}, {"norm_first": False, "activation": "gelu"},
                                       {"tie_weights": False, "dropout": 0.1}])
def test_lm_loss_gradients(overrides):
    model = GPT(tiny(**overrides))
    for p in model.parameters():      # larger weights make every path matter
        p.data += np.random.default_rng(1).standard_normal(p.shape) * 0.4
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 11, size=(2, 6))
    targets = rng.integers(0, 11, size=(2, 6))
    targets[1, 4:] = -100
    assert_gradients_close(lm_loss_check(model, ids, targets))


def test_causality():
    model = GPT(tiny())
    ids = np.random.default_rng(0).integers(0, 11, size=(1, 8))
    logits, _ = model.forward(ids)
    changed = ids.copy()
    changed[0, 5] = (changed[0, 5] + 1) % 11
    logits2, _ = model.forward(changed)
    assert np.array_equal(logits[:, :5], logits2[:, :5])
    assert not np.allclose(logits[:, 5:], logits2[:, 5:])


def test_right_padding_invariance():
    model = GPT(tiny())
    ids = np.random.default_rng(0).integers(0, 11, size=(1, 5))
    padded = np.concatenate([ids, np.zeros((1, 3), dtype=ids.dtype)], axis=1)
    mask = np.array([[True] * 5 + [False] * 3])
    a, _ = model.forward(ids)
    b, _ = model.forward(padded, attention_mask=mask)
    assert np.allclose(a, b[:, :5], atol=1e-12)


def test_memorises_a_repeating_text():
    text = "hello world! " * 3
    vocab = sorted(set(text))
    ids = np.array([[vocab.index(ch) for ch in text]])
    cfg = GPTConfig(vocab_size=len(vocab), block_size=len(text), n_layer=2, n_head=2, n_embd=32, seed=0)
    model = GPT(cfg)
    opt = AdamW(model, lr=3e-3, weight_decay=0.0)
    x, y = ids[:, :-1], ids[:, 1:]
    for _ in range(300):
        opt.zero_grad()
        loss, dlogits, cache = model.loss(x, y)
        model.backward(dlogits, cache)
        opt.step()
    assert loss < 0.01
    # greedy decoding from the first character reproduces the text
    out = ids[:, :1]
    model.eval()
    for _ in range(len(text) - 1):
        logits, _ = model.forward(out)
        out = np.concatenate([out, logits[:, -1].argmax(-1)[:, None]], axis=1)
    assert "".join(vocab[i] for i in out[0]) == text


@pytest.mark.parametrize("name,published", [("gpt1", 117e6), ("gpt2", 124e6), ("gpt2-medium", 355e6),
                                            ("gpt2-large", 774e6), ("gpt2-xl", 1558e6)])
def test_published_parameter_counts(name, published):
    assert abs(count_gpt_parameters(GPTConfig.preset(name)) - published) / published < 0.01


def test_tiny_presets_build_and_count():
    nano = GPT(GPTConfig.preset("nano"))
    assert nano.num_parameters() == count_gpt_parameters(nano.config) < 1_000_000
    baby = GPTConfig.preset("baby")
    assert (baby.n_layer, baby.n_head, baby.n_embd) == (4, 4, 128)
    assert GPTConfig.preset("baby", dropout=0.2).dropout == 0.2
    baby_model = GPT(baby)                  # no biases anywhere: no Linear bias, no LayerNorm shift
    assert baby_model.num_parameters() == count_gpt_parameters(baby)
    assert not [name for name, _ in baby_model.named_parameters() if name.endswith("bias")]
    with pytest.raises(ValueError, match="unknown GPTConfig preset"):
        GPTConfig.preset("gpt5")


def test_bad_input():
    model = GPT(tiny(dtype="float32"))
    with pytest.raises(ValueError, match="longer than block_size 8"):
        model.forward(np.zeros((1, 9), dtype=np.int64))
    with pytest.raises(ValueError, match=r"\[0, 11\)"):
        model.forward(np.array([[1, 11]]))
    with pytest.raises(ValueError, match=r"shape \(B, T\)"):
        model.forward(np.zeros((1, 0), dtype=np.int64))
    with pytest.raises(TypeError, match="integer"):
        model.forward(np.zeros((1, 3)))
