"""Homework from the reference: the parts a student writes, handouts without them, and a grader.

    parts.py     the table of parts: name, what the student writes, where, its test marker
    regions.py   the solution regions (nbgrader's `### BEGIN SOLUTION` / `### END SOLUTION`) in the source
    handout.py   make_assignment: a copy of the repository with the chosen parts' solutions removed
    checks.py    check: a part's visible checks, for the student, in a handout
    trusted.py   the folder a part is graded in: the teacher's files and the submission's function bodies
    grade.py     grade: each part's hidden tests in its own isolated subprocess (plugin.py reports)
    gradebook.py grade_all: a class into one CSV
    cli.py       `minitrans course make-assignment | check | grade | grade-all | parts`
(docs/teaching.md tells the teacher how to use them.)
"""
from .grade import grade
from .gradebook import grade_all
from .handout import make_assignment
from .parts import PARTS, find_parts

__all__ = ["PARTS", "find_parts", "make_assignment", "grade", "grade_all"]
