"""The documentation's generated references cover the code, and its notebook pages will execute
(the full build with every tutorial run is `make docs`, in CI)."""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import reference  # noqa: E402


def test_case_reference_lists_every_key_with_its_default_and_unit():
    from cqdfem.inputs import schema

    text = reference.cases_md()
    for table, keys in schema.CASE.items():
        assert f"### `[{table}]`" in text, table
        for key in keys:
            assert f"| `{key}` |" in text, f"{table}.{key}"
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| `")}
    assert "`state-filling`" in rows["`model`"] or "state-filling" in text
    assert "quantity in K" in rows["`reference_temperature`"] and "| 295 |" in rows["`reference_temperature`"]
    assert "quantity in s" in rows["`trion_auger_lifetime`"] and "trion" in rows["`trion_auger_lifetime`"]


def test_geometry_and_cli_references():
    from cqdfem.inputs import schema

    geo = reference.geometry_md()
    for key in schema.MESH:
        assert f"| `{key}` |" in geo
    assert "cells through the active film" in geo            # the field's own comment
    cli = reference.cli_md()
    for command in ("run", "check", "modes", "bands", "fdtr", "gain", "threshold", "kinetics", "mesh", "info"):
        assert f"## `cqdfem {command}`" in cli
    assert "--statistics" in cli


def test_every_notebook_page_executes_and_every_study_has_a_page():
    from cqdfem import verification

    pages = sorted((ROOT / "docs").glob("*/*.md"))
    notebooks = [p for p in pages if "{code-cell}" in p.read_text()]
    assert len(notebooks) >= 10
    for p in notebooks:
        assert p.read_text().startswith("---\njupytext:"), p       # else MyST-NB renders without running
    index = (ROOT / "docs" / "vv" / "index.md").read_text()
    pages = sorted((ROOT / "docs" / "vv").glob("*.md"))
    toctree = index[index.index("{toctree}"):].splitlines()
    for p in pages:
        if p.name != "index.md":
            assert f"({p.name})" in index and p.stem in toctree, p   # linked and in the toctree
    text = "".join(p.read_text() for p in pages)
    for name, study in verification.STUDIES.items():                 # every study is run by a page
        assert f"verification.{study.__name__}(" in text, name
    assert set(verification.STUDIES) == {
        "heat-interface-space", "heat-interface-time-bdf2", "slab-neff", "half-loaded-p2", "ridge-peer",
        "band-edges", "weak-grating", "fdtr-phase-p2", "loop-stop-time", "sobol-ishigami"}


def test_notebook_server_opens_a_tutorial_as_a_notebook(tmp_path):
    """`make notebook`'s server (JupyterLab with jupytext's contents manager) serves a tutorial page
    as a notebook with the python3 kernel."""
    import json
    import socket
    import subprocess
    import time
    import urllib.request

    import pytest

    pytest.importorskip("jupyterlab", reason="jupyterlab is in the runtime package list")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "jupyterlab", "--allow-root", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--IdentityProvider.token=", f"--notebook-dir={ROOT}",
           "--ServerApp.contents_manager_class=jupytext.TextFileContentsManager"]
    make = (ROOT / "Makefile").read_text()
    assert "jupytext.TextFileContentsManager" in make and "jupyter-lab" in make
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "log", "w"), cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}/api/contents/docs/tutorials/your-stack.md?type=notebook&content=1"
        for _ in range(300):
            try:
                nb = json.loads(urllib.request.urlopen(url, timeout=5).read())
                break
            except OSError:
                if server.poll() is not None:
                    raise AssertionError((tmp_path / "log").read_text()[-2000:])
                time.sleep(1)
        else:
            raise AssertionError("the notebook server never answered: " + (tmp_path / "log").read_text()[-2000:])
    finally:
        server.terminate()
        server.wait(timeout=60)
    cells = nb["content"]["cells"]
    assert nb["content"]["metadata"]["kernelspec"]["name"] == "python3"
    assert sum(c["cell_type"] == "code" for c in cells) >= 3
    assert any("workflows.run" in "".join(c["source"]) for c in cells)
