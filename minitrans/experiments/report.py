"""What every study returns and writes: a table of numbers (mean ± std over seeds), its JSON, its plots.

A study fills a StudyResult: rows (the compared settings) by columns (tasks or metrics), each
cell the list of one number per seed. write_result prints the markdown table and writes
table.md, results.json (every number, every seed) and lists the plots, all under one folder.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..files import atomic_write_text, make_directory


@dataclass
class StudyResult:
    """One study's numbers: cells[row][column] = [value for each seed]."""
    name: str
    title: str
    columns: list
    seeds: list
    command: str
    cells: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)      # sentences printed under the table
    plots: list = field(default_factory=list)      # paths of the PNGs written
    extra: dict = field(default_factory=dict)      # any other numbers the JSON should keep
    wall_time: float = 0.0

    def add(self, row, column, value):
        """Record one seed's value of (row, column)."""
        if column not in self.columns:
            raise ValueError(f"column must be one of {self.columns}, got {column!r}")
        self.cells.setdefault(row, {}).setdefault(column, []).append(float(value))

    def mean(self, row, column):
        """The mean over seeds of one cell (nan if the cell is empty)."""
        values = self.cells.get(row, {}).get(column, [])
        return float(np.mean(values)) if values else float("nan")

    def std(self, row, column):
        """The standard deviation over seeds of one cell (0 for one seed, nan if empty)."""
        values = self.cells.get(row, {}).get(column, [])
        return float(np.std(values, ddof=1)) if len(values) > 1 else (0.0 if values else float("nan"))

    def beats(self, better, other, column):
        """Whether row `better` beats row `other` in `column` on every seed: its worst seed above the
        other's best (no overlap), the standard by which the studies call a claim shown."""
        a, b = self.cells.get(better, {}).get(column, []), self.cells.get(other, {}).get(column, [])
        if not a or not b:
            raise ValueError(f"no values for {better!r} or {other!r} in column {column!r}")
        return min(a) > max(b)

    def verdict(self, better, other, column):
        """A sentence: 'better > other on column: shown (worst seed 0.51 vs best 0.38)' or 'not shown'."""
        a, b = self.cells[better][column], self.cells[other][column]
        word = "shown" if self.beats(better, other, column) else "not shown"
        return (f"{better} > {other} on {column}: {word} (worst seed {min(a):.2f} vs best seed "
                f"{max(b):.2f})")

    def markdown(self):
        """The table as markdown: mean, and ± the standard deviation over seeds when there are several."""
        lines = ["| | " + " | ".join(self.columns) + " |", "|---|" + "---:|" * len(self.columns)]
        for row, cols in self.cells.items():
            lines.append(f"| {row} | " + " | ".join(format_cell(cols.get(c, [])) for c in self.columns) + " |")
        return "\n".join(lines)

    def to_json(self):
        """Every number of the study, for results.json."""
        return {"name": self.name, "title": self.title, "command": self.command, "seeds": self.seeds,
                "wall_time_s": round(self.wall_time, 1), "columns": self.columns,
                "cells": self.cells,
                "means": {r: {c: self.mean(r, c) for c in self.columns} for r in self.cells},
                "notes": self.notes, "plots": [Path(p).name for p in self.plots], "extra": self.extra}


def format_cell(values):
    """'0.83' for one seed, '0.83 ± 0.02' for several, '' for none."""
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return ""
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f}"


def write_result(result, out_dir, echo=True):
    """Write table.md and results.json under out_dir (created), and print the table if echo."""
    out = Path(make_directory(out_dir, "out_dir"))
    text = [f"## {result.title}", "", result.markdown(), ""]
    text += [f"- {note}" for note in result.notes]
    text += ["", f"Command: `{result.command}`; seeds {result.seeds}; wall time {result.wall_time:.0f} s."]
    if result.plots:
        text += ["", "Plots: " + ", ".join(Path(p).name for p in result.plots)]
    atomic_write_text(out / "table.md", "\n".join(text) + "\n")
    atomic_write_text(out / "results.json", json.dumps(result.to_json(), indent=1) + "\n")
    if echo:
        print("\n".join(text))
    return out


def runs_bar(total, desc, progress=True):
    """A progress bar over a study's runs (tqdm): call .update() after each run, .close() at the end."""
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, disable=not progress, dynamic_ncols=True)
