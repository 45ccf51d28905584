"""The `minitrans` command line: quickstart, pretrain, finetune, probe, sample, data, embed, experiment, course."""
from __future__ import annotations

import signal
import sys

from .cli_options import (BATCH_SIZE, COUNT, DROPOUT, NON_NEGATIVE, POSITIVE, POSITIVE_INT, SEED, TOP_P,
                          ArgumentParser, add_finetune_options, add_run_options, finetune_out, int_in,
                          print_run_summary, print_scores, run_config)
from .models import GPT, GPTConfig, LSTMConfig, LSTMLM
from .recipes import bert, bert_finetune, causal_lm, gpt, gpt_finetune, lstm
from .recipes.runs import defaults_of
from .recipes.t5_cli import add_finetune_t5, add_pretrain_t5
from .tuning import tune_cpu

def add_lm_options(p, d, block_help):
    """`pretrain gpt` and `pretrain lstm`: corpus, tokenizer, size and batch of a left-to-right LM."""
    p.add_argument("--corpus", default=d["corpus"], help="toyworld, shakespeare, or a path to a text file")
    p.add_argument("--tokenizer", default=d["tokenizer"], choices=["char", "bpe"])
    p.add_argument("--vocab-size", type=POSITIVE_INT, default=d["vocab_size"], help="for --tokenizer bpe")
    p.add_argument("--preset", default=d["preset"])
    p.add_argument("--batch-size", type=BATCH_SIZE, default=d["batch_size"])
    p.add_argument("--block-size", type=POSITIVE_INT, default=None, help=block_help)


def add_pretrain(sub):
    p = sub.add_parser("pretrain", help="pretrain a model family on a corpus")
    fam = p.add_subparsers(dest="family", required=True)
    d = defaults_of(causal_lm.pretrain_causal_lm)
    g = fam.add_parser("gpt", help="next-token prediction")
    add_lm_options(g, d, "default: the preset's")
    g.add_argument("--grad-accum", type=POSITIVE_INT, default=None,
                   help="batches per optimizer step; default: the recipe's")
    g.add_argument("--dropout", type=DROPOUT, default=0.0)
    add_run_options(g, "gpt", causal_lm.default_train_config)
    g.set_defaults(handler=run_pretrain_lm, model_class=GPT, config_class=GPTConfig)
    r = fam.add_parser("lstm", help="next-token prediction with an LSTM (--reverse: right to left, ELMo's backward LM)")
    add_lm_options(r, d, "training window; default: the preset's")
    r.add_argument("--reverse", action="store_true", help="read the corpus right to left (a backward LM)")
    r.add_argument("--dropout", type=DROPOUT, default=0.0)
    add_run_options(r, "lstm", causal_lm.default_train_config)
    r.set_defaults(handler=run_pretrain_lm, model_class=LSTMLM, config_class=LSTMConfig)
    d = defaults_of(bert.pretrain_bert)
    b = fam.add_parser("bert", help="masked LM (80/10/10) + next sentence prediction on sentence pairs")
    b.add_argument("--corpus", default=d["corpus"], help="toyworld, or a text file: a sentence a line, "
                                                         "a blank line between documents")
    b.add_argument("--preset", default=d["preset"], help="tiny or mini (or base, large)")
    b.add_argument("--vocab-size", type=POSITIVE_INT, default=d["vocab_size"], help="WordPiece vocabulary size")
    b.add_argument("--batch-size", type=BATCH_SIZE, default=d["batch_size"])
    b.add_argument("--max-len", type=int_in(bert.MIN_MAX_LEN), default=d["max_len"],
                   help="longest packed pair [CLS] A [SEP] B [SEP]")
    b.add_argument("--mask-only", action="store_true", help="every chosen token becomes [MASK] (no 10/10)")
    b.add_argument("--no-nsp", action="store_true", help="masked LM only, no next sentence prediction")
    b.add_argument("--dropout", type=DROPOUT, default=d["dropout"])
    add_run_options(b, "bert", bert.default_train_config)
    b.set_defaults(handler=run_pretrain_bert)
    add_pretrain_t5(fam)


def run_pretrain_bert(args):
    out, cfg = run_config(args, bert.default_train_config, "bert")
    model, tok, trainer = bert.pretrain_bert(args.corpus, args.preset, args.vocab_size, batch_size=args.batch_size,
                                             max_len=args.max_len, mask_only=args.mask_only, nsp=not args.no_nsp,
                                             resume=args.resume, train_config=cfg, dropout=args.dropout)
    print_run_summary(trainer, out, ("mlm_loss", "mlm_acc", "nsp_acc"))
    return 0


def run_pretrain_lm(args):
    """`pretrain gpt` and `pretrain lstm`: pretrain_causal_lm with the family's model (--reverse is the LSTM's only)."""
    out, cfg = run_config(args, causal_lm.default_train_config, args.family)
    overrides = {"dropout": args.dropout}
    if args.block_size is not None:
        overrides["block_size"] = args.block_size
    if getattr(args, "reverse", False):
        overrides["reverse"] = True
    model, tok, trainer = causal_lm.pretrain_causal_lm(
        args.model_class, args.config_class, corpus=args.corpus, tokenizer=args.tokenizer, preset=args.preset,
        batch_size=args.batch_size, vocab_size=args.vocab_size, resume=args.resume, train_config=cfg, **overrides)
    print_run_summary(trainer, out)
    return 0


def add_lm_finetune(fam, name, finetune, description, from_help):
    """`finetune gpt` and `finetune lstm`: the same GPT-paper options for either left-to-right body."""
    d = defaults_of(finetune)
    p = fam.add_parser(name, help=description)
    p.add_argument("--task", default=d["task"], choices=sorted(gpt_finetune.KIND))
    p.add_argument("--from", dest="checkpoint", default=None, help=from_help)
    p.add_argument("--lm-weight", type=NON_NEGATIVE, default=d["lm_weight"],
                   help="lambda of L_task + lambda * L_LM (0: no aux loss)")
    p.add_argument("--freeze-body", action="store_true", help="train only the task head")
    add_finetune_options(p, d)
    p.set_defaults(handler=run_finetune_lm, finetune=finetune)


def add_finetune(sub):
    p = sub.add_parser("finetune", help="finetune a model on a toy-world task")
    fam = p.add_subparsers(dest="family", required=True)
    add_lm_finetune(fam, "gpt", gpt_finetune.finetune_gpt,
                    "the GPT paper's recipe: task head on the extract token + aux LM loss",
                    "a pretrained GPT checkpoint; without it the same GPT starts from random weights")
    add_lm_finetune(fam, "lstm", lstm.finetune_lstm,
                    "GPT's recipe on an LSTM LM: task head on the extract token + aux LM loss",
                    "a checkpoint written by `pretrain lstm`; without it the same LSTM starts from random weights")
    d = defaults_of(bert_finetune.finetune_bert)
    b = fam.add_parser("bert", help="a task head on [CLS], on every token (ner) or on spans (qa)")
    b.add_argument("--task", default=d["task"],
                   choices=sorted(bert_finetune.KIND) + sorted(bert_finetune.ALIASES),
                   help="pair = paraphrase, choice = multiple_choice")
    b.add_argument("--from", dest="checkpoint", default=None,
                   help="a pretrained BERT checkpoint; without it the same BERT starts from random weights")
    b.add_argument("--preset", default=d["preset"], help="the BERT size without --from")
    b.add_argument("--n-eval", type=POSITIVE_INT, default=d["n_eval"],
                   help="score on the first N dev and test examples only")
    add_finetune_options(b, d)
    b.set_defaults(handler=run_finetune_bert)
    add_finetune_t5(fam)


def run_finetune_bert(args):
    scores, _ = bert_finetune.finetune_bert(args.task, args.checkpoint, preset=args.preset, n_train=args.n_train,
                                            n_eval=args.n_eval, epochs=args.epochs, batch_size=args.batch_size,
                                            lr=args.lr, seed=args.seed, progress=not args.no_progress,
                                            out_dir=finetune_out(args))
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


def run_finetune_lm(args):
    """`finetune gpt` and `finetune lstm`: args.finetune is finetune_gpt or finetune_lstm."""
    scores, _ = args.finetune(args.task, args.checkpoint, lm_weight=args.lm_weight, n_train=args.n_train,
                              epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                              freeze_body=args.freeze_body, seed=args.seed, progress=not args.no_progress,
                              out_dir=finetune_out(args))
    print_scores(scores)
    return 0


def add_sample(sub):
    p = sub.add_parser("sample", help="generate text from a GPT checkpoint")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--prompt", default="\n")
    p.add_argument("--max-new-tokens", type=COUNT, default=200)
    p.add_argument("--temperature", type=POSITIVE, default=0.8)
    p.add_argument("--top-k", type=POSITIVE_INT, default=None, help="sample among the k most likely tokens")
    p.add_argument("--top-p", type=TOP_P, default=None, help="sample among the nucleus of this probability")
    p.add_argument("--greedy", action="store_true")
    p.add_argument("--seed", type=SEED, default=0)
    p.set_defaults(handler=run_sample)


def run_sample(args):
    from .generate import generate_text
    model, tok = gpt.load_gpt(args.checkpoint)
    print(generate_text(model, tok, args.prompt, max_new_tokens=args.max_new_tokens,
                        temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
                        greedy=args.greedy, seed=args.seed))
    return 0


def add_quickstart(sub):
    p = sub.add_parser("quickstart", help="what pretraining buys: the shipped GPT and BERT against random "
                                          "init and training from scratch, then a tiny T5 (a few minutes)")
    p.add_argument("--fast", action="store_true", help="a seconds-long smoke run (for tests)")
    p.add_argument("--out", default="runs/quickstart")
    p.set_defaults(handler=run_quickstart)


def run_quickstart(args):
    from .recipes.quickstart import quickstart
    quickstart(out_dir=args.out, fast=args.fast)
    return 0


def build_parser():
    parser = ArgumentParser(prog="minitrans", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    add_quickstart(sub)
    add_pretrain(sub)
    add_finetune(sub)
    add_probe(sub)
    add_sample(sub)
    from .data.cli import add_subcommand as add_data
    add_data(sub)
    from .interop.cli import add_subcommand as add_embed
    add_embed(sub)
    from .experiments.cli import add_subcommand as add_experiment
    add_experiment(sub)
    from .course.cli import add_subcommand as add_course
    add_course(sub)
    return parser


def main(argv=None):
    """Entry point of the `minitrans` console script and `python -m minitrans`.

    Returns 0 on success, 1 when training diverged (one line; the last good checkpoint stays),
    2 for bad input or too little memory (one line on stderr, no traceback), and 128 + the
    signal's number when Ctrl-C (SIGINT) or SIGTERM stopped a run (after saving its checkpoint)."""
    from .train import Diverged, Interrupted
    args = build_parser().parse_args(argv)
    tune_cpu()                            # the process-wide settings that make training fast (tuning.py)
    try:
        return args.handler(args)
    except Interrupted as e:
        print(f"minitrans: {stopped_message(e, args)}", file=sys.stderr)
        return 128 + signal.Signals[e.signal_name].value
    except KeyboardInterrupt:
        print("minitrans: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT.value
    except Diverged as e:
        print(f"minitrans: {e}", file=sys.stderr)
        return 1
    except (ValueError, OSError, ImportError) as e:
        print(f"minitrans: error: {describe(e)}", file=sys.stderr)
        return 2
    except MemoryError:
        print("minitrans: error: out of memory (try a smaller --batch-size or model)", file=sys.stderr)
        return 2


def stopped_message(e, args):
    """One line: where a stopped run was saved and how to continue it."""
    if e.checkpoint_path is None:
        return f"{e.signal_name}: stopped at step {e.step}, nothing saved (no --out)"
    how = "; run the same command with --resume to continue" if hasattr(args, "resume") else ""
    return f"{e.signal_name}: stopped at step {e.step}, checkpoint saved to {e.checkpoint_path}{how}"


def describe(error):
    """The message of an error as one line: an OSError names its file, a missing package how to get it."""
    if isinstance(error, OSError) and error.strerror and error.filename:
        return f"{error.filename}: {error.strerror}"
    if isinstance(error, ImportError) and error.name:
        return f"{error} (an optional package is missing: install it with pip)"
    return str(error)


if __name__ == "__main__":
    sys.exit(main())
