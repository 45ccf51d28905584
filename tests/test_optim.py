"""Optimizers, schedules and gradient clipping, checked against update rules written out here."""
import math
import tracemalloc

import numpy as np
import pytest

from minitrans import ops
from minitrans.nn.module import Module, Parameter
from minitrans.optim import (SGD, Adam, AdamW, ConstantLR, WarmupCosineLR, WarmupLinearLR, clip_grad_norm,
                             make_schedule)

STEPS = 50


@pytest.fixture(params=["numba", "numpy"])
def backend(request):
    """Runs a test with Adam's update as the Numba kernel and as the NumPy reference."""
    before = ops.get_backend()
    ops.set_backend(request.param)
    yield request.param
    ops.set_backend(before)


class TinyRegression(Module):
    """y = x @ weight + bias, with a 2-D weight (decayed by default) and a 1-D bias (not decayed)."""

    def __init__(self, seed=0, dtype=np.float64):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.weight = Parameter((0.5 * rng.standard_normal((3, 4))).astype(dtype))
        self.bias = Parameter((0.1 * rng.standard_normal(4)).astype(dtype))


def regression_data(seed=1, n=32, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    y = x @ rng.standard_normal((3, 4)) + 0.5 + 0.01 * rng.standard_normal((n, 4))
    return x.astype(dtype), y.astype(dtype)


def loss_and_grads(weight, bias, x, y):
    """loss = 0.5 * mean over rows of |x W + b - y|^2, and its gradients."""
    r = x @ weight + bias - y
    n = x.shape[0]
    return 0.5 * np.sum(r * r) / n, x.T @ r / n, r.sum(axis=0) / n


def fill_grads(model, x, y):
    loss, dw, db = loss_and_grads(model.weight.data, model.bias.data, x, y)
    model.zero_grad()
    model.weight.grad += dw
    model.bias.grad += db
    return loss


def run(model, opt, x, y, steps, clip=None):
    for _ in range(steps):
        fill_grads(model, x, y)
        if clip is not None:
            clip_grad_norm(model, clip)
        opt.step()


def start_values():
    m = TinyRegression()
    return [m.weight.data.copy(), m.bias.data.copy()]


# ----------------------------------------------------------------- golden tests
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_matches_formulas(nesterov):
    x, y = regression_data()
    lr, mu, wd = 0.1, 0.9, 0.05
    model = TinyRegression()
    run(model, SGD(model, lr=lr, momentum=mu, nesterov=nesterov, weight_decay=wd), x, y, STEPS)

    params, bufs = start_values(), [0.0, 0.0]
    decays = [wd, 0.0]                                  # the 1-D bias is not decayed
    for _ in range(STEPS):
        _, dw, db = loss_and_grads(params[0], params[1], x, y)
        for i, g in enumerate([dw, db]):
            g = g + decays[i] * params[i]
            bufs[i] = mu * bufs[i] + g
            update = g + mu * bufs[i] if nesterov else bufs[i]
            params[i] = params[i] - lr * update
    np.testing.assert_allclose(model.weight.data, params[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.bias.data, params[1], rtol=1e-12, atol=1e-12)


def test_adam_with_l2_matches_formulas(backend):
    x, y = regression_data()
    lr, b1, b2, eps, wd = 0.01, 0.8, 0.99, 1e-8, 0.1
    model = TinyRegression()
    run(model, Adam(model, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd), x, y, STEPS)

    params, m, v = start_values(), [0.0, 0.0], [0.0, 0.0]
    decays = [wd, 0.0]
    for t in range(1, STEPS + 1):
        _, dw, db = loss_and_grads(params[0], params[1], x, y)
        for i, g in enumerate([dw, db]):
            g = g + decays[i] * params[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat, v_hat = m[i] / (1 - b1 ** t), v[i] / (1 - b2 ** t)
            params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(model.weight.data, params[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.bias.data, params[1], rtol=1e-12, atol=1e-12)


def test_adamw_warmup_cosine_clipping_matches_formulas(backend):
    x, y = regression_data()
    max_lr, min_lr, warmup, total = 0.1, 0.005, 10, 40       # runs past `total` into the floor
    b1, b2, eps, wd, max_norm = 0.9, 0.999, 1e-8, 0.1, 1.0
    model = TinyRegression()
    opt = AdamW(model, lr=WarmupCosineLR(max_lr, warmup, total, min_lr), betas=(b1, b2), eps=eps,
                weight_decay=wd)
    run(model, opt, x, y, STEPS, clip=max_norm)

    params, m, v = start_values(), [0.0, 0.0], [0.0, 0.0]
    decays = [wd, 0.0]
    n_clipped = 0
    for k in range(STEPS):
        if k < warmup:
            lr = max_lr * (k + 1) / warmup
        else:
            progress = min(1.0, (k - warmup) / (total - warmup))
            lr = min_lr + (max_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))
        _, dw, db = loss_and_grads(params[0], params[1], x, y)
        norm = math.sqrt(np.sum(dw ** 2) + np.sum(db ** 2))
        grads = [dw, db]
        if norm > max_norm:
            grads = [g * (max_norm / norm) for g in grads]
            n_clipped += 1
        t = k + 1
        for i, g in enumerate(grads):
            params[i] = params[i] * (1 - lr * decays[i])
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat, v_hat = m[i] / (1 - b1 ** t), v[i] / (1 - b2 ** t)
            params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
    assert 0 < n_clipped < STEPS                          # both branches of clipping were exercised
    np.testing.assert_allclose(model.weight.data, params[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.bias.data, params[1], rtol=1e-12, atol=1e-12)
    assert opt.step_count == STEPS


# ------------------------------------------------------------ training works
@pytest.mark.parametrize("make_opt", [
    lambda m: SGD(m, lr=0.1, momentum=0.9),
    lambda m: Adam(m, lr=0.05),
    lambda m: AdamW(m, lr=WarmupCosineLR(0.05, 20, 300, 0.001), weight_decay=1e-4),
])
def test_loss_falls_on_linear_regression_in_float32(make_opt, backend):
    x, y = regression_data(dtype=np.float32)
    model = TinyRegression(dtype=np.float32)
    opt = make_opt(model)
    first = fill_grads(model, x, y)
    run(model, opt, x, y, 300)
    last = fill_grads(model, x, y)
    assert first > 1.0
    assert last < 1e-3                                    # the noise floor is 0.5 * 4 * 0.01^2 = 2e-4
    assert model.weight.data.dtype == np.float32 and model.bias.data.dtype == np.float32
    assert all(buf.dtype == np.float32 for state in opt.state for buf in state.values())


# --------------------------------------------------------------- schedules
def test_schedule_values_at_known_steps():
    cos = WarmupCosineLR(1.0, warmup_steps=10, total_steps=110, min_lr=0.1)
    lin = WarmupLinearLR(1.0, warmup_steps=10, total_steps=110, min_lr=0.1)
    for s in (cos, lin):
        assert s.lr_at(0) == pytest.approx(0.1)          # first step already moves
        assert s.lr_at(4) == pytest.approx(0.5)
        assert s.lr_at(9) == pytest.approx(1.0)
        assert s.lr_at(10) == pytest.approx(1.0)
        assert s.lr_at(60) == pytest.approx(0.55)        # half way down
        assert s.lr_at(110) == pytest.approx(0.1)
        assert s(10_000) == pytest.approx(0.1)
    assert lin.lr_at(35) == pytest.approx(0.1 + 0.9 * 0.75)
    assert cos.lr_at(35) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi / 4)))
    assert ConstantLR(0.3).lr_at(123) == 0.3
    assert WarmupCosineLR(2.0, 0, 10).lr_at(0) == pytest.approx(2.0)
    assert isinstance(make_schedule("cosine", 1.0, 10, 110, 0.1), WarmupCosineLR)
    assert make_schedule("linear", 1.0, 10, 110, 0.1).lr_at(35) == lin.lr_at(35)
    assert make_schedule("constant", 0.2).lr_at(5) == 0.2


def test_schedule_bad_arguments():
    with pytest.raises(ValueError, match="min_lr must be <= max_lr"):
        WarmupCosineLR(0.1, 10, 100, min_lr=0.5)
    with pytest.raises(ValueError, match="total_steps must be >= warmup_steps"):
        WarmupLinearLR(0.1, 10, 5)
    with pytest.raises(ValueError, match="warmup_steps must be an integer"):
        WarmupLinearLR(0.1, 2.5, 5)
    with pytest.raises(ValueError, match="lr must be a number >= 0, got -1"):
        ConstantLR(-1)
    with pytest.raises(ValueError, match="'constant', 'linear' or 'cosine', got 'step'"):
        make_schedule("step", 0.1)


def test_optimizer_uses_schedule_per_step_and_lr_setter():
    model = TinyRegression()
    opt = SGD(model, lr=lambda k: 0.1 * (k + 1))
    assert opt.lr == pytest.approx(0.1)
    model.weight.grad[...] = 1.0
    before = model.weight.data.copy()
    opt.step()
    np.testing.assert_allclose(model.weight.data, before - 0.1)
    assert opt.lr == pytest.approx(0.2)
    opt.lr = 0.5
    assert opt.lr == 0.5


# ----------------------------------------------------------------- clipping
def test_clip_grad_norm_scales_to_max_norm():
    a, b = Parameter(np.zeros(2)), Parameter(np.zeros(1))
    a.grad[...] = [3.0, 4.0]
    b.grad[...] = [12.0]
    assert clip_grad_norm([a, b], 6.5) == pytest.approx(13.0)
    np.testing.assert_allclose(a.grad, [1.5, 2.0])
    np.testing.assert_allclose(b.grad, [6.0])
    assert clip_grad_norm([("a", a), ("b", b)], 100.0) == pytest.approx(6.5)   # no clipping below max
    np.testing.assert_allclose(a.grad, [1.5, 2.0])


def test_clip_grad_norm_on_module_and_nonfinite():
    model = TinyRegression()
    x, y = regression_data()
    fill_grads(model, x, y)
    expected = math.sqrt(np.sum(model.weight.grad ** 2) + np.sum(model.bias.grad ** 2))
    assert clip_grad_norm(model, 1e-3) == pytest.approx(expected, rel=1e-12)
    after = math.sqrt(np.sum(model.weight.grad ** 2) + np.sum(model.bias.grad ** 2))
    assert after == pytest.approx(1e-3, rel=1e-12)
    model.bias.grad[0] = np.inf
    kept = model.weight.grad.copy()
    assert clip_grad_norm(model, 1.0) == np.inf
    np.testing.assert_array_equal(model.weight.grad, kept)
    with pytest.raises(ValueError, match="max_norm must be a number > 0, got 0"):
        clip_grad_norm(model, 0)
    with pytest.raises(TypeError, match="got str"):
        clip_grad_norm(["w"], 1.0)


# ------------------------------------------------------------ weight decay rules
class DecayMix(Module):
    def __init__(self):
        super().__init__()
        self.embedding = Parameter(np.ones((5, 2)))
        self.weight = Parameter(np.ones((2, 2)))
        self.bias = Parameter(np.ones(2))
        self.norm_gain = Parameter(np.ones(2))


def test_adamw_decays_matrices_and_embeddings_not_1d():
    model = DecayMix()
    opt = AdamW(model, lr=0.1, weight_decay=0.5)
    assert dict(zip(opt.names, opt.decays)) == {"embedding": 0.5, "weight": 0.5, "bias": 0.0, "norm_gain": 0.0}
    opt.step()                                   # zero gradients: only decoupled decay moves anything
    np.testing.assert_array_equal(model.embedding.data, np.full((5, 2), 1 - 0.1 * 0.5))
    np.testing.assert_array_equal(model.bias.data, np.ones(2))
    opt = AdamW(model, lr=0.1, weight_decay=0.5, no_decay=lambda name: name.startswith("embed"))
    assert opt.decays == [0.0, 0.5, 0.0, 0.0]


def test_param_groups_set_weight_decay_explicitly():
    model = DecayMix()
    named = dict(model.named_parameters())
    opt = AdamW([{"params": [("bias", named["bias"])], "weight_decay": 0.3},
                 {"params": [(n, named[n]) for n in ("embedding", "weight", "norm_gain")]}],
                lr=0.1, weight_decay=0.2)
    assert dict(zip(opt.names, opt.decays)) == {"bias": 0.3, "embedding": 0.2, "weight": 0.2, "norm_gain": 0.0}
    with pytest.raises(ValueError, match="got \\['lr', 'params'\\]"):
        AdamW([{"params": model, "lr": 0.1}], lr=0.1)


def test_bad_optimizer_arguments():
    model = TinyRegression()
    with pytest.raises(TypeError, match="Module or \\(name, Parameter\\) pairs.*got an item of type Parameter"):
        SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="appears twice"):
        SGD(list(model.named_parameters()) * 2, lr=0.1)
    with pytest.raises(ValueError, match="no parameters"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="betas must be two numbers in \\[0, 1\\), got \\(0.9, 1.0\\)"):
        Adam(model, lr=0.1, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        SGD(model, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="weight_decay must be a number >= 0"):
        AdamW(model, lr=0.1, weight_decay=-0.1)


def test_zero_grad_and_frozen_parameters(backend):
    model = TinyRegression()
    opt = SGD(model, lr=0.1)
    grad = model.weight.grad
    grad[...] = 2.0
    model.bias.grad[...] = 2.0
    model.bias.requires_grad = False
    bias = model.bias.data.copy()
    opt.step()
    np.testing.assert_array_equal(model.bias.data, bias)
    opt.zero_grad()
    assert model.weight.grad is grad and not grad.any()          # zeroed in place


# --------------------------------------------------------------- state dict
@pytest.mark.parametrize("make_opt", [
    lambda m: SGD(m, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda m: AdamW(m, lr=WarmupCosineLR(0.05, 5, 20, 0.001), weight_decay=0.1),
])
def test_state_dict_resume_is_bit_for_bit(make_opt, backend):
    x, y = regression_data(dtype=np.float32)
    model = TinyRegression(dtype=np.float32)
    opt = make_opt(model)
    run(model, opt, x, y, 10, clip=1.0)
    weights, state = model.state_dict(), opt.state_dict()
    assert state["step"] == 10
    run(model, opt, x, y, 10, clip=1.0)

    resumed = TinyRegression(seed=5, dtype=np.float32).load_state_dict(weights)
    opt2 = make_opt(resumed)
    opt2.load_state_dict(state)
    assert opt2.step_count == 10
    run(resumed, opt2, x, y, 10, clip=1.0)
    for name, value in model.state_dict().items():
        assert np.array_equal(resumed.state_dict()[name], value), name
    for b, arrays in opt.state_dict()["buffers"].items():
        for name, value in arrays.items():
            assert np.array_equal(opt2.state_dict()["buffers"][b][name], value)


def test_state_dict_is_a_copy_of_plain_values():
    model = TinyRegression()
    opt = Adam(model, lr=0.1)
    fill_grads(model, *regression_data())
    opt.step()
    state = opt.state_dict()
    assert state["type"] == "Adam" and state["step"] == 1
    assert state["hyperparameters"] == {"weight_decay": 0.0, "betas": [0.9, 0.999], "eps": 1e-8}
    m = state["buffers"]["m"]["weight"].copy()
    opt.step()
    np.testing.assert_array_equal(state["buffers"]["m"]["weight"], m)


def test_load_state_dict_mismatches_raise_and_change_nothing():
    model = TinyRegression()
    opt = Adam(model, lr=0.1)
    good = opt.state_dict()
    with pytest.raises(ValueError, match="state is for SGD, but this optimizer is Adam"):
        opt.load_state_dict(SGD(model, lr=0.1, momentum=0.9).state_dict())
    bad = opt.state_dict()
    del bad["buffers"]["v"]["bias"]
    bad["step"] = 7
    with pytest.raises(ValueError, match="buffer 'v' does not match.*missing \\['bias'\\]"):
        opt.load_state_dict(bad)
    assert opt.step_count == 0
    bad = opt.state_dict()
    bad["buffers"]["m"]["weight"] = np.zeros((4, 3))
    with pytest.raises(ValueError, match="'m' of 'weight' has shape \\(4, 3\\), expected \\(3, 4\\)"):
        opt.load_state_dict(bad)
    with pytest.raises(ValueError, match="'step' must be an integer >= 0, got -1"):
        opt.load_state_dict({**good, "step": -1})
    with pytest.raises(ValueError, match="must be a dict with 'type', 'step', 'buffers'"):
        opt.load_state_dict({"step": 1})


@pytest.mark.parametrize("make_opt", [
    lambda m: Adam(m, lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1),
    lambda m: AdamW(m, lr=WarmupCosineLR(1e-2, 3, 20, 1e-4), weight_decay=0.1),
])
def test_adam_kernel_agrees_with_numpy_in_float32(make_opt):
    x, y = regression_data(dtype=np.float32)
    finals = []
    for name in ("numba", "numpy"):
        before = ops.get_backend()
        ops.set_backend(name)
        try:
            model = TinyRegression(dtype=np.float32)
            opt = make_opt(model)
            run(model, opt, x, y, 20)
        finally:
            ops.set_backend(before)
        assert model.weight.data.dtype == np.float32
        finals.append([model.weight.data, model.bias.data, *opt.state_dict()["buffers"]["v"].values()])
    # float64 runs match the formulas to 1e-12 on both backends (above); in float32 the two round
    # differently, and Adam's m / sqrt(v) magnifies that where gradients are tiny: parameters that
    # move by up to lr = 1e-2 per step agree to 1e-6 after 20 steps.
    for a, b in zip(*finals):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_adam_kernel_leaves_arrays_it_cannot_update_in_place_to_numpy():
    model = TinyRegression()
    model.weight.data = np.asfortranarray(model.weight.data)               # not C-contiguous
    model.zero_grad()
    model.weight.grad = np.asfortranarray(np.full((3, 4), 0.5))
    opt = Adam(model, lr=0.1)
    start = model.weight.data.copy()
    opt.step()
    np.testing.assert_allclose(model.weight.data, start - 0.1, rtol=1e-6)    # first step moves by lr * sign(g)


def test_adam_kernel_makes_no_large_temporaries():
    """The fused kernel updates in place (the NumPy reference reads as the paper, with temporaries)."""
    big = Module()
    big.weight = Parameter(np.ones((256, 256), dtype=np.float32))
    big.weight.grad[...] = 0.01
    for opt in (AdamW(big, lr=0.1), Adam(big, lr=0.1, weight_decay=0.1)):
        opt.step()
        tracemalloc.start()
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < big.weight.data.nbytes // 4, (type(opt).__name__, peak)
