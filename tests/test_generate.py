"""Sampling: the key-value cache matches full recomputation, filters, seeds, stop tokens and bad input."""
import numpy as np
import pytest

from minitrans.generate import Decoder, generate, generate_text, sample_from_logits, top_k_filter, top_p_filter
from minitrans.models import GPT, GPTConfig


class Chars:
    """A tiny character tokenizer for the tests: encode(text) -> ids, decode(ids) -> text."""

    def __init__(self, alphabet):
        self.alphabet = alphabet

    def encode(self, text):
        return [self.alphabet.index(c) for c in text]

    def decode(self, ids):
        return "".join(self.alphabet[i] for i in ids)


def noisy_model(dtype="float32", scale=0.1, **overrides):
    """A tiny GPT whose weights get extra noise, so the logits are of order one and vary by position."""
    cfg = dict(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=16, dtype=dtype)
    model = GPT(GPTConfig(**{**cfg, **overrides}))
    rng = np.random.default_rng(1)
    for p in model.parameters():
        p.data += (rng.standard_normal(p.shape) * scale).astype(p.data.dtype)
    return model.eval()


def reference_next_logits(model, ids):
    """Logits of the next token from a full forward of the last block_size tokens."""
    logits, _ = model.forward(ids[:, -model.config.block_size:])
    return logits[:, -1]


@pytest.mark.parametrize("dtype,tol", [("float32", 1e-5), ("float64", 1e-10)])
def test_cached_logits_equal_full_recomputation_at_every_step(dtype, tol):
    model = noisy_model(dtype)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 13, size=(2, 3))
    decoder = Decoder(model, use_cache=True)
    logits = decoder.start(ids)
    assert np.abs(reference_next_logits(model, ids)).max() > 0.1    # not a trivially small comparison
    for _ in range(12):                                               # runs past block_size = 8
        np.testing.assert_allclose(logits, reference_next_logits(model, ids), rtol=0, atol=tol)
        new = rng.integers(0, 13, size=2)
        ids = np.concatenate([ids, new[:, None]], axis=1)
        logits = decoder.step(new)
    assert ids.shape[1] > model.config.block_size


def test_greedy_is_the_same_with_and_without_cache_and_is_the_argmax():
    model = noisy_model()
    prompt = np.array([[1, 2, 3], [4, 5, 6]])
    cached = generate(model, prompt, 12, greedy=True, use_cache=True)
    uncached = generate(model, prompt, 12, greedy=True, use_cache=False)
    assert np.array_equal(cached, uncached)
    ids = prompt
    for _ in range(12):
        ids = np.concatenate([ids, reference_next_logits(model, ids).argmax(-1)[:, None]], axis=1)
    assert np.array_equal(cached, ids)


def test_seed_reproducibility():
    model = noisy_model(scale=0.05)
    a = generate(model, [1, 2], 20, temperature=2.0, seed=7)
    b = generate(model, [1, 2], 20, temperature=2.0, seed=7)
    c = generate(model, [1, 2], 20, temperature=2.0, seed=8)
    d = generate(model, [1, 2], 20, temperature=2.0, rng=np.random.default_rng(7))
    assert np.array_equal(a, b) and np.array_equal(a, d)
    assert not np.array_equal(a, c)
    assert a.shape == (22,) and list(a[:2]) == [1, 2]
    # the cache does not change what is sampled
    assert np.array_equal(a, generate(model, [1, 2], 20, temperature=2.0, seed=7, use_cache=False))


def test_top_k_one_equals_greedy():
    model = noisy_model()
    greedy = generate(model, [[3, 1], [0, 7]], 10, greedy=True)
    assert np.array_equal(greedy, generate(model, [[3, 1], [0, 7]], 10, top_k=1, temperature=1.5, seed=0))


def test_top_k_filter():
    logits = np.array([[0.1, 2.0, -1.0, 2.0, 0.5]])
    out = top_k_filter(logits, 2)
    assert np.array_equal(np.isfinite(out), [[False, True, False, True, False]])
    assert np.array_equal(out[np.isfinite(out)], [2.0, 2.0])
    assert np.array_equal(top_k_filter(logits, 9), logits)


def test_top_p_filter_keeps_the_smallest_nucleus():
    probs = np.array([0.15, 0.5, 0.05, 0.3])            # ranked: 1 (0.5), 3 (0.3), 0 (0.15), 2 (0.05)
    logits = np.log(probs)[None] + 3.0                   # a shift must not matter
    kept = lambda p: set(np.flatnonzero(np.isfinite(top_p_filter(logits, p)[0])))
    assert kept(0.3) == {1}                              # the top token alone is enough
    assert kept(0.5) == {1}
    assert kept(0.51) == {1, 3}
    assert kept(0.79) == {1, 3}
    assert kept(0.81) == {0, 1, 3}
    assert kept(0.96) == {0, 1, 2, 3}
    assert kept(1.0) == {0, 1, 2, 3}
    kept_logits = top_p_filter(logits, 0.79)[0]
    assert kept_logits[1] == logits[0, 1] and kept_logits[3] == logits[0, 3]   # kept logits unchanged


def test_sampling_frequencies_follow_the_filtered_distribution():
    probs = np.array([0.15, 0.5, 0.05, 0.3])
    logits = np.tile(np.log(probs), (20000, 1))
    draws = sample_from_logits(logits, np.random.default_rng(0), top_p=0.79)
    freq = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(freq, [0, 0.5 / 0.8, 0, 0.3 / 0.8], atol=0.01)
    draws = sample_from_logits(logits, np.random.default_rng(0), temperature=0.5)
    sharpened = probs ** 2 / (probs ** 2).sum()
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / len(draws), sharpened, atol=0.01)


def test_stop_tokens_stop():
    model = noisy_model()
    free = generate(model, [1, 2, 3], 10, greedy=True)
    stop = int(free[5])                                  # the third new token
    first = 3 + list(free[3:]).index(stop)               # where it first appears
    out = generate(model, [1, 2, 3], 10, greedy=True, stop_tokens=[stop])
    assert np.array_equal(out, free[:first + 1])
    # in a batch, a sequence that stopped is filled with its stop token until every sequence stops
    batch = generate(model, [[1, 2, 3], [1, 2, 3]], 10, greedy=True, stop_tokens=[stop])
    assert np.array_equal(batch[0], free[:first + 1])


def test_generate_text_and_mode_restored():
    tok = Chars("abcdefghijklm")
    model = noisy_model().train()
    text = generate_text(model, tok, "abc", max_new_tokens=5, greedy=True)
    ids = generate(model, tok.encode("abc"), 5, greedy=True)
    assert text == tok.decode(ids.tolist()) and text.startswith("abc") and len(text) == 8
    assert generate_text(model, tok, "abc", 5, greedy=True, include_prompt=False) == text[3:]
    assert model.training                                # generate ran in eval mode and put it back


def test_bad_input():
    model = noisy_model()
    with pytest.raises(ValueError, match="more than block_size 8"):
        generate(model, list(range(9)), 2)
    with pytest.raises(ValueError, match="empty"):
        generate(model, [], 2)
    with pytest.raises(ValueError, match="empty"):
        generate(model, np.zeros((1, 0), dtype=np.int64), 2)
    with pytest.raises(ValueError, match="empty"):
        generate_text(model, Chars("abc"), "", 2)
    with pytest.raises(ValueError, match=r"token id 13 is outside the vocabulary \[0, 13\)"):
        generate(model, [1, 13], 2)
    with pytest.raises(TypeError, match="integer"):
        generate(model, np.zeros(3), 2)
    for bad in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
            generate(model, [1], 2, temperature=bad)
    for bad in (0, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"top_p must be None or a number in \(0, 1\]"):
            generate(model, [1], 2, top_p=bad)
    with pytest.raises(ValueError, match="top_k must be None or an integer >= 1"):
        generate(model, [1], 2, top_k=0)
    with pytest.raises(ValueError, match="max_new_tokens must be an integer >= 0"):
        generate(model, [1], -1)
    with pytest.raises(ValueError, match=r"stop tokens must be token ids in \[0, 13\)"):
        generate(model, [1], 2, stop_tokens=[13])


def test_a_tiny_temperature_is_the_argmax_and_non_finite_logits_are_refused():
    logits = np.array([[0.5, 2.0, -1.0, 1.9], [3.0, -2.0, 0.0, 2.5]])
    rng = np.random.default_rng(0)
    for temperature in (1e-310, 1e-300, 1e-12):           # 2.0 / 1e-310 overflows; the argmax stays
        assert sample_from_logits(logits, rng, temperature=temperature).tolist() == [1, 0]
    for bad in (np.nan, np.inf, -np.inf):
        poisoned = logits.copy()
        poisoned[1, 2] = bad
        with pytest.raises(ValueError, match=r"logits to sample from hold NaN or Inf \(row 1\)"):
            sample_from_logits(poisoned, rng)
