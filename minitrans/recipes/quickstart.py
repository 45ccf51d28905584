"""`minitrans quickstart`: pretrain small models on the toy world and show what they learned."""
from pathlib import Path

from ..data import PHENOMENA, load_probes
from ..eval.fill_mask import fill_mask
from ..eval.probes import causal_probe_choice, chance_accuracy, format_table, probe_accuracy
from ..generate import generate_text
from ..train import TrainConfig
from .bert import pretrain_bert, probe_report
from .bert_finetune import finetune_bert
from .gpt import pretrain_gpt
from .t5 import answer, multitask_t5, pretrain_t5

PROMPTS = ["Jack works at", "The capital of", "Kate ate at the"]
MASK_PROMPTS = ["[MASK] is the capital of Borovia.",            # knowledge
                "The dogs near the cat [MASK] happy.",          # agreement
                "Mary called Tom because she missed [MASK]."]   # pronoun


def quickstart_gpt(out_dir, fast=False):
    """A small GPT (4 layers, 128 wide, byte-level BPE) pretrained on the toy world; prints samples and probes."""
    print("== GPT: next-token prediction on the toy world ==")
    iters = 30 if fast else 600
    cfg = TrainConfig(iters=iters, lr=2e-3, min_lr=2e-4, warmup=min(50, iters), eval_interval=iters // 3,
                      eval_iters=5, out_dir=str(Path(out_dir) / "gpt"))
    model, tok, trainer = pretrain_gpt("toyworld", "bpe", "baby", batch_size=16, vocab_size=600,
                                       train_config=cfg, block_size=64)
    print(f"validation loss {trainer.final_loss('val'):.3f} after {iters} steps "
          f"({trainer.wall_time:.0f} s); loss curve in {Path(cfg.out_dir) / 'loss.png'}")
    model.eval()
    for prompt in PROMPTS:
        text = generate_text(model, tok, prompt, max_new_tokens=20, temperature=0.7, seed=0)
        print(f"  sample: {text.splitlines()[0]!r}")
    probes = [p for p in load_probes() if p.phenomenon != "knowledge"][:: 10 if fast else 2]
    acc = probe_accuracy(probes, lambda p: causal_probe_choice(model, tok, p))
    print("word-guessing probes (accuracy of the filled-in sentence the GPT finds most likely):")
    print(format_table({"chance": chance_accuracy(probes), "GPT pretrained": acc}))
    return model, tok, acc


def quickstart_bert(out_dir, fast=False):
    """A small BERT (2 layers, 64 wide, WordPiece) pretrained on the toy world with masked LM + NSP;
    prints fill-mask answers and probes, then finetunes on two tasks with and without pretraining."""
    print("== BERT: masked language model + next sentence prediction on the toy world ==")
    iters = 20 if fast else 1500
    run = Path(out_dir) / "bert"
    model, tok, trainer = pretrain_bert("toyworld", "tiny", iters=iters, passes=1 if fast else 4,
                                        out_dir=str(run), progress=not fast)
    last = next(r for r in reversed(trainer.history) if r["split"] == "val_eval")
    print(f"validation: masked-token accuracy {last['mlm_acc']:.2f}, next-sentence accuracy {last['nsp_acc']:.2f} "
          f"after {iters} steps ({trainer.wall_time:.0f} s); loss curve in {run / 'loss.png'}")
    for prompt in MASK_PROMPTS:
        answers = ", ".join(f"{word} {p:.2f}" for word, p in fill_mask(model, tok, prompt, top_k=3))
        print(f"  {prompt}  ->  {answers}")
    probes = load_probes()[:: 10 if fast else 1]
    print("word-guessing probes (accuracy of the candidate BERT scores highest at the [MASK]s):")
    print(format_table(probe_report(model, tok, probes), list(PHENOMENA) + ["all"]))
    n_train, n_eval, epochs = (32, 50, 1) if fast else (200, None, 10)
    print(f"finetuned on {n_train} examples ({epochs} epochs), test accuracy without -> with pretraining:")
    results = {}
    for task in ("multiple_choice", "sentiment"):
        results[task] = [finetune_bert(task, checkpoint, n_train=n_train, n_eval=n_eval, epochs=epochs,
                                       lr=1e-3, progress=False)[0]["test"]["accuracy"]
                         for checkpoint in (None, str(run / "checkpoint.safetensors"))]
        print(f"  {task}: {results[task][0]:.2f} -> {results[task][1]:.2f}")
    return model, tok, results


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
    return model, tok, scores


def quickstart(out_dir="runs/quickstart", fast=False):
    """Run every family's part of the quickstart; fast=True is a seconds-long smoke run."""
    quickstart_gpt(out_dir, fast)
    quickstart_bert(out_dir, fast)
    quickstart_t5(out_dir, fast)
