"""A standard BertForMaskedLM folder, written by transformers' own save_pretrained, loads: it has no
pooler, so minitrans builds a BERT without one, and the MLM logits equal transformers'. The folder
and the reference logits were made once by tools/make_bert_mlm_fixture.py (tests/fixtures/)."""
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from minitrans.interop import load_hf, save_hf
from minitrans.models.bert_heads import BertForPreTraining, BertForSequenceClassification

FIXTURES = Path(__file__).parent / "fixtures"
FOLDER = FIXTURES / "bert_mlm"
REFERENCE = np.load(FIXTURES / "bert_mlm_reference.npz")


@pytest.fixture(scope="module")
def mlm():
    return load_hf(FOLDER)


def test_the_folder_has_no_pooler_and_loads_without_one(mlm):
    assert not any("pooler" in name for name in load_file(FOLDER / "model.safetensors"))
    model, tok = mlm
    assert isinstance(model, BertForPreTraining) and model.nsp_head is None
    assert model.bert.pooler is None and not model.bert.config.pooler
    assert tok.vocab_size == model.bert.config.vocab_size and tok.mask_id == 4


def test_logits_equal_transformers(mlm):
    model, _ = mlm
    ids, mask, segments = REFERENCE["ids"], REFERENCE["mask"], REFERENCE["segments"]
    logits, nsp_logits, _ = model.forward(ids, segments, mask)
    assert nsp_logits is None
    expected = REFERENCE["logits"][np.ones(ids.shape, dtype=bool)]          # every position, row-major
    real = mask.reshape(-1)                                                  # padding positions are not compared
    assert np.abs(logits[real] - expected[real]).max() < 1e-5


def test_saved_again_it_writes_no_pooler_and_loads_back_bit_for_bit(mlm, tmp_path):
    model, tok = mlm
    folder = save_hf(model, tmp_path / "again", tok)
    names = set(load_file(Path(folder) / "model.safetensors"))
    assert not any("pooler" in n for n in names) and "cls.predictions.bias" in names
    back, _ = load_hf(folder)
    assert back.bert.pooler is None
    own = dict(model.named_parameters())
    assert all(np.array_equal(p.data, own[n].data) for n, p in back.named_parameters())


def test_a_classifier_on_it_needs_a_fresh_pooler_and_says_so(mlm):
    model, _ = mlm
    with pytest.raises(ValueError, match="no pooler"):
        BertForSequenceClassification(model.bert)
