"""The T5 commands: `minitrans pretrain t5` and `minitrans finetune t5` (multitask, single task, the three regimes).

Registered by cli.py with add_pretrain_t5(family_parsers) and add_finetune_t5(family_parsers).
"""
from ..data.mixing import MIXINGS
from ..data.text_to_text import TEXT_TASKS


def add_pretrain_t5(fam, add_run_options):
    t = fam.add_parser("t5", help="span corruption (noise density 0.15, mean span 3)")
    t.add_argument("--corpus", default="toyworld", help="toyworld, shakespeare, or a path to a text file")
    t.add_argument("--preset", default="mini", help="tiny or mini (or small, base)")
    t.add_argument("--vocab-size", type=int, default=1000, help="WordPiece vocabulary size (plus </s> and 100 sentinels)")
    t.add_argument("--iters", type=int, default=2000)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--inputs-length", type=int, default=64, help="length of the corrupted inputs")
    add_run_options(t, "t5", lr=3e-3, min_lr=3e-4)
    t.set_defaults(handler=run_pretrain_t5)


def run_pretrain_t5(args):
    from ..train import TrainConfig
    from .gpt import default_out_dir
    from .t5 import pretrain_t5
    out = args.out or default_out_dir("t5", args.corpus)
    cfg = TrainConfig(iters=args.iters, lr=args.lr, min_lr=args.min_lr, warmup=args.warmup, weight_decay=0.01,
                      eval_interval=args.eval_interval, eval_iters=10, seed=args.seed, out_dir=out,
                      progress=not args.no_progress)
    model, tok, trainer = pretrain_t5(args.corpus, args.preset, batch_size=args.batch_size,
                                      inputs_length=args.inputs_length, vocab_size=args.vocab_size,
                                      resume=args.resume, train_config=cfg, dropout=args.dropout)
    print(f"checkpoint: {trainer.checkpoint_path}  loss curve: {out}/loss.png  log: {out}/log.jsonl")
    print(f"wall time: {trainer.wall_time:.1f} s")
    print(f"final val loss: {trainer.final_loss('val'):.4f}")
    return 0


def add_finetune_t5(fam):
    t = fam.add_parser("t5", help="text to text: every task a prefix and an answer as text; several tasks "
                                  "mixed in one model, or one")
    t.add_argument("--tasks", default="all", help=f"comma-separated, from {','.join(TEXT_TASKS)}; or all")
    t.add_argument("--from", dest="checkpoint", default=None,
                   help="a T5 checkpoint (e.g. from `pretrain t5`); without it the same T5 starts from random weights")
    t.add_argument("--pretrain-iters", type=int, default=0,
                   help="run span-corruption pretraining for this many steps first (pretrain then finetune, one command)")
    t.add_argument("--joint", action="store_true", help="mix span corruption into the batches from the start")
    t.add_argument("--mixing", default="proportional", choices=MIXINGS)
    t.add_argument("--limit", type=int, default=None, help="K: a task counts at most K examples in the mixing")
    t.add_argument("--temperature", type=float, default=1.0, help="for --mixing temperature")
    t.add_argument("--preset", default="mini", help="the T5 size without --from")
    t.add_argument("--iters", type=int, default=3000)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--n-train", type=int, default=None, help="use only the first N training examples per task")
    t.add_argument("--n-eval", type=int, default=200, help="score on the first N test examples per task")
    t.add_argument("--beam-size", type=int, default=None, help="beam search (default: greedy decoding)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", default=None, help="run directory (default runs/t5-multitask)")
    t.add_argument("--resume", action="store_true")
    t.add_argument("--no-progress", action="store_true")
    t.set_defaults(handler=run_finetune_t5)


def parse_tasks(text):
    tasks = list(TEXT_TASKS) if text == "all" else [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in tasks if t not in TEXT_TASKS]
    if unknown or not tasks:
        raise ValueError(f"unknown tasks {unknown}; choose from {list(TEXT_TASKS)} or all")
    return tasks


def run_finetune_t5(args):
    from .t5 import multitask_t5, pretrain_t5
    tasks = parse_tasks(args.tasks)
    out = args.out or "runs/t5-multitask"
    checkpoint = args.checkpoint
    if args.pretrain_iters:
        if checkpoint:
            raise ValueError("--pretrain-iters starts from random weights; it cannot be combined with --from")
        _, _, pre = pretrain_t5(preset=args.preset, iters=args.pretrain_iters, batch_size=args.batch_size,
                                out_dir=out + "-pretrain", progress=not args.no_progress)
        checkpoint = str(pre.checkpoint_path)
        print(f"pretrained: {checkpoint} (val loss {pre.final_loss('val'):.4f})")
    scores, _, _, trainer = multitask_t5(tasks, checkpoint, preset=args.preset, iters=args.iters,
                                         batch_size=args.batch_size, mixing=args.mixing, limit=args.limit,
                                         temperature=args.temperature, joint=args.joint, n_train=args.n_train,
                                         n_eval=args.n_eval, beam_size=args.beam_size, lr=args.lr, seed=args.seed,
                                         out_dir=out, resume=args.resume, progress=not args.no_progress)
    print("mixing rates: " + ", ".join(f"{t} {r:.3f}" for t, r in trainer.rates.items()))
    print(f"wall time: {trainer.wall_time:.1f} s")
    for task, metrics in scores.items():
        print(f"{task}: " + ", ".join(f"{k} {v:.4f}" if k != "unparsed" else f"unparsed {int(v)}"
                                      for k, v in metrics.items()))
    return 0
