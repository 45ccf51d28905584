"""Reading a Hugging Face config.json: each option minitrans cannot express is an error naming it."""


def check_fixed(hf, path, family, fixed):
    """ValueError unless every option in `fixed` (key -> the one value minitrans supports) has that value."""
    for key, value in fixed.items():
        if hf.get(key, value) != value:
            raise ValueError(f"'{path}': {key} = {hf[key]!r}; minitrans's {family} supports only {value!r}")


def activation_from(hf, path, key, default, activations):
    """The minitrans activation for hf[key] (activations: Hugging Face name -> minitrans name)."""
    name = hf.get(key, default)
    if name not in activations:
        raise ValueError(f"'{path}': {key} {name!r} is not one minitrans has; supported: {sorted(activations)}")
    return activations[name]


def dropout_from(hf, path, family, keys, default=0.1):
    """The one dropout rate of the options `keys`; ValueError if they differ (minitrans has one rate)."""
    rates = {key: hf.get(key, default) for key in keys}
    if len(set(rates.values())) > 1:
        raise ValueError(f"'{path}': dropout rates {rates} differ; minitrans's {family} has one dropout rate")
    return rates[keys[0]]
