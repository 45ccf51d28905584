"""The shared training loop: loss falls, logs and plots are written, resume is exact."""
import json
from pathlib import Path

import numpy as np
import pytest

from minitrans.data.objectives import random_windows
from minitrans.models import GPT, GPTConfig
from minitrans.plot import plot_history
from minitrans.recipes.gpt import lm_step
from minitrans.train import Trainer, TrainConfig

STREAM = np.array([int(c) for c in "0123456789" * 40 + "9876543210" * 40])


def make_trainer(out_dir, iters=12, fail_at=None, **kw):
    config = GPTConfig(vocab_size=10, block_size=16, n_layer=1, n_head=2, n_embd=16, dropout=0.1)
    calls = {"n": 0}

    def get_batch(split, rng):
        calls["n"] += split == "train"
        if fail_at is not None and calls["n"] == fail_at:
            raise KeyboardInterrupt("simulated interruption")
        return random_windows(STREAM, 16, 4, rng)

    cfg = TrainConfig(iters=iters, warmup=2, eval_interval=4, eval_iters=2, checkpoint_interval=3,
                      out_dir=str(out_dir), progress=False, **kw)
    return Trainer(GPT(config), get_batch, lm_step, cfg, model_config=config)


def train_losses(history):
    return [(r["step"], r["loss"]) for r in history if r["split"] == "train"]


def test_resume_equals_uninterrupted_training(tmp_path):
    full = make_trainer(tmp_path / "full")
    full.run()
    broken = make_trainer(tmp_path / "broken", fail_at=8)    # dies while drawing step 8's batch
    with pytest.raises(KeyboardInterrupt):
        broken.run()
    resumed = make_trainer(tmp_path / "broken")
    resumed.run(resume=True)
    assert train_losses(resumed.history) == train_losses(full.history)   # bit for bit
    for a, b in zip(full.model.parameters(), resumed.model.parameters()):
        assert np.array_equal(a.data, b.data)
    logged = [json.loads(line) for line in (tmp_path / "broken" / "log.jsonl").read_text().splitlines()]
    assert logged == resumed.history


def test_loss_falls_and_outputs_are_written(tmp_path, capsys):
    trainer = make_trainer(tmp_path, iters=150, grad_accum=2, lr=1e-2, min_lr=1e-3)
    trainer.cfg.eval_interval = 50
    trainer.run()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""                  # progress=False is quiet
    assert trainer.final_loss("val") < 0.5       # the stream is almost deterministic; chance is ln 10 = 2.3
    assert (tmp_path / "checkpoint.safetensors").exists()
    assert not (tmp_path / "loss.png").exists()                      # plotting is the caller's
    assert Path(plot_history(trainer.history, tmp_path / "loss.png")).stat().st_size > 1000


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        make_trainer(tmp_path).run(resume=True)
