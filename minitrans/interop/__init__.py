"""Hugging Face model folders both ways: `load_hf` reads BERT, GPT-2 and T5,
`save_hf` writes a minitrans model so that the ecosystem's `from_pretrained` loads it.
`sentence_embeddings` gives mean-pooled, L2-normalised sentence vectors of a BERT."""
from .embed import cosine_similarities, minilm_directory, sentence_embeddings
from .hf import load_hf, save_hf
from .t5 import t5_shapes

__all__ = ["load_hf", "save_hf", "t5_shapes", "sentence_embeddings", "cosine_similarities", "minilm_directory"]
