"""Reading a Hugging Face config.json: each value is checked for its type and range, and each option
minitrans cannot express is an error naming it."""
from ..models.config import check_value

REQUIRED = object()      # the default of an option the file must hold


def option(hf, path, key, kind, default=REQUIRED, nullable=False):
    """hf[key], or `default` when the file lacks the key; None when the value is null and `nullable`.

    The value must be of `kind` ("size", "index", "rate", "positive" or "flag": models/config.py's KINDS),
    so "300", "false", true in place of an integer, 0 layers or an epsilon of -1 are ValueErrors naming
    the file, the key, what it expects and what came."""
    if key not in hf:
        if default is REQUIRED:
            raise ValueError(f"'{path}' lacks the key '{key}', which a {hf.get('model_type')} config needs")
        return default
    if hf[key] is None and nullable:
        return None
    return check_value(f"'{path}': {key}", hf[key], kind)


def make_config(config_class, path, **fields):
    """config_class(**fields), its own checks (e.g. d_model divisible by n_head) named by the file."""
    try:
        return config_class(**fields)
    except (TypeError, ValueError) as e:
        raise ValueError(f"'{path}': {e}") from None


def check_fixed(hf, path, family, fixed):
    """ValueError unless every option in `fixed` (key -> the one value minitrans supports) has that value."""
    for key, value in fixed.items():
        if hf.get(key, value) != value:
            raise ValueError(f"'{path}': {key} = {hf[key]!r}; minitrans's {family} supports only {value!r}")


def activation_from(hf, path, key, default, activations):
    """The minitrans activation for hf[key] (activations: Hugging Face name -> minitrans name)."""
    name = hf.get(key, default)
    if not isinstance(name, str) or name not in activations:
        raise ValueError(f"'{path}': {key} {name!r} is not one minitrans has; supported: {sorted(activations)}")
    return activations[name]


def dropout_from(hf, path, family, keys, default=0.1):
    """The one dropout rate of the options `keys`; ValueError if they differ (minitrans has one rate)."""
    rates = {key: option(hf, path, key, "rate", default) for key in keys}
    if len(set(rates.values())) > 1:
        raise ValueError(f"'{path}': dropout rates {rates} differ; minitrans's {family} has one dropout rate")
    return rates[keys[0]]
