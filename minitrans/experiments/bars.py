"""A study's table drawn as grouped bars: a group per column, a bar per row, error bars the std over seeds."""
from pathlib import Path

from ..files import make_directory
from ..plot import plot_bars


def plot_table(result, path, rows=None, columns=None, ylabel="score", title=None):
    """Write the PNG of result's mean ± std (over seeds) for `rows` x `columns` (default: all),
    add its path to result.plots and return it."""
    rows = list(result.cells) if rows is None else rows
    columns = result.columns if columns is None else columns
    means = {r: {c: result.mean(r, c) for c in columns} for r in rows}
    stds = {r: {c: result.std(r, c) for c in columns} for r in rows}
    make_directory(Path(path).parent, "out_dir")
    written = plot_bars(means, Path(path), ylabel=ylabel, title=title or result.title, errors=stds)
    result.plots.append(written)
    return written
