"""The `minitrans data` command: regenerate the toy-world data set or the shipped pretrained models,
or prepare the Shakespeare corpus.

    minitrans data toyworld                        # rewrite the repository's data/ (seed 0)
    minitrans data toyworld --out mydata --seed 3  # another world, elsewhere
    minitrans data pretrained [--family gpt]       # retrain data/pretrained/gpt.safetensors and bert.safetensors
    minitrans data shakespeare --out shakespeare.txt [--source plays.txt]
"""
from ..cli_options import POSITIVE_INT, SEED
from .toyworld import DEFAULT_CONFIG


def add_subcommand(subparsers):
    """Register `data` (with sub-commands `toyworld` and `shakespeare`) on an argparse subparsers object."""
    parser = subparsers.add_parser("data", help="make the toy-world data set or prepare a text corpus")
    sub = parser.add_subparsers(dest="data_command", required=True)

    toy = sub.add_parser("toyworld", help="generate the toy-world corpus, probes and tasks")
    toy.add_argument("--out", default=None, help="output folder (default: the repository's data/)")
    for name, value in DEFAULT_CONFIG.items():
        toy.add_argument("--" + name.replace("_", "-"), type=SEED if name == "seed" else POSITIVE_INT, default=value,
                         help=f"default {value}")
    toy.set_defaults(handler=run_toyworld)

    shipped = sub.add_parser("pretrained", help="retrain the small pretrained GPT and BERT shipped in data/pretrained/")
    shipped.add_argument("--family", choices=["gpt", "bert"], action="append",
                         help="only this model (repeatable; default: both)")
    shipped.add_argument("--out", default=None, help="output folder (default: the repository's data/pretrained/)")
    shipped.set_defaults(handler=run_pretrained)

    shake = sub.add_parser("shakespeare", help="write Shakespeare's works as one plain-text file")
    shake.add_argument("--out", required=True, help="the text file to write")
    shake.add_argument("--source", default=None,
                       help="a plain-text file to use instead of the `shakespeare` package's texts")
    shake.set_defaults(handler=run_shakespeare)
    return parser


def run_toyworld(args):
    from .toyworld import default_data_dir, write_dataset
    out = args.out if args.out is not None else default_data_dir()
    config = {name: getattr(args, name) for name in DEFAULT_CONFIG}
    path = write_dataset(out, **config)
    print(f"toy world (seed {args.seed}) written to {path}")
    return 0


def run_pretrained(args):
    from ..recipes.shipped import make_shipped
    for family in args.family or ["gpt", "bert"]:
        path = make_shipped(family, args.out)
        print(f"{family} written to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def run_shakespeare(args):
    from .corpus import prepare_shakespeare
    path = prepare_shakespeare(args.out, source=args.source)
    print(f"{path.stat().st_size} characters of Shakespeare written to {path}")
    return 0
