"""build_trusted_copy: the folder one part of a submission is graded in, built from the teacher's files.

    work/minitrans/          the teacher's package, the part's places removed as in a handout, and the
                             bodies of the submission's functions of those places spliced in
    work/reference/functional/   the teacher's minitrans/functional (the tests' reference)
    work/tests/              the teacher's part tests
    work/plugin/grading_plugin.py   the grader's pytest plugin

Only the body of each function is taken from the submission (its signature, decorators and
defaults are the teacher's), and nothing else: not its other code, not its other files.
"""
import ast
import shutil
import textwrap
from pathlib import Path

from .handout import handout_source
from .regions import package_regions

TEACHER_PACKAGE = Path(__file__).resolve().parents[1]
PLUGIN = Path(__file__).with_name("plugin.py")


class SpliceError(ValueError):
    """The submission's function for a place cannot be read (no file, no such function, bad syntax)."""


def function_node(tree, qualname):
    """The function `qualname` ("Class.method" or "function") at the top of `tree`, or None."""
    node, nodes = None, tree.body
    for name in qualname.split("."):
        node = next((n for n in nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == name), None)
        if node is None:
            return None
        nodes = node.body
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def body_lines(node):
    """(first, last) 1-based lines of a function's body without its docstring, or None if it has none."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return (body[0].lineno, node.end_lineno) if body else None


def parse(path, label):
    try:
        return ast.parse(path.read_text(), filename=label)
    except FileNotFoundError:
        raise SpliceError(f"your {label} is missing") from None
    except (SyntaxError, UnicodeDecodeError) as e:
        raise SpliceError(f"your {label} does not compile: {e}") from None


def splice(target, submitted, relative, qualname):
    """Replace the body of `qualname` in the file `target` by its body in the file `submitted`."""
    label = f"minitrans/{relative}"
    node = function_node(parse(submitted, label), qualname)
    if node is None:
        raise SpliceError(f"your {label} has no function {qualname}")
    span = body_lines(node)
    lines = submitted.read_text().split("\n")
    body = ["pass"] if span is None else textwrap.dedent("\n".join(lines[span[0] - 1:span[1]])).split("\n")
    text = target.read_text()
    own = function_node(ast.parse(text), qualname)
    first, last = body_lines(own)
    indent = " " * own.body[-1].col_offset
    target_lines = text.split("\n")
    target_lines[first - 1:last] = [indent + line if line.strip() else line for line in body]
    spliced = "\n".join(target_lines)
    try:
        compile(spliced, label, "exec", dont_inherit=True)
    except SyntaxError as e:
        raise SpliceError(f"your {qualname} in {label} does not compile: {e}") from None
    target.write_text(spliced)


def build_trusted_copy(part, submission, tests, work):
    """Write the folder that grades `part` of the submission folder `submission` into the new folder `work`."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc")
    shutil.copytree(TEACHER_PACKAGE, work / "minitrans", ignore=ignore)
    shutil.copytree(TEACHER_PACKAGE / "functional", work / "reference" / "functional", ignore=ignore)
    (work / "tests").mkdir()
    shutil.copy(tests, work / "tests" / Path(tests).name)
    (work / "plugin").mkdir()
    shutil.copy(PLUGIN, work / "plugin" / "grading_plugin.py")
    regions = package_regions(TEACHER_PACKAGE)
    removed = {place: [part] for place in part.places}
    by_path = {}
    for region in regions.values():
        by_path.setdefault(region.path, []).append(region)
    for path, file_regions in by_path.items():
        target = work / "minitrans" / path
        target.write_text(handout_source(target.read_text(), file_regions, removed))
    for place in part.places:
        relative, qualname = place.split("::")
        if not relative.startswith("kernels/"):           # the kernels stay as in a handout
            splice(work / "minitrans" / relative, Path(submission) / "minitrans" / relative, relative, qualname)
