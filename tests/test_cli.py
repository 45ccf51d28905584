"""The command line end to end: pretrain, resume, sample, finetune, errors."""
import subprocess
import sys

import pytest

from minitrans.cli import main

TEXT = "to be or not to be, that is the question.\n" * 60


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    corpus = folder / "corpus.txt"
    corpus.write_text(TEXT)
    args = ["pretrain", "gpt", "--corpus", str(corpus), "--preset", "nano", "--iters", "40",
            "--eval-interval", "20", "--lr", "3e-3", "--out", str(folder / "run"), "--no-progress"]
    assert main(args) == 0
    return folder


def test_pretrain_writes_checkpoint_log_and_plot(run_dir, capsys):
    out = run_dir / "run"
    assert (out / "checkpoint.safetensors").exists() and (out / "loss.png").exists()
    lines = (out / "log.jsonl").read_text().splitlines()
    assert len([line for line in lines if '"split": "train"' in line]) == 40


def test_final_line_and_resume_continues(run_dir, capsys):
    corpus = run_dir / "corpus.txt"
    args = ["pretrain", "gpt", "--corpus", str(corpus), "--preset", "nano", "--iters", "50",
            "--eval-interval", "25", "--out", str(run_dir / "run"), "--resume", "--no-progress"]
    assert main(args) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("final val loss: ") and float(last.split(": ")[1]) < 2.0   # chance: ln 19 = 2.9


def test_sample_from_checkpoint(run_dir, capsys):
    assert main(["sample", "--checkpoint", str(run_dir / "run" / "checkpoint.safetensors"),
                 "--prompt", "to be", "--max-new-tokens", "10", "--greedy"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("to be") and len(text.strip()) >= 10


def test_clear_errors(tmp_path, capsys):
    assert main(["sample", "--checkpoint", str(tmp_path / "missing.safetensors")]) == 2
    assert "no checkpoint file" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert main(["pretrain", "gpt", "--corpus", str(empty), "--iters", "1", "--out", str(tmp_path / "r")]) == 2
    assert "empty" in capsys.readouterr().err


def test_python_dash_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "minitrans", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "quickstart" in result.stdout


def test_quickstart_fast_runs_gpt_bert_and_t5(tmp_path, capsys):
    assert main(["quickstart", "--fast", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "== GPT" in out and "== BERT" in out and "== T5" in out
    assert "[MASK] is the capital of Borovia." in out and "| random init |" in out
    assert "multiple_choice:" in out and "sentiment:" in out
    assert (tmp_path / "bert" / "checkpoint.safetensors").exists()
