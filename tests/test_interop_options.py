"""The config options published checkpoints need, each gradient-checked in float64:
an embedding row for padding that gets no gradient, a feed-forward width other than 4x,
attention without the 1/sqrt(d) scale, an untied MLM decoder."""
import numpy as np
import pytest

from minitrans import nn
from minitrans.gradcheck import assert_gradients_close, check_loss, check_scalar_function, dot_terms
from minitrans.models import GPT, BertConfig, BertForPreTraining, BertModel, GPTConfig
from minitrans.models.bert import count_bert_parameters, bert_parameter_counts
from minitrans.models.gpt import count_gpt_parameters


def test_padding_row_gets_no_gradient_and_the_rest_checks_out():
    emb = nn.Embedding(7, 3, rng=np.random.default_rng(0), std=1.0, dtype=np.float64, padding_idx=2)
    assert np.all(emb.weight.data[2] == 0)                      # starts at zero, as torch's padding_idx does
    emb.weight.data[2] = 0.5                                      # a loaded checkpoint may hold any values there
    ids = np.array([[2, 1, 2, 6], [0, 2, 1, 3]])
    dout = np.random.default_rng(1).standard_normal((2, 4, 3))
    out, cache = emb.forward(ids)
    assert np.all(out[0, 0] == 0.5)                               # the row is still looked up
    emb.zero_grad()
    emb.backward(dout, cache)
    grad = emb.weight.grad
    assert np.all(grad[2] == 0.0)
    errors = check_scalar_function(lambda: dot_terms(emb.forward(ids)[0], dout),
                                   {"rows 3..6": (emb.weight.data[3:], grad[3:].copy()),
                                    "rows 0..1": (emb.weight.data[:2], grad[:2].copy())})
    assert_gradients_close(errors)


def test_padding_idx_out_of_range_is_refused():
    with pytest.raises(ValueError, match=r"padding_idx must lie in \[0, 7\), got 7"):
        nn.Embedding(7, 3, padding_idx=7)
    with pytest.raises(ValueError, match="pad_token_id must lie in"):
        BertConfig(vocab_size=10, pad_token_id=10)


def test_gpt_with_other_ff_width_unscaled_attention_and_untied_head():
    config = GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=8, n_inner=12, scale_attn=False,
                       tie_weights=False, dtype="float64")
    model = GPT(config)
    assert model.blocks[0].ffn.sublayer.up.weight.shape == (8, 12)
    assert count_gpt_parameters(config) == model.num_parameters()
    rng = np.random.default_rng(0)
    for p in model.parameters():
        p.data += rng.standard_normal(p.shape) * 0.4
    ids, targets = rng.integers(0, 11, size=(2, 6)), rng.integers(0, 11, size=(2, 6))

    def loss_fn(backward):
        loss, dlogits, cache = model.loss(ids, targets)
        if backward:
            model.backward(dlogits, cache)
        return loss
    assert_gradients_close(check_loss(model, loss_fn))


def test_unscaled_attention_is_attention_with_queries_scaled_up():
    """scale_attn=False equals the scaled model with every query weight and bias multiplied by sqrt(head size)."""
    base = dict(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8, dtype="float64")
    plain, scaled = GPT(GPTConfig(**base, scale_attn=False)), GPT(GPTConfig(**base))
    q = scaled.blocks[0].self_attn.sublayer.q
    q.weight.data *= 2.0                   # head size 4: sqrt(4) = 2
    q.bias.data = np.random.default_rng(3).standard_normal(8)
    plain.blocks[0].self_attn.sublayer.q.bias.data = q.bias.data / 2.0
    ids = np.random.default_rng(0).integers(0, 11, size=(2, 5))
    assert np.allclose(plain.forward(ids)[0], scaled.forward(ids)[0], rtol=0, atol=1e-12)


def test_bert_pretraining_with_untied_decoder_and_padding_row():
    config = BertConfig(vocab_size=13, max_position=8, n_layer=1, n_head=2, d_model=8, d_ff=12, dropout=0.0,
                        pad_token_id=0, tie_weights=False, dtype="float64")
    head = BertForPreTraining(BertModel(config))
    assert head.mlm_decoder.weight.shape == (8, 13)
    counts = bert_parameter_counts(config)
    assert count_bert_parameters(config) + counts["mlm_head"] + counts["nsp_head"] == head.num_parameters()
    rng = np.random.default_rng(1)
    for p in head.parameters():
        p.data += rng.standard_normal(p.shape) * 0.4
    ids = rng.integers(1, 13, size=(2, 6))
    ids[1, 4:] = 0
    mask = ids != 0
    labels = np.full((2, 6), -100)
    labels[0, [1, 3]] = [5, 6]
    labels[1, 2] = 0                          # predicting [PAD] itself reaches the untied decoder, not the table
    batch = {"ids": ids, "attention_mask": mask, "mlm_labels": labels, "nsp_labels": np.array([0, 1])}
    errors = check_loss(head, lambda backward: head.loss(batch, backward)[0])
    assert_gradients_close(errors)
    assert np.all(head.bert.tok_emb.weight.grad[0] == 0.0)
    assert np.abs(head.mlm_decoder.weight.grad[:, 0]).max() > 0
