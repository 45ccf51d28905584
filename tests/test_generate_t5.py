"""T5 decoding: the key-value cache equals recomputation, beam search of width 1 equals greedy, beams rank right."""
import numpy as np
import pytest

from minitrans.generate_t5 import beam_search, greedy_decode
from minitrans.models.t5 import T5, T5Config


def random_t5(**overrides):
    cfg = dict(vocab_size=20, d_model=16, n_head=2, d_ff=32, n_encoder_layer=2, n_decoder_layer=2, num_buckets=8,
               max_distance=16, max_input_length=32, max_target_length=32, dtype="float64", seed=3)
    return T5(T5Config(**{**cfg, **overrides})).eval()


def test_decoder_cache_equals_recomputation():
    model = random_t5()
    rng = np.random.default_rng(0)
    x, d = rng.integers(2, 20, size=(2, 6)), rng.integers(2, 20, size=(2, 7))
    mask = np.ones((2, 6), dtype=bool)
    mask[1, 4:] = False
    e, _ = model.encode(x, mask)
    full, _ = model.decode(d, e, mask)
    context_kv, past_kv, steps = model.context_keys_values(e), None, []
    for t in range(d.shape[1]):
        logits, cache = model.decode(d[:, t:t + 1], e, mask, past_kv=past_kv, context_kv=context_kv)
        past_kv = cache["present_kv"]
        steps.append(logits)
    assert np.allclose(np.concatenate(steps, axis=1), full, atol=1e-12)


def test_greedy_with_and_without_cache_agree():
    model = random_t5(eos_id=1)
    x = np.random.default_rng(1).integers(2, 20, size=(3, 5))
    assert greedy_decode(model, x, max_new_tokens=8) == greedy_decode(model, x, max_new_tokens=8, use_cache=False)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_beam_of_one_equals_greedy(seed):
    model = random_t5(seed=seed)
    x = np.random.default_rng(seed).integers(2, 20, size=(1, 5))
    ids, _ = beam_search(model, x, beam_size=1, max_new_tokens=10, length_penalty=1.0)
    assert ids == greedy_decode(model, x, max_new_tokens=10)[0]


def test_beam_search_finds_a_likelier_answer_than_greedy():
    model = random_t5(seed=7)
    for p in model.parameters():      # a peaked, non-trivial distribution
        p.data *= 2.0
    x = np.random.default_rng(0).integers(2, 20, size=(1, 5))

    def logprob(ids):
        d = np.array([[model.config.pad_id] + ids[:-1]])
        logits, _ = model.forward(x, d)
        logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        return float(logp[0, np.arange(len(ids)), ids].sum())

    greedy = greedy_decode(model, x, max_new_tokens=4)[0]
    best, score = beam_search(model, x, beam_size=4, max_new_tokens=4, length_penalty=0.0)
    assert np.isclose(score, logprob(best))                       # the score is the sequence's log-probability
    assert logprob(best) >= logprob(greedy) - 1e-12


def test_generation_errors():
    model = random_t5()
    with pytest.raises(ValueError, match="max_target_length=32"):
        greedy_decode(model, np.array([[2, 3]]), max_new_tokens=40)
    with pytest.raises(ValueError, match="one input at a time"):
        beam_search(model, np.array([[2, 3], [4, 5]]))
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(model, np.array([[2, 3]]), beam_size=0)


def test_an_attention_mask_of_another_shape_is_refused_not_reshaped():
    model = random_t5()
    x = np.array([[2, 3, 4], [5, 6, 7]])
    with pytest.raises(ValueError, match=r"attention_mask must have the shape of input_ids \(2, 3\), got \(3, 2\)"):
        greedy_decode(model, x, np.ones((3, 2), dtype=bool), max_new_tokens=2)
    with pytest.raises(TypeError, match="attention_mask must be a boolean numpy array"):
        greedy_decode(model, x, np.ones((2, 3)), max_new_tokens=2)
    one = greedy_decode(model, np.array([2, 3, 4]), np.array([True, True, False]), max_new_tokens=3)
    assert one == greedy_decode(model, np.array([[2, 3, 4]]), np.array([[True, True, False]]), max_new_tokens=3)
