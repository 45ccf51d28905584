"""What every study's --quick test checks of its output (used by tests/test_experiment_*.py)."""
import json
import math
from pathlib import Path


def check_study(result, out_dir, low=-1.0, high=1.0, rows=None):
    """Every cell filled with finite numbers in [low, high], one per seed; the expected rows;
    table.md, results.json (complete) and every plot written under out_dir."""
    out = Path(out_dir)
    assert result.cells, "the study filled no cells"
    if rows is not None:
        assert list(result.cells) == list(rows), f"rows {list(result.cells)}, expected {list(rows)}"
    for row, cols in result.cells.items():
        assert set(cols) == set(result.columns), f"row {row!r} misses {set(result.columns) - set(cols)}"
        for col, values in cols.items():
            assert len(values) == len(result.seeds), f"{row}/{col}: {len(values)} values for {len(result.seeds)} seeds"
            for v in values:
                assert math.isfinite(v) and low <= v <= high, f"{row}/{col} = {v} not in [{low}, {high}]"
    saved = json.loads((out / "results.json").read_text())
    assert saved["cells"] == result.cells and saved["columns"] == result.columns
    assert saved["wall_time_s"] > 0 and saved["command"].startswith("minitrans experiment")
    table = (out / "table.md").read_text()
    for row in result.cells:
        assert f"| {row} |" in table
    assert result.plots, "the study wrote no plot"
    for plot in result.plots:
        assert Path(plot).exists() and Path(plot).stat().st_size > 1000 and Path(plot).suffix == ".png", plot
    return saved
