"""T5's span corruption: drop random spans of tokens and ask the model to write them back.

    tokens : The  cat  sat  on  the  mat  and  slept  .
    inputs : The  <s0> on  the  mat  <s1> .   </s>
    targets: <s0> cat  sat <s1> and  slept </s>

About `noise_density` (15%) of the tokens are dropped, in spans of mean length
`mean_span_length` (3). Each dropped span becomes one sentinel in the inputs
(sentinel 0 first, then 1, ...); the targets list each sentinel followed by its span,
then `eos_id` when one is given. The number of tokens and spans is fixed by the
length, so `span_corruption_lengths` knows the input and target lengths in advance
and every sequence of a batch has the same shape.
"""
import numpy as np

from ..functional.checks import check_id_array, check_positive_int


def _check_rates(noise_density, mean_span_length):
    if not 0 < noise_density < 1:
        raise ValueError(f"noise_density must be strictly between 0 and 1, got {noise_density!r}")
    if not mean_span_length >= 1:
        raise ValueError(f"mean_span_length must be >= 1, got {mean_span_length!r}")


def span_corruption_lengths(n_tokens, noise_density=0.15, mean_span_length=3.0, eos=True):
    """(n_noise, n_spans, inputs_length, targets_length) for a sequence of `n_tokens` tokens.

    n_noise = round(n_tokens * noise_density), kept between 1 and n_tokens - 1;
    n_spans = round(n_noise / mean_span_length), at least 1 and at most the kept tokens;
    inputs  = the kept tokens + one sentinel per span (+ eos);
    targets = the noise tokens + one sentinel per span (+ eos).
    """
    check_positive_int("n_tokens", n_tokens)
    if n_tokens < 2:
        raise ValueError(f"span corruption needs at least 2 tokens, got {n_tokens}")
    _check_rates(noise_density, mean_span_length)
    n_noise = min(max(int(np.floor(n_tokens * noise_density + 0.5)), 1), n_tokens - 1)
    n_spans = min(max(int(np.floor(n_noise / mean_span_length + 0.5)), 1), n_tokens - n_noise)
    extra = 1 if eos else 0
    return n_noise, n_spans, n_tokens - n_noise + n_spans + extra, n_noise + n_spans + extra


def tokens_length_for_inputs(inputs_length, noise_density=0.15, mean_span_length=3.0, eos=True):
    """(tokens_length, targets_length): the longest raw sequence whose corrupted inputs fit `inputs_length`.

    Cut the token stream into pieces of tokens_length; each corrupts to inputs of
    span_corruption_lengths(tokens_length)[2] <= inputs_length tokens and targets of targets_length.
    """
    check_positive_int("inputs_length", inputs_length)
    if span_corruption_lengths(2, noise_density, mean_span_length, eos)[2] > inputs_length:
        raise ValueError(f"inputs_length={inputs_length} is too short for any corrupted sequence")
    n = 2
    while span_corruption_lengths(n + 1, noise_density, mean_span_length, eos)[2] <= inputs_length:
        n += 1
    return n, span_corruption_lengths(n, noise_density, mean_span_length, eos)[3]


def _random_segmentation(total, n_segments, rng):
    """`n_segments` positive lengths summing to `total`, uniformly among all such splits."""
    cuts = np.sort(rng.choice(np.arange(1, total), size=n_segments - 1, replace=False))
    return np.diff(np.concatenate([[0], cuts, [total]]))


def random_span_mask(n_tokens, rng, noise_density=0.15, mean_span_length=3.0):
    """Boolean (n_tokens,): True on the tokens to drop, in span_corruption_lengths(n_tokens)[1] spans.

    Noise and kept spans alternate; whether the sequence starts with a noise span is random.
    """
    ### BEGIN SOLUTION
    n_noise, n_spans, _, _ = span_corruption_lengths(n_tokens, noise_density, mean_span_length)
    noise = _random_segmentation(n_noise, n_spans, rng)
    kept = _random_segmentation(n_tokens - n_noise, n_spans, rng)
    first, second = (noise, kept) if rng.random() < 0.5 else (kept, noise)
    lengths = np.stack([first, second], axis=1).reshape(-1)
    is_noise = np.tile([first is noise, second is noise], n_spans)
    return np.repeat(is_noise, lengths)
    ### END SOLUTION


def span_corrupt(ids, rng, sentinel_ids, eos_id=None, noise_density=0.15, mean_span_length=3.0):
    """(inputs, targets) 1-D int64 arrays for one sequence `ids` (see the module doc)."""
    ids = check_id_array("ids", ids, ndim=1)
    sentinels = np.asarray(sentinel_ids, dtype=np.int64)
    if np.isin(ids, sentinels).any():
        raise ValueError("ids already contain sentinel ids; sentinels must be ids the text never uses")
    ### BEGIN SOLUTION
    noise = random_span_mask(len(ids), rng, noise_density, mean_span_length)
    starts = noise & ~np.concatenate([[False], noise[:-1]])          # first token of each noise span
    n_spans = int(starts.sum())
    if n_spans > len(sentinels):
        raise ValueError(f"{n_spans} spans need {n_spans} sentinel ids, got {len(sentinels)}")
    span_index = np.cumsum(starts) - 1
    inputs = np.where(starts, sentinels[span_index], ids)[~noise | starts]
    # targets: each span's sentinel, then the span's tokens
    positions = np.flatnonzero(noise)
    targets = np.insert(ids[positions], np.flatnonzero(starts[positions]), sentinels[:n_spans])
    if eos_id is not None:
        inputs, targets = np.append(inputs, eos_id), np.append(targets, eos_id)
    return inputs.astype(np.int64), targets.astype(np.int64)
    ### END SOLUTION


def span_uncorrupt(inputs, targets, sentinel_ids, eos_id=None):
    """Rebuild the original ids from span_corrupt's (inputs, targets)."""
    inputs, targets = list(np.asarray(inputs).tolist()), list(np.asarray(targets).tolist())
    if eos_id is not None:
        if not inputs or inputs[-1] != eos_id or not targets or targets[-1] != eos_id:
            raise ValueError(f"inputs and targets must both end with eos_id={eos_id}")
        inputs, targets = inputs[:-1], targets[:-1]
    index = {int(s): k for k, s in enumerate(sentinel_ids)}
    spans = []
    for token in targets:
        if token in index:
            if index[token] != len(spans):
                raise ValueError(f"targets hold sentinel {index[token]} where sentinel {len(spans)} was expected")
            spans.append([])
        elif not spans:
            raise ValueError("targets must start with sentinel 0")
        else:
            spans[-1].append(token)
    original, seen = [], 0
    for token in inputs:
        if token in index:
            if index[token] != seen or seen >= len(spans):
                raise ValueError(f"inputs hold sentinel {index[token]} where sentinel {seen} was expected")
            original.extend(spans[seen])
            seen += 1
        else:
            original.append(token)
    if seen != len(spans):
        raise ValueError(f"targets have {len(spans)} spans but inputs only {seen} sentinels")
    return np.asarray(original, dtype=np.int64)


def span_corruption_batch(stream, rng, batch_size, inputs_length, sentinel_ids, eos_id=None,
                          noise_density=0.15, mean_span_length=3.0):
    """(inputs (B, L_in), targets (B, L_out)) from random windows of a long token stream; all rows one shape."""
    stream = check_id_array("stream", stream, ndim=1)
    check_positive_int("batch_size", batch_size)
    n, _ = tokens_length_for_inputs(inputs_length, noise_density, mean_span_length, eos=eos_id is not None)
    if len(stream) < n:
        raise ValueError(f"the stream has {len(stream)} tokens; a window needs {n}")
    starts = rng.integers(0, len(stream) - n + 1, size=batch_size)
    pairs = [span_corrupt(stream[s:s + n], rng, sentinel_ids, eos_id, noise_density, mean_span_length)
             for s in starts]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
