"""Gradient checks and edge cases of every functional pair (the NumPy reference)."""
import numpy as np
import pytest

from minitrans import functional as F
from minitrans.gradcheck import assert_gradients_close, check_pair, relative_error


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_linear(rng):
    x, W, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    assert_gradients_close(check_pair(F.linear_forward, F.linear_backward, {"x": x, "W": W, "b": b}))
    errs = check_pair(lambda x, W: F.linear_forward(x, W, None), F.linear_backward, {"x": x, "W": W},
                      grad_names=["x", "W", "b"])
    assert_gradients_close(errs)


def test_embedding_accumulates_repeated_ids(rng):
    W = rng.standard_normal((6, 4))
    ids = np.array([[1, 1, 3], [5, 1, 0]])
    errs = check_pair(lambda W: F.embedding_forward(ids, W), F.embedding_backward, {"W": W})
    assert_gradients_close(errs)
    out, cache = F.embedding_forward(ids, W)
    dW = F.embedding_backward(np.ones_like(out), cache)
    assert np.allclose(dW[1], 3.0) and np.allclose(dW[2], 0.0)


@pytest.mark.parametrize("pair", ["layernorm", "rmsnorm"])
def test_norms(rng, pair):
    x = rng.standard_normal((3, 5, 8)) * 3 + 1
    g, b = rng.standard_normal(8), rng.standard_normal(8)
    if pair == "layernorm":
        errs = check_pair(F.layernorm_forward, F.layernorm_backward, {"x": x, "gamma": g, "beta": b})
    else:
        errs = check_pair(F.rmsnorm_forward, F.rmsnorm_backward, {"x": x, "gamma": g})
    assert_gradients_close(errs)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(rng, approximate):
    x = rng.standard_normal((4, 7)) * 2
    assert_gradients_close(check_pair(F.gelu_forward, F.gelu_backward, {"x": x}, {"approximate": approximate}))


def test_gelu_values():
    x = np.array([-1.0, 0.0, 1.0, 2.0])
    exact, _ = F.gelu_forward(x, "none")
    tanh, _ = F.gelu_forward(x, "tanh")
    # x * Phi(x) with Phi(1) = 0.8413447460685429, Phi(2) = 0.9772498680518208
    assert np.allclose(exact, [-1 + 0.8413447460685429, 0.0, 0.8413447460685429, 2 * 0.9772498680518208])
    assert np.max(np.abs(exact - tanh)) < 1e-3


def test_relu_tanh_dropout(rng):
    x = rng.standard_normal((5, 6))
    x[np.abs(x) < 0.01] = 0.5  # keep the stencil away from relu's kink
    assert_gradients_close(check_pair(F.relu_forward, F.relu_backward, {"x": x}))
    assert_gradients_close(check_pair(F.tanh_forward, F.tanh_backward, {"x": x}))
    kwargs = {"p": 0.3, "rng": np.random.default_rng(1), "train": True}
    assert_gradients_close(check_pair(F.dropout_forward, F.dropout_backward, {"x": x}, kwargs))


def test_dropout_rate_and_eval(rng):
    x = np.ones((200, 500))
    out, _ = F.dropout_forward(x, 0.2, rng, train=True)
    assert abs((out == 0).mean() - 0.2) < 0.01
    assert abs(out.mean() - 1.0) < 0.02
    out, _ = F.dropout_forward(x, 0.2, rng, train=False)
    assert out is x


def test_softmax_and_log_softmax(rng):
    x = rng.standard_normal((3, 4, 6))
    mask = rng.random((3, 1, 6)) > 0.3
    assert_gradients_close(check_pair(F.softmax_forward, F.softmax_backward, {"x": x}))
    assert_gradients_close(check_pair(F.softmax_forward, F.softmax_backward, {"x": x}, {"mask": mask}))
    assert_gradients_close(check_pair(F.log_softmax_forward, F.log_softmax_backward, {"x": x}))
    p, _ = F.softmax_forward(x)
    lp, _ = F.log_softmax_forward(x)
    assert np.allclose(np.log(p), lp)


def test_softmax_fully_masked_row_and_large_logits():
    x = np.array([[1e4, -1e4, 0.0], [3.0, 2.0, 1.0]], dtype=np.float32)
    mask = np.array([[True, True, True], [False, False, False]])
    p, cache = F.softmax_forward(x, mask)
    assert np.all(np.isfinite(p))
    assert np.allclose(p[0], [1, 0, 0]) and np.all(p[1] == 0)
    dx = F.softmax_backward(np.ones_like(x), cache)
    assert np.all(dx[1] == 0) and np.all(np.isfinite(dx))
    lp, _ = F.log_softmax_forward(x)
    assert np.all(np.isfinite(lp))


def test_cross_entropy(rng):
    logits = rng.standard_normal((2, 5, 7))
    targets = rng.integers(0, 7, size=(2, 5))
    targets[0, 1] = targets[1, 3] = -100
    errs = check_pair(F.cross_entropy_forward, F.cross_entropy_backward, {"logits": logits},
                      {"targets": targets}, grad_names=["logits"])
    assert_gradients_close(errs)
    loss, _ = F.cross_entropy_forward(logits, targets)
    keep = targets != -100
    lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.mean(np.take_along_axis(lp, np.where(keep, targets, 0)[..., None], -1)[..., 0][keep])
    assert relative_error(loss, expected) < 1e-12


def test_cross_entropy_all_ignored_and_bad_targets(rng):
    logits = rng.standard_normal((3, 4))
    loss, cache = F.cross_entropy_forward(logits, np.full(3, -100))
    assert loss == 0.0 and np.all(F.cross_entropy_backward(1.0, cache) == 0)
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        F.cross_entropy_forward(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="shape"):
        F.cross_entropy_forward(logits, np.array([0, 1]))


def test_mse(rng):
    pred, target = rng.standard_normal(5), rng.standard_normal(5)
    assert_gradients_close(check_pair(F.mse_forward, F.mse_backward, {"pred": pred}, {"target": target},
                                      grad_names=["pred"]))


def attention_inputs(rng, B=2, H=3, Tq=5, Tk=5, D=4):
    q = rng.standard_normal((B, H, Tq, D))
    k = rng.standard_normal((B, H, Tk, D))
    v = rng.standard_normal((B, H, Tk, D))
    return q, k, v


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("use_mask", [False, True])
@pytest.mark.parametrize("use_bias", [False, True])
def test_attention_gradients(rng, causal, use_mask, use_bias):
    q, k, v = attention_inputs(rng)
    inputs = {"q": q, "k": k, "v": v}
    kwargs = {"causal": causal}
    if use_mask:
        mask = rng.random((2, 1, 1, 5)) > 0.3
        mask[:, :, :, 0] = True
        kwargs["mask"] = mask
    if use_bias:
        inputs["bias"] = rng.standard_normal((1, 3, 5, 5))
    errs = check_pair(F.attention_forward, F.attention_backward, inputs, kwargs,
                      grad_names=["q", "k", "v", "bias"])
    assert_gradients_close(errs)


def test_attention_cross_shapes_dropout_and_fully_masked(rng):
    q, k, v = attention_inputs(rng, Tq=3, Tk=6)
    mask = np.ones((2, 1, 3, 6), dtype=bool)
    mask[1, 0, 2, :] = False  # one query sees nothing
    kwargs = {"mask": mask, "dropout_p": 0.25, "rng": np.random.default_rng(3)}
    errs = check_pair(F.attention_forward, F.attention_backward, {"q": q, "k": k, "v": v}, kwargs,
                      grad_names=["q", "k", "v", "bias"])
    assert_gradients_close(errs)
    out, cache = F.attention_forward(q, k, v, mask=mask)
    assert np.all(out[1, :, 2] == 0) and np.all(np.isfinite(out))
    assert cache["probs"].shape == (2, 3, 3, 6)


def test_causal_mask_alignment_for_cached_decoding(rng):
    q, k, v = attention_inputs(rng, Tq=5, Tk=5)
    full, _ = F.attention_forward(q, k, v, causal=True)
    last, _ = F.attention_forward(q[:, :, 3:], k, v, causal=True)
    assert np.allclose(full[:, :, 3:], last)
    assert not F.causal_mask(2, 3)[0, 2] and F.causal_mask(2, 3)[0, 1]


def test_attention_bad_input(rng):
    q, k, v = attention_inputs(rng)
    with pytest.raises(ValueError, match="k must have shape"):
        F.attention_forward(q, k[:, :, :, :3], v)
    with pytest.raises(ValueError, match="does not broadcast"):
        F.attention_forward(q, k, v, mask=np.ones((3, 5), dtype=bool))
    with pytest.raises(TypeError, match="boolean"):
        F.attention_forward(q, k, v, mask=np.ones((5, 5)))
    with pytest.raises(ValueError, match="4 dimensions"):
        F.attention_forward(q[0], k[0], v[0])


def test_bad_input_messages(rng):
    with pytest.raises(ValueError, match="last dimension 3"):
        F.linear_forward(rng.standard_normal((2, 4)), rng.standard_normal((3, 5)))
    with pytest.raises(ValueError, match=r"\[0, 6\)"):
        F.embedding_forward(np.array([0, 6]), rng.standard_normal((6, 2)))
    with pytest.raises(TypeError, match="integer"):
        F.embedding_forward(np.array([0.0, 1.0]), rng.standard_normal((6, 2)))
    with pytest.raises(TypeError, match="floating"):
        F.layernorm_forward(np.ones((2, 3), dtype=np.int64), np.ones(3), np.zeros(3))


def test_gradcheck_catches_a_wrong_backward(rng):
    """The checker must fail a subtly wrong layernorm backward (a missing mean term)."""
    def wrong_backward(dout, cache):
        xhat, rstd, gamma = cache
        dx = rstd * (dout * gamma - xhat * (dout * gamma * xhat).mean(-1, keepdims=True))
        return dx, (dout * xhat).reshape(-1, 4).sum(0), dout.reshape(-1, 4).sum(0)

    x, g, b = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(4)
    errs = check_pair(F.layernorm_forward, wrong_backward, {"x": x, "gamma": g, "beta": b})
    assert errs["x"] > 1e-3 and errs["gamma"] < 1e-6
