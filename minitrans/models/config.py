"""Shared behaviour of the model configs: named presets, overrides, JSON round trips, and the
check of every field's type and range (a config read from a file is checked before any model is built)."""
import dataclasses
import typing

import numpy as np

from ..functional.checks import is_int, is_number

KINDS = {   # kind of value: (test, what it expects)
    "size": (lambda v: is_int(v) and v >= 1, "an integer >= 1"),
    "index": (lambda v: is_int(v) and v >= 0, "an integer >= 0"),
    "rate": (lambda v: is_number(v) and 0 <= v < 1, "a number in [0, 1)"),
    "positive": (lambda v: is_number(v) and v > 0, "a finite number > 0"),
    "flag": (lambda v: isinstance(v, (bool, np.bool_)), "true or false"),
    "name": (lambda v: isinstance(v, str), "a str"),
}
SIZE_PREFIXES = ("n_", "d_", "vocab", "block", "max_", "num_")   # integer fields named so are sizes (>= 1)


def check_value(what, value, kind):
    """`value` if it is of `kind` (a key of KINDS), else ValueError: "`what` must be <expected>, got <value>"."""
    test, expected = KINDS[kind]
    if not test(value):
        raise ValueError(f"{what} must be {expected}, got {value!r}")
    return value


def field_kind(name, annotation):
    """The kind of a config field from its name and type: sizes, other integers (seeds, token ids),
    dropout, other floats (layer_norm_eps), bools and strs."""
    if annotation is int:
        return "size" if name.startswith(SIZE_PREFIXES) else "index"
    if annotation is float:
        return "rate" if name == "dropout" else "positive"
    return {bool: "flag", str: "name"}[annotation]


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
        """Check every field's type and range (field_kind): ValueError naming the field, what it expects
        and what came. A field typed `X | None` may be None."""
        hints = typing.get_type_hints(type(self))
        for field in dataclasses.fields(self):
            value, types = getattr(self, field.name), typing.get_args(hints[field.name]) or (hints[field.name],)
            if field.name == "dtype" or (value is None and type(None) in types):
                continue
            kind = field_kind(field.name, next(t for t in types if t is not type(None)))
            check_value(f"{type(self).__name__}.{field.name}", value, kind)
        if "dtype" in hints:
            dtype = None if self.dtype is None else np.dtype(self.dtype)     # TypeError on a bad name
            if dtype not in (np.float32, np.float64):
                raise TypeError(f"{type(self).__name__}.dtype must be float32 or float64, got {dtype}")

    def to_dict(self):
        """A JSON-able dict of the fields, with the class name under "type"."""
        return {"type": type(self).__name__, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, d):
        """Rebuild from `to_dict()` output (e.g. a checkpoint's config); a config of another class, an
        unknown field or a value of the wrong type or range gives one ValueError naming it."""
        if not isinstance(d, dict):
            raise ValueError(f"a {cls.__name__} must be a dict of its fields, got {type(d).__name__}")
        d = dict(d)
        kind = d.pop("type", cls.__name__)
        if kind != cls.__name__:
            raise ValueError(f"expected a {cls.__name__}, got a {kind}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields {unknown}")
        try:
            return cls(**d)
        except TypeError as e:            # a dtype that is no dtype name
            raise ValueError(str(e)) from None
