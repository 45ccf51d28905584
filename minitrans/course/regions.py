"""Solution regions: the lines between nbgrader's `### BEGIN SOLUTION` and `### END SOLUTION`
markers in minitrans's source, each inside one function (its "place", `path::qualname`).

In the reference the markers are comments and change nothing. A handout replaces a region
(markers included) by a `raise NotImplementedError(...)`, or, in a kernel of minitrans/kernels/
named by the part, by a call to the reference of the same name (the student's code).
"""
import ast
import functools
from dataclasses import dataclass
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
MIN_STATEMENT = 12            # a statement shorter than this (`dx=-g`) says nothing by itself


@dataclass(frozen=True)
class Region:
    """The marked lines of one function: lines[begin] is the BEGIN marker, lines[end] the END marker."""
    path: str                 # under minitrans/, e.g. "functional/norm.py"
    function: str             # qualified name, e.g. "LSTMLayer.backward"
    begin: int
    end: int
    indent: str
    call: str                 # the function called with its own parameters, e.g. "adam_step(p, grad, ...)"

    @property
    def place(self):
        return f"{self.path}::{self.function}"


def function_spans(tree):
    """(qualified name, first line, last line, node) of every function, 1-based lines, outer ones first."""
    spans = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    spans.append((name, child.lineno, child.end_lineno, child))
                visit(child, name + ".")
    visit(tree, "")
    return spans


def call_of(node):
    """`name(a, b, c, key=key)`: the function called with its own parameters, in order."""
    args = node.args
    positional = [a.arg for a in args.posonlyargs + args.args]
    keywords = [f"{a.arg}={a.arg}" for a in args.kwonlyargs]
    return f"{node.name}({', '.join(positional + keywords)})"


def find_regions(path, relative):
    """The Regions of one source file (`relative`: its path under minitrans/), or a ValueError for
    markers that do not pair up or lie outside a function."""
    text = Path(path).read_text()
    lines = text.split("\n")
    marks = [(i, line.strip()) for i, line in enumerate(lines) if line.strip() in (BEGIN, END)]
    regions = []
    spans = function_spans(ast.parse(text)) if marks else []
    for k in range(0, len(marks), 2):
        pair = marks[k:k + 2]
        if len(pair) < 2 or pair[0][1] != BEGIN or pair[1][1] != END:
            raise ValueError(f"{relative}:{pair[0][0] + 1}: expected {BEGIN!r} then {END!r}, got {pair[0][1]!r} "
                             f"{'at the end of the file' if len(pair) < 2 else 'then ' + repr(pair[1][1])}")
        begin, end = pair[0][0], pair[1][0]
        inside = [s for s in spans if s[1] < begin + 1 <= s[2]]
        # the END marker is a comment, after the function's last statement (last) but before any other code
        if not inside or any(line.strip() and not line.strip().startswith("#") for line in lines[inside[-1][2]:end]):
            raise ValueError(f"{relative}:{begin + 1}: a solution region must lie inside one function")
        name, _, _, node = inside[-1]                          # the innermost function
        indent = lines[begin][:len(lines[begin]) - len(lines[begin].lstrip())]
        regions.append(Region(relative, name, begin, end, indent, call_of(node)))
    return regions


def package_regions(package):
    """place -> Region for every marked region under the package directory, one region per function."""
    package = Path(package)
    regions = {}
    for path in sorted(package.rglob("*.py")):
        for region in find_regions(path, path.relative_to(package).as_posix()):
            if region.place in regions:
                raise ValueError(f"{region.place}: one solution region per function, got two")
            regions[region.place] = region
    return regions


def computes(node):
    """True for a statement that computes something (an operator or a call), not plumbing such as
    `p = cache`, `return dx` or `pass`, which give nothing away."""
    return any(isinstance(n, (ast.BinOp, ast.UnaryOp, ast.Call, ast.Compare, ast.BoolOp, ast.AugAssign))
               for n in ast.walk(node))


def squeeze(text):
    """`text` without any whitespace: how statements are compared, so that layout cannot hide one."""
    return "".join(text.split())


@functools.lru_cache(maxsize=256)
def region_statements(source, begin, end):
    """The simple statements (assignments, returns, calls; not the headers of if/for) on the lines
    between begin and end (0-based marker lines) of `source` that compute something, whitespace removed."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.stmt) and begin < node.lineno - 1 < end and computes(node)
                and not isinstance(node, (ast.If, ast.For, ast.While, ast.With, ast.Try, ast.FunctionDef))):
            text = squeeze(ast.get_source_segment(source, node))
            if len(text) >= MIN_STATEMENT:
                found.add(text)
    return frozenset(found)


def solution_statements(package, regions):
    """Every statement of the given regions that no handout without them may contain anywhere."""
    package = Path(package)
    found = set()
    for region in regions:
        found |= region_statements((package / region.path).read_text(), region.begin, region.end)
    return found
