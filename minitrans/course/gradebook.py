"""grade_all: grade a class, one submission folder per student, into one CSV a gradebook imports:
a row per student (the folder's name), a column per part with its score, and the total."""
import csv
import io
import json
from pathlib import Path

from ..files import atomic_write_text
from .grade import DEFAULT_TIMEOUT, grade
from .handout import ASSIGNMENT_FILE
from .parts import find_parts


def submission_folders(directory):
    """The student folders under `directory` (those holding minitrans/), sorted by name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"expected a folder of submissions (one folder per student), got {directory}")
    folders = sorted(p for p in directory.iterdir() if (p / "minitrans").is_dir())
    if not folders:
        raise ValueError(f"expected folders holding minitrans/ (one per student) in {directory}, found none")
    return folders


def class_parts(folders, part_names):
    """The parts to grade: `part_names`, or the one assignment all the submissions' assignment.json name
    (a ValueError if they disagree: a student may have edited theirs)."""
    if part_names:
        return find_parts(part_names)
    seen = {tuple(json.loads((f / ASSIGNMENT_FILE).read_text()).get("parts", ())) if (f / ASSIGNMENT_FILE).is_file()
            else () for f in folders}
    if len(seen) != 1 or not next(iter(seen)):
        raise ValueError("the submissions' assignment.json do not name one same list of parts: give --parts")
    return find_parts(list(next(iter(seen))))


def grade_all(directory, out, part_names=None, timeout=DEFAULT_TIMEOUT, tests=None, progress=None):
    """Grade every submission under `directory` and write the CSV `out`. -> {student: report}.

    progress: called with (student, report) after each student."""
    folders = submission_folders(directory)
    parts = class_parts(folders, part_names)
    reports = {}
    for folder in folders:
        reports[folder.name] = grade(folder, [p.name for p in parts], timeout=timeout, tests=tests)
        if progress is not None:
            progress(folder.name, reports[folder.name])
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["student"] + [p.name for p in parts] + ["total"])
    for student, report in reports.items():
        writer.writerow([student] + [f"{r['score']:g}" for r in report["parts"]] + [f"{report['score']:g}"])
    atomic_write_text(out, table.getvalue())
    return reports
