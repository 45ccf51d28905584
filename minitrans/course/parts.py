"""The parts of minitrans a student can be asked to write, in one table.

Each part names the functions that hold its solution ("places": a path under minitrans/ and
the function's qualified name), each marked in the source by nbgrader's markers
`### BEGIN SOLUTION` / `### END SOLUTION` around the code the student writes. Its tests
are the functions of tests/test_parts.py marked `@pytest.mark.part_<name>`, so a course can
also grade with plain pytest: `pytest -m part_layernorm_backward`.

A part's places include every function that would give its answer away (LayerNorm's part removes
rmsnorm_backward, whose lines are LayerNorm's minus the mean term); a handout that would still hold
a statement of a removed body is refused (handout.py). `hint` is what the grader and `course check`
print when the part's checks fail.

A part may hold a Numba kernel (minitrans/kernels/) that computes the same thing: that kernel
is a full solution too, so it is a place as well, and the names in `kernels` are the
kernels that, in a handout without the part, hand their call to the student's reference
(see handout.py). The softmax backward is inside the attention kernel's backward, so the
softmax part lists both.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    """One piece of homework: what the student writes, where, and for how many points."""
    name: str
    statement: str
    places: tuple
    kernels: tuple = ()
    points: int = 10
    hint: str = ""               # what to look at when its tests fail

    @property
    def marker(self):
        """The pytest marker of the part's tests."""
        return f"part_{self.name}"


PARTS = (
    Part("linear_backward", "the backward pass of the linear layer y = x W + b",
         ("functional/linear.py::linear_backward",),
         hint='y = x W + b over (..., C_in): dW and db sum over every leading axis'),
    Part("layernorm_backward", "the backward pass of LayerNorm (dx, dgamma, dbeta)",
         ("functional/norm.py::layernorm_backward", "kernels/layernorm.py::layernorm_backward_part",
          "kernels/layernorm.py::layernorm_backward", "functional/norm.py::rmsnorm_backward"),
         kernels=("layernorm_backward",), hint="dx has three terms: through xhat directly, through the mean, "
                                                "and through the variance (rstd)"),
    Part("gelu_backward", "the backward pass of GELU, in its erf and tanh forms",
         ("functional/activations.py::gelu_backward", "kernels/gelu.py::gelu_erf_backward_at",
          "kernels/gelu.py::gelu_tanh_backward_at", "kernels/gelu.py::gelu_backward"), kernels=("gelu_backward",),
         hint='differentiate x * Phi(x) by the product rule; the tanh form differentiates its inner polynomial too'),
    Part("softmax_backward", "the backward pass of softmax over the last axis",
         ("functional/softmax.py::softmax_backward", "kernels/softmax.py::softmax_backward_row",
          "kernels/softmax.py::softmax_backward", "kernels/attention.py::attention_backward"),
         kernels=("softmax_backward", "attention_backward"),
         hint='each output depends on every input of its row: dx = the Jacobian of the row times dout'),
    Part("cross_entropy_backward", "the gradient of the mean cross-entropy with ignored targets",
         ("functional/losses.py::cross_entropy_backward", "kernels/cross_entropy.py::cross_entropy_grad_row",
          "kernels/cross_entropy.py::cross_entropy_backward"), kernels=("cross_entropy_backward",),
         hint='the gradient of the mean over the targets that count: ignored ones give 0 and are not counted'),
    Part("attention_backward", "the backward pass of scaled dot-product attention (dq, dk, dv, dbias)",
         ("functional/attention.py::attention_backward", "kernels/attention.py::attention_backward"),
         kernels=("attention_backward",),
         hint='go back through the value product, the softmax (use the cached probabilities, which hold the mask) and the scaled score product, in that order'),
    Part("lstm_backward", "the LSTM layer's backprop through time",
         ("nn/lstm.py::LSTMLayer.backward",),
         hint="walk the time steps backwards; the cell state's gradient flows through the forget gate"),
    Part("mlm_masking", "BERT's masking rule: choose 15% of the ordinary tokens, then 80/10/10",
         ("data/objectives.py::mask_tokens",),
         hint='choose round(15%) of the ordinary tokens per row, then 80% [MASK], 10% random ordinary, 10% kept'),
    Part("span_corruption", "T5's span corruption: the random noise spans, then inputs and targets "
                            "with sentinels",
         ("data/span_corruption.py::random_span_mask", "data/span_corruption.py::span_corrupt"),
         hint='noise density 15% and mean span length 3; targets hold the sentinels and the removed spans'),
    Part("adamw_step", "one step of Adam, with L2 or decoupled (AdamW) weight decay",
         ("functional/adam.py::adam_step", "kernels/adam.py::adam_rows", "kernels/adam.py::adam_step"),
         kernels=("adam_step",),
         hint='update both moments, correct their bias by step t, then step; AdamW decays p outside the moments'),
    Part("gpt_block_backward", "the backward pass of a Transformer block (GPT's pre-norm, BERT's post-norm): "
                               "residuals, norms, sub-layers",
         ("nn/block.py::Residual.backward", "nn/block.py::Residual.into_sublayer_backward",
          "nn/block.py::Residual.out_of_sublayer_backward", "nn/block.py::TransformerBlock.backward",
          "nn/block.py::CrossAttentionResidual.backward", "nn/block.py::CrossAttentionBlock.backward"),
         hint="a residual adds the skip path's gradient to the sub-layer's; walk the block from its output back"),
    Part("bert_mlm_head_backward", "the backward pass of BERT's masked-LM head, with its decoder tied to "
                                   "the token embedding",
         ("models/bert_heads.py::BertForPreTraining.mlm_backward",),
         hint="the decoder is the token embedding: its gradient adds into the embedding's"),
    Part("t5_cross_attention_backward", "the backward pass of attention from x to a source (T5's "
                                        "cross-attention: dx through the queries, dcontext through keys "
                                        "and values; self-attention reuses it)",
         ("nn/attention.py::Attention.attend_backward", "nn/attention.py::CrossAttention.backward"),
         hint='queries come from x, keys and values from the source: dsource sums two paths'),
)

PARTS_BY_NAME = {part.name: part for part in PARTS}


def find_parts(names):
    """The Part of each name (a list, or a comma-separated string), or a ValueError naming the known parts."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if not names:
        raise ValueError("expected at least one part name, got none")
    unknown = [n for n in names if n not in PARTS_BY_NAME]
    if unknown:
        raise ValueError(f"unknown part {unknown[0]!r}; the parts are: {', '.join(PARTS_BY_NAME)}")
    return [PARTS_BY_NAME[n] for n in dict.fromkeys(names)]
