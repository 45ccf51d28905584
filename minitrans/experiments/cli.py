"""`minitrans experiment NAME [--quick] [--out DIR] [--seeds N]` and `minitrans experiment list`."""
from ..cli_options import POSITIVE_INT


def add_subcommand(sub):
    from . import STUDIES
    p = sub.add_parser("experiment", help="reproduce one of the lecture's results (`experiment list` names them)")
    p.add_argument("name", choices=sorted(STUDIES) + ["list"], metavar="NAME",
                   help="one of: " + ", ".join(sorted(STUDIES)) + "; or list")
    p.add_argument("--quick", action="store_true", help="the seconds-long size the tests run (numbers mean little)")
    p.add_argument("--out", default=None, help="output folder (default runs/experiments/NAME)")
    p.add_argument("--seeds", type=POSITIVE_INT, default=None, help="number of seeds (default: the study's)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(handler=run)


def run(args):
    from . import STUDIES, run_experiment
    if args.name == "list":
        for name, (_, what) in sorted(STUDIES.items()):
            print(f"{name:16s} {what}")
        return 0
    result = run_experiment(args.name, out_dir=args.out, quick=args.quick,
                            seeds=None if args.seeds is None else list(range(args.seeds)),
                            progress=not args.no_progress)
    if args.no_progress:
        print(result.markdown())
    return 0
