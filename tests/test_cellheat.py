"""The pillar layer's conductivity from its resolved 3D unit cell (cqdfem.cellheat) against closed
forms: Rayleigh's square array in-plane, parallel mixing cross-plane, the Wiener bounds."""

import pytest
from mpi4py import MPI

from cqdfem import cellheat as ch
from cqdfem.geometry import load_geometry

from conftest import ROOT

CELL = ch.Cell(430e-9, 160e-9, 130e-9, 1.4, 0.24)      # SiO2 pillars in a CQD host (dfb-mgf2.toml)


def test_layer_alone_against_rayleigh_and_parallel_mixing():
    errs = []
    for cells in (3, 6):
        r = ch.conductivity(CELL, cells=cells, comm=MPI.COMM_SELF)
        errs.append(abs(r["in_plane_W_mK"] / ch.rayleigh(CELL.fraction, 1.4, 0.24) - 1))
        # columns in parallel: exact for flat isotherms (only the curved wall's geometry is approximate)
        par = CELL.fraction * 1.4 + (1 - CELL.fraction) * 0.24
        assert r["cross_plane_alone_W_mK"] == pytest.approx(par, rel=1e-4)
    assert errs[1] < 1e-4 and errs[1] < errs[0]
    # the effective medium's in-plane value (mean of the bounds) is 12 % above the resolved one
    em_in, _ = ch.effective_medium(CELL.fraction, 1.4, 0.24)
    assert em_in / r["in_plane_W_mK"] - 1 == pytest.approx(0.125, abs=0.005)


def test_in_situ_constriction_lowers_the_cross_plane_conductivity():
    """Between a better (MgF2) and a worse (CQD) conductor the heat must crowd into the pillars:
    k_z in situ lies between the series and parallel bounds, below parallel."""
    cell = ch.from_geometry(load_geometry(ROOT / "geometries" / "dfb-mgf2.toml"))
    assert cell.below[0] == (430e-9, 30.0) and cell.above[0][1] == 0.24
    r = ch.conductivity(cell, cells=4, comm=MPI.COMM_SELF)
    ser = 1 / (cell.fraction / 1.4 + (1 - cell.fraction) / 0.24)
    par = cell.fraction * 1.4 + (1 - cell.fraction) * 0.24
    assert ser < r["cross_plane_W_mK"] < 0.9 * par


def test_no_contrast_is_exact_without_a_solve():
    out = ch.compare(ch.Cell(430e-9, 160e-9, 130e-9, 1.4, 1.4))
    assert out["difference"] == {"in_plane": 0.0, "cross_plane": 0.0} and out["resolved"]["dofs"] == 0


@pytest.mark.mpi
def test_serial_equals_parallel():
    a = ch.conductivity(CELL, cells=3, comm=MPI.COMM_SELF)
    b = ch.conductivity(CELL, cells=3, comm=MPI.COMM_WORLD)
    for k in ("in_plane_W_mK", "cross_plane_W_mK"):
        assert a[k] == pytest.approx(b[k], rel=1e-9)
