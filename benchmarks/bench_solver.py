"""The 3D linear solver: the flagship (cases/flagship-3d.toml) refined, its 0-4 us transient with
today's CG + BoomerAMG set-ups against the tuned ones.

    containers/fenicsx [mpirun -n 2] python3 benchmarks/bench_solver.py --mesh spot_cells=24,film_cells=8,growth=1.15 \
        --preset before|tuned|relaxed|icc

Mesh levels used in benchmarks/results.md: the case's (10 250 dofs), spot_cells=24,film_cells=8
(36 720), and with growth=1.15 (105 300).

Presets: ``before`` = hypre's default BoomerAMG (Falgout, classical interpolation, strong threshold
0.25), a hierarchy per step size, rtol 1e-10 of the right-hand side (what this package did before);
``tuned`` = the package's defaults (HMIS, ext+i, P_max 4, strong threshold 0.5; one hierarchy until
the step size moves 16× or CG slows down); ``relaxed`` = tuned with rtol 1e-8 of each step's initial
residual; ``hmis`` = tuned without reuse, ``reuse`` = hypre's defaults with reuse; ``icc`` = block
Jacobi (a block per rank) with incomplete Cholesky of one level of fill in each block instead of AMG. Prints dofs, steps, AMG set-ups, CG iterations, time per step and the film's peak; compare
the presets as whole processes. The line also gives the set-up before the time loop (imports, mesh,
forms), the part of a whole process that the steps' speed-up does not cover.

Scale-out figures: ``--steps N`` runs the first N steps only; ``--profile`` adds the mesh time, each
rank's peak memory (after meshing and at the end), its owned and ghost dofs, and PETSc's per-rank event
log for the solve (time, messages, bytes, reductions of MatMult, PCApply, KSPSolve and the vector
reductions; hypre's own messages inside PCApply are not in PETSc's log).
"""

import argparse
import pathlib
import sys
import time

START = time.perf_counter()     # the set-up (imports, mesh, forms, matrices) is timed from here
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PRESETS = {
    "before": ["solver.reuse_preconditioner=false",
               'solver.options={pc_hypre_boomeramg_coarsen_type="Falgout", pc_hypre_boomeramg_interp_type="classical", '
               "pc_hypre_boomeramg_P_max=0, pc_hypre_boomeramg_strong_threshold=0.25}"],
    "hmis": ["solver.reuse_preconditioner=false"],
    "reuse": ['solver.options={pc_hypre_boomeramg_coarsen_type="Falgout", pc_hypre_boomeramg_interp_type="classical", '
              "pc_hypre_boomeramg_P_max=0, pc_hypre_boomeramg_strong_threshold=0.25}"],
    "tuned": [],
    "relaxed": ["solver.rtol=1e-8", "solver.options={ksp_converged_use_initial_residual_norm=true}"],
    "icc": ['solver.options={pc_type="bjacobi", sub_pc_type="icc", sub_pc_factor_levels=1}'],
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mesh", default="", help="[mesh] options of the case, e.g. spot_cells=24,film_cells=8")
    p.add_argument("--preset", choices=sorted(PRESETS), default="tuned")
    p.add_argument("--options", default="", help="more PETSc options, a TOML inline table's inside")
    p.add_argument("--steps", type=int, default=0, help="run only the first N steps (0: all)")
    p.add_argument("--partition", default="auto", choices=["auto", "slabs", "columns", "graph"],
                   help="how the cells are shared between ranks (cqdfem.mesh.create; graph: DOLFINx's partitioner)")
    p.add_argument("--profile", metavar="JSON", help="mesh time, memory and PETSc's event log per rank, "
                   "printed and written to JSON (input of benchmarks/project_scaling.py)")
    p.add_argument("--partition-only", action="store_true",
                   help="with --profile: mesh and dof layout only (owned/ghost dofs, neighbours), no solve")
    a = p.parse_args()
    import resource

    from mpi4py import MPI
    from petsc4py import PETSc

    from cqdfem import model, thermal
    from cqdfem import mesh as meshlib
    from cqdfem.workflows.thermal import heat_solver

    sets = [f"mesh.{x}" for x in a.mesh.split(",") if x]
    extra = ["solver.options={" + a.options + "}"] if a.options else []
    m = model.load(ROOT / "cases" / "flagship-3d.toml", sets + PRESETS[a.preset] + extra)
    comm = MPI.COMM_WORLD
    comm.barrier()
    t_mesh = time.perf_counter()
    sm = meshlib.create(m.geometry, partition=a.partition)
    t_mesh = time.perf_counter() - t_mesh
    rss_mesh = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if a.partition_only:
        from dolfinx import fem

        V = fem.functionspace(sm.mesh, ("Lagrange", 1))
        return profile(comm, V, t_mesh, rss_mesh, 0, a.profile, a.mesh)
    s = heat_solver(sm, m)
    s.add_source(m.source.power_density, profile=m.profile)
    th = m.thermal
    times = thermal.time_grid(th.end_time, th.first_step, th.step_ratio, th.max_step)
    if a.steps:
        times = times[:a.steps + 1]
    if a.profile:
        PETSc.Log.begin()
    comm.barrier()
    t0 = time.perf_counter()
    setup = t0 - START
    h = s.run(times, energy=False)
    wall = time.perf_counter() - t0
    dofs = s.V.dofmap.index_map.size_global
    if MPI.COMM_WORLD.rank == 0:
        steps = len(times) - 1
        print(f"{a.preset}: {dofs} dofs, {steps} steps, {s.factorisations} AMG set-ups, {s.iterations / steps:.1f} CG iterations per step, {1e3 * wall / steps:.1f} ms per "
              f"step ({1e9 * wall / steps / dofs:.0f} ns per dof-step) on {MPI.COMM_WORLD.size} rank(s) after {setup:.2f} s of set-up "
              f"(imports, mesh, forms); film peak {max(h.column('film_max_temperature_K')):.9f} K")
    if a.profile:
        profile(comm, s.V, t_mesh, rss_mesh, len(times) - 1, a.profile, a.mesh,
                {"wall_s": wall, "iterations": s.iterations, "amg_setups": s.factorisations,
                 "film_peak_K": max(h.column("film_max_temperature_K"))})


EVENTS = ("KSPSolve", "PCApply", "PCSetUp", "MatMult", "VecTDot", "VecNorm", "VecScatterBegin")


def profile(comm, V, t_mesh, rss_mesh, steps, path, mesh, run=None):
    """One line per rank: memory, dofs, neighbours and per step each event's count, time, messages,
    bytes and reductions; all of it also to ``path`` (JSON)."""
    import json
    import resource

    import numpy as np
    from petsc4py import PETSc

    imap = V.dofmap.index_map
    row = {"rank": comm.rank, "mesh_s": t_mesh, "peak_MB_after_mesh": rss_mesh,
           "peak_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "owned_dofs": imap.size_local, "ghost_dofs": imap.num_ghosts,
           "neighbours": int(len(np.unique(imap.owners))) if imap.num_ghosts else 0}
    if steps:
        for e in EVENTS:
            for k, v in PETSc.Log.Event(e).getPerfInfo().items():
                if k != "flops":
                    row[f"{e}_{k}"] = v / steps
    rows = comm.gather(row, root=0)
    if comm.rank == 0:
        print("per rank (event figures per step: count, time s, numMessages, messageLength bytes, numReductions):")
        for r in rows:
            print("  " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
        with open(path, "w") as f:
            json.dump({"ranks": comm.size, "mesh": mesh, "steps": steps, "dofs": imap.size_global,
                       "run": run, "per_rank": rows}, f, indent=1)


if __name__ == "__main__":
    main()
