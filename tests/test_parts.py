"""The hidden tests of the homework parts (minitrans/course/parts.py), one pytest marker per part.

`pytest -m part_layernorm_backward` grades one part; `minitrans course grade DIR` runs this file
against a student's handout (with the handout's minitrans first on the path). Every test runs on
the "numpy" backend and calls the reference functions, so what is tested is the student's code
and never a Numba kernel. A handout does not contain this file.

Each part is checked by gradient checks against finite differences (float64, < 1e-6), by
equivalence with the teacher's reference on fixed inputs where the part is a function of its
inputs (the reference is this repository's minitrans/functional, loaded under another name),
and by its statistics where it is random (masking, span corruption).
"""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import minitrans
from minitrans import functional as F
from minitrans import nn
from minitrans.data.objectives import (IGNORE_INDEX, mask_tokens, span_corrupt, span_corruption_lengths,
                                       span_uncorrupt)
from minitrans.gradcheck import assert_gradients_close, check_loss, check_module, check_pair
from minitrans.models.bert import BertConfig, BertModel
from minitrans.models.bert_heads import BertForPreTraining
from minitrans.nn.lstm import LSTMLayer

REFERENCE_FUNCTIONAL = Path(__file__).parents[1] / "minitrans" / "functional"


@pytest.fixture(autouse=True)
def numpy_backend():
    """Only the reference runs: the student's functions, never the kernels."""
    with minitrans.use_backend("numpy"):
        yield


@pytest.fixture(scope="module")
def reference(request):
    """The teacher's minitrans/functional, loaded as the package `reference_functional` (when the
    grader runs these tests, its plugin, minitrans/course/plugin.py, has loaded it already)."""
    module = getattr(request.config, "minitrans_reference", None)
    if module is None:
        spec = importlib.util.spec_from_file_location("reference_functional", REFERENCE_FUNCTIONAL / "__init__.py",
                                                      submodule_search_locations=[str(REFERENCE_FUNCTIONAL)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def assert_same(actual, expected, name="the result"):
    """Two results (arrays, None, or tuples of them) agree to float64 rounding; a failure names the
    output and shows where it differs most, expected against got."""
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), \
            f"{name}: expected a tuple of {len(expected)}, got {type(actual).__name__} {actual!r:.80}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"output {i} of {name}")
    elif expected is None:
        assert actual is None, f"{name}: expected None, got {type(actual).__name__}"
    else:
        actual = np.asarray(actual)
        assert actual.shape == np.shape(expected), f"{name}: expected shape {np.shape(expected)}, got {actual.shape}"
        close = np.isclose(actual, expected, rtol=1e-10, atol=1e-12, equal_nan=False)
        if not close.all():
            worst = np.unravel_index(np.argmax(np.where(close, 0, np.abs(np.nan_to_num(actual - expected, nan=np.inf)))),
                                     actual.shape)
            raise AssertionError(f"{name}: {int((~close).sum())} of {close.size} values differ from the reference's; "
                                 f"at {tuple(int(i) for i in worst)} expected {np.asarray(expected)[worst]!r}, got "
                                 f"{actual[worst]!r}")


def assert_backward_matches_reference(name, reference, inputs, kwargs=None, seed=1):
    """F.<name>_backward on the cache of F.<name>_forward gives what the reference's gives."""
    forward, backward = getattr(F, name + "_forward"), getattr(F, name + "_backward")
    out, cache = forward(**inputs, **(kwargs or {}))
    dout = np.random.default_rng(seed).standard_normal(np.shape(out)) if np.ndim(out) else 0.7
    _, reference_cache = getattr(reference, name + "_forward")(**inputs, **(kwargs or {}))
    assert_same(backward(dout, cache), getattr(reference, name + "_backward")(dout, reference_cache),
                f"{name}_backward's result")


# ------------------------------------------------------------------ functional pairs

@pytest.mark.part_linear_backward
def test_linear_backward_gradients(rng):
    x, W, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    assert_gradients_close(check_pair(F.linear_forward, F.linear_backward, {"x": x, "W": W, "b": b}))
    assert_gradients_close(check_pair(lambda x, W: F.linear_forward(x, W, None), F.linear_backward,
                                      {"x": x, "W": W}, grad_names=["x", "W", "b"]))


@pytest.mark.part_linear_backward
def test_linear_backward_matches_reference(rng, reference):
    inputs = {"x": rng.standard_normal((3, 2, 4)), "W": rng.standard_normal((4, 6)), "b": rng.standard_normal(6)}
    assert_backward_matches_reference("linear", reference, inputs)


@pytest.mark.part_layernorm_backward
def test_layernorm_backward_gradients(rng):
    x = rng.standard_normal((3, 5, 8)) * 3 + 1
    inputs = {"x": x, "gamma": rng.standard_normal(8), "beta": rng.standard_normal(8)}
    assert_gradients_close(check_pair(F.layernorm_forward, F.layernorm_backward, inputs))


@pytest.mark.part_layernorm_backward
def test_layernorm_backward_matches_reference(rng, reference):
    inputs = {"x": rng.standard_normal((4, 3, 16)) * 2 - 1, "gamma": rng.standard_normal(16),
              "beta": rng.standard_normal(16)}
    assert_backward_matches_reference("layernorm", reference, inputs)


@pytest.mark.part_gelu_backward
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_backward_gradients(rng, approximate):
    x = rng.standard_normal((4, 7)) * 2
    assert_gradients_close(check_pair(F.gelu_forward, F.gelu_backward, {"x": x}, {"approximate": approximate}))


@pytest.mark.part_gelu_backward
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_backward_matches_reference(rng, reference, approximate):
    assert_backward_matches_reference("gelu", reference, {"x": rng.standard_normal((5, 9)) * 3},
                                      {"approximate": approximate})


@pytest.mark.part_softmax_backward
def test_softmax_backward_gradients_with_a_mask(rng):
    x = rng.standard_normal((3, 4, 6))
    mask = rng.random((3, 1, 6)) > 0.3
    mask[..., 0] = True
    assert_gradients_close(check_pair(F.softmax_forward, F.softmax_backward, {"x": x}, {"mask": mask}))


@pytest.mark.part_softmax_backward
def test_softmax_backward_matches_reference(rng, reference):
    assert_backward_matches_reference("softmax", reference, {"x": rng.standard_normal((2, 3, 7)) * 2})


@pytest.mark.part_cross_entropy_backward
def test_cross_entropy_backward_gradients_with_ignored_targets(rng):
    targets = rng.integers(0, 5, size=(2, 4))
    targets[0, 1] = targets[1, 3] = -100
    errors = check_pair(lambda logits: F.cross_entropy_forward(logits, targets), F.cross_entropy_backward,
                        {"logits": rng.standard_normal((2, 4, 5)) * 2})
    assert_gradients_close(errors)


@pytest.mark.part_cross_entropy_backward
def test_cross_entropy_backward_matches_reference(rng, reference):
    targets = rng.integers(0, 7, size=(3, 5))
    targets[2] = -100
    assert_backward_matches_reference("cross_entropy", reference,
                                      {"logits": rng.standard_normal((3, 5, 7)), "targets": targets})


def attention_case(rng):
    """q, k, v of two sequences of 5 with 3 heads, a padding mask and a bias."""
    q, k, v = (rng.standard_normal((2, 3, 5, 4)) for _ in range(3))
    mask = rng.random((2, 1, 1, 5)) > 0.3
    mask[..., 0] = True
    return {"q": q, "k": k, "v": v, "bias": rng.standard_normal((1, 3, 5, 5))}, {"mask": mask}


@pytest.mark.part_attention_backward
@pytest.mark.parametrize("causal", [False, True])
def test_attention_backward_gradients(rng, causal):
    inputs, kwargs = attention_case(rng)
    errors = check_pair(F.attention_forward, F.attention_backward, inputs, {**kwargs, "causal": causal},
                        grad_names=["q", "k", "v", "bias"])
    assert_gradients_close(errors)


@pytest.mark.part_attention_backward
def test_attention_backward_with_dropout_matches_reference(rng, reference):
    inputs, kwargs = attention_case(rng)
    for seed in (3, 4):                   # the same dropout mask on both sides: the same generator state
        student = F.attention_forward(**inputs, **kwargs, dropout_p=0.2, rng=np.random.default_rng(seed))
        teacher = reference.attention_forward(**inputs, **kwargs, dropout_p=0.2, rng=np.random.default_rng(seed))
        dout = rng.standard_normal(student[0].shape)
        assert_same(F.attention_backward(dout, student[1]), reference.attention_backward(dout, teacher[1]))


# ------------------------------------------------------------------ LSTM, objectives, optimizer

class LSTMWithFinalState(nn.Module):
    """One LSTMLayer with (out, h_n, c_n) as outputs, so that gradients arriving at the final state are checked."""

    def __init__(self):
        super().__init__()
        self.layer = LSTMLayer(3, 4, np.random.default_rng(1), dtype=np.float64)

    def forward(self, x, h0, c0):
        out, cache = self.layer.forward(x, h0, c0)
        return out, cache["h_n"], cache["c_n"], cache

    def backward(self, douts, cache):
        dout, dh_n, dc_n = douts
        return self.layer.backward(dout, cache, dh_n=dh_n, dc_n=dc_n)


@pytest.mark.part_lstm_backward
def test_lstm_backprop_through_time(rng):
    inputs = {"x": rng.standard_normal((3, 6, 3)), "h0": rng.standard_normal((3, 4)),
              "c0": rng.standard_normal((3, 4))}
    errors = check_module(LSTMWithFinalState(), inputs)
    assert {"input:x", "input:h0", "input:c0", "param:layer.W_x", "param:layer.W_h", "param:layer.b"} <= set(errors)
    assert_gradients_close(errors)


VOCAB, PAD, CLS, SEP, MASK = 50, 0, 1, 2, 3
SPECIAL = [PAD, CLS, SEP, MASK]


@pytest.mark.part_mlm_masking
def test_masking_rule_statistics():
    rng = np.random.default_rng(0)
    ids = rng.integers(4, VOCAB, size=(400, 64))
    ids[:, 0], ids[:, 40] = CLS, SEP
    ids[::2, 50:] = PAD
    inputs, targets = mask_tokens(ids, rng, VOCAB, MASK, SPECIAL)
    chosen = targets != IGNORE_INDEX
    ordinary = ~np.isin(ids, SPECIAL)
    assert not (chosen & ~ordinary).any(), "a special token ([CLS], [SEP], [PAD]) was chosen"
    expected = np.floor(0.15 * ordinary.sum(axis=1) + 0.5)
    assert (chosen.sum(axis=1) == expected).all(), \
        f"chosen tokens per row: expected round(15% of the ordinary ones), e.g. {expected[:3]}, got {chosen.sum(axis=1)[:3]}"
    assert (targets[chosen] == ids[chosen]).all(), "the targets of chosen tokens must be the original ids"
    assert (inputs[~chosen] == ids[~chosen]).all(), "tokens not chosen must stay as they are in the inputs"
    masked = (inputs[chosen] == MASK).mean()
    kept = (inputs[chosen] == ids[chosen]).mean()
    for what, got, expected in (("replaced by [MASK]", masked, 0.8), ("kept as they are", kept, 0.1),
                                ("replaced by a random token", 1 - masked - kept, 0.1)):
        assert abs(got - expected) < 0.02, f"share of the chosen tokens {what}: expected {expected:.2f} ± 0.02, got {got:.3f}"
    assert not np.isin(inputs[chosen & (inputs != MASK)], SPECIAL).any(), "a random token was a special one"
    assert inputs.dtype == targets.dtype == np.int64 and inputs.shape == ids.shape, \
        f"inputs and targets: expected int64 of shape {ids.shape}, got {inputs.dtype} {inputs.shape}, {targets.dtype}"


@pytest.mark.part_mlm_masking
def test_masking_is_reproducible_and_mask_only_masks_everything():
    ids = np.random.default_rng(1).integers(4, VOCAB, size=(8, 20))
    first = mask_tokens(ids, np.random.default_rng(5), VOCAB, MASK, SPECIAL)
    again = mask_tokens(ids, np.random.default_rng(5), VOCAB, MASK, SPECIAL)
    assert_same(again, first)
    inputs, targets = mask_tokens(ids, np.random.default_rng(5), VOCAB, MASK, SPECIAL, mask_only=True)
    assert np.all(inputs[targets != IGNORE_INDEX] == MASK)


SENTINELS = list(range(999, 899, -1))


@pytest.mark.part_span_corruption
def test_span_corruption_is_invertible_with_predicted_lengths():
    rng = np.random.default_rng(3)
    for _ in range(100):
        n = int(rng.integers(2, 200))
        ids = rng.integers(4, 800, size=n)
        inputs, targets = span_corrupt(ids, rng, SENTINELS, eos_id=1)
        np.testing.assert_array_equal(span_uncorrupt(inputs, targets, SENTINELS, eos_id=1), ids)
        n_noise, n_spans, in_len, out_len = span_corruption_lengths(n)
        assert (len(inputs), len(targets)) == (in_len, out_len)
        assert [t for t in inputs if t in SENTINELS] == SENTINELS[:n_spans] == [t for t in targets if t in SENTINELS]


@pytest.mark.part_span_corruption
def test_span_corruption_density_and_mean_span_length():
    rng = np.random.default_rng(4)
    noise = spans = 0
    for _ in range(200):
        inputs, targets = span_corrupt(rng.integers(4, 800, size=500), rng, SENTINELS)
        n_spans = int(np.isin(targets, SENTINELS).sum())
        noise, spans = noise + len(targets) - n_spans, spans + n_spans
    assert noise / (200 * 500) == pytest.approx(0.15, abs=0.002)
    assert noise / spans == pytest.approx(3.0, abs=0.05)


@pytest.mark.part_adamw_step
@pytest.mark.parametrize("decoupled", [True, False])
def test_adam_steps_match_reference(rng, reference, decoupled):
    p, m, v = rng.standard_normal((3, 4)), np.zeros((3, 4)), np.zeros((3, 4))
    p_ref, m_ref, v_ref = p.copy(), m.copy(), v.copy()
    for t in range(1, 6):
        grad = rng.standard_normal((3, 4))
        F.adam_step(p, grad, m, v, 0.01, 0.9, 0.99, 1e-8, t, decay=0.1, decoupled=decoupled)   # in place
        reference.adam_step(p_ref, grad, m_ref, v_ref, 0.01, 0.9, 0.99, 1e-8, t, decay=0.1, decoupled=decoupled)
    assert_same((p, m, v), (p_ref, m_ref, v_ref))


@pytest.mark.part_adamw_step
def test_adamw_decay_is_decoupled_from_the_moments():
    p, m, v = np.full(3, 2.0), np.zeros(3), np.zeros(3)
    F.adam_step(p, np.zeros(3), m, v, 0.1, 0.9, 0.999, 1e-8, 1, decay=0.5, decoupled=True)
    np.testing.assert_allclose(p, 2.0 * (1 - 0.1 * 0.5), rtol=1e-12)       # a zero gradient: only the decay
    assert not m.any() and not v.any()


# ------------------------------------------------------------------ one part per model family

@pytest.mark.part_gpt_block_backward
@pytest.mark.parametrize("norm_first", [True, False])
def test_transformer_block_gradients(rng, norm_first):
    """GPT's causal pre-norm block, and BERT's post-norm one with padding."""
    block = nn.TransformerBlock(8, 2, 16, norm_first=norm_first, causal=norm_first, rng=rng, std=0.5,
                                dtype=np.float64)
    mask = np.ones((2, 5), dtype=bool)
    mask[1, 3:] = False
    errors = check_module(block, {"x": rng.standard_normal((2, 5, 8))}, {"mask": mask})
    assert "input:x" in errors and len(errors) == 1 + len(list(block.parameters()))
    assert_gradients_close(errors)


@pytest.mark.part_bert_mlm_head_backward
def test_mlm_head_gradients_with_tied_decoder():
    config = BertConfig(vocab_size=13, max_position=8, n_layer=1, n_head=2, d_model=8, d_ff=16, dropout=0.0,
                        dtype="float64")
    head = BertForPreTraining(BertModel(config), nsp=False)
    rng = np.random.default_rng(1)
    for p in head.parameters():                     # larger weights make every path matter
        p.data += rng.standard_normal(p.shape) * 0.4
    ids = rng.integers(4, 13, size=(2, 6))
    labels = np.full((2, 6), -100)
    labels[0, [2, 4]], labels[1, 1] = [5, 6], 7
    batch = {"ids": ids, "segment_ids": np.zeros((2, 6), dtype=np.int64), "attention_mask": np.ones((2, 6), bool),
             "mlm_labels": labels}
    errors = check_loss(head, lambda backward: head.loss(batch, backward)[0])
    assert "bert.tok_emb.weight" in errors and "mlm_bias" in errors
    assert_gradients_close(errors)


@pytest.mark.part_t5_cross_attention_backward
def test_cross_attention_gradients_of_both_inputs(rng):
    attn = nn.CrossAttention(8, 2, rng=rng, std=0.5, dtype=np.float64)
    mask = np.ones((2, 6), dtype=bool)
    mask[0, 4:] = False
    errors = check_module(attn, {"x": rng.standard_normal((2, 3, 8)), "context": rng.standard_normal((2, 6, 8))},
                          {"mask": mask})
    assert {"input:x", "input:context"} <= set(errors)
    assert_gradients_close(errors)
