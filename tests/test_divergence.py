"""Training that diverges stops at the first non-finite loss or gradient, before the optimizer step,
and never writes a checkpoint of a diverged model: the last good checkpoint stays."""
import subprocess
import sys

import numpy as np
import pytest

from minitrans.checkpoint import load_checkpoint
from minitrans.recipes.causal_lm import lm_step
from minitrans.train import Diverged

from test_train import make_trainer


def poisoned_step(at, loss_value=None):
    """lm_step, except that its `at`-th training call sets one gradient to inf (or returns `loss_value`)."""
    calls = {"n": 0}

    def step(model, batch, backward):
        loss, metrics = lm_step(model, batch, backward)
        calls["n"] += backward
        if backward and calls["n"] == at:
            if loss_value is not None:
                return loss_value, metrics
            next(iter(model.parameters())).grad[0] = np.inf
        return loss, metrics
    return step


@pytest.mark.parametrize("loss_value, what", [(None, "gradient norm"), (float("nan"), "loss")])
def test_a_non_finite_step_stops_the_run_and_the_last_good_checkpoint_stays(tmp_path, loss_value, what):
    trainer = make_trainer(tmp_path)                 # checkpoints at steps 3, 6, 9, 12
    trainer.step_fn = poisoned_step(8, loss_value)   # step 8 goes wrong
    with pytest.raises(Diverged, match=f"training diverged at step 8: the {what} is") as stopped:
        trainer.run()
    assert stopped.value.step == 7 and trainer.step == 7
    weights = {name: p.data.copy() for name, p in trainer.model.named_parameters()}
    assert all(np.isfinite(w).all() for w in weights.values())     # the poisoned step was not applied
    ckpt = load_checkpoint(trainer.checkpoint_path)
    assert ckpt.step == 6                                          # the last good checkpoint, untouched
    assert all(np.isfinite(t).all() for t in ckpt.model_state.values())


def test_a_diverging_cli_run_ends_with_one_line_and_exit_1(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "minitrans", "pretrain", "gpt", "--lr", "1e3", "--iters", "40",
                             "--batch-size", "4", "--block-size", "32", "--eval-interval", "10", "--no-progress",
                             "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("minitrans: training diverged at step"), result.stderr
    ckpt = load_checkpoint(out / "checkpoint.safetensors")
    assert ckpt.step % 10 == 0 and all(np.isfinite(t).all() for t in ckpt.model_state.values())
