"""The `minitrans` command line: quickstart, pretrain, finetune, probe, sample, data, bench."""
from __future__ import annotations

import argparse
import sys


def add_run_options(p, family, lr, min_lr):
    """The options every pretraining run has: schedule, dropout, evaluation, seed, run directory."""
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--min-lr", type=float, default=min_lr)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--eval-interval", type=int, default=250)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--out", default=None, help=f"run directory (default runs/{family}-<corpus>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out exactly where it stopped")
    p.add_argument("--no-progress", action="store_true")


def add_pretrain(sub):
    p = sub.add_parser("pretrain", help="pretrain a model family on a corpus")
    fam = p.add_subparsers(dest="family", required=True)
    g = fam.add_parser("gpt", help="next-token prediction")
    g.add_argument("--corpus", default="toyworld", help="toyworld, shakespeare, or a path to a text file")
    g.add_argument("--tokenizer", default="char", choices=["char", "bpe"])
    g.add_argument("--vocab-size", type=int, default=None, help="for --tokenizer bpe")
    g.add_argument("--preset", default="baby")
    g.add_argument("--iters", type=int, default=2000)
    g.add_argument("--batch-size", type=int, default=12)
    g.add_argument("--block-size", type=int, default=None)
    g.add_argument("--grad-accum", type=int, default=1)
    add_run_options(g, "gpt", lr=1e-3, min_lr=1e-4)
    g.set_defaults(handler=run_pretrain_gpt)
    b = fam.add_parser("bert", help="masked LM (80/10/10) + next sentence prediction on sentence pairs")
    b.add_argument("--corpus", default="toyworld", help="toyworld, or a text file: a sentence a line, "
                                                       "a blank line between documents")
    b.add_argument("--preset", default="tiny", help="tiny or mini (or base, large)")
    b.add_argument("--vocab-size", type=int, default=1000, help="WordPiece vocabulary size")
    b.add_argument("--iters", type=int, default=3000)
    b.add_argument("--batch-size", type=int, default=32)
    b.add_argument("--max-len", type=int, default=128, help="longest packed pair [CLS] A [SEP] B [SEP]")
    b.add_argument("--mask-only", action="store_true", help="every chosen token becomes [MASK] (no 10/10)")
    b.add_argument("--no-nsp", action="store_true", help="masked LM only, no next sentence prediction")
    add_run_options(b, "bert", lr=3e-3, min_lr=3e-4)
    b.set_defaults(handler=run_pretrain_bert)
    from .recipes.t5_cli import add_pretrain_t5
    add_pretrain_t5(fam, add_run_options)


def run_pretrain_bert(args):
    from .recipes.bert import pretrain_bert
    from .recipes.gpt import default_out_dir
    from .train import TrainConfig
    out = args.out or default_out_dir("bert", args.corpus)
    cfg = TrainConfig(iters=args.iters, lr=args.lr, min_lr=args.min_lr, warmup=args.warmup, weight_decay=0.01,
                      betas=(0.9, 0.999), eval_interval=args.eval_interval, eval_iters=10, seed=args.seed,
                      out_dir=out, progress=not args.no_progress)
    model, tok, trainer = pretrain_bert(args.corpus, args.preset, args.vocab_size, batch_size=args.batch_size,
                                        max_len=args.max_len, mask_only=args.mask_only, nsp=not args.no_nsp,
                                        resume=args.resume, train_config=cfg, dropout=args.dropout)
    print(f"checkpoint: {trainer.checkpoint_path}  loss curve: {out}/loss.png  log: {out}/log.jsonl")
    print(f"wall time: {trainer.wall_time:.1f} s")
    last = next(r for r in reversed(trainer.history) if r["split"] == "val_eval")
    print(", ".join(f"{k} {last[k]:.4f}" for k in ("mlm_loss", "mlm_acc", "nsp_acc") if k in last))
    print(f"final val loss: {last['loss']:.4f}")
    return 0


def run_pretrain_gpt(args):
    from .recipes.gpt import default_out_dir, pretrain_gpt
    from .train import TrainConfig
    out = args.out or default_out_dir("gpt", args.corpus)
    cfg = TrainConfig(iters=args.iters, lr=args.lr, min_lr=args.min_lr, warmup=args.warmup,
                      grad_accum=args.grad_accum, eval_interval=args.eval_interval, seed=args.seed,
                      out_dir=out, progress=not args.no_progress)
    overrides = {"dropout": args.dropout}
    if args.block_size:
        overrides["block_size"] = args.block_size
    model, tok, trainer = pretrain_gpt(args.corpus, args.tokenizer, args.preset, batch_size=args.batch_size,
                                       vocab_size=args.vocab_size, resume=args.resume, train_config=cfg,
                                       **overrides)
    print(f"checkpoint: {trainer.checkpoint_path}  loss curve: {out}/loss.png  log: {out}/log.jsonl")
    print(f"wall time: {trainer.wall_time:.1f} s")
    print(f"final val loss: {trainer.final_loss('val'):.4f}")
    return 0


def add_finetune(sub):
    p = sub.add_parser("finetune", help="finetune a model on a toy-world task")
    fam = p.add_subparsers(dest="family", required=True)
    g = fam.add_parser("gpt", help="the GPT paper's recipe: task head on the extract token + aux LM loss")
    g.add_argument("--task", default="sentiment",
                   choices=["sentiment", "acceptability", "paraphrase", "entailment", "similarity", "multiple_choice"])
    g.add_argument("--from", dest="checkpoint", default=None,
                   help="a pretrained GPT checkpoint; without it the same GPT starts from random weights")
    g.add_argument("--lm-weight", type=float, default=0.5, help="lambda of L_task + lambda * L_LM (0: no aux loss)")
    g.add_argument("--freeze-body", action="store_true", help="train only the task head")
    add_finetune_options(g, lr=5e-4)
    g.set_defaults(handler=run_finetune_gpt)
    b = fam.add_parser("bert", help="a task head on [CLS], on every token (ner) or on spans (qa)")
    b.add_argument("--task", default="sentiment",
                   choices=["sentiment", "acceptability", "pair", "paraphrase", "entailment", "similarity",
                            "choice", "multiple_choice", "ner", "qa"],
                   help="pair = paraphrase, choice = multiple_choice")
    b.add_argument("--from", dest="checkpoint", default=None,
                   help="a pretrained BERT checkpoint; without it the same BERT starts from random weights")
    b.add_argument("--preset", default="tiny", help="the BERT size without --from")
    b.add_argument("--n-eval", type=int, default=None, help="score on the first N dev and test examples only")
    add_finetune_options(b, lr=1e-3)
    b.set_defaults(handler=run_finetune_bert)
    from .recipes.t5_cli import add_finetune_t5
    add_finetune_t5(fam)


def run_finetune_bert(args):
    from .recipes.bert_finetune import finetune_bert
    scores, _ = finetune_bert(args.task, args.checkpoint, preset=args.preset, n_train=args.n_train,
                              n_eval=args.n_eval, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                              progress=not args.no_progress, out_dir=args.out)
    print_scores(scores)
    return 0


def add_probe(sub):
    p = sub.add_parser("probe", help="word-guessing probes: pretrained vs random init vs chance")
    fam = p.add_subparsers(dest="family", required=True)
    b = fam.add_parser("bert", help="score each candidate's pieces at [MASK] positions")
    b.add_argument("--checkpoint", required=True, help="a checkpoint written by `pretrain bert`")
    b.add_argument("--phenomenon", default=None, help="only the probes of one phenomenon (default: all)")
    b.set_defaults(handler=run_probe_bert)


def run_probe_bert(args):
    from .data import PHENOMENA, load_probes
    from .eval.probes import format_table
    from .recipes.bert import load_bert, probe_report
    probes = load_probes(args.phenomenon)
    model, tok = load_bert(args.checkpoint)
    report = probe_report(model, tok, probes)
    print(format_table(report, [p for p in PHENOMENA + ("all",) if p in report["chance"]]))
    return 0


def add_finetune_options(p, lr):
    p.add_argument("--n-train", type=int, default=None, help="use only the first N training examples")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="run directory for the log, loss curve and checkpoint")
    p.add_argument("--no-progress", action="store_true")


def print_scores(scores):
    for split, metrics in scores.items():
        print(f"{split}: " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))


def run_finetune_gpt(args):
    from .recipes.gpt_finetune import finetune_gpt
    scores, _ = finetune_gpt(args.task, args.checkpoint, lm_weight=args.lm_weight, n_train=args.n_train,
                             epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                             freeze_body=args.freeze_body, seed=args.seed, progress=not args.no_progress,
                             out_dir=args.out)
    print_scores(scores)
    return 0


def add_sample(sub):
    p = sub.add_parser("sample", help="generate text from a GPT checkpoint")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--prompt", default="\n")
    p.add_argument("--max-new-tokens", type=int, default=200)
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--top-p", type=float, default=None)
    p.add_argument("--greedy", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=run_sample)


def run_sample(args):
    from .generate import generate_text
    from .recipes.gpt import load_gpt
    model, tok = load_gpt(args.checkpoint)
    print(generate_text(model, tok, args.prompt, max_new_tokens=args.max_new_tokens,
                        temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
                        greedy=args.greedy, seed=args.seed))
    return 0


def add_quickstart(sub):
    p = sub.add_parser("quickstart", help="train small models end to end and show what they learned")
    p.add_argument("--fast", action="store_true", help="a much shorter run (for tests)")
    p.add_argument("--out", default="runs/quickstart")
    p.set_defaults(handler=run_quickstart)


def run_quickstart(args):
    from .recipes.quickstart import quickstart
    quickstart(out_dir=args.out, fast=args.fast)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="minitrans", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    add_quickstart(sub)
    add_pretrain(sub)
    add_finetune(sub)
    add_probe(sub)
    add_sample(sub)
    from .data.cli import add_subcommand as add_data
    add_data(sub)
    return parser


def main(argv=None):
    """Entry point of the `minitrans` console script and `python -m minitrans`."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"minitrans: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
