"""T5's data and recipes: text-to-text formats, mixing, span-corruption pretraining that learns, the CLI."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minitrans.checkpoint import load_checkpoint
from minitrans.data import load_task
from minitrans.data.mixing import draw_tasks, mixing_rates
from minitrans.data.text_to_text import TEXT_TASKS, parse_answer, score_task, task_from_prefix, to_text
from minitrans.generate_t5 import greedy_decode
from minitrans.recipes.t5 import SpanCorruptionSource, answer, corpus_stream, load_t5, pretrain_t5
from minitrans.train import TrainConfig

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("task", TEXT_TASKS)
def test_gold_answers_score_perfectly_and_prefixes_name_the_task(task):
    examples = load_task(task, "dev")[:40]
    sources, targets = zip(*(to_text(task, e) for e in examples))
    assert all(task_from_prefix(s) == task for s in sources)
    scores = score_task(task, list(targets), examples)
    assert scores["unparsed"] == 0
    assert all(v >= 0.999 for k, v in scores.items() if k != "unparsed")


def test_unparsed_answers_count_as_wrong_and_are_counted():
    examples = load_task("sentiment", "dev")[:4]
    gold = [to_text("sentiment", e)[1] for e in examples]
    scores = score_task("sentiment", gold[:2] + ["maybe", "positive positive"], examples)
    assert scores["unparsed"] == 2 and scores["accuracy"] == 0.5
    assert parse_answer("ner", "person : nick ; organization : red lantern") == {("PER", "nick"), ("ORG", "red lantern")}
    assert parse_answer("ner", "person nick") is None
    assert parse_answer("similarity", "3 . 4") == 3.4 and parse_answer("similarity", "7.0") is None


def test_unknown_prefix_and_task_get_clear_errors():
    with pytest.raises(ValueError, match="unknown task prefix in 'translate: hello'"):
        task_from_prefix("translate: hello")
    with pytest.raises(ValueError, match="unknown text-to-text task 'poetry'"):
        to_text("poetry", {})


def test_mixing_rates_and_draws():
    sizes = {"big": 5000, "medium": 100, "small": 10}
    rates = mixing_rates(sizes, "proportional", limit=200)
    assert np.allclose(list(rates.values()), np.array([200, 100, 10]) / 310)
    rates_t = mixing_rates(sizes, "temperature", limit=200, temperature=2.0)
    assert np.allclose(list(rates_t.values()), np.sqrt([200, 100, 10]) / np.sqrt([200, 100, 10]).sum())
    assert np.allclose(list(mixing_rates(sizes, "equal").values()), 1 / 3)
    # 20,000 draws: each frequency within 0.015 of its rate (over 4 standard errors, sqrt(p(1-p)/n) <= 0.0036)
    draws = draw_tasks(rates, 20_000, np.random.default_rng(0))
    for task, rate in rates.items():
        assert abs(draws.count(task) / len(draws) - rate) < 0.015
    with pytest.raises(ValueError, match="mixing must be one of"):
        mixing_rates(sizes, "random")


def test_span_corruption_pretraining_learns_to_undo_spans(tmp_path):
    """A tiny T5 pretrained with the recipe on a tiny corpus writes back the dropped spans of
    held-out windows exactly (>= 95% of them, greedy), from its checkpoint."""
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("the cat sat on the mat and the dog ran in the park .\n" * 200)
    cfg = TrainConfig(iters=300, lr=1e-2, min_lr=1e-3, warmup=20, weight_decay=0.0, eval_interval=100, eval_iters=2,
                      progress=False, out_dir=str(tmp_path / "run"))
    _, _, trainer = pretrain_t5(str(corpus), "tiny", batch_size=32, inputs_length=16, train_config=cfg)
    assert (tmp_path / "run" / "loss.png").exists()
    model, tok = load_t5(trainer.checkpoint_path)
    windows = SpanCorruptionSource(corpus_stream(tok, str(corpus))["val"], tok, 16)
    batch = windows.batch(np.random.default_rng(5), 100)
    out = greedy_decode(model, batch["input_ids"], max_new_tokens=batch["labels"].shape[1])
    assert np.mean([o == row.tolist() for o, row in zip(out, batch["labels"])]) >= 0.95
    with pytest.raises(ValueError, match="unknown task prefix"):
        answer(model, tok, ["summarize: the cat"])


def run_cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "minitrans", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_cli_multitask_from_scratch_reports_every_task(tmp_path):
    result = run_cli("finetune", "t5", "--tasks", "sentiment,ner,similarity", "--preset", "tiny", "--iters", "4",
                     "--batch-size", "4", "--n-eval", "3", "--limit", "1000", "--no-progress",
                     "--out", str(tmp_path / "mt"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for line in ("mixing rates: sentiment 0.333", "sentiment: accuracy", "ner: f1", "similarity: pearson", "unparsed"):
        assert line in result.stdout
    bad = run_cli("finetune", "t5", "--tasks", "sentiment,poetry", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown tasks ['poetry']" in bad.stderr


def test_pretraining_resumes_exactly_with_dropout(tmp_path, monkeypatch):
    """A run that dies while drawing step 6's batch, resumed from its step-4 checkpoint, computes the
    losses and weights of an uninterrupted run bit for bit (data generator and dropout restored)."""
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("the cat sat on the mat and the dog ran in the park .\n" * 50)

    def run(out, resume=False):
        cfg = TrainConfig(iters=8, lr=1e-2, min_lr=1e-3, warmup=2, eval_interval=4, eval_iters=2, progress=False,
                          out_dir=str(out))
        return pretrain_t5(str(corpus), "tiny", batch_size=4, inputs_length=16, train_config=cfg, resume=resume,
                           dropout=0.1)

    full_model, _, full = run(tmp_path / "full")
    calls, batch = [0], SpanCorruptionSource.batch

    def dies_at_the_tenth_batch(self, rng, n):    # 4 steps, 2 x 2 evaluation batches, step 5, then step 6's
        calls[0] += 1
        if calls[0] == 10:
            raise KeyboardInterrupt("killed")
        return batch(self, rng, n)
    monkeypatch.setattr(SpanCorruptionSource, "batch", dies_at_the_tenth_batch)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "broken")
    monkeypatch.setattr(SpanCorruptionSource, "batch", batch)
    assert load_checkpoint(tmp_path / "broken" / "checkpoint.safetensors").step == 4
    model, _, resumed = run(tmp_path / "broken", resume=True)
    losses = [[(r["step"], r["loss"]) for r in t.history if r["split"] == "train"] for t in (full, resumed)]
    assert losses[0] == losses[1] and len(losses[0]) == 8
    for a, b in zip(full_model.parameters(), model.parameters()):
        assert np.array_equal(a.data, b.data)
