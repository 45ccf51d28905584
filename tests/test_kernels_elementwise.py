"""GELU, LayerNorm, embedding and cross-entropy kernels: agree with the NumPy reference, serial and
parallel (the kernel_path fixture), gradient-checked, reached through the switch."""
import math

import numpy as np
import pytest

import minitrans
from minitrans import ops
from minitrans.functional import activations as A
from minitrans.functional import norm as N
from minitrans.gradcheck import assert_gradients_close, check_pair
from minitrans.functional import linear as F_linear
from minitrans.functional import losses as F_losses
from minitrans.kernels import cross_entropy as CE
from minitrans.kernels import embedding as E
from minitrans.kernels import gelu as G
from minitrans.kernels import layernorm as L


@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_agrees_with_reference(dtype, tol, approximate, kernel_path):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 7, 33)) * 3).astype(dtype)
    d = rng.standard_normal(x.shape).astype(dtype)
    o1, c1 = A.gelu_forward(x, approximate)
    o2, c2 = G.gelu_forward(x, approximate)
    assert o2.dtype == dtype and np.allclose(o1, o2, atol=tol, rtol=tol)
    assert np.allclose(A.gelu_backward(d, c1), G.gelu_backward(d, c2), atol=tol, rtol=tol)
    assert np.allclose(A.gelu_backward(d, c2), G.gelu_backward(d, c1), atol=tol, rtol=tol)  # caches swap


def test_float32_normal_cdf_is_accurate_to_float32_rounding():
    x = np.linspace(-12, 12, 48001)
    exact = 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    out, cache = G.gelu_forward(x.astype(np.float32))
    phi = cache[1].astype(np.float64)
    assert np.max(np.abs(phi - exact)) < 2.5e-7                      # formula 1.5e-7 + float32 rounding
    assert np.max(np.abs(out - x * exact) / np.maximum(np.abs(x), 1)) < 2.5e-7
    assert np.all((phi >= 0) & (phi <= 1))


def test_float32_tanh_gelu_is_accurate_to_float32_rounding():
    x = np.linspace(-12, 12, 48001)
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
    out, cache = G.gelu_forward(x.astype(np.float32), "tanh")
    t = cache[1].astype(np.float64)
    assert np.max(np.abs(t - np.tanh(u))) < 2.5e-7
    assert np.max(np.abs(out - 0.5 * x * (1 + np.tanh(u))) / np.maximum(np.abs(x), 1)) < 2.5e-7
    assert np.all(np.abs(t) <= 1)


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-4), (np.float64, 1e-11)])
def test_layernorm_agrees_with_reference(dtype, tol, kernel_path):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((4, 9, 24)) * 2 + 1).astype(dtype)
    g, b = rng.standard_normal(24).astype(dtype), rng.standard_normal(24).astype(dtype)
    d = rng.standard_normal(x.shape).astype(dtype)
    o1, c1 = N.layernorm_forward(x, g, b)
    o2, c2 = L.layernorm_forward(x, g, b)
    assert np.allclose(o1, o2, atol=tol, rtol=tol)
    for a, k in zip(N.layernorm_backward(d, c1), L.layernorm_backward(d, c2)):
        assert np.allclose(a, k, atol=tol, rtol=tol)


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_embedding_backward_agrees_with_reference(dtype, tol):
    rng = np.random.default_rng(3)
    W = rng.standard_normal((7, 5)).astype(dtype)
    ids = np.array([[1, 2, 1, 6], [6, 1, 0, 1]])                      # repeated ids must add up
    _, cache = F_linear.embedding_forward(ids, W)
    d = rng.standard_normal((2, 4, 5)).astype(dtype)
    got = E.embedding_backward(d, cache)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, F_linear.embedding_backward(d, cache), rtol=tol, atol=tol)
    np.testing.assert_allclose(got[1], d[0, 0] + d[0, 2] + d[1, 1] + d[1, 3], rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_cross_entropy_agrees_with_reference(dtype, tol, kernel_path):
    rng = np.random.default_rng(4)
    logits = (rng.standard_normal((3, 5, 40)) * 4).astype(dtype)
    logits[0, 0, 3] = 1e4                                              # extreme logits stay finite
    targets = rng.integers(0, 40, (3, 5))
    targets[1, :2] = -100                                              # ignored
    loss_ref, cache_ref = F_losses.cross_entropy_forward(logits, targets)
    loss, cache = CE.cross_entropy_forward(logits, targets)
    assert np.isfinite(loss) and abs(loss - loss_ref) <= tol * max(1.0, abs(loss_ref))
    for dloss in (1.0, 0.5):
        got = CE.cross_entropy_backward(dloss, cache)
        assert got.dtype == dtype and got.shape == logits.shape
        np.testing.assert_allclose(got, F_losses.cross_entropy_backward(dloss, cache_ref), rtol=tol, atol=tol)
    np.testing.assert_array_equal(got[1, :2], 0.0)
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 40\)"):
        CE.cross_entropy_forward(logits, np.full((3, 5), 40))


def test_cross_entropy_gradcheck(kernel_path):
    rng = np.random.default_rng(5)
    targets = np.array([[1, 4, -100], [0, 2, 2]])
    errors = check_pair(CE.cross_entropy_forward, CE.cross_entropy_backward, {"logits": rng.standard_normal((2, 3, 5))},
                        {"targets": targets}, grad_names=["logits"])
    assert_gradients_close(errors)


def test_gradients_of_the_kernels(kernel_path):
    rng = np.random.default_rng(2)
    x, g, b = rng.standard_normal((3, 5, 8)), rng.standard_normal(8), rng.standard_normal(8)
    assert_gradients_close(check_pair(L.layernorm_forward, L.layernorm_backward, {"x": x, "gamma": g, "beta": b}))
    for approximate in ("none", "tanh"):
        assert_gradients_close(check_pair(G.gelu_forward, G.gelu_backward, {"x": x}, {"approximate": approximate}))


def test_switch_routes_and_bad_input():
    x = np.ones((2, 3), dtype=np.float32)
    try:
        minitrans.set_backend("numpy")
        _, cache = ops.gelu_forward(x)
        assert cache[2] == "none"
    finally:
        minitrans.set_backend("numba")
    with pytest.raises(ValueError, match="approximate"):
        G.gelu_forward(x, "fast")
    with pytest.raises(ValueError, match="last dimension 4"):
        L.layernorm_forward(x, np.ones(4, np.float32), np.zeros(4, np.float32))
