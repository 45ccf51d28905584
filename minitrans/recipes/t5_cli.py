"""The T5 commands: `minitrans pretrain t5` and `minitrans finetune t5` (multitask, single task, the three regimes).

Registered by cli.py with add_pretrain_t5(family_parsers) and add_finetune_t5(family_parsers); the
option types and groups are the other commands' (cli_options.py).
"""
from ..cli_options import (BATCH_SIZE, COUNT, DROPOUT, POSITIVE, POSITIVE_INT, SEED, add_run_options,
                           print_run_summary, run_config)
from ..data.mixing import MIXINGS
from ..data.text_to_text import TEXT_TASKS
from ..files import make_directory
from .runs import defaults_of
from .t5 import default_train_config, multitask_t5, pretrain_t5


def add_pretrain_t5(fam):
    """`minitrans pretrain t5`: span corruption, with the run options of every pretraining command."""
    d = defaults_of(pretrain_t5)
    t = fam.add_parser("t5", help="span corruption (noise density 0.15, mean span 3)")
    t.add_argument("--corpus", default=d["corpus"], help="toyworld, shakespeare, or a path to a text file")
    t.add_argument("--preset", default=d["preset"], help="tiny or mini (or small, base)")
    t.add_argument("--vocab-size", type=POSITIVE_INT, default=d["vocab_size"],
                   help="WordPiece vocabulary size (plus </s> and 100 sentinels)")
    t.add_argument("--batch-size", type=BATCH_SIZE, default=d["batch_size"])
    t.add_argument("--inputs-length", type=POSITIVE_INT, default=d["inputs_length"],
                   help="length of the corrupted inputs")
    t.add_argument("--dropout", type=DROPOUT, default=0.0)
    add_run_options(t, "t5", default_train_config)
    t.set_defaults(handler=run_pretrain_t5)


def run_pretrain_t5(args):
    out, cfg = run_config(args, default_train_config, "t5")
    _, _, trainer = pretrain_t5(args.corpus, args.preset, batch_size=args.batch_size, inputs_length=args.inputs_length,
                                vocab_size=args.vocab_size, resume=args.resume, train_config=cfg,
                                dropout=args.dropout)
    print_run_summary(trainer, out)
    return 0


def add_finetune_t5(fam):
    """`minitrans finetune t5`: multitask text to text (or one task), optionally after span corruption."""
    d = defaults_of(multitask_t5)
    t = fam.add_parser("t5", help="text to text: every task a prefix and an answer as text; several tasks "
                                  "mixed in one model, or one")
    t.add_argument("--tasks", default="all", help=f"comma-separated, from {','.join(TEXT_TASKS)}; or all")
    t.add_argument("--from", dest="checkpoint", default=None,
                   help="a T5 checkpoint (e.g. from `pretrain t5`); without it the same T5 starts from random weights")
    t.add_argument("--pretrain-iters", type=COUNT, default=0,
                   help="run span-corruption pretraining for this many steps first (pretrain then finetune, one command)")
    t.add_argument("--joint", action="store_true", help="mix span corruption into the batches from the start")
    t.add_argument("--mixing", default=d["mixing"], choices=MIXINGS)
    t.add_argument("--limit", type=POSITIVE_INT, default=d["limit"],
                   help="K: a task counts at most K examples in the mixing")
    t.add_argument("--temperature", type=POSITIVE, default=d["temperature"], help="for --mixing temperature")
    t.add_argument("--preset", default=d["preset"], help="the T5 size without --from")
    t.add_argument("--iters", type=POSITIVE_INT, default=d["iters"])
    t.add_argument("--batch-size", type=BATCH_SIZE, default=d["batch_size"])
    t.add_argument("--lr", type=POSITIVE, default=d["lr"])
    t.add_argument("--n-train", type=POSITIVE_INT, default=d["n_train"],
                   help="use only the first N training examples per task")
    t.add_argument("--n-eval", type=POSITIVE_INT, default=d["n_eval"], help="score on the first N test examples per task")
    t.add_argument("--beam-size", type=POSITIVE_INT, default=d["beam_size"],
                   help="beam search (default: greedy decoding)")
    t.add_argument("--seed", type=SEED, default=d["seed"])
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
    tasks = parse_tasks(args.tasks)
    out = make_directory(args.out or "runs/t5-multitask", "--out")
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
