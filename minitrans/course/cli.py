"""`minitrans course`: make-assignment (a student's handout), grade (a handout's score per part), parts."""
import json

from ..files import atomic_write_json
from .grade import DEFAULT_TIMEOUT, format_line, format_report, grade
from .handout import make_assignment
from .parts import PARTS


def add_subcommand(sub):
    """Add `course` and its three commands to the `minitrans` parser."""
    p = sub.add_parser("course", help="homework: handouts without chosen parts, and their grading")
    commands = p.add_subparsers(dest="course_command", required=True)
    make = commands.add_parser("make-assignment", help="write a student's handout without the chosen parts")
    make.add_argument("name", help="the assignment's name")
    make.add_argument("--parts", required=True, help="comma-separated part names (see `minitrans course parts`)")
    make.add_argument("--out", required=True, help="a new folder for the handout")
    make.set_defaults(handler=run_make_assignment)
    g = commands.add_parser("grade", help="run each part's hidden tests against a handout and print the scores")
    g.add_argument("directory", help="the handout (a folder holding minitrans/)")
    g.add_argument("--parts", default=None, help="comma-separated part names (default: the handout's assignment)")
    g.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per part")
    g.add_argument("--json", default=None, help="also write the scores as JSON to this file ('-': print it)")
    g.add_argument("--tests", default=None, help="the part tests (default: tests/test_parts.py of this repository)")
    g.set_defaults(handler=run_grade)
    parts = commands.add_parser("parts", help="list the parts a student can be asked to write")
    parts.set_defaults(handler=run_parts)


def run_make_assignment(args):
    out = make_assignment(args.name, args.parts, args.out)
    print(f"handout {args.name!r} written to {out} (what to write: {out}/HANDOUT.md)")
    return 0


def run_grade(args):
    to_stdout = args.json == "-"
    report = grade(args.directory, args.parts, timeout=args.timeout, tests=args.tests,
                   progress=None if to_stdout else lambda r: print(format_line(r), flush=True))
    if to_stdout:
        print(json.dumps(report, indent=1))
        return 0
    print(format_report(report).split("\n")[-1])
    if args.json:
        atomic_write_json(args.json, report)
    return 0


def run_parts(args):
    for part in PARTS:
        print(f"{part.name:<30} {part.points:>3} points  {part.statement}")
    return 0
