"""Modules built on the functional pairs: forward -> (out, cache), backward(dout, cache) -> input grads."""
from .attention import Attention, CrossAttention, MultiHeadAttention, RelativePositionBias, relative_position_bucket
from .block import CrossAttentionBlock, CrossAttentionResidual, Residual, TransformerBlock
from .feedforward import FeedForward
from .layers import GELU, Activation, Dropout, Embedding, LayerNorm, Linear, RMSNorm
from .lstm import LSTM, LSTMLayer
from .module import Module, ModuleList, Parameter

__all__ = [
    "Module", "ModuleList", "Parameter", "Linear", "Embedding", "LayerNorm", "RMSNorm", "Dropout",
    "Activation", "GELU", "Attention", "MultiHeadAttention", "CrossAttention", "RelativePositionBias", "relative_position_bucket",
    "FeedForward", "Residual", "CrossAttentionResidual", "TransformerBlock", "CrossAttentionBlock", "LSTM", "LSTMLayer",
]
