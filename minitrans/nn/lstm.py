"""LSTM: the recurrent baseline the Transformers are compared against, with backprop through time by hand.

One step of one layer, with a_t the pre-activations of all four gates at once:

    a_t = x_t @ W_x + h_{t-1} @ W_h + b          (B, 4H)
    i = sigmoid(a_t[:, 0H:1H])    input gate
    f = sigmoid(a_t[:, 1H:2H])    forget gate
    g = tanh   (a_t[:, 2H:3H])    candidate cell
    o = sigmoid(a_t[:, 3H:4H])    output gate
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

The gate order in the fused matrices is therefore (i, f, g, o). Layer l > 0
reads the hidden states of layer l - 1 as its input sequence.

    lstm = LSTM(input_size=8, hidden_size=16, num_layers=2)
    out, cache = lstm.forward(x)                 # x: (B, T, 8) -> out: (B, T, 16)
    h_n, c_n = LSTM.final_state(cache)           # each (2, B, 16)
    dx = lstm.backward(dout, cache)              # dout: (B, T, 16) -> dx: (B, T, 8)
"""
from __future__ import annotations

import numpy as np

from minitrans.functional.checks import check_float, check_last_dim, check_ndim
from minitrans.nn.module import Module, Parameter


def sigmoid(x):
    """1 / (1 + exp(-x)), written with tanh so that it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def check_sequence(x, input_size, dtype):
    """Raise a clear error unless x is a (B, T, input_size) array of the module's float dtype."""
    check_float("x", x)
    check_ndim("x", x, 3)
    check_last_dim("x", x, input_size)
    if x.dtype != dtype:
        raise TypeError(f"x has dtype {x.dtype} but the LSTM's parameters are {dtype}; "
                        f"cast one of them (x.astype(...) or lstm.astype(...))")


def check_state(name, state, shape, dtype):
    """Raise a clear error unless an initial state has the expected shape and dtype."""
    check_float(name, state)
    if state.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} (num_layers, B, hidden_size), got {state.shape}")
    if state.dtype != dtype:
        raise TypeError(f"{name} has dtype {state.dtype} but the LSTM's parameters are {dtype}")


class LSTMLayer(Module):
    """One LSTM layer over a whole sequence.

    Parameters: W_x (C, 4H), W_h (H, 4H), b (4H,), gate order (i, f, g, o).
    Initialised uniform(-1/sqrt(H), 1/sqrt(H)), except the forget-gate bias b[H:2H] = 1
    so that the cell remembers by default at the start of training.
    """

    def __init__(self, input_size, hidden_size, rng, dtype=np.float32):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        H, bound = hidden_size, 1.0 / np.sqrt(hidden_size)
        self.W_x = Parameter(rng.uniform(-bound, bound, (input_size, 4 * H)).astype(dtype))
        self.W_h = Parameter(rng.uniform(-bound, bound, (H, 4 * H)).astype(dtype))
        b = rng.uniform(-bound, bound, 4 * H)
        b[H:2 * H] = 1.0
        self.b = Parameter(b.astype(dtype))

    def forward(self, x, h0, c0):
        """x: (B, T, C), h0: (B, H), c0: (B, H) -> out: (B, T, H), cache (a dict; cache["h_n"], cache["c_n"]: (B, H))."""
        check_sequence(x, self.input_size, self.W_x.dtype)
        B, T, _ = x.shape
        H = self.hidden_size
        x_part = x @ self.W_x.data + self.b.data                 # (B, T, 4H): the input's share, all steps at once
        gates = np.empty((B, T, 4 * H), dtype=x.dtype)           # activated i, f, g, o per step
        h_prev = np.empty((B, T, H), dtype=x.dtype)              # h_{t-1} seen by step t
        c_prev = np.empty((B, T, H), dtype=x.dtype)              # c_{t-1} seen by step t
        tanh_c = np.empty((B, T, H), dtype=x.dtype)              # tanh(c_t)
        out = np.empty((B, T, H), dtype=x.dtype)                 # h_t
        h, c = h0, c0
        for t in range(T):
            a = x_part[:, t] + h @ self.W_h.data                 # (B, 4H)
            i = sigmoid(a[:, :H])
            f = sigmoid(a[:, H:2 * H])
            g = np.tanh(a[:, 2 * H:3 * H])
            o = sigmoid(a[:, 3 * H:])
            h_prev[:, t], c_prev[:, t] = h, c
            c = f * c + i * g
            tanh_c[:, t] = np.tanh(c)
            h = o * tanh_c[:, t]
            gates[:, t] = np.concatenate([i, f, g, o], axis=1)
            out[:, t] = h
        cache = {"x": x, "gates": gates, "h_prev": h_prev, "c_prev": c_prev, "tanh_c": tanh_c,
                 "h_n": h, "c_n": c}
        return out, cache

    def backward(self, dout, cache, dh_n=None, dc_n=None):
        """dout: (B, T, H), dh_n, dc_n: (B, H) or None -> dx: (B, T, C), dh0: (B, H), dc0: (B, H).

        Backprop through time: walk the steps in reverse, carrying dh and dc into the
        previous step. Parameter gradients are ADDED to W_x.grad, W_h.grad, b.grad.
        """
        ### BEGIN SOLUTION
        x, gates, h_prev, c_prev, tanh_c = (cache[k] for k in ("x", "gates", "h_prev", "c_prev", "tanh_c"))
        B, T, H = dout.shape
        dh = np.zeros((B, H), dtype=dout.dtype) if dh_n is None else dh_n    # gradient arriving from step t+1
        dc = np.zeros((B, H), dtype=dout.dtype) if dc_n is None else dc_n
        da = np.empty((B, T, 4 * H), dtype=dout.dtype)                        # gradient of the pre-activations
        W_h = self.W_h.data
        for t in reversed(range(T)):
            i, f, g, o = (gates[:, t, k * H:(k + 1) * H] for k in range(4))
            dh_t = dout[:, t] + dh
            dc_t = dc + dh_t * o * (1.0 - tanh_c[:, t] ** 2)
            da[:, t, :H] = dc_t * g * i * (1.0 - i)
            da[:, t, H:2 * H] = dc_t * c_prev[:, t] * f * (1.0 - f)
            da[:, t, 2 * H:3 * H] = dc_t * i * (1.0 - g * g)
            da[:, t, 3 * H:] = dh_t * tanh_c[:, t] * o * (1.0 - o)
            dh = da[:, t] @ W_h.T
            dc = dc_t * f
        da2 = da.reshape(B * T, 4 * H)
        self.W_x.grad += x.reshape(B * T, -1).T @ da2
        self.W_h.grad += h_prev.reshape(B * T, H).T @ da2
        self.b.grad += da2.sum(axis=0)
        dx = da @ self.W_x.data.T
        return dx, dh, dc
        ### END SOLUTION


class LSTM(Module):
    """A stack of `num_layers` LSTM layers over batch-first sequences.

    LSTM(input_size, hidden_size, num_layers=1, seed=0, dtype=np.float32).
    Parameters are named layers.{l}.W_x (C_l, 4H), layers.{l}.W_h (H, 4H), layers.{l}.b (4H,),
    where C_0 = input_size and C_l = hidden_size above; gate order (i, f, g, o).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, seed=0, dtype=np.float32):
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"dtype must be a floating dtype, got {np.dtype(dtype)}")
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        rng = np.random.default_rng(seed)
        sizes = [self.input_size] + [self.hidden_size] * (self.num_layers - 1)
        self.layers = [LSTMLayer(size, self.hidden_size, rng, dtype) for size in sizes]

    def forward(self, x, h0=None, c0=None):
        """x: (B, T, C), h0, c0: (L, B, H) or both None (zeros) -> out: (B, T, H), cache.

        out holds the top layer's hidden state at every step. The final states of
        every layer are in the cache: `LSTM.final_state(cache)` -> (h_n, c_n), each (L, B, H);
        pass them as h0, c0 of the next call to carry the state across chunks.
        """
        dtype = self.dtype
        check_sequence(x, self.input_size, dtype)
        if (h0 is None) != (c0 is None):
            raise ValueError("give both h0 and c0, or neither (both then start at zero); "
                             f"got h0={'None' if h0 is None else 'an array'}, c0={'None' if c0 is None else 'an array'}")
        B = x.shape[0]
        state_shape = (self.num_layers, B, self.hidden_size)
        has_initial_state = h0 is not None
        if has_initial_state:
            check_state("h0", h0, state_shape, dtype)
            check_state("c0", c0, state_shape, dtype)
        else:
            h0 = np.zeros(state_shape, dtype=dtype)
            c0 = np.zeros(state_shape, dtype=dtype)
        layer_caches = []
        out = x
        for l, layer in enumerate(self.layers):
            out, layer_cache = layer.forward(out, h0[l], c0[l])   # (B, T, H)
            layer_caches.append(layer_cache)
        cache = {
            "layers": tuple(layer_caches),
            "h_n": np.stack([lc["h_n"] for lc in layer_caches]),   # (L, B, H)
            "c_n": np.stack([lc["c_n"] for lc in layer_caches]),   # (L, B, H)
            "has_initial_state": has_initial_state,
        }
        return out, cache

    @staticmethod
    def final_state(cache):
        """(h_n, c_n), each (L, B, H): the last hidden and cell state of every layer."""
        return cache["h_n"], cache["c_n"]

    def backward(self, dout, cache, dh_n=None, dc_n=None):
        """dout: (B, T, H), dh_n, dc_n: (L, B, H) or None -> dx: (B, T, C), or (dx, dh0, dc0) with dh0, dc0: (L, B, H).

        Returns dx alone when forward was called without h0/c0, and (dx, dh0, dc0) when
        they were given. dh_n and dc_n (optional) are gradients arriving at the final
        states, e.g. from a loss that reads h_n; None means zero. Parameter gradients are ADDED.
        """
        check_float("dout", dout)
        B, T = cache["layers"][0]["x"].shape[:2]
        expected = (B, T, self.hidden_size)
        if dout.shape != expected:
            raise ValueError(f"dout must have shape {expected} like the forward output, got {dout.shape}")
        state_shape = (self.num_layers, B, self.hidden_size)
        for name, grad in (("dh_n", dh_n), ("dc_n", dc_n)):
            if grad is not None:
                check_float(name, grad)
                if grad.shape != state_shape:
                    raise ValueError(f"{name} must have shape {state_shape} (num_layers, B, hidden_size), got {grad.shape}")
        dh0 = np.empty(state_shape, dtype=dout.dtype)
        dc0 = np.empty(state_shape, dtype=dout.dtype)
        d = dout
        for l in reversed(range(self.num_layers)):
            d, dh0[l], dc0[l] = self.layers[l].backward(
                d, cache["layers"][l],
                None if dh_n is None else dh_n[l],
                None if dc_n is None else dc_n[l],
            )
        return (d, dh0, dc0) if cache["has_initial_state"] else d
