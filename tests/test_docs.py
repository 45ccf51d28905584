"""README.md is a front page, and every path README.md and docs/ name exists from the repository root."""
import glob
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
TOP = ("minitrans", "tests", "docs", "data", "notebooks", "benchmarks", "tools", ".ci")
# a path that starts at one of the repository's top-level folders, anywhere in the text
ROOTED = re.compile(r"(?<![\w/.-])((?:%s)/[\w./*{},-]*)" % "|".join(re.escape(t) for t in TOP))
PLACEHOLDER = re.compile(r"[<{]|/(NAME|PART|DIR|PATH|N)(/|\.|$)")


def rooted_paths(text):
    """Each path in `text` that starts at a top-level folder, without trailing punctuation."""
    for match in ROOTED.finditer(text):
        path = match.group(1).split("::")[0].rstrip(".,:;)")
        if not PLACEHOLDER.search(path):
            yield path


def test_readme_is_a_front_page():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; the reference belongs in docs/"


def test_every_rooted_path_exists():
    missing = []
    for page in PAGES:
        for path in rooted_paths(page.read_text()):
            if not glob.glob(str(ROOT / path)):
                missing.append(f"{page.relative_to(ROOT)}: {path}")
    assert not missing, "paths that do not exist from the repository root:\n" + "\n".join(missing)


def test_source_files_are_named_from_the_root():
    """`norm.py` or `models/gpt.py` make a reader guess the folder: write minitrans/models/gpt.py."""
    short = []
    for page in PAGES:
        for token in re.findall(r"`([\w./-]+\.(?:py|ipynb))(?:::[\w\[\]*-]+)?`", page.read_text()):
            if not token.startswith(TOP) and token not in ("setup.py", "conftest.py"):   # pytest's own names
                short.append(f"{page.relative_to(ROOT)}: {token}")
    assert not short, "source files not written from the repository root:\n" + "\n".join(short)


def anchors(page):
    """The anchors GitHub gives the headings of a markdown page."""
    found = set()
    for heading in re.findall(r"^#+ (.+)$", page.read_text(), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_every_link_between_pages_resolves():
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if "://" in target:
                continue
            file, _, anchor = target.partition("#")
            linked = (page.parent / file).resolve() if file else page
            if not linked.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)
