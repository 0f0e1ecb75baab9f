"""Building a large 3D stack mesh: time and each rank's memory, for the A/B of how meshes are made.

    containers/fenicsx [mpirun -n 2] python3 benchmarks/bench_mesh_parallel.py \
        --mesh spot_cells=24,film_cells=8,growth=1.05 [--tree OTHER_CHECKOUT]

Meshes the flagship's geometry (cases/flagship-3d.toml) with the given [mesh] options and prints,
per rank, the wall time of ``cqdfem.mesh.create`` and the process's peak memory before and after it.
``--tree`` imports cqdfem from another checkout (e.g. a git worktree of the commit before parallel
mesh construction, where rank 0 built the whole gmsh model and DOLFINx's gmsh reader distributed it).
"""

import argparse
import pathlib
import resource
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mesh", default="", help="[mesh] options, e.g. spot_cells=24,film_cells=8,growth=1.05")
    p.add_argument("--tree", default=str(ROOT), help="the checkout to import cqdfem from")
    p.add_argument("--partition", default="auto", choices=["auto", "slabs", "columns", "graph"],
                   help="how the cells are shared between ranks (graph: DOLFINx's partitioner)")
    a = p.parse_args()
    sys.path.insert(0, a.tree)
    from mpi4py import MPI

    from cqdfem import mesh as meshlib
    from cqdfem import model

    comm = MPI.COMM_WORLD
    m = model.load(ROOT / "cases" / "flagship-3d.toml", [f"mesh.{x}" for x in a.mesh.split(",") if x])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    comm.barrier()
    t = time.perf_counter()
    # (an older --tree may predate the partition argument)
    sm = meshlib.create(m.geometry, **({} if a.partition == "auto" else {"partition": a.partition}))
    comm.barrier()
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cells = sm.mesh.topology.index_map(3).size_global
    vertices = sm.mesh.topology.index_map(0).size_global
    rows = comm.gather((comm.rank, before, after, sm.mesh.topology.index_map(3).size_local), root=0)
    if comm.rank == 0:
        print(f"{a.tree}: {cells} cells, {vertices} vertices (P1 dofs) on {comm.size} rank(s): mesh {wall:.2f} s")
        for r, b, f, n in rows:
            print(f"  rank {r}: peak {b:.0f} MB before meshing, {f:.0f} MB after ({f - b:+.0f} MB); {n} cells owned")


if __name__ == "__main__":
    main()
