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


PV_MODES = r"""
import json, sys
import numpy as np
from paraview.simple import Xdmf3ReaderT
from paraview import servermanager
from vtkmodules.util.numpy_support import vtk_to_numpy
r = Xdmf3ReaderT(FileName=[sys.argv[1]])
r.UpdatePipeline(0.0)
d = servermanager.Fetch(r)                  # one block per function (DOLFINx writes a grid each)
blocks = [d.GetBlock(i) for i in range(d.GetNumberOfBlocks())]
grid = next(b for b in blocks if b.GetPointData().GetArray("intensity") is not None)
I = vtk_to_numpy(grid.GetPointData().GetArray("intensity"))
y = vtk_to_numpy(grid.GetPoints().GetData())[:, 1]
print(json.dumps({"arrays": list(r.PointData.keys()), "peak_y": float(y[np.argmax(I)]), "peak": float(I.max()),
                  "bounds": list(r.GetDataInformation().GetBounds())}))
"""


@pytest.mark.paraview
def test_paraview_opens_vector_mode_fields(tmp_path):
    pytest.importorskip("paraview", reason="python3-paraview is in the runtime package list")
    from cqdfem import optics, vectormodes as vm

    slab = optics.Slab(1.52, (("film", 200e-9, 1.97),), 1.0)
    sec = vm.from_slab(slab, 630e-9, symmetry="pec", side_wall="pec")
    res = vm.vector_modes(sec, count=1, keep_fields=True)
    path = tmp_path / "modes.xdmf"
    vm.write_modes(path, sec, res.modes)
    script = tmp_path / "pv.py"
    script.write_text(PV_MODES)
    r = subprocess.run([sys.executable, str(script), str(path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert {"E_t", "E_z", "intensity"} <= set(out["arrays"])
    assert out["peak"] == pytest.approx(1.0) and 0 < out["peak_y"] < 200e-9       # TE0 peaks in the film
    assert out["bounds"][2] == pytest.approx(sec.box[2]) and out["bounds"][3] == pytest.approx(sec.box[3])


PV_VTX = r"""
import json, sys
import numpy as np
from mpi4py import MPI          # ParaView's ADIOS2 reader asks MPI for its size: initialise it first
from paraview.simple import ADIOS2VTXReader
from paraview import servermanager
from vtkmodules.util.numpy_support import vtk_to_numpy
r = ADIOS2VTXReader(FileName=sys.argv[1])
times = list(r.TimestepValues)
r.UpdatePipeline(times[-1])
d = servermanager.Fetch(r)
while not hasattr(d, "GetPointData"):          # multiblock / multipiece wrappers around one grid
    d = d.GetBlock(0) if hasattr(d, "GetBlock") else d.GetPiece(0)
T = vtk_to_numpy(d.GetPointData().GetArray("temperature"))
print(json.dumps({"arrays": list(r.PointData.keys()), "times": times, "max_last": float(T.max())}))
"""


@pytest.mark.paraview
def test_paraview_opens_vtx_temperature(tmp_path, cli):
    # output.field_format = "both": the same snapshots as temperature.xdmf, in ADIOS2 VTX (.bp)
    pytest.importorskip("paraview", reason="python3-paraview is in the runtime package list")
    out = tmp_path / "run"
    r = cli("run", "cases/flagship-3d.toml", "-o", out, "-q", "--set", 'thermal.end_time="0.1 us"',
            "--set", 'output.field_format="both"', "--set", 'thermal.output_times=["0.05 us", "0.1 us"]')
    assert r.returncode == 0, r.stderr
    assert (out / "temperature.bp").is_dir() and (out / "temperature.xdmf").exists()
    script = tmp_path / "pv.py"
    script.write_text(PV_VTX)
    p = subprocess.run([sys.executable, str(script), str(out / "temperature.bp")], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    got = json.loads(p.stdout.strip().splitlines()[-1])
    summary = json.loads((out / "summary.json").read_text())
    assert "temperature" in got["arrays"] and got["times"] == pytest.approx([0.0, 5e-8, 1e-7])   # with t = 0
    assert got["max_last"] == pytest.approx(summary["film_max_temperature_K"], rel=1e-12)
