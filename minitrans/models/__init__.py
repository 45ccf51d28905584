"""The model families: one readable file each."""
from .gpt import GPT, GPTConfig

__all__ = ["GPT", "GPTConfig"]
