"""Sampling text from a GPT: greedy, temperature, top-k and nucleus (top-p) sampling.

    out = generate(model, ids, max_new_tokens=50, temperature=0.8, top_k=20, seed=0)
    text = generate_text(model, tokenizer, "Once upon", max_new_tokens=50, greedy=True)

Each step turns the logits of the last position into a distribution
(logits / temperature, then the top-k and top-p filters), draws one token per
sequence, appends it and feeds it back.

The key-value cache (use_cache=True): the first step runs the whole prompt and
keeps every layer's keys and values; each later step runs only the one new
token (`model.hidden_forward(new_ids, past_kv=...)`), so a step costs O(T)
instead of O(T^2). The logits are the same as recomputing the whole sequence.

Longer than block_size: the model has only block_size positions, so once the
sequence is longer the context is cropped to its last block_size tokens. The
cropped window starts at position 0 again, so every cached key (computed at an
older position) is stale: with the cache on, each step beyond block_size
recomputes the cropped window from scratch and refills the cache. The results
equal decoding without the cache, but there is no speed-up past block_size.
"""
import numbers

import numpy as np


# ------------------------------------------------------------------ filters
def top_k_filter(logits, k):
    """Keep the k largest logits of each row, set the rest to -inf.

    logits: (B, V) -> (B, V). Ties at the k-th place are broken by the lower token id.
    """
    V = logits.shape[-1]
    if k >= V:
        return logits.copy()
    order = np.argsort(-logits, axis=-1, kind="stable")
    out = np.full_like(logits, -np.inf)
    keep = order[:, :k]
    rows = np.arange(logits.shape[0])[:, None]
    out[rows, keep] = logits[rows, keep]
    return out


def top_p_filter(logits, p):
    """Nucleus filter: keep the smallest set of most likely tokens whose probability sums to >= p.

    logits: (B, V) -> (B, V) with the other logits set to -inf. The most likely
    token is always kept; p = 1 keeps every token.
    """
    if p >= 1:
        return logits.copy()
    order = np.argsort(-logits, axis=-1, kind="stable")
    rows = np.arange(logits.shape[0])[:, None]
    sorted_logits = logits[rows, order].astype(np.float64)
    probs = np.exp(sorted_logits - sorted_logits[:, :1])
    probs /= probs.sum(axis=-1, keepdims=True)
    before = np.cumsum(probs, axis=-1) - probs       # probability of the tokens ranked above
    keep_sorted = before < p                          # a token is kept while the mass above it is < p
    keep_sorted[:, 0] = True
    keep = np.zeros_like(keep_sorted)
    keep[rows, order] = keep_sorted
    return np.where(keep, logits, -np.inf)


def sample_from_logits(logits, rng, temperature=1.0, top_k=None, top_p=None, greedy=False):
    """One token id per row of logits (B, V) -> (B,) int64.

    greedy: the argmax (ties: lowest id). Otherwise softmax(logits / temperature)
    after the top-k and top-p filters, sampled with `rng` by inverting the
    cumulative distribution (a token of probability 0 is never drawn). Logits that
    hold NaN or Inf are refused: there is no distribution to draw from.
    """
    logits = np.asarray(logits, dtype=np.float64)
    if not np.isfinite(logits).all():
        row = int(np.argwhere(~np.isfinite(logits))[0][0])
        raise ValueError(f"the logits to sample from hold NaN or Inf (row {row}): the model's weights or "
                         "activations are not finite")
    if greedy:
        return logits.argmax(axis=-1).astype(np.int64)
    with np.errstate(over="ignore"):      # a tiny temperature sends all but the largest logit to -inf
        logits = (logits - logits.max(axis=-1, keepdims=True)) / temperature
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    cdf = np.cumsum(probs, axis=-1)
    u = rng.random(logits.shape[0]) * cdf[:, -1]
    ids = [np.searchsorted(row, x, side="right") for row, x in zip(cdf, u)]
    return np.minimum(np.array(ids, dtype=np.int64), logits.shape[-1] - 1)


# ------------------------------------------------------------------ decoding
class Decoder:
    """Next-token logits for a growing batch of sequences, with or without the key-value cache.

        dec = Decoder(model, use_cache=True)
        logits = dec.start(ids)        # ids (B, T) -> logits of the next token (B, V)
        logits = dec.step(new_ids)     # new_ids (B,) appended -> logits (B, V)

    Without the cache every call recomputes the last block_size tokens.
    The model should be in eval mode (generate takes care of that).
    """

    def __init__(self, model, use_cache=True):
        self.model, self.use_cache = model, use_cache
        self.block_size = model.config.block_size
        self.ids, self.past_kv = None, None

    def start(self, ids):
        """ids: (B, T) with T <= block_size -> logits: (B, V)."""
        self.ids = ids
        return self._recompute()

    def step(self, new_ids):
        """new_ids: (B,) -> logits: (B, V) of the token after them."""
        self.ids = np.concatenate([self.ids, new_ids[:, None]], axis=1)
        if not self.use_cache or self.ids.shape[1] > self.block_size:
            return self._recompute()
        h, cache = self.model.hidden_forward(new_ids[:, None], past_kv=self.past_kv)
        self.past_kv = cache["present_kv"]
        return self._last_logits(h)

    def _recompute(self):
        window = self.ids[:, -self.block_size:]
        h, cache = self.model.hidden_forward(window)
        self.past_kv = cache["present_kv"] if self.use_cache else None
        return self._last_logits(h)

    def _last_logits(self, h):
        logits, _ = self.model.head_forward(h[:, -1:])    # (B, 1, V): only the last position is needed
        return logits[:, 0]


# ---------------------------------------------------------------- checking
def _check_prompt(model, ids):
    """A prompt as a (B, T) int64 array and whether it was given as one sequence, or a clear error."""
    if isinstance(ids, (list, tuple)):
        if len(ids) == 0:
            raise ValueError("the prompt is empty: give at least one token id")
        try:
            ids = np.array(ids)
        except ValueError:
            raise ValueError("a batch of prompts must all have the same length") from None
    if not isinstance(ids, np.ndarray) or ids.dtype.kind not in "iu":
        raise TypeError(f"ids must be a list of ints or an integer array (T,) or (B, T), "
                        f"got {getattr(ids, 'dtype', type(ids).__name__)}")
    one_dim = ids.ndim == 1
    if one_dim:
        ids = ids[None]
    if ids.ndim != 2:
        raise ValueError(f"ids must have shape (T,) or (B, T), got {ids.shape}")
    if ids.shape[0] == 0 or ids.shape[1] == 0:
        raise ValueError(f"the prompt is empty (shape {ids.shape}): give at least one token id")
    V, block = model.config.vocab_size, model.config.block_size
    if ids.shape[1] > block:
        raise ValueError(f"the prompt has {ids.shape[1]} tokens, more than block_size {block}; "
                         f"crop it, e.g. ids[..., -{block}:]")
    if ids.min() < 0 or ids.max() >= V:
        bad = ids[(ids < 0) | (ids >= V)][0]
        raise ValueError(f"token id {bad} is outside the vocabulary [0, {V})")
    return ids.astype(np.int64), one_dim


def _check_settings(max_new_tokens, temperature, top_k, top_p, greedy, stop_tokens, vocab_size):
    if not isinstance(max_new_tokens, numbers.Integral) or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be an integer >= 0, got {max_new_tokens!r}")
    if not greedy and (not isinstance(temperature, numbers.Real) or not 0 < temperature < np.inf):
        raise ValueError(f"temperature must be a finite number > 0 (use greedy=True for argmax), "
                         f"got {temperature!r}")
    if top_k is not None and (not isinstance(top_k, numbers.Integral) or top_k < 1):
        raise ValueError(f"top_k must be None or an integer >= 1, got {top_k!r}")
    if top_p is not None and (not isinstance(top_p, numbers.Real) or not 0 < top_p <= 1):
        raise ValueError(f"top_p must be None or a number in (0, 1], got {top_p!r}")
    for t in stop_tokens:
        if not isinstance(t, numbers.Integral) or not 0 <= t < vocab_size:
            raise ValueError(f"stop tokens must be token ids in [0, {vocab_size}), got {t!r}")


# ----------------------------------------------------------------- public API
def generate(model, ids, max_new_tokens, temperature=1.0, top_k=None, top_p=None, greedy=False,
             seed=None, rng=None, stop_tokens=(), use_cache=True):
    """Continue the prompt `ids` by up to `max_new_tokens` tokens.

    ids: list of ints or int array (T,) or (B, T), 1 <= T <= block_size
    -> the prompt followed by the new tokens, int64 (T + n,) or (B, T + n).
    greedy: always take the most likely token (temperature, top_k, top_p unused).
    temperature > 0: < 1 sharpens, > 1 flattens the distribution.
    top_k: sample among the k most likely tokens; top_p: among the nucleus (see top_p_filter).
    seed or rng: the random source (np.random.default_rng(seed) when rng is None), so
    the same seed gives the same text.
    stop_tokens: ids that end a sequence; the stop token is kept in the output.
    Generation ends when every sequence has stopped; a sequence that stopped
    earlier is filled with its stop token.
    use_cache: key-value cache (see the module docstring for cropping past block_size).
    The model runs in eval mode (dropout off) and is put back in its mode afterwards.
    """
    ids, one_dim = _check_prompt(model, ids)
    stop_tokens = tuple(stop_tokens)
    _check_settings(max_new_tokens, temperature, top_k, top_p, greedy, stop_tokens, model.config.vocab_size)
    rng = rng if rng is not None else np.random.default_rng(seed)
    with model.evaluating():
        out = ids
        stopped = np.zeros(ids.shape[0], dtype=bool)
        fill = np.zeros(ids.shape[0], dtype=np.int64)
        decoder = Decoder(model, use_cache)
        for step in range(max_new_tokens):
            logits = decoder.start(ids) if step == 0 else decoder.step(out[:, -1])
            new = sample_from_logits(logits, rng, temperature, top_k, top_p, greedy)
            new = np.where(stopped, fill, new)
            out = np.concatenate([out, new[:, None]], axis=1)
            just_stopped = ~stopped & np.isin(new, stop_tokens)
            fill[just_stopped] = new[just_stopped]
            stopped |= just_stopped
            if stopped.all():
                break
    return out[0] if one_dim else out


def generate_text(model, tokenizer, prompt, max_new_tokens=50, include_prompt=True, **kwargs):
    """Encode `prompt` with `tokenizer`, generate, decode -> str.

    include_prompt: return prompt + continuation (True) or only the continuation.
    kwargs go to `generate` (temperature, top_k, top_p, greedy, seed, stop_tokens, use_cache).
    """
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str, got {type(prompt).__name__}")
    if prompt == "":
        raise ValueError("the prompt is empty: give some text to continue")
    ids = list(tokenizer.encode(prompt))
    out = generate(model, ids, max_new_tokens, **kwargs)
    return tokenizer.decode(out.tolist() if include_prompt else out[len(ids):].tolist())
