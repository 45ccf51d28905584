"""The position-wise feed-forward network of a Transformer block."""
import numpy as np

from .layers import Activation, Dropout, Linear
from .module import Module


class FeedForward(Module):
    """down(drop(act(up(x)))), or with activation='gated-gelu' (T5 v1.1):
    down(drop(gelu(gate(x)) * up(x))).
    """

    def __init__(self, d_model, d_ff, activation="gelu", bias=True, dropout=0.0, rng=None,
                 std=0.02, dtype=np.float32):
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng(0)
        self.gated = activation == "gated-gelu"
        self.up = Linear(d_model, d_ff, bias, rng, std, dtype)
        self.gate = Linear(d_model, d_ff, bias, rng, std, dtype) if self.gated else None
        self.act = Activation("gelu_tanh" if self.gated else activation)
        self.drop = Dropout(dropout, rng)
        self.down = Linear(d_ff, d_model, bias, rng, std, dtype)

    def forward(self, x):
        """x: (B, T, d_model) -> (B, T, d_model)."""
        h, cu = self.up.forward(x)
        cg = ca = None
        if self.gated:
            g, cg = self.gate.forward(x)
            a, ca = self.act.forward(g)
            hidden = a * h
        else:
            hidden, ca = self.act.forward(h)
        hd, cd = self.drop.forward(hidden)
        out, co = self.down.forward(hd)
        return out, (cu, cg, ca, cd, co, h if self.gated else None, a if self.gated else None)

    def backward(self, dout, cache):
        """dout: (B, T, d_model) -> dx: (B, T, d_model)."""
        cu, cg, ca, cd, co, h, a = cache
        dhidden = self.drop.backward(self.down.backward(dout, co), cd)
        if self.gated:
            dx = self.up.backward(dhidden * a, cu)
            dx += self.gate.backward(self.act.backward(dhidden * h, ca), cg)
            return dx
        return self.up.backward(self.act.backward(dhidden, ca), cu)
