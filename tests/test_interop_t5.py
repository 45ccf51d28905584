"""T5 through Hugging Face folders: round trips bit for bit with the names transformers writes
(tests/fixtures/hf_layouts.json), the same logits afterwards, and clear errors for what does not fit."""
import json

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from minitrans.interop import load_hf, save_hf
from minitrans.models import T5, T5Config
from minitrans.tokenizers import WordPieceTokenizer
from test_interop import LAYOUTS, assert_same_parameters


def t5_like_fixture(**overrides):
    """A T5 of the sizes in the fixture's T5 config (2 encoder and 3 decoder layers, 8 buckets), every
    parameter moved off its initial value so that a weight written to the wrong name would show."""
    hf = LAYOUTS["t5"]["config"]
    options = dict(vocab_size=hf["vocab_size"], d_model=hf["d_model"], n_head=hf["num_heads"], d_ff=hf["d_ff"],
                   n_encoder_layer=hf["num_layers"], n_decoder_layer=hf["num_decoder_layers"],
                   num_buckets=hf["relative_attention_num_buckets"],
                   max_distance=hf["relative_attention_max_distance"], max_input_length=64, max_target_length=64)
    model = T5(T5Config(**{**options, **overrides}))
    rng = np.random.default_rng(0)
    for p in model.parameters():
        p.data = p.data + (rng.standard_normal(p.shape) * 0.1).astype(p.data.dtype)
    return model.eval()


def batch(vocab_size, seed=0):
    rng = np.random.default_rng(seed)
    ids, targets = rng.integers(2, vocab_size, (2, 12)), rng.integers(2, vocab_size, (2, 9))
    targets[:, 0] = 0
    mask = np.ones(ids.shape, bool)
    mask[1, 8:] = False
    return ids, targets, mask


@pytest.mark.parametrize("activation, tie, layout", [("relu", True, "t5"), ("gated-gelu", False, "t5_gated")])
def test_round_trip_bit_for_bit_with_the_reference_names_and_logits(tmp_path, activation, tie, layout):
    model = t5_like_fixture(activation=activation, tie_weights=tie)
    save_hf(model, tmp_path)
    expected = dict(LAYOUTS[layout]["tensors"])
    if not tie:                                  # the fixture's entries are tied: the untied head adds lm_head
        expected["lm_head.weight"] = [model.config.vocab_size, model.config.d_model]
    written = load_file(tmp_path / "model.safetensors")
    assert {name: list(a.shape) for name, a in written.items()} == expected
    back, tokenizer = load_hf(tmp_path)
    assert type(back) is T5 and tokenizer is None and not back.training
    assert back.config == model.config
    assert_same_parameters(model, back)
    ids, targets, mask = batch(model.config.vocab_size)
    assert np.array_equal(back.forward(ids, targets, mask)[0], model.forward(ids, targets, mask)[0])


def test_config_json_says_what_transformers_reads(tmp_path):
    save_hf(t5_like_fixture(activation="gated-gelu", tie_weights=False, dropout=0.1), tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    reference = LAYOUTS["t5_gated"]["config"]
    for key in ("d_model", "d_kv", "d_ff", "num_layers", "num_decoder_layers", "num_heads", "feed_forward_proj",
                "relative_attention_num_buckets", "relative_attention_max_distance", "dropout_rate",
                "layer_norm_epsilon", "pad_token_id", "eos_token_id", "vocab_size", "model_type"):
        assert config[key] == reference[key], key
    assert config["tie_word_embeddings"] is False and config["scale_decoder_outputs"] is False
    assert config["decoder_start_token_id"] == 0 and config["architectures"] == ["T5ForConditionalGeneration"]


def test_float64_and_a_tokenizer_travel(tmp_path):
    texts = ["Jane sees the ducks.", "The horse is eating!"] * 3
    tok = WordPieceTokenizer.train(texts, vocab_size=60)
    model = T5(T5Config.preset("tiny", vocab_size=tok.vocab_size, pad_id=tok.pad_id, eos_id=tok.sep_id,
                               dtype="float64"))
    back, back_tok = load_hf(save_hf(model, tmp_path, tok))
    assert back.config == model.config and back.shared.weight.data.dtype == np.float64
    assert back_tok.get_vocab() == tok.get_vocab()


def rewrite(tmp_path, change_tensors=None, change_config=None, **model_options):
    save_hf(t5_like_fixture(**model_options), tmp_path)
    if change_tensors:
        tensors = load_file(tmp_path / "model.safetensors")
        change_tensors(tensors)
        save_file(tensors, tmp_path / "model.safetensors", {"format": "pt"})
    if change_config:
        config = json.loads((tmp_path / "config.json").read_text())
        (tmp_path / "config.json").write_text(json.dumps({**config, **change_config}))
    return tmp_path


def test_missing_and_mis_shaped_tensors_are_named(tmp_path):
    rewrite(tmp_path, lambda t: t.pop("decoder.block.2.layer.1.EncDecAttention.v.weight"))
    with pytest.raises(ValueError, match=r"missing tensors \['decoder.block.2.layer.1.EncDecAttention.v.weight'\]"):
        load_hf(tmp_path)
    name = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"
    rewrite(tmp_path, lambda t: t.update({name: np.zeros((32, 4), np.float32)}))
    with pytest.raises(ValueError, match=rf"'{name}': file \(32, 4\), expected \(8, 4\)"):
        load_hf(tmp_path)
    rewrite(tmp_path, lambda t: t.update({"decoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight":
                                          np.zeros((8, 4), np.float32)}))
    with pytest.raises(ValueError, match=r"unexpected tensors \['decoder.block.1.layer.0.SelfAttention"):
        load_hf(tmp_path)


def test_tied_copies_are_checked_then_skipped(tmp_path):
    model = t5_like_fixture()
    rewrite(tmp_path, lambda t: t.update({"encoder.embed_tokens.weight": t["shared.weight"],
                                          "decoder.embed_tokens.weight": t["shared.weight"]}))
    assert_same_parameters(model, load_hf(tmp_path)[0])
    rewrite(tmp_path, lambda t: t.update({"lm_head.weight": t["shared.weight"] + 1}))
    with pytest.raises(ValueError, match="'lm_head.weight' should be a copy of 'shared.weight' but differs"):
        load_hf(tmp_path)


def test_a_transformers_5_untied_config_loads_untied(tmp_path):
    """transformers >= 5 writes tie_word_embeddings true for every T5 and the unscaled head of T5 v1.1 as
    scale_decoder_outputs false, next to its own lm_head.weight or, tied, without it."""
    model = t5_like_fixture(tie_weights=False)
    rewrite(tmp_path, change_config={"tie_word_embeddings": True, "scale_decoder_outputs": False}, tie_weights=False)
    back, _ = load_hf(tmp_path)
    assert back.config == model.config
    assert_same_parameters(model, back)
    rewrite(tmp_path, lambda t: t.pop("lm_head.weight"), {"tie_word_embeddings": True, "scale_decoder_outputs": False},
            tie_weights=False)                   # tied but unscaled: what save_pretrained writes for a v1.1 T5
    back, _ = load_hf(tmp_path)
    assert not back.config.tie_weights and np.array_equal(back.lm_head.weight.data, model.shared.weight.data.T)


@pytest.mark.parametrize("change, message", [
    ({"d_kv": 8}, r"d_kv = 8 with num_heads = 4 gives attention width 32; minitrans's T5 needs d_kv = d_model / "
                  r"num_heads = 4"),
    ({"feed_forward_proj": "gated-silu"}, r"feed_forward_proj 'gated-silu' is not one minitrans knows; supported: "
                                          r"\['gated-gelu', 'relu'\]"),
    ({"tie_word_embeddings": False, "scale_decoder_outputs": True}, "scales the decoder output .* only when the head"),
    ({"decoder_start_token_id": 1}, "decoder_start_token_id = 1 differs from pad_token_id = 0"),
    ({"is_encoder_decoder": False}, "is_encoder_decoder = False; minitrans's T5 supports only True"),
])
def test_config_options_minitrans_lacks_are_named(tmp_path, change, message):
    rewrite(tmp_path, change_config=change)
    with pytest.raises(ValueError, match=message):
        load_hf(tmp_path)


def test_a_missing_config_key_is_named(tmp_path):
    rewrite(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    del config["d_model"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="lacks the key 'd_model', which a t5 config needs"):
        load_hf(tmp_path)
