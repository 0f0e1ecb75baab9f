"""Meshing benchmark: layer-conforming extruded stack mesh vs the naive isotropic gmsh mesh.

Both meshes resolve a 120 nm film with 4 cells through its thickness in a 3D quarter block of a film
on MgF2 under a rectangular spot. The naive approach is what one writes first: OCC boxes, fragment,
a Distance/Threshold size field around the film, unstructured tetrahedra. Run with `make bench`.
"""

import argparse
import datetime
import pathlib
import sys
import time
import tomllib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from cqdfem import geometry as caselib  # noqa: E402
from cqdfem import compat  # noqa: E402
from cqdfem import mesh as meshlib  # noqa: E402

GEOMETRY = """
[domain]
width = "{w} um"
depth = "{w} um"
[mesh]
dimension = 3
spot = ["{s} um", "{s2} um"]
spot_cells = 6
[[layers]]
name = "substrate"
material = "MgF2"
thickness = "{w} um"
[[layers]]
name = "film"
material = "CQD-inorganic"
thickness = "120 nm"
active = true
"""


def ours(w, s):
    g = caselib.parse_geometry(tomllib.loads(GEOMETRY.format(w=w, s=s, s2=0.6 * s)))
    t = time.perf_counter()
    sm = meshlib.create(g)
    return time.perf_counter() - t, sum(sm.cell_counts().values())


def naive(w, s):
    """Unstructured isotropic tetrahedra, refined to 30 nm at the film (4 cells through 120 nm)."""
    from mpi4py import MPI

    gmsh = compat.gmsh_session_start()
    t = time.perf_counter()
    occ = gmsh.model.occ
    gmsh.model.add("naive")
    half, film = w / 2, 0.12
    sub = occ.addBox(0, 0, 0, half, half, w)
    top = occ.addBox(0, 0, w, half, half, film)
    occ.fragment([(3, sub)], [(3, top)])
    occ.synchronize()
    film_vol = gmsh.model.getEntitiesInBoundingBox(-1, -1, w - 1e-6, half + 1, half + 1, w + film + 1e-6, 3)
    faces = gmsh.model.getBoundary(film_vol, combined=False, oriented=False)
    f = gmsh.model.mesh.field
    d = f.add("Distance")
    f.setNumbers(d, "SurfacesList", [abs(t) for _, t in faces])
    th = f.add("Threshold")
    f.setNumber(th, "InField", d)
    f.setNumber(th, "SizeMin", film / 4)
    f.setNumber(th, "SizeMax", w / 8)
    f.setNumber(th, "DistMin", 0.0)
    f.setNumber(th, "DistMax", w / 2)
    f.setAsBackgroundMesh(th)
    for opt in ("Mesh.MeshSizeExtendFromBoundary", "Mesh.MeshSizeFromPoints", "Mesh.MeshSizeFromCurvature"):
        gmsh.option.setNumber(opt, 0)
    for dim, tag in gmsh.model.getEntities(3):
        gmsh.model.addPhysicalGroup(3, [tag], tag)
    gmsh.model.mesh.generate(3)
    mesh, _, _ = compat.model_to_mesh(gmsh.model, MPI.COMM_SELF, 0, gdim=3)
    elapsed = time.perf_counter() - t
    compat.gmsh_session_end(gmsh)
    return elapsed, mesh.topology.index_map(3).size_global


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--write", help="append the results table to this markdown file")
    args = p.parse_args()
    rows = []
    ours(2.0, 1.0)   # warm-up: imports and first-call costs are not meshing
    for w, s in ((2.0, 1.0), (4.0, 2.0), (8.0, 4.0)):
        t1, n1 = ours(w, s)
        t2, n2 = naive(w, s)
        rows.append(f"| {w:g} µm block, {s:g} µm spot | {n1} | {t1:.2f} | {n2} | {t2:.2f} | {n2 / n1:.0f}× |")
        print(rows[-1], flush=True)
    t1, n1 = ours(1000.0, 50.0)
    rows.append(f"| 1 mm block, 50 µm spot (paper scale) | {n1} | {t1:.2f} | not feasible | — | — |")
    print(rows[-1])
    v = compat.versions()
    header = (f"\n## Meshing: extruded stack vs naive isotropic tetrahedra "
              f"({datetime.date.today()}, DOLFINx {v['dolfinx']}, gmsh {v['gmsh']}, 1 rank)\n\n"
              "| model (3D quarter, 120 nm film on MgF2, 4 cells through the film) | ours: cells | ours: s "
              "| naive: cells | naive: s | naive/ours cells |\n|---|---|---|---|---|---|\n")
    if args.write:
        with open(args.write, "a") as f:
            f.write(header + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
