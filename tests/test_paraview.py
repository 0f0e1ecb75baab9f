"""Our XDMF opens in ParaView the way a user opens it (Xdmf3ReaderT; the legacy reader segfaults)."""

import json
import subprocess
import sys

import pytest

from test_mesh import build

PV_SCRIPT = r"""
import json, sys
import numpy as np
from paraview.simple import Xdmf3ReaderT
from paraview import servermanager
from paraview.vtk.numpy_interface import dataset_adapter as dsa
r = Xdmf3ReaderT(FileName=[sys.argv[1]])
r.UpdatePipeline()
data = dsa.WrapDataObject(servermanager.Fetch(r))
regions = data.CellData["regions"]
parts = getattr(regions, "Arrays", [regions])
values = sorted({int(v) for a in parts if hasattr(a, "__len__") for v in np.unique(a)})
print(json.dumps({"arrays": list(r.CellData.keys()), "regions": values,
                  "bounds": list(r.GetDataInformation().GetBounds())}))
"""


@pytest.mark.paraview
def test_paraview_opens_mesh_with_tags(tmp_path):
    pytest.importorskip("paraview", reason="python3-paraview is in the runtime package list")
    g, sm = build("3d")
    path = tmp_path / "mesh.xdmf"
    sm.write(path)
    script = tmp_path / "pv.py"
    script.write_text(PV_SCRIPT)
    r = subprocess.run([sys.executable, str(script), str(path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert {"regions", "boundaries"} <= set(out["arrays"])
    assert set(sm.regions.values()) <= set(out["regions"])
    bounds = out["bounds"]
    assert bounds[1] == pytest.approx(g.width / 2) and bounds[3] == pytest.approx(g.depth / 2)
    assert bounds[5] == pytest.approx(g.thickness)
