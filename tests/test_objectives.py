"""Pretraining objectives and batching: masking rates, span corruption, NSP, causal windows, padding."""
import numpy as np
import pytest

from minitrans.data.batching import length_buckets, pad_batch
from minitrans.data.objectives import (IGNORE_INDEX, mask_tokens, nsp_pairs, pack_pair, random_windows,
                                       span_corrupt, span_corruption_batch, span_corruption_lengths,
                                       span_uncorrupt, tokens_length_for_inputs)

PAD, CLS, SEP, MASK = 0, 1, 2, 3
SPECIAL = (PAD, CLS, SEP)
VOCAB = 1000


def batch_with_padding(rng, rows=200, length=512):
    """[CLS] tokens... [SEP] then padding of a random length in each row."""
    ids = rng.integers(4, VOCAB, size=(rows, length))
    ids[:, 0] = CLS
    for i, n_real in enumerate(rng.integers(200, length, size=rows)):
        ids[i, n_real - 1] = SEP
        ids[i, n_real:] = PAD
    return ids


# ---------------------------------------------------------------- masked LM
def test_mask_rates_over_a_large_sample():
    rng = np.random.default_rng(0)
    ids = batch_with_padding(rng)
    inputs, targets = mask_tokens(ids, rng, VOCAB, MASK, SPECIAL)
    chosen = targets != IGNORE_INDEX
    ordinary = ~np.isin(ids, SPECIAL)
    # each row: round(15% of its ordinary tokens), so within 0.5 token of 15%
    per_row = chosen.sum(axis=1) / ordinary.sum(axis=1)
    assert np.all(np.abs(per_row - 0.15) <= 0.5 / ordinary.sum(axis=1) + 1e-12)
    n = chosen.sum()
    assert n > 10_000
    masked = (inputs[chosen] == MASK).mean()
    kept = (inputs[chosen] == ids[chosen]).mean()
    replaced = 1 - masked - kept
    # binomial standard deviations are below 0.004 for n > 10 000: allow 5 of them
    assert abs(masked - 0.8) < 0.02
    assert abs(replaced - 0.1) < 0.015
    assert abs(kept - 0.1) < 0.015
    np.testing.assert_array_equal(targets[chosen], ids[chosen])
    np.testing.assert_array_equal(inputs[~chosen], ids[~chosen])


def test_special_tokens_and_padding_are_never_chosen_nor_used_as_random_tokens():
    rng = np.random.default_rng(1)
    ids = batch_with_padding(rng, rows=100, length=300)
    ids[0] = PAD                                     # a row of padding only
    inputs, targets = mask_tokens(ids, rng, VOCAB, MASK, SPECIAL, random_prob=0.5, keep_prob=0.0)
    assert not (targets[np.isin(ids, SPECIAL)] != IGNORE_INDEX).any()
    assert (targets[0] == IGNORE_INDEX).all()
    replaced = (targets != IGNORE_INDEX) & (inputs != MASK) & (inputs != ids)
    assert replaced.sum() > 1000
    assert not np.isin(inputs[replaced], SPECIAL + (MASK,)).any()


def test_mask_only_mode_and_other_rates():
    rng = np.random.default_rng(2)
    ids = rng.integers(4, VOCAB, size=(50, 400))
    inputs, targets = mask_tokens(ids, rng, VOCAB, MASK, SPECIAL, mask_only=True)
    chosen = targets != IGNORE_INDEX
    assert (inputs[chosen] == MASK).all() and (inputs[~chosen] == ids[~chosen]).all()
    inputs, targets = mask_tokens(ids, rng, VOCAB, MASK, SPECIAL, mask_prob=0.4, random_prob=0.0, keep_prob=0.5)
    chosen = targets != IGNORE_INDEX
    assert np.all(chosen.sum(axis=1) == 160)
    assert abs((inputs[chosen] == MASK).mean() - 0.5) < 0.03
    assert ((inputs[chosen] == MASK) | (inputs[chosen] == ids[chosen])).all()


def test_mask_is_deterministic_and_works_on_one_sequence():
    ids = np.arange(4, 104)
    a = mask_tokens(ids, np.random.default_rng(5), VOCAB, MASK, SPECIAL)
    b = mask_tokens(list(ids), np.random.default_rng(5), VOCAB, MASK, SPECIAL)
    assert a[0].shape == (100,)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert (a[1] != IGNORE_INDEX).sum() == 15


@pytest.mark.parametrize("kwargs, error", [
    (dict(mask_prob=0.0), ValueError), (dict(mask_prob=1.5), ValueError), (dict(random_prob=-0.1), ValueError),
    (dict(random_prob=0.6, keep_prob=0.6), ValueError), (dict(mask_prob="0.15"), TypeError),
])
def test_mask_rejects_bad_rates(kwargs, error):
    with pytest.raises(error):
        mask_tokens(np.arange(4, 20), np.random.default_rng(0), VOCAB, MASK, SPECIAL, **kwargs)


def test_mask_rejects_bad_ids():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"\[0, 1000\)"):
        mask_tokens(np.array([5, 1000]), rng, VOCAB, MASK, SPECIAL)
    with pytest.raises(TypeError, match="integer"):
        mask_tokens(np.array([5.0, 6.0]), rng, VOCAB, MASK, SPECIAL)
    with pytest.raises(ValueError, match="dimensions"):
        mask_tokens(np.zeros((2, 2, 2), dtype=int), rng, VOCAB, MASK, SPECIAL)


# ---------------------------------------------------------------- span corruption
SENTINELS = list(range(VOCAB - 1, VOCAB - 101, -1))      # sentinel 0 is the last id, as in T5
EOS = 1


@pytest.mark.parametrize("eos", [EOS, None])
def test_span_corruption_is_invertible_with_sentinels_in_order_and_predicted_lengths(eos):
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(2, 200))
        ids = rng.integers(4, 800, size=n)
        inputs, targets = span_corrupt(ids, rng, SENTINELS, eos_id=eos)
        np.testing.assert_array_equal(span_uncorrupt(inputs, targets, SENTINELS, eos_id=eos), ids)
        n_noise, n_spans, in_len, out_len = span_corruption_lengths(n, eos=eos is not None)
        assert (len(inputs), len(targets)) == (in_len, out_len)
        expected = SENTINELS[:n_spans]
        assert [t for t in inputs if t in SENTINELS] == expected
        assert [t for t in targets if t in SENTINELS] == expected
        assert targets[0] == SENTINELS[0]
        assert len(targets) - n_spans - (eos is not None) == n_noise
        if eos is not None:
            assert inputs[-1] == eos and targets[-1] == eos


def test_span_corruption_density_and_mean_span_length():
    rng = np.random.default_rng(4)
    noise = spans = total = 0
    for _ in range(200):
        inputs, targets = span_corrupt(rng.integers(4, 800, size=500), rng, SENTINELS)
        n_spans = int(np.isin(targets, SENTINELS).sum())
        noise += len(targets) - n_spans
        spans += n_spans
        total += 500
    assert noise / total == pytest.approx(0.15, abs=0.002)
    assert noise / spans == pytest.approx(3.0, abs=0.05)


def test_tokens_length_for_inputs_gives_fixed_size_batches():
    n, target_len = tokens_length_for_inputs(512)
    assert span_corruption_lengths(n)[2] <= 512 < span_corruption_lengths(n + 1)[2]
    assert span_corruption_lengths(n)[3] == target_len
    stream = np.random.default_rng(0).integers(4, 800, size=5000)
    inputs, targets = span_corruption_batch(stream, np.random.default_rng(1), 8, 64, SENTINELS, eos_id=EOS)
    n64, t64 = tokens_length_for_inputs(64)
    assert inputs.shape == (8, span_corruption_lengths(n64)[2]) and targets.shape == (8, t64)
    assert inputs.shape[1] <= 64


def test_span_corruption_rejects_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="sentinel"):
        span_corrupt(np.arange(4, 104), rng, SENTINELS[:2])
    with pytest.raises(ValueError, match="sentinel"):
        span_corrupt(np.array([5, SENTINELS[0], 7, 8]), rng, SENTINELS)
    with pytest.raises(ValueError, match="at least 2 tokens"):
        span_corrupt(np.array([5]), rng, SENTINELS)
    with pytest.raises(ValueError, match="noise_density"):
        span_corrupt(np.arange(4, 40), rng, SENTINELS, noise_density=1.5)
    with pytest.raises(ValueError, match="mean_span_length"):
        span_corruption_lengths(100, mean_span_length=0.5)
    inputs, targets = span_corrupt(np.arange(4, 40), rng, SENTINELS, eos_id=EOS)
    with pytest.raises(ValueError, match="eos"):
        span_uncorrupt(inputs[:-1], targets, SENTINELS, eos_id=EOS)
    with pytest.raises(ValueError, match="sentinel"):
        span_uncorrupt(inputs, targets[1:], SENTINELS, eos_id=EOS)


# ---------------------------------------------------------------- next sentence prediction
def make_documents(rng, n_docs=300):
    """Sentence i of document d holds ids d * 100 + i, so a pair shows where each part came from."""
    return [[[d * 100 + i] * int(rng.integers(1, 6)) for i in range(int(rng.integers(1, 8)))] for d in range(n_docs)]


def test_nsp_pairs_are_balanced_and_true_to_their_label():
    rng = np.random.default_rng(6)
    pairs = nsp_pairs(make_documents(rng), rng)
    labels = np.array([label for _, _, label in pairs])
    n = len(labels)
    assert n > 800
    assert abs(labels.mean() - 0.5) < 3 * 0.5 / np.sqrt(n)
    for a, b, label in pairs:
        doc_a, i = divmod(int(a[0]), 100)
        doc_b, j = divmod(int(b[0]), 100)
        if label == 1:
            assert (doc_b, j) == (doc_a, i + 1)
        else:
            assert doc_b != doc_a


def test_nsp_needs_two_documents():
    with pytest.raises(ValueError, match="2 non-empty documents"):
        nsp_pairs([[[5, 6], [7]]], np.random.default_rng(0))


def test_pack_pair_segments_and_truncation():
    ids, segments = pack_pair([10, 11, 12], [20, 21], CLS, SEP)
    np.testing.assert_array_equal(ids, [CLS, 10, 11, 12, SEP, 20, 21, SEP])
    np.testing.assert_array_equal(segments, [0, 0, 0, 0, 0, 1, 1, 1])
    ids, segments = pack_pair(list(range(10, 20)), [20, 21], CLS, SEP, max_len=9)
    np.testing.assert_array_equal(ids, [CLS, 10, 11, 12, 13, SEP, 20, 21, SEP])
    assert len(segments) == 9
    with pytest.raises(ValueError, match=">= 3"):
        pack_pair([1], [2], CLS, SEP, max_len=2)


# ---------------------------------------------------------------- causal LM
def test_random_windows_are_shifted_by_one_token():
    stream = np.random.default_rng(0).integers(0, 50, size=1000)
    x, y = random_windows(stream, 16, 32, np.random.default_rng(1))
    assert x.shape == y.shape == (32, 16)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    positions = np.arange(1000)
    x_pos, y_pos = random_windows(positions, 16, 32, np.random.default_rng(1))
    np.testing.assert_array_equal(x, stream[x_pos])
    np.testing.assert_array_equal(y_pos, x_pos + 1)
    assert y_pos.max() <= 999


def test_random_windows_rejects_a_short_stream():
    with pytest.raises(ValueError, match="more than block_size"):
        random_windows(np.arange(8), 8, 2, np.random.default_rng(0))


# ---------------------------------------------------------------- batching
def test_pad_batch_and_attention_mask():
    ids, mask = pad_batch([[5, 6, 7], [8], []], pad_id=0)
    np.testing.assert_array_equal(ids, [[5, 6, 7], [8, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(mask, [[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    assert mask.dtype == bool and ids.dtype == np.int64
    ids, mask = pad_batch([[5, 6]], pad_id=9, max_len=4)
    np.testing.assert_array_equal(ids, [[5, 6, 9, 9]])
    with pytest.raises(ValueError, match="truncate"):
        pad_batch([[1, 2, 3]], pad_id=0, max_len=2)
    with pytest.raises(ValueError, match="at least one"):
        pad_batch([], pad_id=0)


def test_length_buckets_cover_every_index_once_and_reduce_padding():
    rng = np.random.default_rng(7)
    lengths = rng.integers(1, 100, size=1000)
    batches = length_buckets(lengths, 16, np.random.default_rng(8), pool_batches=10)
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    assert all(len(b) <= 16 for b in batches)

    def padding(batches):
        return sum(len(b) * lengths[b].max() - lengths[b].sum() for b in batches)

    random_batches = np.array_split(rng.permutation(1000), len(batches))
    assert padding(batches) < padding(random_batches) / 4
    again = length_buckets(lengths, 16, np.random.default_rng(8), pool_batches=10)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))
