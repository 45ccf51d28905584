"""Solution regions: the lines between nbgrader's `### BEGIN SOLUTION` and `### END SOLUTION`
markers in minitrans's source, each inside one function (its "place", `path::qualname`).

In the reference the markers are comments and change nothing. A handout replaces a region
(markers included) by a `raise NotImplementedError(...)`, or, in a kernel of minitrans/kernels/
named by the part, by a call to the reference of the same name (the student's code).
"""
import ast
import functools
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
MIN_DISTINCTIVE = 12          # a solution line shorter than this (`return dx`) says nothing by itself


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


@functools.lru_cache(maxsize=512)
def code_lines(source):
    """Each line of Python source without its comment, whitespace collapsed (a tuple; remembered, since
    every handout and scan reads the same files)."""
    lines = source.split("\n")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            row, col = token.start
            lines[row - 1] = lines[row - 1][:col]
    return tuple(" ".join(line.split()) for line in lines)


def distinctive_lines(package, regions):
    """The code lines of the given regions that occur nowhere else in the package's Python source, not
    even inside a longer line: what no handout without those regions may contain. Lines shorter than
    MIN_DISTINCTIVE are left out."""
    package = Path(package)
    removed, kept = set(), set()
    by_path = {}
    for region in regions:
        by_path.setdefault(region.path, []).append(region)
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        lines = code_lines(path.read_text())
        inside = set()
        for region in by_path.get(relative, ()):
            inside.update(range(region.begin + 1, region.end))
            removed.update(lines[i] for i in range(region.begin + 1, region.end))
        kept.update(line for i, line in enumerate(lines) if i not in inside)
    kept_text = "\n".join(kept)
    return {line for line in removed if len(line) >= MIN_DISTINCTIVE and line not in kept_text}
