"""The model families: one readable file each."""
from .gpt import GPT, GPTConfig
from .gpt_heads import GPTForClassification, resize_token_embeddings

__all__ = ["GPT", "GPTConfig", "GPTForClassification", "resize_token_embeddings"]
