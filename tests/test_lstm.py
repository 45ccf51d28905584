"""LSTM: gradient checks of backprop through time, agreement with a step-by-step formula, input checks, learning."""
import numpy as np
import pytest

from minitrans import functional as F
from minitrans.gradcheck import assert_gradients_close, check_module
from minitrans.nn.lstm import LSTM, LSTMLayer
from minitrans.nn.module import Module

B, T, C, H = 3, 6, 3, 4


def make_inputs(num_layers, with_state, seed=0):
    rng = np.random.default_rng(seed)
    inputs = {"x": rng.standard_normal((B, T, C))}
    if with_state:
        inputs["h0"] = rng.standard_normal((num_layers, B, H))
        inputs["c0"] = rng.standard_normal((num_layers, B, H))
    return inputs


# ------------------------------------------------------------------ gradient checks

@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("with_state", [False, True])
def test_gradients(num_layers, with_state):
    """x, every parameter, and h0/c0 when given: analytic BPTT matches finite differences."""
    lstm = LSTM(C, H, num_layers=num_layers, seed=1).astype(np.float64)
    inputs = make_inputs(num_layers, with_state)
    errors = check_module(lstm, inputs)
    expected = {"input:x"} | ({"input:h0", "input:c0"} if with_state else set())
    expected |= {f"param:layers.{l}.{n}" for l in range(num_layers) for n in ("W_x", "W_h", "b")}
    assert set(errors) == expected
    assert_gradients_close(errors)


class FinalStateOutputs(Module):
    """Test wrapper: exposes (out, h_n, c_n) as three outputs so their upstream gradients are all checked."""

    def __init__(self, lstm):
        super().__init__()
        self.lstm = lstm

    def forward(self, x, h0, c0):
        out, cache = self.lstm.forward(x, h0, c0)
        h_n, c_n = LSTM.final_state(cache)
        return out, h_n, c_n, cache

    def backward(self, douts, cache):
        dout, dh_n, dc_n = douts
        return self.lstm.backward(dout, cache, dh_n=dh_n, dc_n=dc_n)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_gradients_through_final_state(num_layers):
    """backward(..., dh_n, dc_n): gradients arriving at the final states (truncated BPTT) are exact."""
    model = FinalStateOutputs(LSTM(C, H, num_layers=num_layers, seed=2).astype(np.float64))
    assert_gradients_close(check_module(model, make_inputs(num_layers, with_state=True, seed=3)))


def test_backward_accumulates_into_grad():
    lstm = LSTM(C, H, num_layers=2).astype(np.float64)
    x = make_inputs(2, False)["x"]
    out, cache = lstm.forward(x)
    dout = np.random.default_rng(5).standard_normal(out.shape)
    dx1 = lstm.backward(dout, cache)
    once = {n: p.grad.copy() for n, p in lstm.named_parameters()}
    dx2 = lstm.backward(dout, cache)
    np.testing.assert_array_equal(dx1, dx2)
    for n, p in lstm.named_parameters():
        np.testing.assert_allclose(p.grad, 2 * once[n], rtol=1e-12, atol=0)
        assert np.abs(once[n]).max() > 0


# ------------------------------------------------------------------ forward agreement

def reference_lstm(x, layers, h0, c0):
    """Independent formula: one example, one step, one gate matrix at a time; sigmoid as 1 / (1 + e^-z)."""
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))
    seq = x
    h_n, c_n = [], []
    for l, (W_x, W_h, b) in enumerate(layers):
        Hl = W_h.shape[0]
        Wi, Wf, Wg, Wo = (W_x[:, k * Hl:(k + 1) * Hl] for k in range(4))
        Ui, Uf, Ug, Uo = (W_h[:, k * Hl:(k + 1) * Hl] for k in range(4))
        bi, bf, bg, bo = (b[k * Hl:(k + 1) * Hl] for k in range(4))
        out = np.zeros(seq.shape[:2] + (Hl,))
        hs, cs = [], []
        for n in range(seq.shape[0]):
            h, c = h0[l, n], c0[l, n]
            for t in range(seq.shape[1]):
                xt = seq[n, t]
                i = sig(xt @ Wi + h @ Ui + bi)
                f = sig(xt @ Wf + h @ Uf + bf)
                g = np.tanh(xt @ Wg + h @ Ug + bg)
                o = sig(xt @ Wo + h @ Uo + bo)
                c = f * c + i * g
                h = o * np.tanh(c)
                out[n, t] = h
            hs.append(h)
            cs.append(c)
        h_n.append(hs)
        c_n.append(cs)
        seq = out
    return seq, np.array(h_n), np.array(c_n)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_forward_matches_step_by_step_formula(num_layers):
    lstm = LSTM(C, H, num_layers=num_layers, seed=4).astype(np.float64)
    inputs = make_inputs(num_layers, with_state=True, seed=6)
    out, cache = lstm.forward(**inputs)
    weights = [(layer.W_x.data, layer.W_h.data, layer.b.data) for layer in lstm.layers]
    ref_out, ref_h, ref_c = reference_lstm(inputs["x"], weights, inputs["h0"], inputs["c0"])
    h_n, c_n = LSTM.final_state(cache)
    assert out.shape == (B, T, H) and h_n.shape == c_n.shape == (num_layers, B, H)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_n, ref_h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_n, ref_c, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(h_n[-1], out[:, -1])


def test_zero_state_is_the_default():
    lstm = LSTM(C, H, num_layers=2, seed=4).astype(np.float64)
    x = make_inputs(2, False)["x"]
    zeros = np.zeros((2, B, H))
    out_default, _ = lstm.forward(x)
    out_zero, _ = lstm.forward(x, zeros, zeros)
    np.testing.assert_array_equal(out_default, out_zero)


def test_carried_state_equals_one_long_run():
    """Running two chunks with the final state carried over gives the same result as one run."""
    lstm = LSTM(C, H, num_layers=2, seed=7).astype(np.float64)
    x = np.random.default_rng(8).standard_normal((B, 2 * T, C))
    full, full_cache = lstm.forward(x)
    first, cache1 = lstm.forward(x[:, :T])
    second, cache2 = lstm.forward(x[:, T:], *LSTM.final_state(cache1))
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), full, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(LSTM.final_state(cache2)[1], LSTM.final_state(full_cache)[1], rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------ construction and checks

def test_init_names_shapes_and_forget_bias():
    lstm = LSTM(5, 8, num_layers=2, seed=3)
    shapes = {n: p.shape for n, p in lstm.named_parameters()}
    assert shapes == {"layers.0.W_x": (5, 32), "layers.0.W_h": (8, 32), "layers.0.b": (32,),
                      "layers.1.W_x": (8, 32), "layers.1.W_h": (8, 32), "layers.1.b": (32,)}
    bound = 1 / np.sqrt(8)
    for layer in lstm.layers:
        assert layer.W_x.dtype == np.float32
        np.testing.assert_array_equal(layer.b.data[8:16], 1.0)
        others = np.concatenate([layer.W_x.data.ravel(), layer.W_h.data.ravel(),
                                 layer.b.data[:8], layer.b.data[16:]])
        assert np.abs(others).max() <= bound and others.std() > bound / 3
    assert isinstance(lstm.layers[0], LSTMLayer)
    assert LSTM(5, 8, dtype=np.float64).dtype == np.float64


def test_seeded_and_reproducible():
    a, b, c = LSTM(3, 4, 2, seed=11), LSTM(3, 4, 2, seed=11), LSTM(3, 4, 2, seed=12)
    for (n, p), (_, q), (_, r) in zip(a.named_parameters(), b.named_parameters(), c.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
        assert not np.array_equal(p.data, r.data), n
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(a.forward(x)[0], b.forward(x)[0])


@pytest.mark.parametrize("bad, error, message", [
    (np.zeros((B, C)), ValueError, "3 dimensions"),
    (np.zeros((B, T, C + 1)), ValueError, f"last dimension {C}"),
    (np.zeros((B, T, C), dtype=np.int64), TypeError, "floating"),
    ([[[0.0] * C]], TypeError, "numpy array"),
    (np.zeros((B, T, C), dtype=np.float32), TypeError, "float64"),
])
def test_bad_input_is_rejected(bad, error, message):
    lstm = LSTM(C, H).astype(np.float64)
    with pytest.raises(error, match=message):
        lstm.forward(bad)


def test_bad_state_is_rejected():
    lstm = LSTM(C, H, num_layers=2).astype(np.float64)
    x = np.zeros((B, T, C))
    good = np.zeros((2, B, H))
    with pytest.raises(ValueError, match="both h0 and c0"):
        lstm.forward(x, h0=good)
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        lstm.forward(x, np.zeros((B, H)), good)
    with pytest.raises(TypeError, match="float32"):
        lstm.forward(x, good, good.astype(np.float32))
    out, cache = lstm.forward(x, good, good)
    with pytest.raises(ValueError, match="dout must have shape"):
        lstm.backward(out[:, :-1], cache)
    with pytest.raises(ValueError, match="dh_n must have shape"):
        lstm.backward(out, cache, dh_n=np.zeros((B, H)))


@pytest.mark.parametrize("args, error", [((0, 4), ValueError), ((3, -1), ValueError), ((3, 4, 0), ValueError),
                                         ((3.0, 4), TypeError), ((3, 4, True), TypeError)])
def test_bad_constructor_arguments(args, error):
    with pytest.raises(error, match="input_size|hidden_size|num_layers"):
        LSTM(*args)


def test_non_float_dtype_is_rejected():
    with pytest.raises(TypeError, match="floating"):
        LSTM(3, 4, dtype=np.int32)


# ------------------------------------------------------------------ learning

def test_learns_to_delay_a_sequence_by_two_steps():
    """Target at step t is the token seen at t - 2: impossible without memory (chance loss ln 4 = 1.39).

    A float32 LSTM plus a linear readout, trained with Adam written here, gets the
    loss under 0.05 within 300 steps and recalls every token of a fresh batch.
    """
    V, hidden, batch, steps, delay, lr = 4, 16, 16, 300, 2, 0.02
    rng = np.random.default_rng(0)
    lstm = LSTM(V, hidden, seed=0)
    W = (rng.standard_normal((hidden, V)) / np.sqrt(hidden)).astype(np.float32)
    b = np.zeros(V, dtype=np.float32)

    def batch_of(n):
        tokens = rng.integers(0, V, (n, 10))
        targets = np.full(tokens.shape, -100)
        targets[:, delay:] = tokens[:, :-delay]
        return np.eye(V, dtype=np.float32)[tokens], targets

    def loss_and_grads(x, targets):
        out, cache = lstm.forward(x)
        logits, linear_cache = F.linear_forward(out, W, b)
        loss, ce_cache = F.cross_entropy_forward(logits, targets)
        dout, dW, db = F.linear_backward(F.cross_entropy_backward(1.0, ce_cache), linear_cache)
        lstm.zero_grad()
        lstm.backward(dout, cache)
        return loss, logits, [(p.data, p.grad) for p in lstm.parameters()] + [(W, dW), (b, db)]

    moments = {}
    losses = []
    for step in range(1, steps + 1):
        loss, _, pairs = loss_and_grads(*batch_of(batch))
        losses.append(loss)
        for k, (param, grad) in enumerate(pairs):               # Adam, updated in place
            m, v = moments.get(k, (0.0, 0.0))
            m, v = 0.9 * m + 0.1 * grad, 0.999 * v + 0.001 * grad * grad
            moments[k] = (m, v)
            m_hat, v_hat = m / (1 - 0.9 ** step), v / (1 - 0.999 ** step)
            param -= (lr * m_hat / (np.sqrt(v_hat) + 1e-8)).astype(param.dtype)

    assert np.mean(losses[:10]) > 1.0
    assert np.mean(losses[-20:]) < 0.05
    x, targets = batch_of(64)
    loss, logits, _ = loss_and_grads(x, targets)
    assert loss < 0.05
    assert np.all(logits.argmax(-1)[:, delay:] == targets[:, delay:])
