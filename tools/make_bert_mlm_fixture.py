"""One-off: a tiny BertForMaskedLM folder written by transformers' own save_pretrained, and its
logits, for tests/test_interop_bert_mlm.py (needs torch and transformers; minitrans and its tests
never do).

    pip install torch transformers
    python tools/make_bert_mlm_fixture.py

Writes into tests/fixtures/:
    bert_mlm/                  config.json, model.safetensors (no pooler: BertForMaskedLM has none),
                               vocab.txt (a small WordPiece vocabulary)
    bert_mlm_reference.npz     a padded batch of token ids, its attention mask and segment ids,
                               and transformers' MLM logits for it (float32)
"""
import os

import numpy as np
import torch
from transformers import BertConfig, BertForMaskedLM

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
WORDS = ["the", "a", "cat", "dog", "sat", "on", "mat", "is", "happy", "sad", "in", "borovia", "lisk", "town",
         "small", "big", "capital", "of", ".", ",", "##s", "##ed", "##ing", "run", "walk", "eat", "food"]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS


def main():
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=48, max_position_embeddings=40, type_vocab_size=2,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = BertForMaskedLM(config).eval()
    with torch.no_grad():      # a trained-looking model: LayerNorm gains and biases away from 1 and 0
        for name, p in model.named_parameters():
            if "LayerNorm" in name or name.endswith("bias"):
                p.add_(0.1 * torch.randn_like(p))
    folder = os.path.join(OUT, "bert_mlm")
    model.save_pretrained(folder)
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    rng = np.random.default_rng(0)
    ids = rng.integers(5, len(VOCAB), size=(3, 12))
    ids[:, 0], ids[:, -1] = 2, 3
    ids[0, 4] = ids[2, 7] = 4                                  # [MASK]s
    mask = np.ones(ids.shape, dtype=bool)
    mask[1, 8:] = False                                        # a padded row
    ids[1, 8:] = 0
    segments = np.zeros(ids.shape, dtype=np.int64)
    segments[2, 6:] = 1                                        # a sentence pair
    with torch.no_grad():
        logits = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask.astype(np.int64)),
                       token_type_ids=torch.tensor(segments)).logits.numpy()
    np.savez(os.path.join(OUT, "bert_mlm_reference.npz"), ids=ids, mask=mask, segments=segments,
             logits=logits.astype(np.float32))
    print("wrote", folder, "and bert_mlm_reference.npz;", sorted(os.listdir(folder)))


if __name__ == "__main__":
    main()
