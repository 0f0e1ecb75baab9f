"""Stack meshes: exact layer volumes, cells through thin layers, tags, pillars; serial and 2 ranks.

Tests marked ``mpi`` also run under ``mpirun -n 2`` (make test); their assertions are on global
quantities, so serial and parallel must give the same numbers.
"""

import math
import tomllib

import numpy as np
import pytest

from cqdfem import geometry as caselib
from cqdfem import mesh as meshlib
from cqdfem.mesh import grid as stack

PERIOD, DIAMETER = 430e-9, 160e-9
STACK = """
title = "test stack"
[domain]
width = "{width}"
depth = "{depth}"
[mesh]
spot = ["{spot} um", "{spot2} um"]
[[layers]]
name = "substrate"
material = "MgF2"
thickness = "{substrate}"
[[layers]]
name = "grating"
material = "SiO2"
thickness = "130 nm"
pillars = {{ period = "430 nm", diameter = "160 nm", fill = "CQD-inorganic" }}
[[layers]]
name = "film"
material = "CQD-inorganic"
thickness = "120 nm"
active = true
[[layers]]
name = "cap"
material = "spin-on-glass"
thickness = "300 nm"
"""


def geometry(width=7 * PERIOD, depth=7 * PERIOD, spot=1.0, spot2=0.6, substrate="20 um", **mesh):
    """A DFB-like stack whose half-width is a whole number of pillar cells plus a half (so the pillar
    area fraction of the modelled part is exactly π d²/4Λ²); coarse lateral cells keep 3D cheap."""
    text = STACK.format(width=width, depth=depth, spot=spot, spot2=spot2, substrate=substrate)
    g = caselib.parse_geometry(tomllib.loads(text))
    return g.with_mesh(**{"spot_cells": 2, "pillar_cells": 4, **mesh})


CONFIGS = {
    "1d": dict(dimension=1),
    "2d": dict(dimension=2),
    "2d-full": dict(dimension=2),
    "axisymmetric": dict(dimension=2, coordinates="axisymmetric", spot_diameter=1e-6),
    "3d": dict(dimension=3),
    "3d-disc": dict(dimension=3, spot_diameter=1.2e-6),
}


def build(name):
    opts = dict(CONFIGS[name])
    g = geometry(**opts)
    if name == "2d-full":
        import dataclasses
        g = dataclasses.replace(g, symmetric=False)
    return g, meshlib.create(g)


@pytest.mark.mpi
@pytest.mark.parametrize("name", list(CONFIGS))
def test_layer_volumes_exact(name):
    g, sm = build(name)
    exact = meshlib.exact_layer_volumes(g)
    got = sm.layer_volumes()
    assert set(got) == set(exact)
    for layer, v in exact.items():
        assert got[layer] == pytest.approx(v, rel=1e-10), layer


@pytest.mark.mpi
@pytest.mark.parametrize("name", list(CONFIGS))
def test_tags_cover_domain_once(name):
    from mpi4py import MPI

    g, sm = build(name)
    tdim = sm.mesh.topology.dim
    n_local = sm.mesh.topology.index_map(tdim).size_local + sm.mesh.topology.index_map(tdim).num_ghosts
    idx = sm.cell_tags.indices
    assert len(idx) == n_local and len(np.unique(idx)) == n_local
    assert set(np.unique(sm.cell_tags.values)) <= set(sm.regions.values())
    counts = sm.cell_counts()
    assert sum(counts.values()) == sm.mesh.topology.index_map(tdim).size_global
    assert all(n > 0 for n in counts.values())
    # Every name resolves: regions, and layers as unions of their regions.
    for layer in g.layers:
        assert sm.comm.allreduce(len(sm.cells(layer.name)), op=MPI.SUM) > 0
    expected = {"substrate", "grating.pillars", "grating.fill", "film.spot", "cap"}
    if name == "1d":
        expected = {"substrate", "grating", "film.spot", "cap"}
    else:
        expected.add("film.outside")
    assert set(sm.regions) == expected


def facet_measure(sm, role):
    import ufl
    from dolfinx import fem
    from mpi4py import MPI

    ds = ufl.Measure("ds", domain=sm.mesh, subdomain_data=sm.facet_tags)
    form = fem.form(sm.weight() * ds(sm.boundaries[role]))
    return sm.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)


@pytest.mark.mpi
@pytest.mark.parametrize("name", ["1d", "2d", "2d-full", "axisymmetric", "3d"])
def test_boundary_roles(name):
    g, sm = build(name)
    T, W, D = g.thickness, g.width, g.depth
    if name == "1d":
        expected = {"top": 1.0, "bottom": 1.0}
    elif name == "2d":
        expected = {"top": W / 2, "bottom": W / 2, "symmetry": T, "side": T}
    elif name == "2d-full":
        expected = {"top": W, "bottom": W, "side": 2 * T}
    elif name == "axisymmetric":
        R = W / 2
        expected = {"top": math.pi * R**2, "bottom": math.pi * R**2, "side": 2 * math.pi * R * T, "axis": 0.0}
    else:
        expected = {"top": W * D / 4, "bottom": W * D / 4, "symmetry": T * (W + D) / 2, "side": T * (W + D) / 2}
    assert set(sm.boundaries) == set(expected)
    for role, value in expected.items():
        assert facet_measure(sm, role) == pytest.approx(value, rel=1e-10, abs=1e-30), role


@pytest.mark.mpi
@pytest.mark.parametrize("name", ["1d", "2d", "3d"])
def test_cells_through_film(name):
    g, sm = build(name)
    g6 = g.with_mesh(film_cells=6)
    sm6 = meshlib.create(g6)
    for s, n in ((sm, 4), (sm6, 6)):
        assert s.layer_cells["film"] == n
        # Count distinct vertex heights inside the film on this mesh (vertical coordinate is the last).
        film = g.layer("film")
        z = s.mesh.geometry.x[:, s.mesh.topology.dim - 1]
        inside = np.unique(np.round(z[(z >= film.z0 - 1e-15) & (z <= film.z1 + 1e-15)] / 1e-12))
        levels = set(np.concatenate(s.comm.allgather(inside)))
        assert len(levels) == n + 1
        for layer in g.layers:
            assert s.layer_cells[layer.name] >= 4


def test_grading_ratio_and_sizes():
    g = geometry(substrate="1 mm", growth=1.3)
    z, counts = stack.vertical_nodes(g)
    h = np.diff(z)
    ratio = h[1:] / h[:-1]
    big = np.maximum(ratio, 1 / ratio)
    # Neighbours differ by the growth ratio; rounding the cell count to an integer adds up to 10 %.
    assert big.max() < 1.3 * 1.1
    # Cell next to the grating inside the substrate is of the order of the thin layers' cells.
    assert h[counts["substrate"] - 1] < 2 * 130e-9 / 4 / stack.UM
    # The 1 mm substrate costs tens of cells, not thousands.
    assert counts["substrate"] < 50
    assert z[-1] == pytest.approx(g.thickness / stack.UM, rel=1e-14)
    g2 = g.with_mesh(growth=1.15)
    assert stack.vertical_nodes(g2)[1]["substrate"] > counts["substrate"]


def pillar_fraction(sm):
    v = sm.volumes()
    return v["grating.pillars"] / (v["grating.pillars"] + v["grating.fill"])


@pytest.mark.mpi
def test_dfb_pillar_fraction_converges_3d():
    exact = math.pi * DIAMETER**2 / (4 * PERIOD**2)
    errors = []
    for n in (4, 8, 16):
        sm = meshlib.create(geometry(width=3 * PERIOD, depth=3 * PERIOD, substrate="0.5 um", dimension=3,
                                     pillar_cells=n, min_cells=1, film_cells=1))
        errors.append(abs(pillar_fraction(sm) - exact) / exact)
    # Inscribed polygons: the error falls like 1/n^2.
    assert errors[0] < 0.1 and errors[2] < 0.01
    assert errors[1] < errors[0] / 3 and errors[2] < errors[1] / 3, errors


@pytest.mark.mpi
def test_dfb_cross_section_fraction():
    sm = meshlib.create(geometry(dimension=2))
    # The cut through the pillar centres: pillar width fraction d / period, exact (straight edges).
    assert pillar_fraction(sm) == pytest.approx(DIAMETER / PERIOD, rel=1e-10)


@pytest.mark.parametrize("name", ["1d", "2d", "axisymmetric", "3d"])
def test_rank_shares_make_the_whole_mesh(name):
    # Each rank extrudes its own layers from the plan: for any rank count the shares together are the
    # whole mesh (same points in rank order, the same cells and facets with the same tags), and the
    # plan itself is the size of the lateral mesh, not of the stack.
    g, _ = build(name)
    p = stack.plan(g)
    whole = p.grid()
    n_points = len(whole.points)
    def keyed(entities, values):
        return sorted(zip(map(tuple, np.sort(entities, axis=1).tolist()), values.tolist()))
    cells = keyed(*stack._tagged(whole.regions, p.regions, p.dim + 1))
    for size in (1, 2, 3, 7):
        shares = [p.share(r, size) for r in range(size)]
        offsets = [s[0] for s in shares]
        assert offsets == list(np.cumsum([0] + [len(s[1]) for s in shares[:-1]]))
        assert np.array_equal(np.concatenate([s[1] for s in shares]), whole.points)
        mine = np.concatenate([s[2] for s in shares])
        # the tags each rank gives its cells from their vertex numbers alone are the regions' tags
        assert keyed(mine, p.cell_tags(mine)) == cells
    facets, values = stack._tagged(whole.boundaries, p.boundaries, p.dim)
    assert np.array_equal(p.facet_tags(facets), values)
    middle = mine[mine.min(axis=1) // p.n2 == p.n_layers // 2][:1]
    assert p.facet_tags(middle[:, :p.dim]).tolist() == [0]     # a facet inside the stack: no role
    assert p.cell_tags(middle[:, ::-1] + p.n2 * p.n_layers).tolist() == [0]   # above the stack: none
    biggest = max(np.asarray(v).size for v in vars(p).values() if isinstance(v, np.ndarray))
    assert biggest <= max(p.lateral.size, p.cells2.size, p.z.size)
    assert n_points == p.n2 * len(p.z) and len(cells) == sum(len(c) for c in whole.regions.values())


@pytest.mark.parametrize("name", ["2d", "axisymmetric", "3d"])
def test_column_parts_are_balanced_whole_columns(name):
    # The "columns" ownership: recursive bisection of the lateral cells into equal counts, every cell
    # of a column (any layer) to its lateral cell's part, the same answer on every call.
    g, _ = build(name)
    p = stack.plan(g)
    cells = p.share(0, 1)[2]
    layer = cells.min(axis=1) // p.n2
    for size in (2, 3, 4, 7):
        parts = p.lateral_parts(size)
        counts = np.bincount(parts, minlength=size)
        assert counts.max() - counts.min() <= 1 and len(counts) == size
        assert np.array_equal(parts, p.lateral_parts(size))
        dest = p.destinations(cells, parts)
        bottom = dest[layer == 0]
        for k in (1, p.n_layers // 2, p.n_layers - 1):          # a column keeps its rank all the way up
            assert np.array_equal(np.sort(dest[layer == k]), np.sort(bottom))
        assert np.array_equal(np.bincount(dest, minlength=size), counts * p.n_layers * p.dim)
    if p.dim == 3:                     # two parts: the two halves of the plane along one axis
        centres = p.lateral[p.cells2].mean(axis=1)
        parts = p.lateral_parts(2)
        assert any(centres[parts == 0, a].max() <= centres[parts == 1, a].min() + 1e-12 for a in (0, 1))


@pytest.mark.mpi
@pytest.mark.parametrize("partition", ["auto", "slabs", "columns", "graph"])
def test_every_ownership_makes_the_same_mesh(partition):
    # However the cells are shared (auto picks slabs here), the mesh is the same: volumes, cell
    # counts, tags; on 2 ranks slabs split the cells to within one cell layer, columns to within one
    # column.
    from mpi4py import MPI

    g = geometry(dimension=3)
    sm = meshlib.create(g, partition=partition)
    exact = meshlib.exact_layer_volumes(g)
    for layer, v in sm.layer_volumes().items():
        assert v == pytest.approx(exact[layer], rel=1e-10), layer
    imap = sm.mesh.topology.index_map(3)
    whole = stack.plan(g)
    assert imap.size_global == whole.n_layers * len(whole.cells2) * 3
    assert sm.comm.allreduce(len(sm.cell_tags.values), op=MPI.SUM) >= imap.size_global
    if sm.comm.size == 2 and partition != "graph":
        mine = sm.comm.allgather(imap.size_local)
        one = 3 * whole.n_layers if partition == "columns" else 3 * len(whole.cells2)
        assert abs(mine[0] - mine[1]) <= one
    with pytest.raises(ValueError, match="partition must be"):
        meshlib._ownership(whole, MPI.COMM_WORLD, "blocks")
    if sm.comm.size > 1:               # a forced mode the stack cannot give every rank is refused
        thin = stack.plan(geometry(dimension=1).with_mesh(film_cells=1, min_cells=1))
        with pytest.raises(ValueError, match="columns"):
            meshlib._ownership(thin, sm.comm, "columns")


def test_axisymmetric_rejects_rectangle():
    from cqdfem.errors import InputError

    with pytest.raises(InputError, match="disc spot"):
        geometry(dimension=2, coordinates="axisymmetric")


@pytest.mark.mpi
def test_region_materials():
    g, sm = build("3d")
    mats = sm.region_material
    assert mats["grating.pillars"].name == "SiO2"
    assert mats["grating.fill"].name == "CQD-inorganic"
    assert mats["film.spot"].name == mats["film.outside"].name == "CQD-inorganic"
    g1, sm1 = build("1d")
    eff = sm1.region_material["grating"]
    f = math.pi * DIAMETER**2 / (4 * PERIOD**2)
    assert eff.conductivity[1] == pytest.approx(f * 1.4 + (1 - f) * 0.24)
    assert eff.volumetric_heat_capacity == pytest.approx(f * 2200 * 740 + (1 - f) * 2633 * 374)


def test_write_formats(tmp_path):
    import meshio

    g, sm = build("3d")
    for suffix in (".xdmf", ".msh", ".vtu"):
        sm.write(tmp_path / f"m{suffix}")
    m = meshio.read(tmp_path / "m.msh")
    n_cells = sum(len(c.data) for c in m.cells if c.type == "tetra")
    assert n_cells == sum(sm.cell_counts().values())
    assert np.allclose(m.points.max(axis=0), [g.width / 2, g.depth / 2, g.thickness])
    from dolfinx.io import XDMFFile
    with XDMFFile(sm.comm, str(tmp_path / "m.xdmf"), "r") as f:
        mesh = f.read_mesh()
        mesh.topology.create_connectivity(2, 3)
        tags = f.read_meshtags(mesh, "regions")
    assert set(np.unique(tags.values)) == set(sm.regions.values())


def test_mesh_cli_mpi_matches_serial(cli, tmp_path):
    args = ("mesh", "geometries/dfb-mgf2.toml", "--dimension", "3", "--set", 'domain.width="2 um"',
            "--set", 'domain.depth="2 um"', "--set", 'mesh.spot=["1 um", "1 um"]', "--set", 'layers[0].thickness="2 um"')
    serial = cli(*args, "-o", tmp_path / "s.xdmf")
    par = cli(*args, "-o", tmp_path / "p.xdmf", ranks=2)
    assert serial.returncode == 0, serial.stderr
    assert par.returncode == 0, par.stderr
    strip = lambda out: [l for l in out.splitlines() if "rank" not in l and "wrote" not in l]
    assert strip(serial.stdout) == strip(par.stdout)
    assert "2 rank(s)" in par.stdout
