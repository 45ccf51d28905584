"""Files no minitrans code wrote: every loader checks the whole file before it changes or allocates
anything, and names the file, what it expected and what it found (issue 23)."""
import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minitrans.checkpoint import load_checkpoint, save_checkpoint
from minitrans.files import write_safetensors
from minitrans.interop import bert, gpt2, load_hf, save_hf, t5
from minitrans.models import GPT, T5, BertConfig, BertModel, GPTConfig, T5Config
from minitrans.recipes.runs import load_pretrained
from minitrans.safetensors_reader import read_safetensors
from minitrans.tokenizers import CharTokenizer

TEXT = "the cat sat on a mat"


def tiny_gpt():
    return GPT(GPTConfig(vocab_size=12, block_size=8, n_layer=1, n_head=2, n_embd=8))


@pytest.fixture
def checkpoint(tmp_path):
    """A recipe's checkpoint of a tiny GPT: weights, config and tokenizer."""
    tokenizer = CharTokenizer.train(TEXT)
    return save_checkpoint(tmp_path / "ckpt.safetensors", tiny_gpt(), step=3, config=tiny_gpt().config,
                           tokenizer=tokenizer)


@pytest.fixture
def folder(tmp_path):
    return save_hf(tiny_gpt(), tmp_path / "gpt2")


def split(path):
    """(header dict, data bytes) of a safetensors file."""
    raw = open(path, "rb").read()
    (length,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + length]), raw[8 + length:]


def join(path, header, data):
    """Write a safetensors file from a header dict and data bytes, as a hand-made or damaged file would be."""
    text = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + data)


def loaders(checkpoint, folder):
    """(path of the weights file, how to load it) for both loaders."""
    return [(checkpoint, lambda: load_checkpoint(checkpoint, tiny_gpt())),
            (f"{folder}/model.safetensors", lambda: load_hf(folder))]


# ------------------------------------------------------------------ 1. bytes that are no safetensors file
def in_data_order(header):
    return sorted((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][0])


def changed(header, name, **fields):
    return {**header, name: {**header[name], **fields}}


def moved(header, name, shift):
    return changed(header, name, data_offsets=[o + shift for o in header[name]["data_offsets"]])


def one_huge_tensor(header):
    return {"__metadata__": header["__metadata__"], "huge": {"dtype": "F32", "shape": [2 ** 40],
                                                             "data_offsets": [0, 2 ** 42]}}


def everything_moved(header):
    return {k: header[k] if k == "__metadata__" else moved(header, k, 4)[k] for k in header}


DAMAGES = {   # name: (change(header, data) -> (header, data), what the error says)
    "truncated": (lambda h, d: (h, d[:-3]), r"its tensors take \d+ bytes of data, but the file holds \d+"),
    "bytes after the data": (lambda h, d: (h, d + bytes(8)), "8 bytes follow its last tensor"),
    "a tensor larger than the file": (lambda h, d: (one_huge_tensor(h), d),
                                      f"its tensors take {2 ** 42} bytes of data, but the file holds"),
    "overlapping offsets": (lambda h, d: (moved(h, in_data_order(h)[1], -4), d),
                            r"tensor '.*' \(bytes \d+ to \d+\) overlaps tensor"),
    "a gap in the data": (lambda h, d: (everything_moved(h), bytes(4) + d),
                          "bytes 0 to 4 of its data belong to no tensor"),
    "offsets that disagree with the shape": (lambda h, d: (changed(h, in_data_order(h)[0], shape=[1]), d),
                                             r"\(\d+ bytes\), but a F32 tensor of shape \[1\] takes 4 bytes"),
    "a negative shape": (lambda h, d: (changed(h, in_data_order(h)[0], shape=[-1, 4]), d),
                         r"has shape \[-1, 4\], expected a list of integers >= 0"),
    "an entry without offsets": (lambda h, d: ({**h, "x": {"dtype": "F32", "shape": [2]}}, d),
                                 "must hold dtype, shape and data_offsets"),
    "a header that is a list": (lambda h, d: ([1, 2], d), "its header is a JSON list, expected an object"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_header_or_data_is_one_named_error(checkpoint, folder, damage):
    change, message = DAMAGES[damage]
    for path, load in loaders(checkpoint, folder):
        join(path, *change(*split(path)))
        with pytest.raises(ValueError, match=f"'{path}'.*{message}"):
            load()


@pytest.mark.parametrize("length", [2 ** 60, 2 ** 64 - 1, "file size"])
def test_a_header_length_larger_than_the_file_is_refused_before_reading(checkpoint, folder, length):
    for path, load in loaders(checkpoint, folder):
        raw = open(path, "rb").read()
        claimed = len(raw) - 7 if length == "file size" else length
        open(path, "wb").write(struct.pack("<Q", claimed) + raw[8:])
        with pytest.raises(ValueError, match=f"'{path}' is truncated or corrupt .*: its first 8 bytes say the "
                                             f"header is {claimed} bytes long, but only {len(raw) - 8} follow"):
            load()


@pytest.mark.parametrize("text", [b"not json at all!", b"\xff\xfe{}     ", b'{"a": '])
def test_a_header_that_is_not_json_is_named(checkpoint, folder, text):
    for path, load in loaders(checkpoint, folder):
        data = split(path)[1]
        open(path, "wb").write(struct.pack("<Q", len(text)) + text + data)
        with pytest.raises(ValueError, match=f"'{path}' is truncated or corrupt .*: its header is not JSON"):
            load()


@pytest.mark.parametrize("size", [0, 5])
def test_a_file_shorter_than_the_length_field(checkpoint, folder, size):
    for path, load in loaders(checkpoint, folder):
        open(path, "r+b").truncate(size)
        with pytest.raises(ValueError, match=f"'{path}' is truncated or corrupt .*: {size} bytes, but"):
            load()


# ------------------------------------------------------------------ 2. weights that are not floats
def replaced(path, name, dtype, data):
    """Rewrite the file with tensor `name` declared as `dtype` and holding the bytes `data` (same shape)."""
    header, old = split(path)
    pieces, position = [], 0
    for key in in_data_order(header):
        begin, end = header[key]["data_offsets"]
        piece = data if key == name else old[begin:end]
        header = changed(header, key, data_offsets=[position, position + len(piece)],
                         **({"dtype": dtype} if key == name else {}))
        pieces.append(piece)
        position += len(piece)
    join(path, header, b"".join(pieces))


@pytest.mark.parametrize("dtype, itemsize, message", [
    ("I32", 4, r"has dtype I32, but weights must be floats \(F16, F32, F64\); minitrans does not cast it"),
    ("I64", 8, "has dtype I64, but weights must be floats"),
    ("BOOL", 1, "has dtype BOOL, but weights must be floats"),
    ("BF16", 2, r"has dtype 'BF16', which minitrans cannot read; .*\(bfloat16: save the model as float32 first\)"),
    ("C64", 8, "has dtype 'C64', which minitrans cannot read"),
])
def test_a_weight_that_is_no_float_is_refused_by_name(checkpoint, folder, dtype, itemsize, message):
    for path, load in loaders(checkpoint, folder):
        name = in_data_order(split(path)[0])[-1]
        replaced(path, name, dtype, bytes(itemsize * int(np.prod(split(path)[0][name]["shape"]))))
        with pytest.raises(ValueError, match=f"'{path}': tensor '{name}' {message}"):
            load()


def test_float16_and_float64_weights_are_converted_to_the_models_dtype(tmp_path):
    model = tiny_gpt()
    for dtype in (np.float16, np.float64):
        path = save_checkpoint(tmp_path / "c.safetensors", model.astype(dtype))
        fresh = load_checkpoint(path, tiny_gpt()).model_state
        assert all(a.dtype == dtype for a in fresh.values())
        back = tiny_gpt()
        load_checkpoint(path, back)
        assert all(p.data.dtype == np.float32 for p in back.parameters())


# ------------------------------------------------------------------ 3. NaN and Inf
def poked(path, name, values):
    """The first elements of float32 tensor `name` overwritten with `values`, in place in the file's bytes."""
    header, data = split(path)
    begin = header[name]["data_offsets"][0]
    new = np.asarray(values, "<f4").tobytes()
    join(path, header, data[:begin] + new + data[begin + len(new):])


@pytest.mark.parametrize("values, counts", [([np.nan], "1 NaN and 0 Inf"),
                                            ([np.inf, -np.inf, np.nan], "1 NaN and 2 Inf")])
def test_non_finite_weights_are_refused_naming_tensor_and_file(checkpoint, folder, values, counts):
    for path, load in loaders(checkpoint, folder):
        name = in_data_order(split(path)[0])[0]
        poked(path, name, values)
        with pytest.raises(ValueError, match=f"'{path}': tensor '{name}' holds {counts} values; "
                                             "minitrans does not load non-finite weights"):
            load()


def test_a_non_finite_optimizer_buffer_is_refused_and_nothing_changes(tmp_path):
    from minitrans.optim import AdamW
    model = tiny_gpt()
    path = save_checkpoint(tmp_path / "c.safetensors", model, AdamW(model, lr=1e-3), step=1)
    poked(path, "optimizer/v/wte.weight", [np.inf])
    fresh = tiny_gpt()
    fresh.wte.weight.data[:] = 7
    with pytest.raises(ValueError, match=f"checkpoint '{path}': tensor 'optimizer/v/wte.weight' holds 0 NaN and 1 Inf"):
        load_checkpoint(path, fresh, AdamW(fresh, lr=1e-3))
    assert (fresh.wte.weight.data == 7).all()


# ------------------------------------------------------------------ 4. config.json and a checkpoint's config
def edited_config(folder, **changes):
    path = f"{folder}/config.json"
    config = json.load(open(path))
    json.dump({**config, **changes}, open(path, "w"))
    return path


def never_built(monkeypatch, *families):
    """Make building a model of these interop families fail the test: the check must come before."""
    def forbidden(*args):
        raise AssertionError("the model was built before the config was checked against the file")
    for family in families:
        monkeypatch.setattr(family, "build", forbidden)


@pytest.mark.parametrize("change, message", [
    ({"n_embd": "8"}, "n_embd must be an integer >= 1, got '8'"),
    ({"n_layer": True}, "n_layer must be an integer >= 1, got True"),
    ({"n_head": 0}, "n_head must be an integer >= 1, got 0"),
    ({"n_positions": -4}, "n_positions must be an integer >= 1, got -4"),
    ({"vocab_size": 1e9}, "vocab_size must be an integer >= 1, got 1000000000.0"),
    ({"n_inner": 2.5}, "n_inner must be an integer >= 1, got 2.5"),
    ({"tie_word_embeddings": "false"}, "tie_word_embeddings must be true or false, got 'false'"),
    ({"scale_attn_weights": 1}, "scale_attn_weights must be true or false, got 1"),
    ({key: "0.1" for key in gpt2.DROPOUTS}, r"resid_pdrop must be a number in \[0, 1\), got '0.1'"),
    ({"layer_norm_epsilon": -1}, "layer_norm_epsilon must be a finite number > 0, got -1"),
    ({"layer_norm_epsilon": float("nan")}, "layer_norm_epsilon must be a finite number > 0, got nan"),
    ({"activation_function": ["gelu"]}, r"activation_function \['gelu'\] is not one minitrans has"),
    ({"n_head": 3}, r"GPTConfig.n_embd \(8\) must be divisible by n_head \(3\)"),
])
def test_a_gpt2_config_with_wrong_types_or_ranges_is_named(folder, monkeypatch, change, message):
    path = edited_config(folder, **change)
    never_built(monkeypatch, gpt2)
    with pytest.raises(ValueError, match=f"'{path}': {message}"):
        load_hf(folder)


@pytest.mark.parametrize("change", [{"vocab_size": 10 ** 9}, {"n_layer": 10 ** 7}, {"n_embd": 2 ** 20, "n_head": 1}])
def test_config_sizes_far_beyond_the_file_fail_before_the_model_is_built(folder, monkeypatch, change):
    path = edited_config(folder, **change)
    never_built(monkeypatch, gpt2)
    with pytest.raises(ValueError, match=f"'{path}' describes a model of [0-9,]+ parameters, but "
                                         f"'{folder}/model.safetensors' holds only [0-9,]+ values"):
        load_hf(folder)


OTHER_FAMILIES = {
    "bert": (bert, lambda: BertModel(BertConfig(vocab_size=12, n_layer=1, n_head=2, d_model=8, d_ff=12))),
    "t5": (t5, lambda: T5(T5Config(vocab_size=12, d_model=8, n_head=2, d_ff=12, n_encoder_layer=1, n_decoder_layer=1,
                                   num_buckets=8, max_distance=16))),
}


@pytest.mark.parametrize("family, change, message", [
    ("bert", {"hidden_size": "8"}, ": hidden_size must be an integer >= 1, got '8'"),
    ("bert", {"layer_norm_eps": 0}, ": layer_norm_eps must be a finite number > 0, got 0"),
    ("bert", {"pad_token_id": -1}, ": pad_token_id must be an integer >= 0, got -1"),
    ("bert", {"vocab_size": 10 ** 9}, " describes a model of"),
    ("t5", {"d_ff": 0}, ": d_ff must be an integer >= 1, got 0"),
    ("t5", {"num_decoder_layers": "1"}, ": num_decoder_layers must be an integer >= 1, got '1'"),
    ("t5", {"scale_decoder_outputs": "yes"}, ": scale_decoder_outputs must be true or false, got 'yes'"),
    ("t5", {"relative_attention_num_buckets": 2}, ": T5Config needs num_buckets >= 4"),
    ("t5", {"num_layers": 10 ** 7}, " describes a model of"),
])
def test_bert_and_t5_configs_are_checked_the_same_way(tmp_path, monkeypatch, family, change, message):
    module, make = OTHER_FAMILIES[family]
    folder = save_hf(make(), tmp_path / family)
    path = edited_config(folder, **change)
    never_built(monkeypatch, module)
    with pytest.raises(ValueError, match=f"'{path}'{message}"):
        load_hf(folder)


def edited_metadata(path, key, text):
    """The checkpoint at `path` with metadata `key` replaced by the JSON text `text`."""
    header, data = split(path)
    join(path, {**header, "__metadata__": {**header["__metadata__"], key: text}}, data)


def load_gpt_unbuilt(path):
    """recipes' load_pretrained for a GPT, failing the test if it builds the model."""
    def forbidden(config, ckpt):
        raise AssertionError("the model was built before the config was checked against the file")
    return load_pretrained(path, GPT, GPTConfig, forbidden)


@pytest.mark.parametrize("config, message", [
    ({"vocab_size": "12"}, r"GPTConfig.vocab_size must be an integer >= 1, got '12'"),
    ({"dropout": "0.1"}, r"GPTConfig.dropout must be a number in \[0, 1\), got '0.1'"),
    ({"norm_first": "false"}, "GPTConfig.norm_first must be true or false, got 'false'"),
    ({"layer_norm_eps": -1}, "GPTConfig.layer_norm_eps must be a finite number > 0, got -1"),
    ({"dtype": "float16"}, "GPTConfig.dtype must be float32 or float64, got float16"),
    ({"type": "BertConfig"}, "expected a GPTConfig, got a BertConfig"),
    ({"n_layers": 2}, r"unknown GPTConfig fields \['n_layers'\]"),
    (None, "a GPTConfig must be a dict of its fields, got NoneType"),
])
def test_a_checkpoints_config_with_wrong_types_or_ranges_is_named(checkpoint, config, message):
    stored = {**tiny_gpt().config.to_dict(), **config} if isinstance(config, dict) else config
    edited_metadata(checkpoint, "config", json.dumps(stored))
    with pytest.raises(ValueError, match=f"checkpoint '{checkpoint}': metadata 'config' is not a valid GPTConfig "
                                         f"\\({message}\\)"):
        load_gpt_unbuilt(checkpoint)


@pytest.mark.parametrize("change", [{"vocab_size": 10 ** 9}, {"n_layer": 10 ** 7}])
def test_a_checkpoints_config_far_beyond_its_weights_fails_before_the_model_is_built(checkpoint, change):
    edited_metadata(checkpoint, "config", json.dumps({**tiny_gpt().config.to_dict(), **change}))
    with pytest.raises(ValueError, match=f"checkpoint '{checkpoint}': metadata 'config' describes a model of "
                                         f"[0-9,]+ parameters, but '{checkpoint}' holds only [0-9,]+ values"):
        load_gpt_unbuilt(checkpoint)


# ------------------------------------------------------------------ 5. a checkpoint's metadata and family
@pytest.mark.parametrize("key, text, message", [
    ("config", '{"vocab_size": 12', "metadata 'config' is not valid JSON"),
    ("tokenizer", "{oops}", "metadata 'tokenizer' is not valid JSON"),
    ("extra", "[", "metadata 'extra' is not valid JSON"),
    ("config", "[1, 2]", "metadata 'config' must be an object or null, got \\[1, 2\\]"),
    ("tokenizer", '"char"', "metadata 'tokenizer' must be an object or null, got \"char\""),
    ("rng_state", "7", "metadata 'rng_state' must be an object or null, got 7"),
    ("model_type", "5", "metadata 'model_type' must be a string, got 5"),
    ("model_rng_states", "{}", "metadata 'model_rng_states' must be a list, got {}"),
    ("optimizer", "[]", "metadata 'optimizer' must be an object or null, got \\[\\]"),
    ("optimizer", '{"type": "AdamW", "step": 1, "hyperparameters": {}, "buffers": "m"}',
     "the optimizer's 'buffers' must be a list of names, got 'm'"),
    ("extra", '{"history": "none"}', "extra 'history' must be a list of records, got \"none\""),
    ("extra", '{"history": [{"step": "1", "split": "train"}]}',
     "extra 'history' must be a list of records with an integer 'step' and a 'split' name; record 0 is"),
    ("extra", '{"history": [], "train_config": {"iters": "5"}}',
     "extra 'train_config' must be an object with an integer 'iters' >= 0"),
])
def test_malformed_metadata_is_one_error_naming_file_and_field(checkpoint, key, text, message):
    edited_metadata(checkpoint, key, text)
    model = tiny_gpt()
    before = model.state_dict()
    with pytest.raises(ValueError, match=f"checkpoint '{checkpoint}': {message}"):
        load_checkpoint(checkpoint, model)
    assert all(np.array_equal(model.state_dict()[n], v) for n, v in before.items())


@pytest.mark.parametrize("tokenizer, message", [
    ({"type": "char", "vocab": 5, "special_tokens": [], "roles": {}},
     "malformed char tokenizer dict: vocab must be a list of token strings, got int"),
    ({"type": "char", "vocab": ["a", "a"], "special_tokens": [], "roles": {}}, "vocab has 'a' twice"),
    ({"type": "char", "vocab": ["a"]}, r"CharTokenizer dict is missing keys \['special_tokens', 'roles'\]"),
    ({"type": "char", "vocab": ["a"], "special_tokens": [], "roles": ["pad"]}, "malformed char tokenizer dict"),
    ({"type": "sentencepiece"}, "tokenizer dict 'type' must be one of"),
    ({**CharTokenizer.train(TEXT + "xyz!?").to_dict(), "vocab": list("abcdefghijklmnopqrstu")},
     "its tokenizer has 21 tokens, but the model's vocab_size is 12"),
])
def test_a_malformed_stored_tokenizer_is_named(checkpoint, tokenizer, message):
    edited_metadata(checkpoint, "tokenizer", json.dumps(tokenizer))
    with pytest.raises(ValueError, match=f"checkpoint '{checkpoint}': ({message}|metadata 'tokenizer' is not a "
                                         f"valid tokenizer \\(.*{message})"):
        load_gpt_unbuilt(checkpoint)


def test_a_wordpiece_setting_of_the_wrong_type_is_not_cast(tmp_path):
    from minitrans.tokenizers import WordPieceTokenizer, tokenizer_from_dict
    stored = {**WordPieceTokenizer.train([TEXT] * 3, vocab_size=40).to_dict(), "lowercase": "false"}
    with pytest.raises(ValueError, match="malformed wordpiece tokenizer dict: lowercase must be True or False, "
                                         "got 'false'"):
        tokenizer_from_dict(stored)


def test_a_checkpoint_of_another_family_says_which_was_expected(tmp_path):
    from minitrans.models import BertForPreTraining
    from minitrans.recipes.bert import load_bert
    from minitrans.recipes.gpt import load_gpt
    from minitrans.recipes.runs import resumed_tokenizer
    gpt_run = tmp_path / "gpt-run"
    save_checkpoint(gpt_run / "checkpoint.safetensors", tiny_gpt(), config=tiny_gpt().config,
                    tokenizer=CharTokenizer.train(TEXT))
    with pytest.raises(ValueError, match="checkpoint '.*gpt-run/checkpoint.safetensors' holds a GPT, expected a "
                                         r"BertForPreTraining \(a checkpoint of another model family\)"):
        load_bert(gpt_run / "checkpoint.safetensors")
    with pytest.raises(ValueError, match="holds a GPT, expected a BertForPreTraining"):
        resumed_tokenizer(gpt_run, BertForPreTraining)
    assert load_gpt(gpt_run / "checkpoint.safetensors")[0].config == tiny_gpt().config


# ------------------------------------------------------------------ the command line: exit 2, one line
CORPUS = "The cat sat.\nThe dog ran.\n\nA bird flew.\nIt sang.\n\nThe sun rose.\nIt was warm.\n\n" * 2


def gpt_run(folder, **metadata):
    """A GPT run directory as a recipe leaves it, with some metadata fields replaced by the JSON texts given."""
    extra = {"history": [], "train_config": {"iters": 1}}
    path = Path(save_checkpoint(folder / "checkpoint.safetensors", tiny_gpt(), config=tiny_gpt().config,
                                tokenizer=CharTokenizer.train(TEXT), extra=extra))
    for key, text in metadata.items():
        edited_metadata(path, key, text)
    return path


def bf16_run(folder):
    path = gpt_run(folder)
    name = in_data_order(split(path)[0])[0]
    replaced(path, name, "BF16", bytes(2 * int(np.prod(split(path)[0][name]["shape"]))))
    return path


CLI_CASES = {   # name: (make the files in a folder -> the arguments, what the one line says)
    "sample, config not JSON": (lambda d: ["sample", "--checkpoint", gpt_run(d / "r", config="{")],
                                "metadata 'config' is not valid JSON"),
    "sample, tokenizer malformed": (lambda d: ["sample", "--checkpoint", gpt_run(d / "r", tokenizer='{"type": 5}')],
                                    "metadata 'tokenizer' is not a valid tokenizer"),
    "sample, bfloat16 weights": (lambda d: ["sample", "--checkpoint", bf16_run(d / "r")],
                                 "has dtype 'BF16', which minitrans cannot read"),
    "sample, truncated": (lambda d: ["sample", "--checkpoint", truncated(gpt_run(d / "r"))], "is truncated or corrupt"),
    "embed, a NaN weight": (lambda d: ["embed", "--model", nan_bert(d / "bert"), "a cat", "a mat"],
                            "holds 1 NaN and 0 Inf values; minitrans does not load non-finite weights"),
    "probe bert on a GPT checkpoint": (lambda d: ["probe", "bert", "--checkpoint", gpt_run(d / "r")],
                                       "holds a GPT, expected a BertForPreTraining"),
    "pretrain bert --resume on a GPT run": (
        lambda d: ["pretrain", "bert", "--corpus", corpus(d), "--resume", "--out", gpt_run(d / "r").parent,
                   "--iters", "1", "--no-progress"], "holds a GPT, expected a BertForPreTraining"),
    "pretrain gpt --resume with a malformed history": (
        lambda d: ["pretrain", "gpt", "--corpus", corpus(d), "--resume", "--iters", "2", "--no-progress",
                   "--out", gpt_run(d / "r", extra='{"history": [1], "train_config": {"iters": 1}}').parent],
        "extra 'history' must be a list of records"),
}


def truncated(path):
    open(path, "r+b").truncate(100)
    return path


def nan_bert(folder):
    """A tiny BERT folder with its tokenizer, a NaN poked into the bytes of one weight: `embed` must not print nan."""
    from minitrans.tokenizers import WordPieceTokenizer
    tokenizer = WordPieceTokenizer.train([TEXT] * 3, vocab_size=40)
    save_hf(BertModel(BertConfig(vocab_size=tokenizer.vocab_size, n_layer=1, n_head=2, d_model=8, d_ff=12)),
            folder, tokenizer)
    path = folder / "model.safetensors"
    poked(path, in_data_order(split(path)[0])[0], [np.nan])
    return folder


def corpus(folder):
    (folder / "corpus.txt").write_text(CORPUS)
    return folder / "corpus.txt"


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """Every case run at once as `python -m minitrans ...` (they are independent): name -> (code, out, err)."""
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(repo), "OPENBLAS_NUM_THREADS": "1"}
    runs = {}
    for name, (make, _) in CLI_CASES.items():
        folder = tmp_path_factory.mktemp("cli")
        runs[name] = subprocess.Popen([sys.executable, "-m", "minitrans", *map(str, make(folder))], cwd=folder,
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return {name: (run.wait(timeout=120), *run.communicate()) for name, run in runs.items()}


@pytest.mark.parametrize("name", sorted(CLI_CASES))
def test_a_bad_file_on_the_command_line_is_exit_2_and_one_line(cli_runs, name):
    code, out, err = cli_runs[name]
    assert code == 2 and out == "" and "Traceback" not in err, err
    assert err.count("\n") == 1 and err.startswith("minitrans: error: ") and CLI_CASES[name][1] in err, err


# ------------------------------------------------------------------ 6. tokenizer files
@pytest.fixture
def bert_folder(tmp_path):
    from minitrans.tokenizers import WordPieceTokenizer
    tokenizer = WordPieceTokenizer.train([TEXT] * 3, vocab_size=40)
    model = BertModel(BertConfig(vocab_size=tokenizer.vocab_size, n_layer=1, n_head=2, d_model=8, d_ff=12))
    return save_hf(model, tmp_path / "bert", tokenizer)


@pytest.fixture
def gpt_folder(tmp_path):
    from minitrans.tokenizers import ByteLevelBPETokenizer
    tokenizer = ByteLevelBPETokenizer.train([TEXT] * 3, vocab_size=270)
    model = GPT(GPTConfig(vocab_size=tokenizer.vocab_size, block_size=8, n_layer=1, n_head=2, n_embd=8))
    return save_hf(model, tmp_path / "gpt", tokenizer)


def edit_lines(path, change):
    lines = open(path, encoding="utf-8").read().split("\n")
    open(path, "w", encoding="utf-8").write("\n".join(change(lines)))


@pytest.mark.parametrize("change, message", [
    (lambda lines: lines[:6] + [lines[2]] + lines[6:], r"line 7 repeats '\[CLS\]' of line 3; vocab.txt needs each "
                                                        r"token once \(its line number is its id\)"),
    (lambda lines: lines[:6] + [""] + lines[6:], "line 7 is empty; vocab.txt needs one token per line"),
    (lambda lines: [line for line in lines if line != "[UNK]"], "a WordPiece vocabulary must contain '\\[UNK\\]'"),
])
def test_a_broken_vocab_txt_names_the_file_and_line(bert_folder, change, message):
    path = f"{bert_folder}/vocab.txt"
    edit_lines(path, change)
    with pytest.raises(ValueError, match=f"'{path}':? {message}"):
        load_hf(bert_folder)


@pytest.mark.parametrize("removed", ["merges.txt", "vocab.json"])
def test_half_a_bpe_tokenizer_is_an_error_not_no_tokenizer(gpt_folder, removed):
    os.remove(f"{gpt_folder}/{removed}")
    other = {"merges.txt": "vocab.json", "vocab.json": "merges.txt"}[removed]
    with pytest.raises(ValueError, match=f"'{gpt_folder}' holds {other} but no {removed}: a byte-level BPE "
                                         f"tokenizer needs both"):
        load_hf(gpt_folder)


def test_a_vocab_json_with_ids_that_are_not_integers_is_named(gpt_folder):
    path = f"{gpt_folder}/vocab.json"
    vocab = json.load(open(path))
    json.dump({token: str(i) for token, i in vocab.items()}, open(path, "w"))
    with pytest.raises(ValueError, match=f"'{path}' must map tokens to the ids 0 .. n-1, each used once"):
        load_hf(gpt_folder)


@pytest.mark.parametrize("family, text, message", [
    ("bert", "{not json", " is not valid JSON"),
    ("bert", "[1, 2]", " must hold a JSON object, got list"),
    ("bert", '{"do_lower_case": "false"}', ": do_lower_case must be true or false, got 'false'"),
    ("bert", '{"strip_accents": "yes"}', ": strip_accents must be true or false, got 'yes'"),
    ("gpt", '{"add_prefix_space": "false"}', ": add_prefix_space must be true or false, got 'false'"),
    ("gpt", '"GPT2Tokenizer"', " must hold a JSON object, got str"),
])
def test_a_malformed_tokenizer_config_is_named(bert_folder, gpt_folder, family, text, message):
    folder = bert_folder if family == "bert" else gpt_folder
    path = f"{folder}/tokenizer_config.json"
    open(path, "w").write(text)
    with pytest.raises(ValueError, match=f"'{path}'{message}"):
        load_hf(folder)


# ------------------------------------------------------------------ 7. T5's attention_mask
@pytest.mark.parametrize("mask_shape, where", [((3, 2), "encode"), ((2, 1, 1, 3), "encode"), ((6,), "encode"),
                                               ((2, 4), "decode"), ((1, 3), "decode"), ((2, 1, 1, 3), "decode")])
def test_t5_checks_the_attention_mask_against_the_input_instead_of_reshaping_it(mask_shape, where):
    model = OTHER_FAMILIES["t5"][1]()
    ids = np.array([[3, 4, 5], [6, 7, 1]])
    mask = np.ones(mask_shape, dtype=bool)
    with pytest.raises(ValueError, match=rf"attention_mask must have the shape of (input_ids|the encoder input) "
                                         rf"\(2, 3\), got {re.escape(str(mask_shape))}"):
        if where == "encode":
            model.forward(ids, ids, attention_mask=mask)
        else:
            model.decode(ids, model.encode(ids)[0], attention_mask=mask)


# ------------------------------------------------------------------ buffers that are not parameters
def test_gpt2_mask_buffers_are_checked_whatever_their_shape(folder):
    """Older GPT-2 files carry a (1, 1, T, T) causal mask per layer: checked, then skipped; others are named."""
    path = f"{folder}/model.safetensors"
    tensors = read_safetensors(path)[0]
    for mask, message in [(np.tril(np.ones((1, 1, 8, 8), np.float32)), None),
                          (np.ones((1, 1, 8, 8), np.float32), "buffer 'transformer.h.0.attn.bias' is not a causal mask"),
                          (np.ones((0, 0, 8, 8), np.float32), r"unexpected tensors \['transformer.h.0.attn.bias'\]")]:
        write_safetensors(path, {**tensors, "transformer.h.0.attn.bias": mask})
        if message is None:
            load_hf(folder)
        else:
            with pytest.raises(ValueError, match=message):
                load_hf(folder)
