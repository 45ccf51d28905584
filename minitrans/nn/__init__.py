"""Modules built on the functional pairs: forward -> (out, cache), backward(dout, cache) -> input grads."""
from .attention import Attention, CrossAttention, MultiHeadAttention
from .block import BlockOptions, CrossAttentionBlock, CrossAttentionResidual, Residual, TransformerBlock
from .feedforward import FeedForward
from .layers import GELU, Activation, Dropout, Embedding, LayerNorm, Linear, RMSNorm
from .lstm import LSTM, LSTMLayer
from .module import Module, ModuleList, Parameter
from .positions import PositionScheme
from .relative_bias import RelativePositionBias, relative_position_bucket

__all__ = [
    "Module", "ModuleList", "Parameter", "Linear", "Embedding", "LayerNorm", "RMSNorm", "Dropout",
    "Activation", "GELU", "Attention", "MultiHeadAttention", "CrossAttention", "PositionScheme",
    "RelativePositionBias", "relative_position_bucket", "FeedForward", "Residual", "CrossAttentionResidual",
    "BlockOptions", "TransformerBlock", "CrossAttentionBlock", "LSTM", "LSTMLayer",
]
