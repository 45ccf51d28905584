"""Parameter and Module: the two classes every layer is built from.

The backward contract (see DESIGN.md):

    out, cache = module.forward(x, ...)
    dx = module.backward(dout, cache)   # returns input grads, ADDS into p.grad

The cache is returned, never stored on the module, so one module may be called
several times in one step (tied embeddings, GPT's multiple-choice inputs).
"""
from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager

import numpy as np


class Parameter:
    """A trainable array: `.data` holds the value, `.grad` the summed gradient."""

    def __init__(self, data: np.ndarray):
        self.data = np.asarray(data)
        self.grad = np.zeros_like(self.data)
        self.requires_grad = True

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def zero_grad(self):
        self.grad = np.zeros_like(self.data)

    def __repr__(self):
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: finds its Parameters and child Modules from its attributes.

    Attributes that are Parameters, Modules, or lists of Modules are registered
    in the order they are assigned, which gives stable dotted names such as
    ``blocks.0.attn.q.weight``.
    """

    def __init__(self):
        object.__setattr__(self, "_params", OrderedDict())
        object.__setattr__(self, "_children", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_params" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() first")
        self._params.pop(name, None)
        self._children.pop(name, None)
        if isinstance(value, Parameter):
            self._params[name] = value
        elif isinstance(value, Module):
            self._children[name] = value
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Module) for v in value):
            value = ModuleList(value)
            self._children[name] = value
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------ traversal
    def named_parameters(self, prefix: str = ""):
        """Yield (dotted name, Parameter); a Parameter shared by two places is yielded once."""
        seen = set()
        for name, p in self._named_parameters_all(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _named_parameters_all(self, prefix):
        for name, p in self._params.items():
            yield prefix + name, p
        for name, child in self._children.items():
            yield from child._named_parameters_all(prefix + name + ".")

    def parameters(self):
        """List of the distinct Parameters of this module and its children."""
        return [p for _, p in self.named_parameters()]

    def modules(self):
        """This module and all its descendants, depth first."""
        yield self
        for child in self._children.values():
            yield from child.modules()

    def num_parameters(self) -> int:
        """Number of distinct trainable scalars (tied weights counted once)."""
        return int(sum(p.data.size for p in self.parameters()))

    def zero_grad(self):
        for p in self.parameters():
            p.zero_grad()

    # --------------------------------------------------------------- modes
    def train(self, mode: bool = True):
        """Training mode: dropout active, caches built."""
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        """Evaluation mode: dropout off."""
        return self.train(False)

    @contextmanager
    def evaluating(self):
        """`with module.evaluating():` runs the block in eval mode and then restores the mode before."""
        was_training = self.training
        self.eval()
        try:
            yield self
        finally:
            self.train(was_training)

    def astype(self, dtype):
        """Cast every parameter (and its grad) to `dtype`, e.g. np.float64 for gradient checks."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"astype expects a floating dtype, got {dtype}")
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = np.zeros_like(p.data)
        return self

    @property
    def dtype(self):
        params = self.parameters()
        return params[0].data.dtype if params else np.dtype(np.float32)

    # ---------------------------------------------------------- state dict
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of every parameter, by dotted name."""
        return OrderedDict((n, p.data.copy()) for n, p in self.named_parameters())

    def load_state_dict(self, state: dict, strict: bool = True):
        """Copy arrays into the parameters; fails clearly on missing, extra or mis-shaped entries."""
        own = OrderedDict(self.named_parameters())
        missing = [k for k in own if k not in state]
        extra = [k for k in state if k not in own]
        if strict and (missing or extra):
            raise KeyError(
                f"state_dict does not match {type(self).__name__}: "
                f"missing keys {missing[:10]}{'...' if len(missing) > 10 else ''}, "
                f"unexpected keys {extra[:10]}{'...' if len(extra) > 10 else ''}"
            )
        for name, p in own.items():
            if name not in state:
                continue
            value = np.asarray(state[name])
            if value.shape != p.data.shape:
                raise ValueError(
                    f"state_dict entry '{name}' has shape {value.shape}, expected {p.data.shape}"
                )
            p.data = value.astype(p.data.dtype, copy=True)
        return self

    # ---------------------------------------------------------- interface
    def forward(self, *args, **kwargs):
        raise NotImplementedError

    def backward(self, dout, cache):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def __repr__(self):
        lines = [f"{type(self).__name__}("]
        for name, child in self._children.items():
            lines.append(f"  ({name}): " + repr(child).replace("\n", "\n  "))
        for name, p in self._params.items():
            lines.append(f"  {name}: {tuple(p.data.shape)}")
        return "\n".join(lines) + ")" if len(lines) > 1 else f"{type(self).__name__}()"

    def named_generators(self, prefix: str = "", seen=None):
        """Yield (dotted name, np.random.Generator) for every generator held by this module or its
        children (dropout's, for example), depth first; a generator shared by two places is yielded once."""
        seen = set() if seen is None else seen
        for name, value in vars(self).items():
            if isinstance(value, np.random.Generator) and id(value) not in seen:
                seen.add(id(value))
                yield prefix + name, value
        for name, child in self._children.items():
            yield from child.named_generators(prefix + name + ".", seen)


class ModuleList(Module):
    """A list of modules, registered with names '0', '1', ..."""

    def __init__(self, modules=()):
        super().__init__()
        self._items = []
        for m in modules:
            self.append(m)

    def append(self, module: Module):
        name = str(len(self._items))
        self._children[name] = module
        self._items.append(module)

    def __getitem__(self, i):
        return self._items[i]

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(self._items)
