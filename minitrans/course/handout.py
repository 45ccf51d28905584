"""make_assignment: a student's handout, a copy of the minitrans repository without the chosen parts.

In the copy, each place of a chosen part (parts.py: its functions, and those that would give it
away) has its marked region replaced by `raise NotImplementedError(...)` (the signature and the
docstring, which says only what goes in and out, stay), except in a kernel named by the part, whose
region becomes a call to the reference of the same name in minitrans/functional/, so that the
default "numba" backend runs the student's code too. The other parts' regions stay, without their
markers. Left out of the copy: the tests (the hidden tests are the teacher's), the assignment
notebooks (they go through nbgrader), .git, runs/ and every cache. A line of docs or notebooks that
holds a statement of a removed solution is dropped; then every text file is scanned for those
statements, whitespace ignored, and a handout that still holds one is not written (LeakError).
"""
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from ..files import atomic_write_json, atomic_write_text
from .parts import find_parts
from .regions import package_regions, solution_statements, squeeze

SKIPPED_NAMES = {".git", "runs", "__pycache__", ".pytest_cache", ".ipynb_checkpoints", "build", "dist",
                 ".mypy_cache", "tests"}                 # tests/: the hidden tests stay with the teacher
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".nbi", ".nbc", ".egg-info")
SKIPPED_PATHS = {"notebooks/assignments"}                # their solutions go out through nbgrader
ASSIGNMENT_FILE = "assignment.json"


def reference_root():
    """The repository this minitrans runs from (its parent folder), or a ValueError if it is not one."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "setup.cfg").is_file() or not (root / "minitrans").is_dir():
        raise ValueError(f"expected the minitrans repository (setup.cfg beside minitrans/) at {root}; "
                         "the course commands run from a clone of the repository")
    return root


def skipped(relative):
    """True for what a handout leaves out (relative: a path relative to the repository root)."""
    return (relative.name in SKIPPED_NAMES or relative.name.endswith(SKIPPED_SUFFIXES)
            or relative.as_posix() in SKIPPED_PATHS)


def copy_tree(source, target):
    """Copy the repository into `target`, leaving out what `skipped` says."""
    for folder, dirs, files in os.walk(source):
        here = Path(folder).relative_to(source)
        dirs[:] = sorted(d for d in dirs if not skipped(here / d))
        (target / here).mkdir(parents=True, exist_ok=True)
        for name in files:
            if not skipped(here / name):
                shutil.copy2(Path(folder) / name, target / here / name)


def replacement(region, parts, delegate):
    """The lines that stand for a removed region."""
    part = parts[0]
    if delegate:
        return [f"{region.indent}# this handout leaves {part.name} to you: your reference in "
                "minitrans/functional/ runs instead of this kernel",
                f"{region.indent}from .. import functional",
                f"{region.indent}return functional.{region.call}"]
    message = f"part {part.name}: write {part.statement} (see the docstring)"
    return [f"{region.indent}raise NotImplementedError({message!r})"]


def handout_source(text, regions, removed):
    """The source of one file with its removed regions replaced and the markers of the others dropped.

    removed: place -> the chosen parts that claim it."""
    lines = text.split("\n")
    for region in sorted(regions, key=lambda r: -r.begin):
        parts = removed.get(region.place)
        if parts is None:
            del lines[region.end]
            del lines[region.begin]
            continue
        function = region.function.rsplit(".", 1)[-1]
        delegate = region.path.startswith("kernels/") and any(function in p.kernels for p in parts)
        lines[region.begin:region.end + 1] = replacement(region, parts, delegate)
    return "\n".join(lines)


class LeakError(RuntimeError):
    """A handout would hold a statement of a removed solution: it is not written."""


def solution_pattern(statements):
    """A regex that finds any of `statements` (whitespace removed) inside a text with its whitespace removed."""
    return re.compile("|".join(re.escape(s) for s in sorted(statements, key=len, reverse=True)))


def text_of(path):
    """The text of a file, or None for a binary one (not UTF-8, or holding NUL bytes)."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def notebook_strings(node):
    """Every string in a notebook's JSON (sources, outputs, metadata)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        strings = [item for item in node if isinstance(item, str)]
        if strings and len(strings) == len(node):     # a cell's source, line by line: one text
            yield "".join(strings)
            return
        for item in node:
            yield from notebook_strings(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from notebook_strings(item)


def leaks_in(text, pattern):
    """(line number, statement) of each match of `pattern` in `text`, compared without whitespace."""
    squeezed, line_of, line = [], [], 1
    for char in text:
        if char == "\n":
            line += 1
        if not char.isspace():
            squeezed.append(char)
            line_of.append(line)
    return [(line_of[m.start()], m.group()) for m in pattern.finditer("".join(squeezed))]


def find_leaks(directory, statements):
    """Every `path:line: statement` where a text file under `directory` (Python, Markdown, notebooks,
    anything) holds one of `statements`, whitespace ignored, even across lines. Notebooks are read
    string by string (sources, outputs), as their JSON escapes quotes and newlines."""
    if not statements:
        return []
    pattern = solution_pattern(statements)
    found = []
    for path in sorted(p for p in Path(directory).rglob("*") if p.is_file()):
        text = text_of(path)
        if text is None:
            continue
        texts = [text]
        if path.suffix == ".ipynb":
            try:
                texts = list(notebook_strings(json.loads(text)))
            except ValueError:
                pass
        for chunk in texts:
            found += [f"{path.relative_to(directory)}:{line}: {statement}" for line, statement in leaks_in(chunk, pattern)]
    return found


def strip_lines(text, pattern):
    """`text` without the lines in which `pattern` finds a solution line."""
    return "\n".join(line for line in text.split("\n") if not pattern.search(squeeze(line)))


def strip_notebook(text, pattern):
    """A notebook's JSON with the solution lines dropped from every cell's source and text outputs."""
    notebook = json.loads(text)

    def clean(node):
        if isinstance(node, str):
            return strip_lines(node, pattern)
        if isinstance(node, list) and all(isinstance(item, str) for item in node):    # a source, line by line
            return [item for item in node if not pattern.search(squeeze(item))]
        if isinstance(node, list):
            return [clean(item) for item in node]
        if isinstance(node, dict):
            return {key: clean(value) for key, value in node.items()}
        return node
    return json.dumps(clean(notebook), ensure_ascii=False, indent=1) + "\n"


def strip_copies(directory, package, pattern):
    """Drop solution lines from every text file of the handout outside the package's own sources."""
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if path.suffix == ".py" and package in path.parents:
            continue
        text = text_of(path)
        if text is None or not any(pattern.search(squeeze(line)) for line in text.split("\n")):
            continue
        path.write_text(strip_notebook(text, pattern) if path.suffix == ".ipynb" else strip_lines(text, pattern))


def handout_readme(name, parts):
    """HANDOUT.md: what to write, where, how to check it."""
    lines = [f"# {name}", "", "Write these parts of minitrans. Each one raises NotImplementedError until you do;",
             "the docstring above it says what goes in and what comes out, with the shapes.", ""]
    for part in parts:
        places = ", ".join(f"`minitrans/{p.replace('::', '` `')}`" for p in part.places
                           if not p.startswith("kernels/"))
        lines += [f"## {part.name} ({part.points} points)", "", f"Write {part.statement}: {places}.", ""]
    lines += ["Check a part before you submit it with `minitrans course check PART` (run it in this folder):",
              "it says which gradient or statistic is off. Only the bodies of these functions are graded, so",
              "keep your code inside them. Your code runs on both backends: in this handout the Numba kernel of",
              "a part you write hands its call to your function.", ""]
    return "\n".join(lines)


def make_assignment(name, part_names, out, source=None):
    """Write a handout named `name` without the parts `part_names` into the new folder `out`.

    source: the repository to copy (default: the one this minitrans runs from).
    Returns out as a Path. Raises ValueError for an unknown part, an existing non-empty `out`,
    or a part whose places have no marked region."""
    parts = find_parts(part_names)
    source = Path(source) if source is not None else reference_root()
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"--out must be a new or empty folder, got {out} which holds files")
    if not name or "/" in name:
        raise ValueError(f"expected an assignment name without '/', got {name!r}")
    regions = package_regions(source / "minitrans")
    removed = {}
    for part in parts:
        for place in part.places:
            if place not in regions:
                raise ValueError(f"part {part.name}: {place} has no {'### BEGIN SOLUTION'} region in {source}")
            removed.setdefault(place, []).append(part)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        copy_tree(source, work)
        by_path = {}
        for region in regions.values():
            by_path.setdefault(region.path, []).append(region)
        for path, file_regions in by_path.items():
            target = work / "minitrans" / path
            target.write_text(handout_source(target.read_text(), file_regions, removed))
        solution = solution_statements(source / "minitrans", [regions[p] for p in removed])
        strip_copies(work, work / "minitrans", solution_pattern(solution))
        leaks = find_leaks(work, solution)
        if leaks:
            raise LeakError(f"the handout would hold {len(leaks)} statement(s) of a removed solution, so it "
                            "is not written (name the file's function as a place of the part in "
                            "minitrans/course/parts.py, or rewrite it): " + "; ".join(leaks[:5]))
        atomic_write_json(work / ASSIGNMENT_FILE, {"name": name, "parts": [p.name for p in parts]})
        atomic_write_text(work / "HANDOUT.md", handout_readme(name, parts))
        if out.exists():
            out.rmdir()
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return out
