"""Shared behaviour of the model configs: named presets, overrides, and JSON round trips."""
import dataclasses

import numpy as np


class PresetConfig:
    """Mixin for config dataclasses: `Config.preset(name, **overrides)`, `to_dict`, `from_dict`.

    Subclasses define PRESETS, a dict of name -> dict of field values.
    """

    PRESETS: dict = {}

    @classmethod
    def preset(cls, name, **overrides):
        """The named preset with some fields overridden, e.g. GPTConfig.preset("baby", dropout=0.1)."""
        if name not in cls.PRESETS:
            raise ValueError(f"unknown {cls.__name__} preset {name!r}; choose from {sorted(cls.PRESETS)}")
        return cls(**{**cls.PRESETS[name], **overrides})

    def __post_init__(self):
        fields = {f.name for f in dataclasses.fields(self)}
        for name in fields:
            value = getattr(self, name)
            if name.startswith(("n_", "d_", "vocab", "block", "max_")) and isinstance(value, int) and value <= 0:
                raise ValueError(f"{type(self).__name__}.{name} must be positive, got {value}")
        if "dropout" in fields and not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"{type(self).__name__}.dropout must be in [0, 1), got {self.dropout}")
        if "dtype" in fields and np.dtype(self.dtype) not in (np.float32, np.float64):  # TypeError on a bad name
            raise TypeError(f"{type(self).__name__}.dtype must be float32 or float64, got {np.dtype(self.dtype)}")

    def to_dict(self):
        """A JSON-able dict of the fields, with the class name under "type"."""
        return {"type": type(self).__name__, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, d):
        """Rebuild from `to_dict()` output; a config of another class gives a clear error."""
        d = dict(d)
        kind = d.pop("type", cls.__name__)
        if kind != cls.__name__:
            raise ValueError(f"expected a {cls.__name__}, got a {kind}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields {unknown}")
        return cls(**d)
