"""T5: whole-model gradients, relative-position buckets, presets, bad input, and learning to copy and reverse."""
import numpy as np
import pytest

from minitrans import nn
from minitrans.generate_t5 import greedy_decode
from minitrans.gradcheck import assert_gradients_close, check_loss
from minitrans.models.t5 import T5, T5Config, count_t5_parameters, shift_right
from minitrans.optim import AdamW, WarmupCosineLR, clip_grad_norm


def tiny(**overrides):
    cfg = dict(vocab_size=13, d_model=8, n_head=2, d_ff=12, n_encoder_layer=2, n_decoder_layer=2, num_buckets=8,
               max_distance=16, max_input_length=16, max_target_length=16, dtype="float64")
    return T5Config(**{**cfg, **overrides})


def seq2seq_check(model, eps=1e-3):
    """Gradient-check the loss of a model on a padded batch over every parameter."""
    rng = np.random.default_rng(0)
    for p in model.parameters():      # larger weights make every path matter
        p.data += rng.standard_normal(p.shape) * 0.3
    x = rng.integers(2, 13, size=(2, 5))
    mask = np.ones((2, 5), dtype=bool)
    mask[1, 3:] = False               # the second input is padded: cross-attention must ignore it
    y = rng.integers(2, 13, size=(2, 4))
    y[1, 3] = -100

    def loss_fn(backward):
        loss, dlogits, cache = model.loss(x, y, mask)
        if backward:
            model.backward(dlogits, cache)
        return loss
    return check_loss(model, loss_fn, eps=eps, max_entries=8)


def test_gradients_relu_tied_shared_relative_bias():
    """Encoder, decoder, cross-attention, the shared relative biases and the tied head in one check.
    ReLU has kinks: a step of 1e-4 (the stencil's error is of order 1e-16) keeps the differences off them."""
    model = T5(tiny())
    names = [n for n, _ in model.named_parameters()]
    # one relative bias per stack, named once, in its first layer
    assert [n for n in names if "relative_bias" in n] == ["encoder.0.self_attn.sublayer.relative_bias.weight",
                                                          "decoder.0.self_attn.sublayer.relative_bias.weight"]
    assert not any("bias" in n and "relative" not in n for n in names)     # no biases anywhere
    assert_gradients_close(seq2seq_check(model, eps=1e-4))


def test_gradients_gated_gelu_untied_dropout():
    model = T5(tiny(activation="gated-gelu", tie_weights=False, dropout=0.1, n_encoder_layer=1, n_decoder_layer=1))
    assert "lm_head.weight" in dict(model.named_parameters())
    assert_gradients_close(seq2seq_check(model))


def test_relative_position_buckets_by_hand():
    # bidirectional, 32 buckets, max distance 128: 16 per direction, 8 exact, then
    # 8 + floor(log(d / 8) / log(128 / 8) * 8) capped at 15; keys after the query add 16
    rel = np.array([0, -3, 3, -12, 12, -16, 16, -32, -200, 200])     # key position - query position
    assert nn.relative_position_bucket(rel, bidirectional=True, num_buckets=32, max_distance=128).tolist() == \
        [0, 3, 19, 9, 25, 10, 26, 12, 15, 31]
    # causal, 32 buckets: 16 exact, then 16 + floor(log(d / 16) / log(128 / 16) * 16) capped at 31; the future is 0
    rel = np.array([0, -3, 5, -16, -20, -32, -64, -128])
    assert nn.relative_position_bucket(rel, bidirectional=False, num_buckets=32, max_distance=128).tolist() == \
        [0, 3, 0, 16, 17, 21, 26, 31]


def test_preset_parameter_counts():
    # published: T5-small 60,506,624 and T5-base 222,903,552 with the shared, tied embedding
    assert count_t5_parameters(T5Config.preset("small")) == 60_506_624
    assert count_t5_parameters(T5Config.preset("base")) == 222_903_552
    for overrides in ({}, {"activation": "gated-gelu", "tie_weights": False}):
        cfg = T5Config.preset("tiny", **overrides)
        assert T5(cfg).num_parameters() == count_t5_parameters(cfg)


def test_shift_right_and_padding_invariance():
    assert shift_right(np.array([[5, 6, 1], [7, 1, -100]]), 0).tolist() == [[0, 5, 6], [0, 7, 1]]
    model = T5(tiny())
    rng = np.random.default_rng(0)
    x, d = rng.integers(2, 13, size=(1, 4)), rng.integers(2, 13, size=(1, 3))
    padded = np.concatenate([x, np.zeros((1, 2), dtype=x.dtype)], axis=1)
    mask = np.array([[True] * 4 + [False] * 2])
    a, _ = model.forward(x, d)
    b, _ = model.forward(padded, d, attention_mask=mask)
    assert np.allclose(a, b, atol=1e-12)


def test_bad_input_gets_clear_errors():
    model = T5(tiny())
    x = np.array([[2, 3, 4]])
    with pytest.raises(ValueError, match="max_target_length=16"):
        model.loss(x, np.full((1, 17), 2))
    with pytest.raises(ValueError, match="sequence length 17 is longer than max_input_length 16"):
        model.forward(np.full((1, 17), 2), x)
    with pytest.raises(ValueError, match=r"decoder_attention_mask must have the shape of decoder_input_ids \(1, 3\)"):
        model.forward(x, x, decoder_attention_mask=np.ones((1, 2), dtype=bool))
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 13\)"):
        model.forward(np.array([[13]]), x)
    with pytest.raises(TypeError, match="integer numpy array"):
        model.forward(x.astype(float), x)
    with pytest.raises(ValueError, match="activation"):
        T5Config(activation="gelu")
    with pytest.raises(TypeError, match="T5 computes in float32 or float64"):
        T5(tiny()).astype(np.float16).forward(x, x)


def train_seq2seq(model, make_batch, steps, lr, seed=0):
    """Train with AdamW on batches from make_batch(rng) -> (inputs, labels); returns the last loss."""
    opt = AdamW(model, lr=WarmupCosineLR(lr, 20, steps, lr / 10), weight_decay=0.0)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x, y = make_batch(rng)
        opt.zero_grad()
        loss, dlogits, cache = model.loss(x, y)
        model.backward(dlogits, cache)
        clip_grad_norm(model.parameters(), 1.0)
        opt.step()
    return loss


def test_learns_to_copy_and_to_reverse():
    """One tiny T5, two tasks told apart by a first token (2: copy, 3: reverse) over 5 digits (4-13),
    the targets ending in eos (1): greedy decoding gets nearly every held-out sequence right."""
    model = T5(T5Config(vocab_size=14, d_model=32, n_head=4, d_ff=64, n_encoder_layer=2, n_decoder_layer=2,
                        num_buckets=16, max_distance=32))

    def make_batch(rng, n=32):
        digits = rng.integers(4, 14, size=(n, 5))
        reverse = rng.random(n) < 0.5
        targets = np.where(reverse[:, None], digits[:, ::-1], digits)
        inputs = np.concatenate([np.where(reverse, 3, 2)[:, None], digits], axis=1)
        return inputs, np.concatenate([targets, np.ones((n, 1), dtype=np.int64)], axis=1), reverse

    loss = train_seq2seq(model, lambda rng: make_batch(rng)[:2], steps=800, lr=1e-2)
    assert loss < 0.05
    x, y, reverse = make_batch(np.random.default_rng(1), n=200)
    right = np.array([out == row.tolist() for out, row in zip(greedy_decode(model, x, max_new_tokens=6), y)])
    assert right[~reverse].mean() >= 0.95 and right[reverse].mean() >= 0.95


def test_rmsnorm_variance_in_float32_for_float16():
    """Squares of float16 overflow above 256: the mean of squares is taken in float32."""
    from minitrans import ops
    x = np.array([[300.0, -400.0, 500.0, 100.0]], dtype=np.float16)
    out, _ = ops.rmsnorm_forward(x, np.ones(4, dtype=np.float16))
    expected = x.astype(np.float64) / np.sqrt((x.astype(np.float64) ** 2).mean())
    assert out.dtype == np.float16 and np.all(np.isfinite(out))
    assert np.allclose(out, expected, rtol=2e-3)
