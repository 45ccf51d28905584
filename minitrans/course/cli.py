"""`minitrans course`: make-assignment (a handout), check (a part's visible checks, in a handout),
grade (a submission's score per part), grade-all (a class into one CSV), parts (the list)."""
import json

from ..cli_options import POSITIVE
from ..files import atomic_write_json
from .grade import DEFAULT_TIMEOUT, format_line, format_report, grade
from .gradebook import grade_all
from .handout import make_assignment
from .parts import PARTS, find_parts


def add_subcommand(sub):
    """Add `course` and its commands to the `minitrans` parser."""
    p = sub.add_parser("course", help="homework: handouts without chosen parts, their checks and grading")
    commands = p.add_subparsers(dest="course_command", required=True)
    make = commands.add_parser("make-assignment", help="write a student's handout without the chosen parts")
    make.add_argument("name", help="the assignment's name")
    make.add_argument("--parts", required=True, help="comma-separated part names (see `minitrans course parts`)")
    make.add_argument("--out", required=True, help="a new folder for the handout")
    make.set_defaults(handler=run_make_assignment)
    check = commands.add_parser("check", help="run the visible checks of one part on your code (in a handout)")
    check.add_argument("part", help="the part's name (see `minitrans course parts`)")
    check.set_defaults(handler=run_check)
    g = commands.add_parser("grade", help="run each part's hidden tests against a submission and print the scores")
    g.add_argument("directory", help="the submission (a folder holding minitrans/)")
    add_grading_options(g)
    g.add_argument("--json", default=None, help="also write the scores as JSON to this file ('-': print it)")
    g.set_defaults(handler=run_grade)
    every = commands.add_parser("grade-all", help="grade every submission of a class into one CSV")
    every.add_argument("directory", help="a folder holding one submission folder per student")
    every.add_argument("--out", required=True, help="the CSV to write: a row per student, a column per part")
    add_grading_options(every)
    every.set_defaults(handler=run_grade_all)
    parts = commands.add_parser("parts", help="list the parts a student can be asked to write")
    parts.add_argument("--readme", action="store_true", help="print the list as README.md's teachers' section has it")
    parts.set_defaults(handler=run_parts)


def add_grading_options(parser):
    parser.add_argument("--parts", default=None, help="comma-separated part names (default: the assignment's)")
    parser.add_argument("--timeout", type=POSITIVE, default=DEFAULT_TIMEOUT, help="seconds per part")
    parser.add_argument("--tests", default=None, help="the part tests (default: tests/test_parts.py of this repository)")


def run_make_assignment(args):
    out = make_assignment(args.name, args.parts, args.out)
    print(f"handout {args.name!r} written to {out} (what to write: {out}/HANDOUT.md)")
    return 0


def run_check(args):
    from .checks import run_checks            # imports the models: only when checking
    part = find_parts([args.part])[0]
    outcomes = run_checks(part)
    for what, why in outcomes:
        print(f"{'ok' if why is None else 'FAILED':<7} {what}" + ("" if why is None else f"\n        {why}"))
    failed = sum(why is not None for _, why in outcomes)
    if failed:
        print(f"hint: {part.hint}")
    print(f"{part.name}: {len(outcomes) - failed} of {len(outcomes)} visible checks pass "
          "(the grader's hidden tests check more)")
    return 1 if failed else 0


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


def run_grade_all(args):
    def progress(student, report):
        print(f"{student:<24} {report['score']:>6g} / {report['points']}", flush=True)
        for r in report["parts"]:
            if r["error"]:
                print(f"    {r['part']}: {r['error']}")
    grade_all(args.directory, args.out, args.parts, timeout=args.timeout, tests=args.tests, progress=progress)
    print(f"grades written to {args.out}")
    return 0


def readme_parts():
    """The list of parts as README.md's teachers' section has it (a test keeps the two equal)."""
    return "Parts: " + ", ".join(f"`{part.name}`" for part in PARTS) + "."


def run_parts(args):
    if args.readme:
        print(readme_parts())
        return 0
    for part in PARTS:
        print(f"{part.name:<30} {part.points:>3} points  {part.statement}")
    return 0
