"""The zero-shot study: its --quick run, the prompt forms, and batched scoring that equals one-at-a-time."""
import numpy as np
import pytest

from experiment_checks import check_study
from minitrans.eval.zeroshot import continuation_logprob
from minitrans.experiments import run_experiment
from minitrans.experiments.zero_shot import COLUMNS, score_continuations_batched, sentiment_prompt
from minitrans.models import GPT, GPTConfig


@pytest.mark.slow
def test_quick_run_writes_accuracies_at_each_checkpoint(tmp_path):
    result = run_experiment("zero-shot", out_dir=tmp_path, quick=True, progress=False)
    saved = check_study(result, tmp_path, low=0.0, high=1.0, rows=["step 0", "step 10", "step 20"])
    assert result.columns == COLUMNS and saved["extra"]["seed 0"]["final_val_loss"] > 0
    # the scores measured during pretraining went into the run's log as well
    log = (tmp_path / "gpt-seed0" / "log.jsonl").read_text()
    assert log.count('"split": "zero_shot"') == 2


def test_prompt_forms():
    text = "The soup is bland. I will not come back."
    assert sentiment_prompt(text, "' very'") == "\n" + text + " very"
    assert sentiment_prompt(text, "corpus form") == "\n" + text + " Overall, it was"


class Chars:
    def encode(self, text):
        return [ord(c) - ord("a") for c in text]


def test_batched_continuation_scores_equal_one_at_a_time():
    model = GPT(GPTConfig(vocab_size=26, block_size=8, n_layer=2, n_head=2, n_embd=16, dtype="float64", seed=3))
    contexts = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10, 11, 12]]           # the last one is cropped to fit
    batched = score_continuations_batched(model, contexts, [20, 21])
    single = [continuation_logprob(model, c, [20, 21])[0] for c in contexts]
    np.testing.assert_allclose(batched, single, rtol=0, atol=1e-12)
