"""Pure forward/backward pairs on ndarrays: `out, cache = f_forward(...)`, `grads = f_backward(dout, cache)`."""
from .adam import adam_step
from .activations import (dropout_backward, dropout_forward, erf, gelu_backward, gelu_forward,
                          relu_backward, relu_forward, tanh_backward, tanh_forward)
from .attention import attention_backward, attention_forward, causal_mask
from .linear import embedding_backward, embedding_forward, linear_backward, linear_forward
from .losses import cross_entropy_backward, cross_entropy_forward, mse_backward, mse_forward
from .norm import layernorm_backward, layernorm_forward, rmsnorm_backward, rmsnorm_forward
from .softmax import log_softmax_backward, log_softmax_forward, softmax_backward, softmax_forward

__all__ = [
    "linear_forward", "linear_backward", "embedding_forward", "embedding_backward",
    "layernorm_forward", "layernorm_backward", "rmsnorm_forward", "rmsnorm_backward",
    "gelu_forward", "gelu_backward", "relu_forward", "relu_backward", "tanh_forward", "tanh_backward",
    "dropout_forward", "dropout_backward", "erf",
    "softmax_forward", "softmax_backward", "log_softmax_forward", "log_softmax_backward",
    "cross_entropy_forward", "cross_entropy_backward", "mse_forward", "mse_backward",
    "attention_forward", "attention_backward", "causal_mask", "adam_step",
]
