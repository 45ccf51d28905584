"""Homework from the reference: the parts a student writes, handouts without them, and a grader.

    parts.py     the table of parts: name, what the student writes, where, its test marker
    regions.py   the solution regions (nbgrader's `### BEGIN SOLUTION` / `### END SOLUTION`) in the source
    handout.py   make_assignment: a copy of the repository with the chosen parts' solutions removed
    grade.py     grade: each part's hidden tests against a handout, one subprocess per part
    cli.py       `minitrans course make-assignment | grade | parts`
"""
from .grade import grade
from .handout import make_assignment
from .parts import PARTS, find_parts

__all__ = ["PARTS", "find_parts", "make_assignment", "grade"]
