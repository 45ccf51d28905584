"""Gradient checks of every module, and the Module machinery (names, state dicts, modes)."""
import numpy as np
import pytest

from minitrans import nn
from minitrans.gradcheck import assert_gradients_close, check_module


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def f64(module):
    return module.astype(np.float64)


@pytest.mark.parametrize("make", [
    lambda: nn.Linear(4, 3, rng=np.random.default_rng(1), std=0.5),
    lambda: nn.Linear(4, 3, bias=False, rng=np.random.default_rng(1), std=0.5),
    lambda: nn.LayerNorm(4),
    lambda: nn.LayerNorm(4, bias=False),
    lambda: nn.RMSNorm(4),
    lambda: nn.GELU(),
    lambda: nn.GELU("tanh"),
    lambda: nn.Activation("relu"),
    lambda: nn.Activation("tanh"),
])
def test_simple_layers(rng, make):
    module = f64(make())
    for p in module.parameters():  # move norms away from their identity initialisation
        p.data += rng.standard_normal(p.shape) * 0.3
    x = rng.standard_normal((2, 3, 4))
    assert_gradients_close(check_module(module, {"x": x}))


def test_layernorm_without_bias_has_only_a_scale():
    assert [name for name, _ in nn.LayerNorm(4, bias=False).named_parameters()] == ["weight"]


def test_dropout_module_with_fixed_rng(rng):
    module = nn.Dropout(0.4, rng=np.random.default_rng(7))
    assert_gradients_close(check_module(module, {"x": rng.standard_normal((3, 6))}))
    x = np.ones((4, 4))
    assert module.eval().forward(x)[0] is x


def test_embedding_grad_and_tied_use(rng):
    emb = f64(nn.Embedding(7, 3, rng=rng, std=1.0))
    ids = np.array([[1, 2, 1], [6, 1, 0]])
    assert_gradients_close(check_module(emb, {"ids": ids}, input_grad_names=[]))


class TiedTwice(nn.Module):
    """One Linear used twice in one forward: the gradients of both uses must add up."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4, rng=np.random.default_rng(2), std=0.5)

    def forward(self, x):
        h, c1 = self.lin.forward(x)
        out, c2 = self.lin.forward(np.tanh(h))
        return out, (c1, c2, h)

    def backward(self, dout, cache):
        c1, c2, h = cache
        dt = self.lin.backward(dout, c2)
        return self.lin.backward(dt * (1 - np.tanh(h) ** 2), c1)


def test_module_called_twice_accumulates(rng):
    assert_gradients_close(check_module(f64(TiedTwice()), {"x": rng.standard_normal((3, 4))}))


@pytest.mark.parametrize("causal", [False, True])
def test_self_attention_with_padding(rng, causal):
    attn = f64(nn.MultiHeadAttention(8, 2, causal=causal, rng=rng, std=0.5))
    x = rng.standard_normal((2, 5, 8))
    mask = np.ones((2, 5), dtype=bool)
    mask[1, 3:] = False
    assert_gradients_close(check_module(attn, {"x": x}, {"mask": mask}))


def test_cross_attention_returns_both_input_gradients(rng):
    attn = f64(nn.CrossAttention(8, 2, rng=rng, std=0.5))
    x, ctx = rng.standard_normal((2, 3, 8)), rng.standard_normal((2, 6, 8))
    mask = np.ones((2, 6), dtype=bool)
    mask[0, 4:] = False
    assert_gradients_close(check_module(attn, {"x": x, "context": ctx}, {"mask": mask}))


@pytest.mark.parametrize("bidirectional", [True, False])
def test_attention_with_relative_bias_and_dropout(rng, bidirectional):
    bias = nn.RelativePositionBias(2, num_buckets=8, max_distance=16, bidirectional=bidirectional, rng=rng, std=0.5)
    attn = f64(nn.MultiHeadAttention(8, 2, causal=not bidirectional, bias=False, dropout=0.2,
                                     positions=bias, scale=1.0, rng=np.random.default_rng(4), std=0.5))
    assert_gradients_close(check_module(attn, {"x": rng.standard_normal((2, 7, 8))}))


def test_relative_position_buckets():
    rel = np.arange(-40, 41)
    b = nn.relative_position_bucket(rel, bidirectional=True, num_buckets=32, max_distance=128)
    assert b.min() >= 0 and b.max() < 32
    assert b[40] == 0                                  # distance 0
    assert b[41] == 17 and b[39] == 1                  # one step right / left: separate halves
    c = nn.relative_position_bucket(rel, bidirectional=False, num_buckets=32, max_distance=128)
    assert np.all(c[40:] == 0) and c[39] == 1          # causal: the future is bucket 0
    far = nn.relative_position_bucket(np.array([-1000]), bidirectional=False, num_buckets=32)
    assert far[0] == 31


@pytest.mark.parametrize("activation", ["relu", "gelu", "gelu_tanh", "gated-gelu"])
def test_feedforward(rng, activation):
    ffn = f64(nn.FeedForward(6, 10, activation=activation, dropout=0.1, rng=rng, std=0.5))
    assert_gradients_close(check_module(ffn, {"x": rng.standard_normal((2, 3, 6))}))


@pytest.mark.parametrize("norm_first,norm", [(True, "layernorm"), (False, "layernorm"), (True, "rmsnorm")])
def test_transformer_block(rng, norm_first, norm):
    block = f64(nn.TransformerBlock(8, 2, 16, norm_first=norm_first, norm=norm, causal=True, dropout=0.1,
                                    rng=rng, std=0.3))
    mask = np.ones((2, 5), dtype=bool)
    mask[0, 4] = False
    assert_gradients_close(check_module(block, {"x": rng.standard_normal((2, 5, 8))}, {"mask": mask}))


def test_decoder_block_with_cross_attention(rng):
    rel = nn.RelativePositionBias(2, num_buckets=8, max_distance=16, bidirectional=False, rng=rng, std=0.5)
    options = nn.BlockOptions(norm="rmsnorm", activation="gated-gelu", bias=False, positions=rel, attn_scale=1.0,
                              rng=rng, std=0.3)
    block = f64(nn.CrossAttentionBlock(8, 2, 12, options))
    x, ctx = rng.standard_normal((2, 4, 8)), rng.standard_normal((2, 6, 8))
    cmask = np.ones((2, 6), dtype=bool)
    cmask[1, 5] = False
    assert_gradients_close(check_module(block, {"x": x, "context": ctx}, {"context_mask": cmask}))


def test_caches_are_read_by_name(rng):
    block = nn.CrossAttentionBlock(8, 2, 12, rng=rng)
    x, ctx = rng.standard_normal((2, 4, 8)).astype(np.float32), rng.standard_normal((2, 6, 8)).astype(np.float32)
    out, cache = block.forward(x, ctx)
    assert set(cache) == {"self_attn", "cross_attn", "ffn"}
    assert set(cache["ffn"]) == {"norm", "sublayer", "dropout"}
    assert nn.TransformerBlock.attention_map(cache).shape == (2, 2, 4, 4)
    assert nn.CrossAttentionBlock.cross_attention_map(cache).shape == (2, 2, 4, 6)
    dx, dcontext = block.backward(np.ones_like(out), cache)
    assert dx.shape == x.shape and dcontext.shape == ctx.shape


def test_cross_attention_with_precomputed_context_keys_values_matches(rng):
    attn = nn.CrossAttention(8, 2, rng=rng, std=0.5)
    x, ctx = rng.standard_normal((2, 3, 8)).astype(np.float32), rng.standard_normal((2, 6, 8)).astype(np.float32)
    want, _ = attn.forward(x, ctx)
    got, cache = attn.forward(x, None, context_kv=attn.keys_values(ctx))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="not supported"):
        attn.backward(np.ones_like(got), cache)


def test_constructor_options_are_keyword_only():
    with pytest.raises(TypeError):
        nn.Linear(4, 3, False)
    with pytest.raises(TypeError):
        nn.TransformerBlock(8, 2, 16, True)


def test_names_state_dict_and_modes(rng):
    block = nn.TransformerBlock(8, 2, 16, rng=rng)
    names = [n for n, _ in block.named_parameters()]
    assert "self_attn.sublayer.q.weight" in names and "ffn.norm.bias" in names
    assert len(names) == len(set(names))
    state = block.state_dict()
    other = nn.TransformerBlock(8, 2, 16, rng=np.random.default_rng(9)).load_state_dict(state)
    assert all(np.array_equal(a, b) for a, b in zip(state.values(), other.state_dict().values()))
    bad = dict(state)
    bad["ffn.norm.bias"] = np.zeros(9, dtype=np.float32)
    with pytest.raises(ValueError, match=r"ffn.norm.bias.*\(9,\).*\(8,\)"):
        other.load_state_dict(bad)
    del bad["ffn.norm.bias"]
    bad["extra.weight"] = np.zeros(1)
    with pytest.raises(KeyError, match="missing keys.*ffn.norm.bias.*unexpected keys.*extra.weight"):
        other.load_state_dict(bad)
    block.eval()
    assert not any(m.training for m in block.modules())
    assert block.astype(np.float64).dtype == np.float64
    assert block.num_parameters() == sum(p.data.size for p in block.parameters())


def test_shared_parameter_counted_once():
    lin = nn.Linear(3, 3)

    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = lin
            self.b = lin

    assert Shared().num_parameters() == 12


def test_bad_module_input(rng):
    attn = nn.MultiHeadAttention(8, 2)
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    with pytest.raises(ValueError, match=r"padding mask must have shape \(2, 5\)"):
        attn.forward(x, mask=np.ones((2, 4), dtype=bool))
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match="last dimension 8"):
        attn.forward(x[..., :7])
