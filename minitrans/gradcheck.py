"""Finite-difference gradient checks: the tool that proves every backward in minitrans.

Students use it on their own layers:

    >>> from minitrans.gradcheck import check_pair
    >>> from minitrans.functional import linear_forward, linear_backward
    >>> x, W, b = np.random.randn(4, 3), np.random.randn(3, 5), np.random.randn(5)
    >>> errors = check_pair(linear_forward, linear_backward, {"x": x, "W": W, "b": b})
    >>> max(errors.values()) < 1e-6
    True

Every check works in float64, uses a random upstream gradient (never all ones:
that hides layernorm and softmax bugs), perturbs each checked entry by +-eps and +-2 eps,
and reports per tensor the max relative error |a - n| / max(1e-8, |a| + |n|).
Large tensors are checked on a random sample of entries.
"""
from __future__ import annotations

import copy

import numpy as np


def relative_error(analytic, numeric):
    """Max over entries of |a - n| / max(1e-8, |a| + |n|)."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    return float(np.max(np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n)))) if a.size else 0.0


def sample_indices(shape, max_entries, rng):
    """All flat indices of an array of `shape`, or `max_entries` of them drawn at random."""
    size = int(np.prod(shape))
    if max_entries is None or size <= max_entries:
        return np.arange(size)
    return rng.choice(size, size=max_entries, replace=False)


def numeric_gradient(f, x, indices, eps=1e-3):
    """Central differences of the scalar sum(f()) with respect to x.flat[indices] (x perturbed in place).

    f() returns the terms of the objective as an array (for sum(out * dout), the
    product out * dout itself); the differences are taken term by term before
    summing, so terms that the perturbation does not change cancel exactly
    instead of adding rounding noise. The five-point stencil
    (f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / 12h has an error of order h^4,
    so a large step keeps rounding error small too.
    """
    flat = x.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numeric_gradient needs a contiguous array to perturb in place")
    out = np.empty(len(indices))
    for j, i in enumerate(indices):
        old = flat[i]
        values = []
        for step in (-2, -1, 1, 2):
            flat[i] = old + step * eps
            values.append(np.asarray(f(), dtype=np.float64))
        flat[i] = old
        out[j] = np.sum((values[0] - values[3]) + 8 * (values[2] - values[1])) / (12 * eps)
    return out


ZERO_GRADIENT_BOUND = 1e-9


def check_scalar_function(f, tensors, eps=1e-3, max_entries=200, seed=0, zero_names=()):
    """Compare analytic gradients with central differences of a scalar function.

    f: () -> float or array of terms whose sum is the objective, recomputed from the
       current values of the tensors.
    tensors: dict name -> (array, analytic gradient of f with respect to it).
    zero_names: suffixes of tensor names whose true gradient is exactly zero (see below).
    Returns dict name -> max relative error.

    A tensor that cannot change the objective (the key bias of attention: the
    softmax ignores a shift shared by a whole row) has a true gradient of zero,
    where a relative error measures nothing but rounding noise. For a name
    ending in one of `zero_names` the check instead requires both gradients to
    be below ZERO_GRADIENT_BOUND in absolute value, and reports 0.0 when they are
    (else the relative error, which then fails).
    """
    rng = np.random.default_rng(seed)
    errors = {}
    for name, (x, grad) in tensors.items():
        if x.dtype != np.float64:
            raise TypeError(f"gradient checks run in float64; '{name}' is {x.dtype}")
        if grad is None:
            raise ValueError(f"no analytic gradient was given for '{name}'")
        if grad.shape != x.shape:
            raise ValueError(f"gradient of '{name}' has shape {grad.shape}, expected {x.shape}")
        idx = sample_indices(x.shape, max_entries, rng)
        num = numeric_gradient(f, x, idx, eps)
        ana = grad.reshape(-1)[idx]
        errors[name] = relative_error(ana, num)
        if any(name.endswith(z) for z in zero_names):
            if max(np.max(np.abs(ana), initial=0.0), np.max(np.abs(num), initial=0.0)) < ZERO_GRADIENT_BOUND:
                errors[name] = 0.0
    return errors


def random_like(out, rng):
    """A random upstream gradient shaped like `out` (a float for scalar outputs)."""
    if np.isscalar(out) or np.ndim(out) == 0:
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(out))


def dot_terms(out, dout):
    """The terms of sum(out * dout), the scalar objective whose gradient is dout."""
    return np.asarray(out, dtype=np.float64).reshape(-1) * np.reshape(dout, -1)


def check_pair(forward, backward, inputs, kwargs=None, grad_names=None, eps=1e-3, max_entries=200, seed=0,
               zero_names=()):
    """Gradient-check one functional pair `out, cache = forward(**inputs, **kwargs)`, `backward(dout, cache)`.

    inputs: dict name -> float64 array, passed by keyword; these are perturbed.
    kwargs: other keyword arguments (masks, flags, an rng: it is copied afresh for every call).
    grad_names: the names of the gradients `backward` returns, in order
        (default: the keys of `inputs` in order). A name not in `inputs` is skipped.
    Returns dict name -> max relative error.
    """
    kwargs = kwargs or {}
    grad_names = list(inputs) if grad_names is None else grad_names
    rng = np.random.default_rng(seed)

    def run():
        return forward(**inputs, **copy.deepcopy(kwargs))

    out, cache = run()
    dout = random_like(out, rng)
    grads = backward(dout, cache)
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != len(grad_names):
        raise ValueError(f"backward returned {len(grads)} gradients but grad_names has {len(grad_names)}")
    tensors = {n: (inputs[n], g) for n, g in zip(grad_names, grads) if n in inputs}
    return check_scalar_function(lambda: dot_terms(run()[0], dout), tensors, eps, max_entries, seed, zero_names)


def check_module(module, inputs, kwargs=None, input_grad_names=None, eps=1e-3, max_entries=100, seed=0,
                 zero_names=("k.bias",)):
    """Gradient-check a Module: its input gradients and every parameter's gradient.

    `module.forward(**inputs, **kwargs)` returns (out, cache), or (out1, ..., outN, cache)
    when a module has several outputs; `module.backward(dout, cache)` gets one
    random upstream gradient per output (a tuple when N > 1) and returns the
    gradients of the inputs named in `input_grad_names` (default: all float
    inputs, in order). Dropout generators are rewound before every forward so
    each call draws the same masks. The module must already be float64.
    zero_names: see check_scalar_function; by default attention's key biases.
    Returns dict name -> max relative error ("input:x", "param:blocks.0.attn.q.weight", ...).
    """
    kwargs = kwargs or {}
    rng = np.random.default_rng(seed)
    gens = [g for _, g in module.named_generators()]
    states = [g.bit_generator.state for g in gens]
    if input_grad_names is None:
        input_grad_names = [n for n, x in inputs.items() if isinstance(x, np.ndarray) and x.dtype.kind == "f"]

    def run():
        for g, s in zip(gens, states):
            g.bit_generator.state = copy.deepcopy(s)
        result = module.forward(**inputs, **kwargs)
        return result[:-1], result[-1]

    outs, cache = run()
    douts = tuple(random_like(o, rng) for o in outs)
    module.zero_grad()
    grads = module.backward(douts[0] if len(douts) == 1 else douts, cache)
    if not isinstance(grads, tuple):
        grads = (grads,)
    tensors = {}
    for name, g in zip(input_grad_names, grads):
        tensors["input:" + name] = (inputs[name], g)
    for name, p in module.named_parameters():
        tensors["param:" + name] = (p.data, p.grad.copy())

    def objective():
        outs, _ = run()
        return np.concatenate([dot_terms(o, d) for o, d in zip(outs, douts)])

    return check_scalar_function(objective, tensors, eps, max_entries, seed, zero_names)


def check_loss(model, loss_fn, eps=1e-3, max_entries=40, seed=0, zero_names=("k.bias",)):
    """Gradient-check a whole model (or model + head) against a scalar loss.

    loss_fn(backward) -> float: runs forward and the loss, and when `backward`
    is True also the backward pass that adds into every p.grad. Dropout
    generators are rewound before every call. The model must be float64.
    Parameters with requires_grad=False (a frozen body) get no gradient and are not checked.
    Returns dict parameter name -> max relative error.
    """
    gens = [g for _, g in model.named_generators()]
    states = [copy.deepcopy(g.bit_generator.state) for g in gens]

    def run(backward):
        for g, s in zip(gens, states):
            g.bit_generator.state = copy.deepcopy(s)
        return loss_fn(backward)

    model.zero_grad()
    run(True)
    tensors = {name: (p.data, p.grad.copy()) for name, p in model.named_parameters() if p.requires_grad}
    return check_scalar_function(lambda: run(False), tensors, eps, max_entries, seed, zero_names)


def assert_gradients_close(errors, tol=1e-6):
    """Raise AssertionError listing every tensor whose max relative error is >= tol."""
    bad = {k: v for k, v in errors.items() if not v < tol}
    if bad:
        raise AssertionError("gradient check failed, max relative error against finite differences "
                             f"(tolerance {tol:g}) of " + ", ".join(f"{k}: {v:.3g}" for k, v in bad.items()))
