"""`minitrans quickstart`: pretrain small models on the toy world and show what they learned."""
from pathlib import Path

from ..data import load_probes
from ..eval.probes import causal_probe_choice, chance_accuracy, format_table, probe_accuracy
from ..generate import generate_text
from ..train import TrainConfig
from .gpt import pretrain_gpt

PROMPTS = ["Jack works at", "The capital of", "Kate ate at the"]


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


def quickstart(out_dir="runs/quickstart", fast=False):
    """Run every family's part of the quickstart; fast=True is a seconds-long smoke run."""
    quickstart_gpt(out_dir, fast)
