"""The position-wise feed-forward network of a Transformer block."""
import numpy as np

from .layers import Activation, Dropout, Linear
from .module import Module


class FeedForward(Module):
    """down(drop(act(up(x)))), or with activation='gated-gelu' (T5 v1.1):
    down(drop(gelu(gate(x)) * up(x))).
    """

    def __init__(self, d_model, d_ff, *, activation="gelu", bias=True, dropout=0.0, rng=None,
                 std=0.02, dtype=np.float32):
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng(0)
        self.gated = activation == "gated-gelu"
        self.up = Linear(d_model, d_ff, bias=bias, rng=rng, std=std, dtype=dtype)
        self.gate = Linear(d_model, d_ff, bias=bias, rng=rng, std=std, dtype=dtype) if self.gated else None
        self.act = Activation("gelu_tanh" if self.gated else activation)
        self.drop = Dropout(dropout, rng=rng)
        self.down = Linear(d_ff, d_model, bias=bias, rng=rng, std=std, dtype=dtype)

    def forward(self, x):
        """x: (B, T, d_model) -> (B, T, d_model)."""
        up, up_cache = self.up.forward(x)
        cache = {"up": up_cache}
        if self.gated:
            gate, cache["gate"] = self.gate.forward(x)
            gate_act, cache["act"] = self.act.forward(gate)
            hidden = gate_act * up
            cache["up_out"], cache["gate_act"] = up, gate_act
        else:
            hidden, cache["act"] = self.act.forward(up)
        hidden, cache["dropout"] = self.drop.forward(hidden)
        out, cache["down"] = self.down.forward(hidden)
        return out, cache

    def backward(self, dout, cache):
        """dout: (B, T, d_model) -> dx: (B, T, d_model)."""
        dhidden = self.drop.backward(self.down.backward(dout, cache["down"]), cache["dropout"])
        if self.gated:
            dx = self.up.backward(dhidden * cache["gate_act"], cache["up"])
            dx += self.gate.backward(self.act.backward(dhidden * cache["up_out"], cache["act"]), cache["gate"])
            return dx
        return self.up.backward(self.act.backward(dhidden, cache["act"]), cache["up"])
