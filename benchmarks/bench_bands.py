"""Band-edge benchmark: the DFB grating's Γ-point edges from the Bloch unit cell (cqdfem.bands).

Default: the mesh ladder on the shipped 643 nm DFB (geometries/dfb-mgf2-643.toml), each rung's dofs,
time in the solver and largest relative error of the two edges against the finest rung. ``--mode``
runs one thing once, for whole-process timing against the comparison point:
- ``cell``: the unit cell at the default mesh (error ~1.5e-6, target 1e-5 within 10 s);
- ``line``: the effective-medium Bragg line from the 1D slab solver (the empty-lattice answer: no
  edges, no κ) — the cheapest number the package had before.
"""

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from mpi4py import MPI  # noqa: E402

from cqdfem import bands, optics  # noqa: E402
from cqdfem.geometry import load_geometry  # noqa: E402

GEOMETRY = pathlib.Path(__file__).resolve().parents[1] / "geometries" / "dfb-mgf2-643.toml"
LADDER = [(12, 4), (16, 6), (24, 8), (32, 12), (48, 16), (64, 24)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=("ladder", "cell", "line"), default="ladder")
    args = p.parse_args()
    g = load_geometry(GEOMETRY)
    slab, grating = optics.Slab.from_geometry(g), bands.Grating.from_geometry(g)
    if args.mode == "line":
        lam, n = optics.bragg_wavelength(grating.effective_slab(slab), grating.period, 2, guess=643e-9)
        print(f"effective-medium line {lam * 1e9:.5f} nm (n_eff {n:.6f})")
        return
    if args.mode == "cell":
        b = bands.band_edges(slab, grating, comm=MPI.COMM_SELF)
        print(f"edges {b.edges[0] * 1e9:.5f} {b.edges[1] * 1e9:.5f} nm, kappa {b.coupling / 100:.2f} /cm, "
              f"{b.dofs} dofs, {b.seconds:.2f} s")
        return
    runs = []
    for cells, cpl in LADDER:
        t = time.perf_counter()
        b = bands.band_edges(slab, grating, cells=cells, cells_per_layer=cpl, comm=MPI.COMM_SELF)
        runs.append((cells, cpl, b, time.perf_counter() - t))
    ref = runs[-1][2].edges
    print("| cells / period | cells / layer | dofs | s | short edge (nm) | long edge (nm) | max rel. error |")
    print("|---|---|---|---|---|---|---|")
    for cells, cpl, b, s in runs:
        err = max(abs(a / r - 1) for a, r in zip(b.edges, ref))
        print(f"| {cells} | {cpl} | {b.dofs} | {s:.2f} | {b.edges[0] * 1e9:.6f} | {b.edges[1] * 1e9:.6f} | "
              f"{err:.1e} |" if b is not runs[-1][2] else
              f"| {cells} | {cpl} | {b.dofs} | {s:.2f} | {b.edges[0] * 1e9:.6f} | {b.edges[1] * 1e9:.6f} | (reference) |")


if __name__ == "__main__":
    main()
