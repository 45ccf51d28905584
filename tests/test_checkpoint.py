"""Checkpoints: exact round trip and resume, atomic writes, clear errors, no pickle."""
import hashlib
import dataclasses
import json
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

import minitrans.files as files
import minitrans.checkpoint as checkpoint
from minitrans.checkpoint import get_rng_states, load_checkpoint, save_checkpoint, set_rng_states
from minitrans.nn.module import Module, Parameter
from minitrans.optim import SGD, AdamW, WarmupCosineLR, clip_grad_norm


class NoisyRegression(Module):
    """y = (x + noise) @ weight + bias; the noise comes from the model's own generator, like dropout."""

    def __init__(self, seed=0, width=4):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.weight = Parameter((0.5 * rng.standard_normal((3, width))).astype(np.float32))
        self.bias = Parameter(np.zeros(width, np.float32))
        self.rng = np.random.default_rng(seed + 100)

    def train_step(self, x, y):
        xn = x + 0.1 * self.rng.standard_normal(x.shape).astype(np.float32)
        r = xn @ self.weight.data + self.bias.data - y
        self.weight.grad += xn.T @ r / len(x)
        self.bias.grad += r.sum(axis=0) / len(x)


class OtherModel(NoisyRegression):
    pass


@dataclasses.dataclass
class ToyConfig:
    width: int = 4
    dropout: float = 0.1
    dtype: type = np.float32
    sizes: tuple = (3, 4)


class ToyTokenizer:
    def to_dict(self):
        return {"kind": "char", "vocab": ["<pad>", "a", "b"]}


def data():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((16, 3)).astype(np.float32)
    return x, (x @ rng.standard_normal((3, 4))).astype(np.float32)


def make_optimizer(model):
    return AdamW(model, lr=WarmupCosineLR(0.05, 3, 30, 0.001), weight_decay=0.1)


def train(model, opt, batches, steps):
    x, y = data()
    for _ in range(steps):
        idx = batches.integers(0, len(x), size=8)
        opt.zero_grad()
        model.train_step(x[idx], y[idx])
        clip_grad_norm(model, 1.0)
        opt.step()


def trained(tmp_path, steps=5):
    model, batches = NoisyRegression(), np.random.default_rng(1)
    opt = make_optimizer(model)
    train(model, opt, batches, steps)
    path = save_checkpoint(tmp_path / "ckpt.safetensors", model, opt, step=steps, config=ToyConfig(),
                           rng_state=batches, tokenizer=ToyTokenizer(), extra={"loss": [1.5, 0.25]})
    return model, opt, batches, path


def test_round_trip_restores_everything(tmp_path):
    model, opt, batches, path = trained(tmp_path)
    fresh = NoisyRegression(seed=3)
    fresh_opt = make_optimizer(fresh)
    ckpt = load_checkpoint(path, fresh, fresh_opt)
    for name, value in model.state_dict().items():
        got = fresh.state_dict()[name]
        assert got.dtype == value.dtype and np.array_equal(got, value), name
    saved, loaded = opt.state_dict(), fresh_opt.state_dict()
    assert loaded["step"] == saved["step"] == 5
    for b in saved["buffers"]:
        for name in saved["buffers"][b]:
            assert np.array_equal(loaded["buffers"][b][name], saved["buffers"][b][name])
    assert ckpt.step == 5 and ckpt.model_type == "NoisyRegression"
    assert ckpt.config == {"width": 4, "dropout": 0.1, "dtype": "float32", "sizes": [3, 4]}
    assert ckpt.tokenizer == ToyTokenizer().to_dict()
    assert ckpt.extra == {"loss": [1.5, 0.25]}
    assert ckpt.optimizer_state["hyperparameters"] == saved["hyperparameters"]
    restored = np.random.default_rng(999)
    restored.bit_generator.state = ckpt.rng_state                  # 128-bit ints survive JSON
    assert restored.random() == batches.random()
    assert fresh.rng.random() == model.rng.random()                # the model's generator came back too


def test_resume_from_file_equals_uninterrupted_run(tmp_path):
    model, opt, batches, path = trained(tmp_path, steps=5)
    train(model, opt, batches, 10)

    resumed = NoisyRegression(seed=3)
    resumed_opt = make_optimizer(resumed)
    ckpt = load_checkpoint(path, resumed, resumed_opt)
    resumed_batches = np.random.default_rng(0)
    resumed_batches.bit_generator.state = ckpt.rng_state
    train(resumed, resumed_opt, resumed_batches, 10)
    for name, value in model.state_dict().items():
        assert np.array_equal(resumed.state_dict()[name], value), name


def test_rng_state_helpers_cover_other_bit_generators():
    model = NoisyRegression()
    model.rng = np.random.Generator(np.random.MT19937(5))          # state holds an array: stored as a list
    states = json.loads(json.dumps(get_rng_states(model)))
    expected = model.rng.random(3)
    set_rng_states(model, states)
    np.testing.assert_array_equal(model.rng.random(3), expected)
    with pytest.raises(ValueError, match="got 2 rng states, but NoisyRegression holds 1 generators"):
        set_rng_states(model, states * 2)
    with pytest.raises(ValueError, match="expected a MT19937 state, got PCG64"):
        set_rng_states(model, get_rng_states(NoisyRegression()))


def test_interrupted_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    model, opt, _, path = trained(tmp_path)
    before = model.state_dict()
    train(model, opt, np.random.default_rng(2), 3)

    for error in (OSError("disk full"), KeyboardInterrupt()):
        def half_written(target, tensors, metadata=None, error=error):
            def write(temp_path):                         # the whole file, then cut in half by the "crash"
                files.write_safetensors(temp_path, tensors, metadata)
                with open(temp_path, "r+b") as f:
                    f.truncate(os.path.getsize(temp_path) // 2)
                raise error
            return files.atomic_write(target, write)
        monkeypatch.setattr(checkpoint, "write_safetensors", half_written)
        with pytest.raises(type(error)):
            save_checkpoint(path, model, opt, step=8)
        assert os.listdir(tmp_path) == ["ckpt.safetensors"]        # the temp file was removed
        fresh = NoisyRegression(seed=3)
        assert load_checkpoint(path, fresh).step == 5
        for name, value in before.items():
            assert np.array_equal(fresh.state_dict()[name], value)


@pytest.mark.parametrize("keep", [0, 5, 8, 100, "half", "all but one"])
def test_truncated_file_gives_clear_error(tmp_path, keep):
    _, _, _, path = trained(tmp_path)
    size = os.path.getsize(path)
    keep = {"half": size // 2, "all but one": size - 1}.get(keep, keep)
    with open(path, "r+b") as f:
        f.truncate(keep)
    with pytest.raises(ValueError, match="ckpt.safetensors' is truncated or corrupt"):
        load_checkpoint(path, NoisyRegression())


def test_missing_file_and_foreign_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint file at '.*nothing.safetensors'"):
        load_checkpoint(tmp_path / "nothing.safetensors")
    plain = tmp_path / "weights.safetensors"
    save_file({"weight": np.zeros((3, 4), np.float32)}, plain)
    with pytest.raises(ValueError, match="not a minitrans checkpoint: metadata 'format' is None, "
                                         "expected 'minitrans-checkpoint'"):
        load_checkpoint(plain)


def test_mismatched_model_gives_clear_error_and_changes_nothing(tmp_path):
    _, _, _, path = trained(tmp_path)
    wide = NoisyRegression(width=5)
    wide_opt = make_optimizer(wide)
    before = wide.state_dict()
    with pytest.raises(ValueError, match=r"does not fit this NoisyRegression.*'weight': checkpoint \(3, 4\), "
                                         r"model \(3, 5\).*'bias': checkpoint \(4,\), model \(5,\)"):
        load_checkpoint(path, wide, wide_opt)
    assert all(np.array_equal(wide.state_dict()[n], v) for n, v in before.items())
    assert wide_opt.step_count == 0

    extra = NoisyRegression()
    extra.scale = Parameter(np.ones(4, np.float32))
    with pytest.raises(ValueError, match=r"missing weights \['scale'\], unexpected weights \[\]"):
        load_checkpoint(path, extra)
    with pytest.raises(ValueError, match="holds a NoisyRegression, but the model given is a OtherModel"):
        load_checkpoint(path, OtherModel())


def test_optimizer_mismatches(tmp_path):
    _, _, _, path = trained(tmp_path)
    model = NoisyRegression(seed=3)
    before = model.state_dict()
    with pytest.raises(ValueError, match="optimizer state is for AdamW, but this optimizer is SGD"):
        load_checkpoint(path, model, SGD(model, lr=0.1, momentum=0.9))
    assert all(np.array_equal(model.state_dict()[n], v) for n, v in before.items())
    bare = save_checkpoint(tmp_path / "bare.safetensors", model)
    with pytest.raises(ValueError, match="holds no optimizer state, but an optimizer was given"):
        load_checkpoint(bare, model, make_optimizer(model))
    assert load_checkpoint(bare).optimizer_state is None


def test_file_is_plain_safetensors_and_no_pickle_is_used(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("pickle must not be used")
    for name in ("load", "loads", "dump", "dumps"):
        monkeypatch.setattr(pickle, name, forbidden)
    monkeypatch.setattr(np, "load", forbidden)
    _, _, _, path = trained(tmp_path)
    load_checkpoint(path, NoisyRegression(), make_optimizer(NoisyRegression()))
    with open(path, "rb") as f:
        (header_size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_size))
    meta = header.pop("__metadata__")
    assert meta["format"] == "minitrans-checkpoint" and json.loads(meta["step"]) == 5
    assert set(header) == {"model/weight", "model/bias", "optimizer/m/weight", "optimizer/m/bias",
                           "optimizer/v/weight", "optimizer/v/bias"}
    assert header["model/weight"]["dtype"] == "F32" and header["model/weight"]["shape"] == [3, 4]


def test_bad_save_arguments(tmp_path):
    model = NoisyRegression()
    with pytest.raises(TypeError, match="checkpoint field 'config' must be JSON-able.*got object"):
        save_checkpoint(tmp_path / "c.safetensors", model, config={"a": object()})
    with pytest.raises(TypeError, match="dict keys must be str, got 1"):
        save_checkpoint(tmp_path / "c.safetensors", model, extra={1: "x"})
    with pytest.raises(TypeError, match="expects a minitrans Module, got dict"):
        save_checkpoint(tmp_path / "c.safetensors", {"weight": 1})
    with pytest.raises(ValueError, match="step must be an integer >= 0, got -3"):
        save_checkpoint(tmp_path / "c.safetensors", model, step=-3)
    assert not os.path.exists(tmp_path / "c.safetensors")
    nested = save_checkpoint(tmp_path / "runs" / "a" / "c.safetensors", model)   # directories are made
    assert load_checkpoint(nested).step == 0


def rewrite_metadata(path, change):
    """Apply change(meta) to a checkpoint's parsed metadata and write it back, as a damaged or hand-edited file."""
    with safe_open(path, framework="np") as f:
        metadata = f.metadata()
        tensors = {key: f.get_tensor(key) for key in f.keys()}
    meta = {key: json.loads(value) for key, value in metadata.items() if key != "format"}
    change(meta)
    save_file(tensors, path, metadata={"format": metadata["format"], **{k: json.dumps(v) for k, v in meta.items()}})


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(step=-1), "metadata 'step' must be an integer >= 0, got -1"),
    (lambda m: m.update(step=2.5), "metadata 'step' must be an integer >= 0, got 2.5"),
    (lambda m: m["optimizer"].pop("step"), r"metadata 'optimizer' needs the keys \['type', 'step', 'hyperparameters', "
                                           r"'buffers'\], got \['buffers', 'hyperparameters', 'type'\]"),
    (lambda m: m["optimizer"].update(step=-2), "the optimizer's 'step' must be an integer >= 0, got -2"),
    (lambda m: m["model_rng_states"][0].update(state={"state": "x", "inc": 1}),
     "rng state of 'rng': not a valid PCG64 state"),
])
def test_bad_metadata_is_found_before_anything_changes(tmp_path, change, message):
    _, _, _, path = trained(tmp_path)
    rewrite_metadata(path, change)
    model = NoisyRegression(seed=3)
    opt = make_optimizer(model)
    weights, rng_state = model.state_dict(), model.rng.bit_generator.state
    with pytest.raises(ValueError, match=message):
        load_checkpoint(path, model, opt)
    assert all(np.array_equal(model.state_dict()[n], v) for n, v in weights.items())
    assert opt.step_count == 0 and opt.state_dict()["step"] == 0
    assert model.rng.bit_generator.state == rng_state


def test_the_same_save_gives_the_same_bytes_in_every_process(tmp_path):
    """safetensors writes metadata in a random order; minitrans's writer sorts it, so a checkpoint
    (and `minitrans data pretrained`) is reproducible byte for byte."""
    script = ("import sys, numpy as np; sys.path.insert(0, sys.argv[2]); from test_checkpoint import trained; "
              "from pathlib import Path; trained(Path(sys.argv[1]))")
    digests = []
    for i in range(3):
        folder = tmp_path / str(i)
        folder.mkdir()
        subprocess.run([sys.executable, "-c", script, str(folder), str(Path(__file__).parent)], check=True)
        digests.append(hashlib.sha256((folder / "ckpt.safetensors").read_bytes()).hexdigest())
    assert len(set(digests)) == 1


def test_a_non_finite_weight_is_never_written(tmp_path):
    model, opt, _, path = trained(tmp_path)
    before = open(path, "rb").read()
    next(iter(model.parameters())).data[0] = np.nan
    with pytest.raises(ValueError, match="NaN or Inf.*left as it was"):
        save_checkpoint(path, model, opt, step=9)
    assert open(path, "rb").read() == before and os.listdir(tmp_path) == ["ckpt.safetensors"]
