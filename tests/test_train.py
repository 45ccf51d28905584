"""The shared training loop: loss falls, logs and plots are written, resume is exact."""
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from minitrans.data.objectives import random_windows
from minitrans.models import GPT, GPTConfig
from minitrans.checkpoint import load_checkpoint, save_checkpoint
from minitrans.plot import plot_history
from minitrans.recipes.causal_lm import lm_step
from minitrans.train import Interrupted, Trainer, TrainConfig

STREAM = np.array([int(c) for c in "0123456789" * 40 + "9876543210" * 40])


def make_trainer(out_dir, iters=12, fail_at=None, signals_at=None, signals=(), **kw):
    """A tiny GPT on STREAM. fail_at: KeyboardInterrupt raised at the fail_at-th draw of a "train" batch;
    signals_at: the draw that sends `signals` to this process, as Ctrl-C would. Evaluations draw
    "train" batches too: with eval_interval 4 and eval_iters 2, draw 7 is step 5's, draw 8 step 6's."""
    config = GPTConfig(vocab_size=10, block_size=16, n_layer=1, n_head=2, n_embd=16, dropout=0.1)
    calls = {"n": 0}

    def get_batch(split, rng):
        calls["n"] += split == "train"
        if fail_at is not None and calls["n"] == fail_at:
            raise KeyboardInterrupt("simulated interruption")
        if split == "train" and calls["n"] == signals_at:
            for signum in signals:
                os.kill(os.getpid(), signum)
        return random_windows(STREAM, 16, 4, rng)

    cfg = TrainConfig(**{"iters": iters, "warmup": 2, "eval_interval": 4, "eval_iters": 2, "checkpoint_interval": 3,
                         "out_dir": str(out_dir), "progress": False, **kw})
    return Trainer(GPT(config), get_batch, lm_step, cfg, model_config=config)


def train_losses(history):
    return [(r["step"], r["loss"]) for r in history if r["split"] == "train"]


def test_resume_equals_uninterrupted_training(tmp_path):
    full = make_trainer(tmp_path / "full")
    full.run()
    broken = make_trainer(tmp_path / "broken", fail_at=8)    # dies while drawing step 6's batch
    with pytest.raises(KeyboardInterrupt):
        broken.run()
    resumed = make_trainer(tmp_path / "broken")
    resumed.run(resume=True)
    assert train_losses(resumed.history) == train_losses(full.history)   # bit for bit
    for a, b in zip(full.model.parameters(), resumed.model.parameters()):
        assert np.array_equal(a.data, b.data)
    logged = [json.loads(line) for line in (tmp_path / "broken" / "log.jsonl").read_text().splitlines()]
    assert logged == resumed.history


def test_run_in_stages_equals_one_run(tmp_path):
    full = make_trainer(tmp_path / "full")
    full.run()
    staged = make_trainer(tmp_path / "staged")
    staged.run(until=5)
    assert staged.step == 5 and load_checkpoint(staged.checkpoint_path).step == 5
    staged.run(until=9)
    staged.run()
    assert train_losses(staged.history) == train_losses(full.history)   # bit for bit, the same schedule
    for a, b in zip(full.model.parameters(), staged.model.parameters()):
        assert np.array_equal(a.data, b.data)
    with pytest.raises(ValueError, match="until must be a step from 0 to iters=12, got 13"):
        staged.run(until=13)

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


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_ends_the_run_after_its_step_with_a_checkpoint_and_resume_is_exact(tmp_path, signum):
    full = make_trainer(tmp_path / "full")
    full.run()
    stopped = make_trainer(tmp_path / "stopped", signals_at=8, signals=[signum])
    with pytest.raises(Interrupted) as info:
        stopped.run()
    assert (info.value.signal_name, info.value.step) == (signum.name, 6)        # step 6 was finished
    assert info.value.checkpoint_path == tmp_path / "stopped" / "checkpoint.safetensors"
    assert load_checkpoint(info.value.checkpoint_path).step == 6
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler         # the handlers are put back
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    resumed = make_trainer(tmp_path / "stopped")
    resumed.run(resume=True)
    assert train_losses(resumed.history) == train_losses(full.history)          # bit for bit


def test_a_second_signal_stops_at_once_without_saving(tmp_path):
    trainer = make_trainer(tmp_path, signals_at=8, signals=[signal.SIGINT, signal.SIGINT])
    with pytest.raises(KeyboardInterrupt) as info:
        trainer.run()
    assert not isinstance(info.value, Interrupted)
    assert load_checkpoint(tmp_path / "checkpoint.safetensors").step == 3       # the last periodic checkpoint


@pytest.mark.parametrize("every, saved_step", [(None, 4), (0, None), (3, 3)])
def test_checkpoints_at_every_evaluation_unless_another_rhythm_is_set(tmp_path, every, saved_step):
    trainer = make_trainer(tmp_path, fail_at=7, checkpoint_interval=every)      # dies in step 5; evaluation at 4
    with pytest.raises(KeyboardInterrupt):
        trainer.run()
    path = tmp_path / "checkpoint.safetensors"
    assert (load_checkpoint(path).step if path.exists() else None) == saved_step


def test_resume_checks_the_checkpoint_before_changing_anything(tmp_path):
    trainer = make_trainer(tmp_path, iters=4)
    trainer.run()
    path = trainer.checkpoint_path
    fresh = make_trainer(tmp_path)
    weights = fresh.model.state_dict()
    save_checkpoint(path, trainer.model, trainer.optimizer, 4, rng_state={"bit_generator": "PCG64", "state": 3},
                    extra={"history": trainer.history})
    with pytest.raises(ValueError, match="the data generator's rng_state: not a valid PCG64 state"):
        fresh.run(resume=True)
    save_checkpoint(path, trainer.model, trainer.optimizer, 4, rng_state=trainer.rng)     # no history
    with pytest.raises(ValueError, match=r"holds no training history \(extra\['history'\]\)"):
        fresh.run(resume=True)
    assert fresh.step == 0 and fresh.optimizer.step_count == 0
    assert all(np.array_equal(fresh.model.state_dict()[n], v) for n, v in weights.items())


def test_a_signal_during_the_last_step_lets_the_run_end_normally(tmp_path):
    trainer = make_trainer(tmp_path, iters=4, signals_at=4, signals=[signal.SIGINT])
    trainer.run()                                                               # no Interrupted
    assert trainer.step == 4 and load_checkpoint(tmp_path / "checkpoint.safetensors").step == 4


def test_on_evaluate_is_called_after_each_evaluation_with_the_trainer(tmp_path):
    seen = []
    trainer = make_trainer(tmp_path, iters=10)
    trainer.on_evaluate = lambda t: seen.append((t.step, t.history[-1]["split"], t.model.training))
    trainer.run()
    assert seen == [(4, "val_eval", True), (8, "val_eval", True), (10, "val_eval", True)]
