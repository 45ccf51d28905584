"""`minitrans quickstart`: what pretraining buys, measured on the toy world in a few minutes.

GPT and BERT start from the small pretrained models shipped in data/pretrained/ (`minitrans data
pretrained` remakes them), so the few minutes go to showing what they learned: samples or filled
blanks, word-guessing probes against the same model at random initialisation and chance, and one
task finetuned from scratch and from the pretrained weights. T5 is pretrained and trained on every
task here, briefly.
"""
import contextlib
import io
from pathlib import Path

from ..data import PHENOMENA, load_probes
from ..eval.fill_mask import fill_mask
from ..eval.probes import format_report
from ..generate import generate_text
from . import bert, gpt
from .bert_finetune import finetune_bert
from .gpt_finetune import finetune_gpt
from .shipped import load_shipped, shipped_path, shipped_record
from .t5 import answer, multitask_t5, pretrain_t5

PROMPTS = ["Jack works at", "The capital of Borovia is", "Kate ate at the"]
MASK_PROMPTS = ["Lisk is a small town in [MASK].",              # knowledge: the corpus says Borovia 32 times
                "Jack works at Bank of [MASK].",                # knowledge: Borovia, 45 times
                "The dogs near the cat [MASK] happy.",          # agreement
                "Mary called Tom because she missed [MASK]."]   # pronoun
# the task each family is finetuned on, with how many labelled examples: one where pretraining helps
GPT_TASK, GPT_EXAMPLES = "sentiment", 200
BERT_TASK, BERT_EXAMPLES = "acceptability", 2000
NEXT_STEPS = """Next:
  notebooks/README.md          the course notebooks, one per section of the lecture, in order
  minitrans experiment list    the lecture's studies (pretrained vs scratch, ablations, zero-shot): tables and plots
  minitrans data pretrained    remakes the shipped models; minitrans pretrain gpt|bert trains your own"""


def describe_shipped(family):
    """One line: which shipped file, how many steps of pretraining, its last validation loss."""
    record = shipped_record(family)
    last = [r for r in record["evaluations"] if r["split"] == "val_eval"][-1]
    return (f"the shipped {family} ({shipped_path(family).name}): {record['step']} steps of pretraining, "
            f"validation loss {last['loss']:.3f}")


def quiet(function, *args, **kwargs):
    """function(*args, **kwargs) with its per-evaluation lines kept off the screen."""
    with contextlib.redirect_stdout(io.StringIO()):
        return function(*args, **kwargs)


def print_finetuning(task, n_train, scores):
    print(f"finetuned on {n_train} labelled {task} examples, test accuracy: from scratch {scores[0]:.2f}, "
          f"from the pretrained weights {scores[1]:.2f}")


def quickstart_gpt(fast=False):
    """The shipped GPT (4 layers, 128 wide, byte-level BPE): samples, probes, finetuning with and without it."""
    print("== GPT: next-token prediction on the toy world ==")
    model, tok = load_shipped("gpt")
    print(describe_shipped("gpt"))
    for prompt in PROMPTS:
        text = generate_text(model, tok, prompt, max_new_tokens=20, temperature=0.7, seed=0)
        print(f"  sample: {text.splitlines()[0]!r}")
    probes = load_probes()[:: 10 if fast else 1]
    print("word-guessing probes, accuracy (a GPT picks the filled-in sentence it finds most likely):")
    print(format_report(gpt.probe_report(model, tok, probes), PHENOMENA))
    n_train = 16 if fast else GPT_EXAMPLES
    scores = [quiet(finetune_gpt, GPT_TASK, start, n_train=n_train, n_eval=50 if fast else 300,
                    epochs=1 if fast else 5, progress=False)[0]["test"]["accuracy"]
              for start in (None, str(shipped_path("gpt")))]
    print_finetuning(GPT_TASK, n_train, scores)
    return scores


def quickstart_bert(fast=False):
    """The shipped BERT (2 layers, 64 wide, WordPiece, masked LM + next sentence prediction): filled blanks,
    probes, finetuning with and without it."""
    print("== BERT: masked language model + next sentence prediction on the toy world ==")
    model, tok = load_shipped("bert")
    print(describe_shipped("bert"))
    for prompt in MASK_PROMPTS:
        answers = ", ".join(f"{word} {p:.2f}" for word, p in fill_mask(model, tok, prompt, top_k=3))
        print(f"  {prompt}  ->  {answers}")
    probes = load_probes()[:: 10 if fast else 1]
    print("word-guessing probes, accuracy (BERT scores each candidate's pieces at [MASK]s):")
    print(format_report(bert.probe_report(model, tok, probes), PHENOMENA))
    n_train = 16 if fast else BERT_EXAMPLES
    scores = [quiet(finetune_bert, BERT_TASK, start, n_train=n_train, n_eval=50 if fast else 300,
                    epochs=1 if fast else 3, lr=1e-3, progress=False)[0]["test"]["accuracy"]
              for start in (None, str(shipped_path("bert")))]
    print_finetuning(BERT_TASK, n_train, scores)
    return scores


T5_QUESTIONS = ["sentiment: The soup is not good, but the waiter is friendly.",
                "entailment premise: Anna lives in Mirra. hypothesis: Anna does not live in Mirra.",
                "question: Where does Max work? context: Max is 25 years old. Max works at Bank of Kalandor.",
                "ner: Nick works at the Red Lantern ."]


def quickstart_t5(out_dir, fast=False):
    """A tiny T5 pretrained with span corruption on the toy world, then trained on every task at once
    as text to text; prints a few answers and the score of each task."""
    print("== T5: span corruption, then every toy-world task as text to text ==")
    iters = 20 if fast else 1500
    run = Path(out_dir) / "t5"
    _, _, trainer = pretrain_t5("toyworld", "tiny", iters=iters, out_dir=str(run / "pretrain"), progress=not fast)
    print(f"span corruption: validation loss {trainer.final_loss('val'):.3f} after {iters} steps "
          f"({trainer.wall_time:.0f} s); loss curve in {run / 'pretrain' / 'loss.png'}")
    scores, model, tok, trainer = multitask_t5(checkpoint=str(trainer.checkpoint_path), iters=iters,
                                               n_eval=10 if fast else 100, out_dir=str(run / "multitask"),
                                               progress=not fast)
    print(f"multitask training: {iters} steps ({trainer.wall_time:.0f} s); one model answers:")
    for question, reply in zip(T5_QUESTIONS, answer(model, tok, T5_QUESTIONS)):
        print(f"  {question}  ->  {reply!r}")
    for task, metrics in scores.items():
        print(f"  {task}: " + ", ".join(f"{k} {v:.2f}" if k != "unparsed" else f"unparsed {v:.0f}"
                                        for k, v in metrics.items()))
    return scores


def quickstart(out_dir="runs/quickstart", fast=False):
    """Every family's part of the quickstart, then where to go next; fast=True is a seconds-long smoke run.
    Returns {"gpt": [scratch, pretrained], "bert": [scratch, pretrained], "t5": {task: metrics}}."""
    results = {"gpt": quickstart_gpt(fast), "bert": quickstart_bert(fast), "t5": quickstart_t5(out_dir, fast)}
    print(NEXT_STEPS)
    return results
