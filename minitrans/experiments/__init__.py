"""The lecture's results, each measured by minitrans on the toy world: `minitrans experiment NAME`.

Every study is a module here with a `run(out_dir, quick=False, seeds=None, progress=True)`
function that returns a StudyResult (report.py) after writing its table, JSON and plots to
out_dir. `quick=True` is the seconds-long size the tests run; the default is the full size
whose measured table and wall time are on docs/results.md.
"""
from __future__ import annotations

import importlib
import time

from .report import StudyResult, write_result

STUDIES = {   # command name: (module, one line)
    "gpt-ablation": ("gpt_ablation", "GPT paper's table: pretrained vs scratch, aux LM loss, LSTM, on five tasks"),
    "encoder-decoder": ("encoder_decoder", "BERT vs GPT of the same size and pretraining compute, finetuned"),
    "zero-shot": ("zero_shot", "zero-shot prompting, log-prob threshold and choice, through pretraining"),
    "word-guessing": ("word_guessing", "probe accuracy per phenomenon, BERT and GPT, pretrained vs random"),
    "bert-choices": ("bert_choices", "80/10/10 vs [MASK] only, NSP vs none, on probes and finetuning"),
    "small-data": ("small_data", "finetuned-from-pretrained vs scratch as the labelled set grows"),
    "t5-objectives": ("t5_objectives", "span corruption then multitask vs joint vs multitask alone"),
    "representations": ("representations", "neighbours, linear probe vs finetuning, a sentiment unit"),
}


def run_experiment(name, out_dir=None, quick=False, seeds=None, progress=True):
    """Run one study by its command name, write its files under out_dir (default runs/experiments/NAME)
    and return its StudyResult."""
    if name not in STUDIES:
        raise ValueError(f"experiment must be one of {sorted(STUDIES)}, got {name!r}")
    module = importlib.import_module(f"{__name__}.{STUDIES[name][0]}")
    out_dir = out_dir or f"runs/experiments/{name}" + ("-quick" if quick else "")
    t0 = time.perf_counter()
    result = module.run(out_dir, quick=quick, seeds=seeds, progress=progress)
    result.wall_time = time.perf_counter() - t0
    write_result(result, out_dir, echo=progress)
    return result


__all__ = ["STUDIES", "StudyResult", "run_experiment", "write_result"]
