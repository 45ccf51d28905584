"""Zero-shot scoring: log-probabilities match the logits; a tiny trained LM classifies by prompting."""
import numpy as np
import pytest

from minitrans.eval.metrics import matthews_corrcoef
from minitrans.eval.zeroshot import (acceptability_scores, choose_threshold, classify_by_prompt, continuation_logprob,
                                     label_word_scores, multiple_choice, score_continuations, sequence_logprob,
                                     token_logprobs)
from minitrans.models import GPT, GPTConfig
from minitrans.optim import AdamW

POSITIVE, NEGATIVE = ["liked", "loved", "enjoyed"], ["hated", "feared", "loathed"]
NOUNS = ["soup", "cake", "film", "book", "song", "game"]


def sentence(verb, noun):
    return f"i {verb} the {noun} . it was very {'good' if verb in POSITIVE else 'bad'} ."


# every (verb, noun) pair with (verb index + noun index) % 3 == 0 is held out of training
PAIRS = [(v, n, (vi + ni) % 3 == 0) for vi, v in enumerate(POSITIVE + NEGATIVE) for ni, n in enumerate(NOUNS)]
TRAIN = [sentence(v, n) for v, n, held_out in PAIRS if not held_out]
HELD_OUT = [(v, n) for v, n, held_out in PAIRS if held_out]


class Chars:
    """A tiny character tokenizer for the tests."""

    def __init__(self, alphabet):
        self.alphabet = alphabet

    def encode(self, text):
        return [self.alphabet.index(c) for c in text]

    def decode(self, ids):
        return "".join(self.alphabet[i] for i in ids)


TOK = Chars(sorted(set("".join(sentence(v, n) for v, n, _ in PAIRS))))


@pytest.fixture(scope="module")
def trained():
    """A character GPT trained 250 steps on the 24 training sentences (about 3 s)."""
    model = GPT(GPTConfig(vocab_size=len(TOK.alphabet), block_size=48, n_layer=2, n_head=2, n_embd=32, seed=0))
    opt = AdamW(model, lr=3e-3, weight_decay=0.0)
    rng = np.random.default_rng(0)
    for _ in range(250):
        seqs = [TOK.encode(TRAIN[i]) for i in rng.integers(0, len(TRAIN), 16)]
        T = max(map(len, seqs))
        ids, mask = np.zeros((16, T), dtype=np.int64), np.zeros((16, T), dtype=bool)
        for i, s in enumerate(seqs):
            ids[i, :len(s)], mask[i, :len(s)] = s, True
        opt.zero_grad()
        loss, dlogits, cache = model.loss(ids[:, :-1], np.where(mask[:, 1:], ids[:, 1:], -100), mask[:, :-1])
        model.backward(dlogits, cache)
        opt.step()
    return model


def small_model():
    model = GPT(GPTConfig(vocab_size=9, block_size=8, n_layer=2, n_head=2, n_embd=16, dtype="float64"))
    rng = np.random.default_rng(1)
    for p in model.parameters():
        p.data += rng.standard_normal(p.shape) * 0.3
    return model


# ---------------------------------------------------------- exact values
def test_logprobs_equal_a_direct_computation_from_the_logits():
    model = small_model()
    ids = [3, 1, 4, 1, 5, 8]
    logits, _ = model.forward(np.array([ids]))
    probs = np.exp(logits[0]) / np.exp(logits[0]).sum(axis=-1, keepdims=True)
    expected = np.log([probs[t - 1, ids[t]] for t in range(1, len(ids))])
    total, per_token = sequence_logprob(model, ids)
    np.testing.assert_allclose(per_token, expected, rtol=0, atol=1e-12)
    assert total == pytest.approx(expected.sum(), abs=1e-12)
    # a start token scores the first token too
    logits, _ = model.forward(np.array([[0] + ids]))
    first = logits[0, 0] - np.log(np.exp(logits[0, 0]).sum())
    assert sequence_logprob(model, ids, start_id=0)[1][0] == pytest.approx(first[ids[0]], abs=1e-12)
    # chain rule: log p(context + continuation) = log p(context) + log p(continuation | context)
    total_c, per_c = continuation_logprob(model, ids[:2], ids[2:])
    assert len(per_c) == 4 and total_c == pytest.approx(total - sequence_logprob(model, ids[:2])[0], abs=1e-12)


def test_batched_scoring_with_padding_equals_one_at_a_time():
    model = small_model()
    seqs = [[1, 2], [3, 4, 5, 6, 7], [8, 0, 1]]
    batched = token_logprobs(model, seqs, batch_size=2)
    for s, b in zip(seqs, batched):
        np.testing.assert_allclose(b, sequence_logprob(model, s)[1], rtol=0, atol=1e-12)
    conts = [[2], [2, 3, 4]]
    sums = score_continuations(model, [5, 6], conts)
    means = score_continuations(model, [5, 6], conts, length_normalize=True)
    singles = [continuation_logprob(model, [5, 6], c)[0] for c in conts]
    np.testing.assert_allclose(sums, singles, rtol=0, atol=1e-12)
    np.testing.assert_allclose(means, np.array(singles) / [1, 3], rtol=0, atol=1e-12)
    # a context too long for the block is cropped from the left
    long_context = [1, 2, 3, 4, 5, 6, 7]
    assert continuation_logprob(model, long_context, [8, 1])[0] == pytest.approx(
        continuation_logprob(model, long_context[-6:], [8, 1])[0], abs=1e-12)


def test_choose_threshold():
    scores = [-3.0, -2.5, -1.0, -0.8, -2.0, -0.5]
    labels = [0, 0, 1, 1, 0, 1]
    threshold = choose_threshold(scores, labels)
    assert threshold == pytest.approx(-1.5)
    assert choose_threshold(scores, labels, metric=matthews_corrcoef) == pytest.approx(-1.5)
    assert choose_threshold([1.0, 2.0], [1, 1]) == pytest.approx(0.0)     # below every score: all acceptable


# ----------------------------------------------------- a trained tiny LM
def test_classification_by_prompt_on_held_out_sentences(trained):
    correct = []
    for verb, noun in HELD_OUT:
        label = classify_by_prompt(trained, TOK, f"i {verb} the {noun} .", prompt_suffix=" it was very",
                                   label_words={"positive": " good", "negative": " bad"})
        correct.append(label == ("positive" if verb in POSITIVE else "negative"))
    assert np.mean(correct) >= 0.9                           # 12 held-out items, 6 of each label
    scores = label_word_scores(trained, TOK, "i loved the game .", " it was very", {"p": " good", "n": " bad"})
    assert set(scores) == {"p", "n"} and all(s < 0 for s in scores.values())


@pytest.mark.parametrize("length_normalize", [False, True])
def test_multiple_choice_on_held_out_sentences(trained, length_normalize):
    correct = []
    for verb, noun in HELD_OUT:
        best, scores = multiple_choice(trained, TOK, f"i {verb} the {noun} .",
                                       [" it was very good .", " it was very bad ."], length_normalize)
        correct.append(best == (0 if verb in POSITIVE else 1))
        assert scores.shape == (2,)
    assert np.mean(correct) >= 0.9


def test_acceptability_with_a_threshold_chosen_on_a_dev_set(trained):
    rng = np.random.default_rng(1)
    good = [sentence(v, n) for v, n in HELD_OUT]
    bad = [" ".join(rng.permutation(s.split(" "))) for s in good]      # the same words, shuffled
    dev, test = slice(0, None, 2), slice(1, None, 2)
    dev_scores = acceptability_scores(trained, TOK, good[dev] + bad[dev])
    threshold = choose_threshold(dev_scores, [1] * 6 + [0] * 6)
    test_scores = acceptability_scores(trained, TOK, good[test] + bad[test])
    assert np.mean((test_scores >= threshold) == np.array([1] * 6 + [0] * 6)) >= 0.9


# ------------------------------------------------------------- bad input
def test_bad_input():
    model = small_model()
    with pytest.raises(ValueError, match="ids is empty"):
        sequence_logprob(model, [])
    with pytest.raises(ValueError, match="one token: nothing to score"):
        sequence_logprob(model, [3])
    with pytest.raises(ValueError, match="more than block_size 8"):
        sequence_logprob(model, list(range(9)))
    with pytest.raises(ValueError, match=r"token id 9, outside the vocabulary \[0, 9\)"):
        sequence_logprob(model, [1, 9])
    with pytest.raises(TypeError, match="integer token ids"):
        sequence_logprob(model, "abc")
    with pytest.raises(ValueError, match="context is empty"):
        continuation_logprob(model, [], [1])
    with pytest.raises(ValueError, match="continuation is empty"):
        continuation_logprob(model, [1], [])
    with pytest.raises(ValueError, match="does not fit block_size 8"):
        continuation_logprob(model, [1], list(range(8)))
    with pytest.raises(ValueError, match="no sequences"):
        token_logprobs(model, [])
    tok = Chars("abcdefghi")
    with pytest.raises(ValueError, match="text is empty"):
        classify_by_prompt(model, tok, "", label_words={"x": "a"})
    with pytest.raises(ValueError, match="label_words is empty"):
        classify_by_prompt(model, tok, "abc", label_words={})
    with pytest.raises(ValueError, match="no choices"):
        multiple_choice(model, tok, "abc", [])
    with pytest.raises(ValueError, match="choice 1 is empty"):
        multiple_choice(model, tok, "abc", ["d", ""])
    with pytest.raises(ValueError, match="no sentences"):
        acceptability_scores(model, tok, [])
    with pytest.raises(ValueError, match="equally many scores and labels"):
        choose_threshold([1.0, 2.0], [1])
