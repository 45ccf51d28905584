"""`minitrans course check PART`: a part's visible checks, for a student to run in a handout before
submitting. Each check runs the student's code on a small input and says what is off: which tensor's
gradient and its max relative error against finite differences, or which statistic. The grader's
tests (the teacher's) are more, and hidden.
"""
import numpy as np

from .. import functional as F
from .. import nn, use_backend
from ..data.objectives import IGNORE_INDEX, mask_tokens, span_corrupt, span_uncorrupt
from ..gradcheck import assert_gradients_close, check_loss, check_module, check_pair


def rng():
    return np.random.default_rng(0)


def near(what, got, expected, within):
    """An AssertionError naming the statistic unless |got - expected| < within."""
    assert abs(got - expected) < within, f"{what}: expected {expected:g} ± {within:g}, got {got:.4g}"


def attention_inputs(r):
    q, k, v = (r.standard_normal((1, 2, 4, 3)) for _ in range(3))
    mask = np.array([True, True, True, False]).reshape(1, 1, 1, 4)
    return {"q": q, "k": k, "v": v, "bias": r.standard_normal((1, 2, 4, 4))}, {"mask": mask}


def masking_shares():
    r = rng()
    ids = r.integers(4, 50, size=(200, 40))
    inputs, targets = mask_tokens(ids, r, 50, 3, [0, 1, 2, 3])
    chosen = targets != IGNORE_INDEX
    near("share of the tokens chosen", chosen.mean(), 0.15, 0.005)
    near("share of the chosen tokens replaced by [MASK]", (inputs[chosen] == 3).mean(), 0.8, 0.03)
    near("share of the chosen tokens kept as they are", (inputs[chosen] == ids[chosen]).mean(), 0.1, 0.03)


def span_round_trip():
    r = rng()
    ids = r.integers(4, 800, size=60)
    sentinels = list(range(999, 899, -1))
    inputs, targets = span_corrupt(ids, r, sentinels, eos_id=1)
    back = span_uncorrupt(inputs, targets, sentinels, eos_id=1)
    assert np.array_equal(back, ids), f"uncorrupting inputs and targets: expected the ids back, got {back[:8]}..."


def adam_first_step():
    p, g = np.array([1.0, -2.0]), np.array([0.5, -3.0])
    m, v = np.zeros(2), np.zeros(2)
    F.adam_step(p, g, m, v, 0.1, 0.9, 0.999, 1e-8, 1)
    expected = np.array([0.9, -1.9])        # step 1 with zero moments moves each entry by lr against its sign
    assert np.allclose(p, expected, atol=1e-6), f"p after Adam's first step: expected {expected}, got {p}"
    q = np.array([2.0])
    F.adam_step(q, np.zeros(1), np.zeros(1), np.zeros(1), 0.1, 0.9, 0.999, 1e-8, 1, decay=0.5, decoupled=True)
    assert np.allclose(q, [1.9]), f"AdamW with a zero gradient (only the decay): expected [1.9], got {q}"


def mlm_head():
    from ..models.bert import BertConfig, BertModel
    from ..models.bert_heads import BertForPreTraining
    config = BertConfig(vocab_size=13, max_position=8, n_layer=1, n_head=2, d_model=8, d_ff=16, dropout=0.0,
                        dtype="float64")
    head = BertForPreTraining(BertModel(config), nsp=False)
    r = rng()
    for p in head.parameters():                  # larger weights than at initialisation make every path matter
        p.data += r.standard_normal(p.shape) * 0.4
    labels = np.full((1, 5), -100)
    labels[0, 2] = 5
    batch = {"ids": rng().integers(4, 13, size=(1, 5)), "segment_ids": np.zeros((1, 5), dtype=np.int64),
             "attention_mask": np.ones((1, 5), bool), "mlm_labels": labels}
    assert_gradients_close(check_loss(head, lambda backward: head.loss(batch, backward)[0]))


CHECKS = {    # part -> (what is checked, a function that raises AssertionError saying what is off)
    "linear_backward": [("gradients of x, W, b", lambda: assert_gradients_close(check_pair(
        F.linear_forward, F.linear_backward, {"x": rng().standard_normal((2, 3)), "W": rng().standard_normal((3, 4)),
                                              "b": rng().standard_normal(4)})))],
    "layernorm_backward": [("gradients of x, gamma, beta", lambda: assert_gradients_close(check_pair(
        F.layernorm_forward, F.layernorm_backward, {"x": rng().standard_normal((2, 5)) * 2 + 1,
                                                    "gamma": rng().standard_normal(5), "beta": rng().standard_normal(5)})))],
    "gelu_backward": [(f"gradient of x ({form})", lambda form=form: assert_gradients_close(check_pair(
        F.gelu_forward, F.gelu_backward, {"x": rng().standard_normal(6) * 2}, {"approximate": form})))
        for form in ("none", "tanh")],
    "softmax_backward": [("gradient of x, one entry masked", lambda: assert_gradients_close(check_pair(
        F.softmax_forward, F.softmax_backward, {"x": rng().standard_normal((2, 4))},
        {"mask": np.array([True, True, False, True])})))],
    "cross_entropy_backward": [("gradient of the logits, one target ignored", lambda: assert_gradients_close(
        check_pair(lambda logits: F.cross_entropy_forward(logits, np.array([2, -100, 0])), F.cross_entropy_backward,
                   {"logits": rng().standard_normal((3, 4))})))],
    "attention_backward": [("gradients of q, k, v, bias, with a padding mask", lambda: assert_gradients_close(
        check_pair(F.attention_forward, F.attention_backward, *attention_inputs(rng()),
                   grad_names=["q", "k", "v", "bias"])))],
    "lstm_backward": [("gradients of x, h0, c0 and the weights", lambda: assert_gradients_close(check_module(
        nn.LSTMLayer(2, 3, rng(), dtype=np.float64), {"x": rng().standard_normal((2, 4, 2)),
                                                      "h0": np.zeros((2, 3)), "c0": np.zeros((2, 3))})))],
    "mlm_masking": [("the shares of chosen, masked and kept tokens", masking_shares)],
    "span_corruption": [("inputs and targets give the ids back", span_round_trip)],
    "adamw_step": [("Adam's first step and AdamW's decay", adam_first_step)],
    "gpt_block_backward": [(f"gradients of a {kind} block", lambda first=first: assert_gradients_close(check_module(
        nn.TransformerBlock(4, 2, 8, norm_first=first, causal=first, rng=rng(), std=0.5, dtype=np.float64),
        {"x": rng().standard_normal((1, 3, 4))}))) for kind, first in (("pre-norm", True), ("post-norm", False))],
    "bert_mlm_head_backward": [("gradients of the head and the tied embedding", mlm_head)],
    "t5_cross_attention_backward": [("gradients of x and the context", lambda: assert_gradients_close(check_module(
        nn.CrossAttention(4, 2, rng=rng(), std=0.5, dtype=np.float64),
        {"x": rng().standard_normal((1, 2, 4)), "context": rng().standard_normal((1, 3, 4))})))],
}


def run_checks(part):
    """[(what, None if it passed else why not)] for the visible checks of `part` (a Part), on the numpy
    backend (the student's reference, never a kernel)."""
    outcomes = []
    with use_backend("numpy"):
        for what, check in CHECKS[part.name]:
            try:
                check()
                outcomes.append((what, None))
            except NotImplementedError:
                outcomes.append((what, "not written yet (it raises NotImplementedError)"))
            except Exception as e:             # the student's code may fail in any way: say how, briefly
                outcomes.append((what, f"{type(e).__name__}: {e}"[:400]))
    return outcomes
