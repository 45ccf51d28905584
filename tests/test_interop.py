"""Hugging Face folders both ways: round trips bit for bit, the tensor names and shapes transformers
writes (tests/fixtures/hf_layouts.json, made by tools/make_minilm_fixture.py), and clear errors."""
import json
import os
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from minitrans.interop import load_hf, save_hf, t5_shapes
from minitrans.interop import t5
from minitrans.interop.files import write_folder
from minitrans.interop.layout import to_hf
from minitrans.models import GPT, BertConfig, BertForPreTraining, BertForSequenceClassification, BertModel, GPTConfig
from minitrans.tokenizers import ByteLevelBPETokenizer, WordPieceTokenizer

LAYOUTS = json.loads((Path(__file__).parent / "fixtures" / "hf_layouts.json").read_text())
TEXTS = ["Jane sees the ducks. The horse is eating!", "Lisk is a small town in Borovia."]


def shapes_of(directory):
    return {name: list(a.shape) for name, a in load_file(os.path.join(directory, "model.safetensors")).items()}


def gpt_like_fixture(**overrides):
    """A GPT of the sizes in the fixture's GPT-2 config (n_inner=24, not 4 x 16)."""
    hf = LAYOUTS["gpt2"]["config"]
    return GPT(GPTConfig(vocab_size=hf["vocab_size"], block_size=hf["n_positions"], n_layer=hf["n_layer"],
                         n_head=hf["n_head"], n_embd=hf["n_embd"], n_inner=hf["n_inner"], **overrides))


def bert_like_fixture(**overrides):
    hf = LAYOUTS["bert"]["config"]
    return BertModel(BertConfig(vocab_size=hf["vocab_size"], max_position=hf["max_position_embeddings"],
                                n_layer=hf["num_hidden_layers"], n_head=hf["num_attention_heads"],
                                d_model=hf["hidden_size"], d_ff=hf["intermediate_size"], pad_token_id=0, **overrides))


def assert_same_parameters(a, b):
    pa, pb = dict(a.named_parameters()), dict(b.named_parameters())
    assert list(pa) == list(pb)
    for name in pa:
        assert pa[name].data.dtype == pb[name].data.dtype and np.array_equal(pa[name].data, pb[name].data), name


# ------------------------------------------------------------------ round trips
@pytest.mark.parametrize("make, layout", [
    (lambda: gpt_like_fixture(), "gpt2"),
    (lambda: gpt_like_fixture(tie_weights=False), "gpt2_untied"),
    (lambda: bert_like_fixture(), "bert"),
    (lambda: BertForPreTraining(bert_like_fixture()), "bert_pretraining"),
])
def test_round_trip_bit_for_bit_with_the_reference_names(tmp_path, make, layout):
    model = make()
    rng = np.random.default_rng(0)
    for p in model.parameters():                       # no parameter left at its initial value
        p.data = p.data + rng.standard_normal(p.shape).astype(p.data.dtype)
    save_hf(model, tmp_path)
    assert shapes_of(tmp_path) == LAYOUTS[layout]["tensors"]
    back, tokenizer = load_hf(tmp_path)
    assert type(back) is type(model) and tokenizer is None and not back.training
    assert_same_parameters(model, back)
    config = model.config if hasattr(model, "config") else model.bert.config
    assert (back.config if hasattr(back, "config") else back.bert.config) == config


def test_round_trip_keeps_outputs_options_and_float64(tmp_path):
    model = GPT(GPTConfig(vocab_size=20, block_size=8, n_layer=1, n_head=2, n_embd=8, n_inner=12, scale_attn=False,
                          activation="gelu", dtype="float64"))
    ids = np.array([[1, 5, 7, 2]])
    back, _ = load_hf(save_hf(model, tmp_path))
    assert back.config == model.config
    assert np.array_equal(back.forward(ids)[0], model.eval().forward(ids)[0])


def test_tokenizers_travel_with_the_model(tmp_path):
    wordpiece = WordPieceTokenizer.train(TEXTS * 3, vocab_size=60)
    bert = BertModel(BertConfig(vocab_size=wordpiece.vocab_size, n_layer=1, n_head=2, d_model=8, d_ff=12,
                                pad_token_id=wordpiece.pad_id))
    _, tok = load_hf(save_hf(bert, tmp_path / "bert", wordpiece))
    assert tok.get_vocab() == wordpiece.get_vocab() and tok.encode(TEXTS[0]) == wordpiece.encode(TEXTS[0])
    settings = json.loads((tmp_path / "bert" / "tokenizer_config.json").read_text())
    assert settings["tokenizer_class"] == "BertTokenizer" and settings["do_lower_case"] is True
    bpe = ByteLevelBPETokenizer.train(TEXTS * 3, vocab_size=300)
    gpt = GPT(GPTConfig(vocab_size=bpe.vocab_size, block_size=8, n_layer=1, n_head=2, n_embd=8))
    _, tok = load_hf(save_hf(gpt, tmp_path / "gpt", bpe))
    assert tok.encode(TEXTS[1]) == bpe.encode(TEXTS[1]) and tok.merges == bpe.merges
    config = json.loads((tmp_path / "gpt" / "config.json").read_text())
    assert config["eos_token_id"] == bpe.eos_id and config["architectures"] == ["GPT2LMHeadModel"]


def test_bert_without_prefix_heads_and_buffers_as_transformers_writes_them(tmp_path):
    """A BertForPreTraining file may carry the position_ids buffer and the tied decoder copies: checked, skipped."""
    head = BertForPreTraining(bert_like_fixture())
    save_hf(head, tmp_path)
    path = tmp_path / "model.safetensors"
    tensors = load_file(path)
    tensors["bert.embeddings.position_ids"] = np.arange(16)[None]
    tensors["cls.predictions.decoder.weight"] = tensors["bert.embeddings.word_embeddings.weight"]
    tensors["cls.predictions.decoder.bias"] = tensors["cls.predictions.bias"]
    save_file(tensors, path, {"format": "pt"})
    back, _ = load_hf(tmp_path)
    assert_same_parameters(head, back)
    body_only = {k[len("bert."):]: v for k, v in tensors.items() if k.startswith("bert.")}
    save_file(body_only, path, {"format": "pt"})
    back, _ = load_hf(tmp_path)
    assert isinstance(back, BertModel)
    assert_same_parameters(head.bert, back)


# ------------------------------------------------------------------ T5 (more in test_interop_t5.py)
@pytest.mark.parametrize("layout", ["t5", "t5_gated"])
def test_t5_layout_matches_the_reference_names(tmp_path, layout):
    """A file with exactly the names and shapes transformers writes loads into a T5 holding its tensors."""
    reference = LAYOUTS[layout]
    shapes = t5_shapes(reference["config"])
    assert {k: list(v) for k, v in shapes.items()} == reference["tensors"]
    untied = t5_shapes({**reference["config"], "tie_word_embeddings": False})
    assert untied["lm_head.weight"] == (reference["config"]["vocab_size"], reference["config"]["d_model"])
    rng = np.random.default_rng(0)
    tensors = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in shapes.items()}
    write_folder(tmp_path, reference["config"], tensors)
    assert all(np.array_equal(a, tensors[k]) for k, a in load_file(tmp_path / "model.safetensors").items())
    model, _ = load_hf(tmp_path)
    assert type(model).__name__ == "T5" and model.config.activation == reference["config"]["feed_forward_proj"]
    assert all(np.array_equal(a, tensors[k]) for k, a in to_hf(t5.model_plan(model)).items())
    del tensors["decoder.block.1.layer.1.EncDecAttention.q.weight"]
    write_folder(tmp_path, reference["config"], tensors)
    with pytest.raises(ValueError, match=r"missing tensors \['decoder.block.1.layer.1.EncDecAttention.q.weight'\]"):
        load_hf(tmp_path)


# ------------------------------------------------------------------ errors
def broken_copy(tmp_path, change):
    model = gpt_like_fixture()
    save_hf(model, tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    change(tensors)
    save_file(tensors, tmp_path / "model.safetensors", {"format": "pt"})
    return tmp_path


def test_missing_tensor_is_named(tmp_path):
    broken_copy(tmp_path, lambda t: t.pop("transformer.h.1.mlp.c_fc.bias"))
    with pytest.raises(ValueError, match=r"missing tensors \['transformer.h.1.mlp.c_fc.bias'\]"):
        load_hf(tmp_path)


def test_extra_tensor_is_named(tmp_path):
    broken_copy(tmp_path, lambda t: t.update({"transformer.h.0.attn.rotary.weight": np.zeros(3, np.float32)}))
    with pytest.raises(ValueError, match=r"unexpected tensors \['transformer.h.0.attn.rotary.weight'\]"):
        load_hf(tmp_path)


def test_wrong_shape_is_named(tmp_path):
    broken_copy(tmp_path, lambda t: t.update({"transformer.h.0.mlp.c_fc.weight": np.zeros((16, 64), np.float32)}))
    with pytest.raises(ValueError, match=r"'transformer.h.0.mlp.c_fc.weight': file \(16, 64\), expected \(16, 24\)"):
        load_hf(tmp_path)


def test_untied_copy_under_a_tied_config_is_refused(tmp_path):
    broken_copy(tmp_path, lambda t: t.update({"lm_head.weight": np.ones((50, 16), np.float32)}))
    with pytest.raises(ValueError, match="'lm_head.weight' differs from 'transformer.wte.weight'"):
        load_hf(tmp_path)


@pytest.mark.parametrize("change, message", [
    ({"model_type": "llama"}, r"model_type 'llama' is not one minitrans reads; supported: \['bert', 'gpt2', 't5'\]"),
    ({"activation_function": "silu"}, "activation_function 'silu' is not one minitrans has"),
    ({"scale_attn_by_inverse_layer_idx": True},
     "scale_attn_by_inverse_layer_idx = True; minitrans's GPT supports only False"),
    ({"attn_pdrop": 0.3}, "dropout rates .* differ"),
])
def test_config_options_minitrans_lacks_are_named(tmp_path, change, message):
    save_hf(gpt_like_fixture(), tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, **change}))
    with pytest.raises(ValueError, match=message):
        load_hf(tmp_path)


def test_bert_options_and_files_minitrans_lacks_are_named(tmp_path):
    save_hf(bert_like_fixture(), tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "position_embedding_type": "relative_key"}))
    with pytest.raises(ValueError, match="position_embedding_type = 'relative_key'; minitrans's BERT supports only"):
        load_hf(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(config))
    os.remove(tmp_path / "model.safetensors")
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(FileNotFoundError, match=r"holds no model.safetensors \(it holds \['pytorch_model.bin'\]"):
        load_hf(tmp_path)
    with pytest.raises(FileNotFoundError, match="no model folder"):
        load_hf(tmp_path / "nowhere")


def test_save_refuses_what_the_layouts_cannot_hold(tmp_path):
    with pytest.raises(ValueError, match="pre-norm GPT with biases; this GPT has norm_first=True, bias=False"):
        save_hf(GPT(GPTConfig(bias=False, n_layer=1)), tmp_path)
    with pytest.raises(TypeError, match=r"got BertForSequenceClassification; save its body \(head.bert\)"):
        save_hf(BertForSequenceClassification(BertModel(BertConfig())), tmp_path)
    assert not os.listdir(tmp_path)


def test_embed_command_refuses_a_gpt_folder_in_one_line(tmp_path, capsys):
    from minitrans.cli import main
    save_hf(gpt_like_fixture(), tmp_path)
    assert main(["embed", "--model", str(tmp_path), "a sentence"]) == 2
    assert capsys.readouterr().err.strip().endswith("holds a GPT; embed needs a BERT")


def test_a_save_that_fails_midway_leaves_the_old_folder_whole(tmp_path, monkeypatch):
    """A full disk while the tokenizer is written: the folder keeps the old weights, config and
    tokenizer (before, it lost them and kept vocab.json without merges.txt)."""
    bpe = ByteLevelBPETokenizer.train(TEXTS * 3, vocab_size=300)
    gpt = GPT(GPTConfig(vocab_size=bpe.vocab_size, block_size=8, n_layer=1, n_head=2, n_embd=8))
    folder = tmp_path / "gpt"
    save_hf(gpt, folder, bpe)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def disk_full(tokenizer, directory, max_length):
        Path(directory, "vocab.json").write_text("{}")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("minitrans.interop.hf.save_tokenizer", disk_full)
    other = GPT(GPTConfig(vocab_size=bpe.vocab_size, block_size=8, n_layer=1, n_head=2, n_embd=8, seed=1))
    with pytest.raises(OSError, match="No space left"):
        save_hf(other, folder, bpe)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before and os.listdir(tmp_path) == ["gpt"]
    model, tok = load_hf(folder)
    assert_same_parameters(model, gpt) and tok.merges == bpe.merges


def test_a_save_with_a_tokenizer_replaces_the_old_tokenizer_and_keeps_other_files(tmp_path):
    bpe = ByteLevelBPETokenizer.train(TEXTS * 3, vocab_size=300)
    folder = tmp_path / "model"
    save_hf(GPT(GPTConfig(vocab_size=bpe.vocab_size, block_size=8, n_layer=1, n_head=2, n_embd=8)), folder, bpe)
    (folder / "README.md").write_text("model card")
    wordpiece = WordPieceTokenizer.train(TEXTS * 3, vocab_size=60)
    bert = BertModel(BertConfig(vocab_size=wordpiece.vocab_size, n_layer=1, n_head=2, d_model=8, d_ff=12,
                                pad_token_id=wordpiece.pad_id))
    save_hf(bert, folder, wordpiece)
    assert sorted(os.listdir(folder)) == ["README.md", "config.json", "model.safetensors", "tokenizer_config.json",
                                          "vocab.txt"]
    _, tok = load_hf(folder)
    assert tok.get_vocab() == wordpiece.get_vocab()
