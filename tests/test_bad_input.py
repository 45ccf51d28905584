"""Inputs that used to fail deep inside NumPy or Numba now fail at the door, naming what was expected."""
import numpy as np
import pytest

from minitrans.models import GPT, BertConfig, BertModel, GPTConfig
from minitrans.tokenizers import WordPieceTokenizer


@pytest.fixture(scope="module")
def gpt():
    return GPT(GPTConfig.preset("nano", vocab_size=10))


@pytest.fixture(scope="module")
def bert():
    return BertModel(BertConfig.preset("tiny", vocab_size=10))


def test_an_empty_batch_is_refused_by_name(gpt, bert):
    expected = r"ids must have shape \(B, T\) with B >= 1 and T >= 1, got \(0, 4\)"
    with pytest.raises(ValueError, match=expected):
        gpt.forward(np.zeros((0, 4), np.int64))
    with pytest.raises(ValueError, match=expected):
        bert.forward(np.zeros((0, 4), np.int64))


def test_float16_is_refused_before_the_kernels(gpt, bert):
    for model, name in ((gpt, "GPT"), (bert, "BertModel")):
        model.astype(np.float16)
        try:
            with pytest.raises(TypeError, match=f"{name} computes in float32 or float64, but its parameters "
                                                r"are float16: convert it with model.astype\(np.float32\)"):
                model.forward(np.zeros((1, 4), np.int64))
        finally:
            model.astype(np.float32)
    with pytest.raises(TypeError, match="GPTConfig.dtype must be float32 or float64, got float16"):
        GPTConfig.preset("nano", dtype="float16")


def test_a_vocab_file_in_another_encoding_names_the_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_bytes("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ncafé\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"tokenizer file '.*vocab.txt' is not UTF-8 text \(byte 34: "
                                         r"invalid continuation byte\); save it as UTF-8"):
        WordPieceTokenizer.load(path)
