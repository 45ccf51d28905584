"""Position schemes in attention (minitrans/nn/positions.py): T5's relative bias, and two schemes
written here, in the test, to show that a new scheme needs only its own code, the model that
uses it and its tests (docs/extending.md): rotary embeddings, which turn the queries and keys,
and ALiBi with learned slopes, which adds a bias to the scores."""
import numpy as np
import pytest

from minitrans import nn, ops
from minitrans.gradcheck import assert_gradients_close, check_loss, check_module, check_scalar_function


def rotate(x, angles):
    """x: (B, H, T, D), angles: (T, D/2) -> x with each pair of dims (i, i + D/2) turned by its angle."""
    half = x.shape[-1] // 2
    cos, sin = np.cos(angles).astype(x.dtype), np.sin(angles).astype(x.dtype)
    x1, x2 = x[..., :half], x[..., half:]
    return np.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)


class Rotary(nn.PositionScheme):
    """Rotary position embeddings (RoFormer): the query at position m and the key at n are turned by
    m and n times a frequency per pair of dims, so their product depends on m - n only. No parameters."""

    def __init__(self, head_dim, base=10000.0):
        super().__init__()
        self.frequencies = base ** (-2.0 * np.arange(head_dim // 2) / head_dim)       # (D/2,)

    def angles(self, start, T):
        return (start + np.arange(T))[:, None] * self.frequencies                      # (T, D/2)

    def forward(self, q, k, offset=0):
        """q: (B, H, Tq, D), k: (B, H, Tk, D) -> turned q, turned k, no bias, cache."""
        angles_q, angles_k = self.angles(offset, q.shape[2]), self.angles(0, k.shape[2])
        return rotate(q, angles_q), rotate(k, angles_k), None, (angles_q, angles_k)

    def backward(self, dout, cache):
        """(dq, dk, None) -> dq, dk: a rotation's transpose turns back by the same angle."""
        dq, dk, _ = dout
        angles_q, angles_k = cache
        return rotate(dq, -angles_q), rotate(dk, -angles_k)


class ALiBi(nn.PositionScheme):
    """ALiBi with a learned slope per head: the bias of query i and key j is -slope_h * |i - j|."""

    def __init__(self, n_heads, rng):
        super().__init__()
        self.slopes = nn.Parameter(2.0 ** (-8.0 * np.arange(1, n_heads + 1) / n_heads) + rng.random(n_heads))

    def scores_bias(self, Tq, Tk, offset=0):
        """-> bias (1, H, Tq, Tk), cache (the (Tq, Tk) distances)."""
        distance = np.abs(np.arange(Tk)[None, :] - (offset + np.arange(Tq))[:, None])    # (Tq, Tk)
        distance = distance.astype(self.slopes.dtype)
        return -(self.slopes.data[:, None, None] * distance)[None], distance

    def scores_bias_backward(self, dbias, cache):
        """dbias: (1 or B, H, Tq, Tk) -> None; adds into slopes.grad."""
        self.slopes.grad -= (dbias.sum(axis=0) * cache).sum(axis=(1, 2))


def f64(module):
    return module.astype(np.float64)


SCHEMES = {
    "t5-bidirectional": lambda rng: nn.RelativePositionBias(2, num_buckets=8, max_distance=16, rng=rng, std=0.5),
    "t5-causal": lambda rng: nn.RelativePositionBias(2, num_buckets=8, max_distance=16, bidirectional=False,
                                                     rng=rng, std=0.5),
    "rotary": lambda rng: Rotary(4),
    "alibi": lambda rng: ALiBi(2, rng),
}


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("name", sorted(SCHEMES))
@pytest.mark.parametrize("offset", [0, 2])
def test_scheme_gradients(rng, name, offset):
    """The scheme alone: its gradients at the queries and keys and at its own parameters."""
    scheme = f64(SCHEMES[name](rng))
    q, k = rng.standard_normal((2, 2, 3, 4)), rng.standard_normal((2, 2, 3 + offset, 4))
    outs = scheme.forward(q, k, offset=offset)[:3]
    douts = [None if o is None else rng.standard_normal(o.shape) for o in outs]
    scheme.zero_grad()
    dq, dk = scheme.backward(tuple(douts), scheme.forward(q, k, offset=offset)[3])
    tensors = {"q": (q, dq), "k": (k, dk)}
    tensors.update({name: (p.data, p.grad.copy()) for name, p in scheme.named_parameters()})

    def objective():
        outs = scheme.forward(q, k, offset=offset)[:3]
        return np.concatenate([(o * d).reshape(-1) for o, d in zip(outs, douts) if o is not None])

    errors = check_scalar_function(objective, tensors)
    assert set(errors) == {"q", "k"} | {n for n, _ in scheme.named_parameters()}
    assert_gradients_close(errors)


@pytest.mark.parametrize("name", sorted(SCHEMES))
@pytest.mark.parametrize("causal", [False, True])
def test_attention_with_each_scheme(rng, name, causal):
    scheme = SCHEMES[name](rng)
    attn = f64(nn.MultiHeadAttention(8, 2, causal=causal, positions=scheme, rng=rng, std=0.5))
    assert attn.positions is scheme
    mask = np.ones((2, 5), dtype=bool)
    mask[1, 3:] = False
    errors = check_module(attn, {"x": rng.standard_normal((2, 5, 8))}, {"mask": mask})
    own = {f"param:{scheme.attribute}.{n}" for n, _ in scheme.named_parameters()}
    assert own <= set(errors)
    assert_gradients_close(errors)


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_each_scheme_trains_in_float32(rng, name):
    attn = nn.MultiHeadAttention(8, 2, causal=True, positions=SCHEMES[name](rng).astype(np.float32), rng=rng)
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    out, cache = attn.forward(x)
    dx = attn.backward(np.ones_like(out), cache)
    assert out.dtype == dx.dtype == np.float32 and np.all(np.isfinite(dx))


def test_a_scheme_is_named_by_its_attribute(rng):
    """Parameters are named <attention>.<attribute>.<name>: T5's keep the names of its checkpoints."""
    t5 = nn.MultiHeadAttention(8, 2, positions=SCHEMES["t5-causal"](rng))
    alibi = nn.MultiHeadAttention(8, 2, positions=ALiBi(2, rng))
    assert "relative_bias.weight" in dict(t5.named_parameters())
    assert "positions.slopes" in dict(alibi.named_parameters())
    assert nn.MultiHeadAttention(8, 2).positions is None


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_decoding_with_past_keys_values_equals_the_whole_sequence(rng, name):
    """With past_kv the new queries are the last positions, and the cached keys are the unturned ones."""
    attn = nn.MultiHeadAttention(8, 2, causal=True, positions=SCHEMES[name](rng), rng=rng, std=0.5)
    x = rng.standard_normal((2, 6, 8))
    want, _ = attn.forward(x)
    first, cache = attn.forward(x[:, :4])
    rest, _ = attn.forward(x[:, 4:], past_kv=cache["present_kv"])
    np.testing.assert_allclose(np.concatenate([first, rest], axis=1), want, rtol=1e-10, atol=1e-12)


def test_rotary_scores_depend_on_the_distance_only(rng):
    rotary = Rotary(4)
    q, k = rng.standard_normal((1, 1, 1, 4)), rng.standard_normal((1, 1, 1, 4))
    scores = []
    for shift in (0, 3, 7):
        turned_q = rotate(q, rotary.angles(5 + shift, 1))
        turned_k = rotate(k, rotary.angles(2 + shift, 1))
        scores.append(float((turned_q * turned_k).sum()))
    np.testing.assert_allclose(scores, scores[0], rtol=1e-12)


def test_the_base_scheme_changes_nothing(rng):
    x = rng.standard_normal((2, 4, 8))
    plain, _ = nn.MultiHeadAttention(8, 2, causal=True, rng=np.random.default_rng(1)).forward(x)
    with_base, _ = nn.MultiHeadAttention(8, 2, causal=True, positions=nn.PositionScheme(),
                                         rng=np.random.default_rng(1)).forward(x)
    np.testing.assert_array_equal(plain, with_base)


def test_positions_must_be_a_scheme():
    with pytest.raises(TypeError, match="positions must be a PositionScheme .* got str"):
        nn.MultiHeadAttention(8, 2, positions="rotary")


def test_blocks_pass_their_scheme_to_self_attention(rng):
    block = f64(nn.TransformerBlock(8, 2, 16, nn.BlockOptions(causal=True, positions=Rotary(4), rng=rng, std=0.3)))
    assert_gradients_close(check_module(block, {"x": rng.standard_normal((2, 5, 8))}))
    decoder = f64(nn.CrossAttentionBlock(8, 2, 12, positions=ALiBi(2, rng), rng=rng, std=0.3))
    assert decoder.cross_attn.sublayer.positions is None
    errors = check_module(decoder, {"x": rng.standard_normal((2, 4, 8)), "context": rng.standard_normal((2, 6, 8))})
    assert "param:self_attn.sublayer.positions.slopes" in errors
    assert_gradients_close(errors)


class RotaryLM(nn.Module):
    """The model part of adding a scheme: a tiny causal LM whose blocks share one Rotary (no position
    embedding), its head tied to the token embedding."""

    def __init__(self, vocab=11, C=8, rng=None):
        super().__init__()
        self.wte = nn.Embedding(vocab, C, rng=rng, std=0.5)
        options = nn.BlockOptions(causal=True, positions=Rotary(C // 2), rng=rng, std=0.3)
        self.blocks = [nn.TransformerBlock(C, 2, 16, options) for _ in range(2)]

    def loss(self, ids, targets, backward):
        x, emb_cache = self.wte.forward(ids)
        caches = []
        for block in self.blocks:
            x, cache = block.forward(x)
            caches.append(cache)
        logits, head_cache = ops.linear_forward(x, self.wte.weight.data.T)
        loss, loss_cache = ops.cross_entropy_forward(logits, targets)
        if backward:
            dx, dWt, _ = ops.linear_backward(ops.cross_entropy_backward(1.0, loss_cache), head_cache)
            self.wte.weight.grad += dWt.T
            for block, cache in zip(reversed(self.blocks), reversed(caches)):
                dx = block.backward(dx, cache)
            self.wte.backward(dx, emb_cache)
        return loss


def test_a_model_with_a_new_scheme_passes_the_gradient_check(rng):
    model = f64(RotaryLM(rng=rng))
    ids = rng.integers(0, 11, size=(2, 6))
    errors = check_loss(model, lambda backward: model.loss(ids[:, :-1], ids[:, 1:], backward))
    assert_gradients_close(errors)


def test_block_options_by_object_or_by_keyword_build_the_same_block():
    by_object = nn.TransformerBlock(8, 2, 16, nn.BlockOptions(causal=True, norm="rmsnorm",
                                                              rng=np.random.default_rng(3)))
    by_keyword = nn.TransformerBlock(8, 2, 16, causal=True, norm="rmsnorm", rng=np.random.default_rng(3))
    changed = nn.TransformerBlock(8, 2, 16, nn.BlockOptions(norm="rmsnorm"), causal=True, rng=np.random.default_rng(3))
    for other in (by_keyword, changed):
        assert all(np.array_equal(a, b) for a, b in zip(by_object.state_dict().values(), other.state_dict().values()))
    assert by_object.self_attn.sublayer.causal and by_object.self_attn.norm.__class__ is nn.RMSNorm
    with pytest.raises(TypeError, match="unexpected keyword argument 'heads'"):
        nn.TransformerBlock(8, 2, 16, heads=3)
    with pytest.raises(TypeError, match="must be a BlockOptions .* got dict"):
        nn.TransformerBlock(8, 2, 16, {"causal": True})
