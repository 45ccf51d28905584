"""Optimizers (SGD, Adam, AdamW), learning-rate schedules and gradient clipping.

Typical training step:

    opt = AdamW(model, lr=WarmupCosineLR(3e-4, warmup_steps=100, total_steps=2000))
    opt.zero_grad()
    loss, dlogits = ...; model.backward(dlogits, cache)
    clip_grad_norm(model, max_norm=1.0)
    opt.step()

An optimizer holds (name, Parameter) pairs and changes `p.data` in place. Its
learning rate is a number or a schedule: the k-th call to `step()` (k = 0, 1, ...)
uses `lr_at(k)`. Weight decay is applied by default only to parameters with
2 or more dimensions (weight matrices *and* embedding tables, the usual GPT
recipe); biases and norm gains (1-D) are never decayed unless a param group says so.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from . import ops
from .nn.module import Module, Parameter


# ------------------------------------------------------------------ schedules
class Schedule:
    """A learning rate as a function of the step number: `lr_at(step)`, also callable."""

    def lr_at(self, step: int) -> float:
        raise NotImplementedError

    def __call__(self, step: int) -> float:
        return self.lr_at(step)


class ConstantLR(Schedule):
    """The same learning rate at every step."""

    def __init__(self, lr: float):
        self.lr = _non_negative("lr", lr)

    def lr_at(self, step):
        return self.lr

    def __repr__(self):
        return f"ConstantLR({self.lr})"


class WarmupLinearLR(Schedule):
    """Linear warmup to `max_lr`, then linear decay to `min_lr` at `total_steps`.

    Warmup: lr_at(k) = max_lr * (k + 1) / warmup_steps for k < warmup_steps,
    so the first step already moves and step warmup_steps - 1 reaches max_lr.
    Decay: with progress p = (k - warmup_steps) / (total_steps - warmup_steps)
    clipped to [0, 1], lr_at(k) = min_lr + (max_lr - min_lr) * shape(p).
    From `total_steps` on the rate stays at `min_lr`.
    """

    def __init__(self, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0):
        self.max_lr = _non_negative("max_lr", max_lr)
        self.min_lr = _non_negative("min_lr", min_lr)
        if self.min_lr > self.max_lr:
            raise ValueError(f"min_lr must be <= max_lr, got min_lr={min_lr}, max_lr={max_lr}")
        for name, value in (("warmup_steps", warmup_steps), ("total_steps", total_steps)):
            if not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        if total_steps < warmup_steps:
            raise ValueError(f"total_steps must be >= warmup_steps, got {total_steps} < {warmup_steps}")
        self.warmup_steps, self.total_steps = int(warmup_steps), int(total_steps)

    def shape(self, progress: float) -> float:
        """Fraction of (max_lr - min_lr) left at `progress` in [0, 1]: 1 - progress."""
        return 1.0 - progress

    def lr_at(self, step):
        if step < self.warmup_steps:
            return self.max_lr * (step + 1) / self.warmup_steps
        span = self.total_steps - self.warmup_steps
        progress = min(1.0, (step - self.warmup_steps) / span) if span > 0 else 1.0
        return self.min_lr + (self.max_lr - self.min_lr) * self.shape(progress)

    def __repr__(self):
        return (f"{type(self).__name__}(max_lr={self.max_lr}, warmup_steps={self.warmup_steps}, "
                f"total_steps={self.total_steps}, min_lr={self.min_lr})")


class WarmupCosineLR(WarmupLinearLR):
    """Linear warmup, then half a cosine from `max_lr` down to `min_lr` at `total_steps`."""

    def shape(self, progress):
        """0.5 * (1 + cos(pi * progress)): 1 at the start of the decay, 0 at its end."""
        return 0.5 * (1.0 + math.cos(math.pi * progress))


def make_schedule(name: str, lr: float, warmup_steps: int = 0, total_steps: int = 0, min_lr: float = 0.0):
    """Build a schedule from a config string: "constant", "linear" or "cosine"."""
    if name == "constant":
        return ConstantLR(lr)
    if name == "linear":
        return WarmupLinearLR(lr, warmup_steps, total_steps, min_lr)
    if name == "cosine":
        return WarmupCosineLR(lr, warmup_steps, total_steps, min_lr)
    raise ValueError(f"schedule must be 'constant', 'linear' or 'cosine', got {name!r}")


def _non_negative(name, value):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return float(value)


def _as_schedule(lr):
    if callable(lr):
        return lr
    return ConstantLR(lr)


# ------------------------------------------------------------- grad clipping
def _parameter_list(parameters):
    """Parameters from a Module, Parameters, or (name, Parameter) pairs."""
    if isinstance(parameters, Module):
        return parameters.parameters()
    if isinstance(parameters, Parameter):
        return [parameters]
    out = []
    for item in parameters:
        p = item[1] if isinstance(item, tuple) else item
        if not isinstance(p, Parameter):
            raise TypeError(f"expected Parameters or (name, Parameter) pairs, got {type(item).__name__}")
        out.append(p)
    return out


def clip_grad_norm(parameters, max_norm: float) -> float:
    """Scale all gradients in place so that their global L2 norm is at most `max_norm`.

    total_norm = sqrt(sum over parameters of sum(grad ** 2)). If total_norm > max_norm,
    every grad is multiplied by max_norm / total_norm. Returns total_norm (before
    clipping). A non-finite norm (inf/nan) is returned as is and nothing is scaled,
    so the caller can skip that step.
    """
    if not isinstance(max_norm, numbers.Real) or not max_norm > 0:
        raise ValueError(f"max_norm must be a number > 0, got {max_norm!r}")
    grads = [p.grad for p in _parameter_list(parameters) if p.grad is not None]
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    if math.isfinite(total) and total > max_norm:
        scale = max_norm / total
        for g in grads:
            g *= scale
    return total


# ----------------------------------------------------------------- optimizers
def _named_list(params, where):
    """(name, Parameter) pairs from a Module or an iterable of pairs."""
    if isinstance(params, Module):
        return list(params.named_parameters())
    pairs = list(params)
    for item in pairs:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], Parameter)):
            raise TypeError(
                f"{where} must be a Module or (name, Parameter) pairs as given by "
                f"model.named_parameters(), got an item of type {type(item).__name__}")
    return pairs


class Optimizer:
    """Base class: parameters, per-parameter weight decay, lr schedule, step count, state dict.

    params: a Module, a list of (name, Parameter) pairs, or a list of param groups
        {"params": Module or pairs, "weight_decay": float}. A group that sets
        "weight_decay" applies it to every parameter in it as given.
    Otherwise a parameter gets `weight_decay` unless it has fewer than 2 dimensions
    (biases, norm gains) or `no_decay(name)` is true.
    Subclasses name their per-parameter buffers in `buffer_names` and write `update`.
    """

    buffer_names: tuple = ()

    def __init__(self, params, lr, weight_decay=0.0, no_decay=None):
        self.schedule = _as_schedule(lr)
        self.weight_decay = weight_decay = _non_negative("weight_decay", weight_decay)
        if no_decay is not None and not callable(no_decay):
            raise TypeError(f"no_decay must be a function name -> bool, got {type(no_decay).__name__}")
        self.names, self.params, self.decays = [], [], []
        is_groups = isinstance(params, (list, tuple)) and params and all(isinstance(g, dict) for g in params)
        for group in (params if is_groups else [{"params": params}]):
            unknown = set(group) - {"params", "weight_decay"}
            if unknown or "params" not in group:
                raise ValueError(f"a param group has keys 'params' and optionally 'weight_decay', got {sorted(group)}")
            for name, p in _named_list(group["params"], "params"):
                if "weight_decay" in group:
                    decay = _non_negative("group weight_decay", group["weight_decay"])
                elif p.data.ndim < 2 or (no_decay is not None and no_decay(name)):
                    decay = 0.0
                else:
                    decay = weight_decay
                self.names.append(name)
                self.params.append(p)
                self.decays.append(decay)
        if not self.params:
            raise ValueError("optimizer got no parameters")
        if len(set(self.names)) != len(self.names) or len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("the same parameter or name appears twice in the optimizer's parameters")
        self.step_count = 0
        self.state = [{b: np.zeros_like(p.data) for b in self.buffer_names} for p in self.params]

    @property
    def lr(self) -> float:
        """The learning rate the next `step()` will use."""
        return float(self.schedule(self.step_count))

    @lr.setter
    def lr(self, value):
        self.schedule = _as_schedule(value)

    def zero_grad(self):
        """Set every gradient to zero (in place when it already has the right shape)."""
        for p in self.params:
            if p.grad is not None and p.grad.shape == p.data.shape and p.grad.dtype == p.data.dtype:
                p.grad.fill(0)
            else:
                p.zero_grad()

    def step(self):
        """Update every parameter that requires grad, in place, then count the step."""
        lr = self.lr
        self.step_count += 1
        for p, state, decay in zip(self.params, self.state, self.decays):
            if getattr(p, "requires_grad", True):
                self.update(p, state, lr, decay)

    def update(self, p, state, lr, decay):
        raise NotImplementedError

    def hyperparameters(self) -> dict:
        """Settings recorded in the state dict (for the reader; not restored by load)."""
        return {"weight_decay": self.weight_decay}

    # ------------------------------------------------------------ state dict
    def state_dict(self) -> dict:
        """{"type", "step", "hyperparameters", "buffers": {buffer: {param name: array copy}}}."""
        return {
            "type": type(self).__name__,
            "step": self.step_count,
            "hyperparameters": self.hyperparameters(),
            "buffers": {b: {n: s[b].copy() for n, s in zip(self.names, self.state)}
                        for b in self.buffer_names},
        }

    def load_state_dict(self, d: dict):
        """Restore the step count and buffers; everything is checked before anything changes.

        The optimizer keeps the hyperparameters and schedule it was built with.
        """
        if not isinstance(d, dict) or not {"type", "step", "buffers"} <= set(d):
            got = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise ValueError(f"optimizer state must be a dict with 'type', 'step', 'buffers'; got {got}")
        if d["type"] != type(self).__name__:
            raise ValueError(f"optimizer state is for {d['type']}, but this optimizer is {type(self).__name__}")
        step = d["step"]
        if not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"optimizer state 'step' must be an integer >= 0, got {step!r}")
        if set(d["buffers"]) != set(self.buffer_names):
            raise ValueError(f"{type(self).__name__} state has buffers {sorted(self.buffer_names)}, "
                             f"got {sorted(d['buffers'])}")
        new_state = [dict() for _ in self.params]
        for b, arrays in d["buffers"].items():
            missing = [n for n in self.names if n not in arrays]
            extra = [n for n in arrays if n not in self.names]
            if missing or extra:
                raise ValueError(f"optimizer buffer '{b}' does not match the parameters: "
                                 f"missing {missing[:10]}, unexpected {extra[:10]}")
            for i, (n, p) in enumerate(zip(self.names, self.params)):
                value = np.asarray(arrays[n])
                if value.shape != p.data.shape:
                    raise ValueError(f"optimizer buffer '{b}' of '{n}' has shape {value.shape}, "
                                     f"expected {p.data.shape}")
                new_state[i][b] = value.astype(p.data.dtype, copy=True)
        self.state, self.step_count = new_state, int(step)
        return self

    def __repr__(self):
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.schedule!r}, step={self.step_count})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay.

    The step's gradient is grad plus weight_decay times p; with momentum, a running buffer of those
    gradients (or, with nesterov, the gradient plus momentum times the buffer) is the update;
    p moves by lr times the update.
    """

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0, no_decay=None):
        self.momentum = _non_negative("momentum", momentum)
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum=0")
        self.nesterov = bool(nesterov)
        self.buffer_names = ("momentum",) if self.momentum > 0 else ()
        super().__init__(params, lr, weight_decay, no_decay)

    def hyperparameters(self):
        return {**super().hyperparameters(), "momentum": self.momentum, "nesterov": self.nesterov}

    def update(self, p, state, lr, decay):
        g = p.grad + decay * p.data if decay else p.grad
        if self.momentum == 0:
            p.data -= lr * g
            return
        buf = state["momentum"]
        buf *= self.momentum
        buf += g
        p.data -= lr * (g + self.momentum * buf if self.nesterov else buf)


class Adam(Optimizer):
    """Adam with bias correction (Kingma and Ba, 2015); `weight_decay` here is L2 added to the gradient.
    Each step calls ops.adam_step (minitrans/functional/adam.py) on every parameter and its moments m, v."""

    buffer_names = ("m", "v")
    decoupled = False

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, no_decay=None):
        if len(betas) != 2 or not all(isinstance(b, numbers.Real) and 0 <= b < 1 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        if not isinstance(eps, numbers.Real) or not eps > 0:
            raise ValueError(f"eps must be a number > 0, got {eps!r}")
        self.beta1, self.beta2, self.eps = float(betas[0]), float(betas[1]), float(eps)
        super().__init__(params, lr, weight_decay, no_decay)

    def hyperparameters(self):
        return {**super().hyperparameters(), "betas": [self.beta1, self.beta2], "eps": self.eps}

    def update(self, p, state, lr, decay):
        ops.adam_step(p.data, p.grad, state["m"], state["v"], lr, self.beta1, self.beta2, self.eps,
                      self.step_count, decay, self.decoupled)


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * decay before the Adam step.

    Default weight_decay=0.01; biases and norm gains (1-D) are not decayed,
    embeddings and weight matrices are (see `Optimizer` for param groups and `no_decay`).
    """

    decoupled = True

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, no_decay=None):
        super().__init__(params, lr, betas, eps, weight_decay, no_decay)
