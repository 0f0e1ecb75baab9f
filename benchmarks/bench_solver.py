"""The 3D linear solver: the flagship (cases/flagship-3d.toml) refined, its 0-4 us transient with
today's CG + BoomerAMG set-ups against the tuned ones.

    containers/fenicsx [mpirun -n 2] python3 benchmarks/bench_solver.py --mesh spot_cells=24,film_cells=8,growth=1.15 \
        --preset before|tuned|relaxed

Mesh levels used in benchmarks/results.md: the case's (10 250 dofs), spot_cells=24,film_cells=8
(36 720), and with growth=1.15 (105 300).

Presets: ``before`` = hypre's default BoomerAMG (Falgout, classical interpolation, strong threshold
0.25), a hierarchy per step size, rtol 1e-10 of the right-hand side (what this package did before);
``tuned`` = the package's defaults (HMIS, ext+i, P_max 4, strong threshold 0.5; one hierarchy until
the step size moves 16× or CG slows down); ``relaxed`` = tuned with rtol 1e-8 of each step's initial
residual; ``hmis`` = tuned without reuse, ``reuse`` = hypre's defaults with reuse. Prints dofs, steps, AMG set-ups, CG iterations, time per step and the film's peak; compare
the presets as whole processes.
"""

import argparse
import pathlib
import sys
import time

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
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mesh", default="", help="[mesh] options of the case, e.g. spot_cells=24,film_cells=8")
    p.add_argument("--preset", choices=sorted(PRESETS), default="tuned")
    p.add_argument("--options", default="", help="more PETSc options, a TOML inline table's inside")
    a = p.parse_args()
    from mpi4py import MPI

    from cqdfem import model, thermal
    from cqdfem import mesh as meshlib
    from cqdfem.workflows.thermal import heat_solver

    sets = [f"mesh.{x}" for x in a.mesh.split(",") if x]
    extra = ["solver.options={" + a.options + "}"] if a.options else []
    m = model.load(ROOT / "cases" / "flagship-3d.toml", sets + PRESETS[a.preset] + extra)
    sm = meshlib.create(m.geometry)
    s = heat_solver(sm, m)
    s.add_source(m.source.power_density, profile=m.profile)
    th = m.thermal
    times = thermal.time_grid(th.end_time, th.first_step, th.step_ratio, th.max_step)
    t0 = time.perf_counter()
    h = s.run(times, energy=False)
    wall = time.perf_counter() - t0
    dofs = s.V.dofmap.index_map.size_global
    if MPI.COMM_WORLD.rank == 0:
        steps = len(times) - 1
        print(f"{a.preset}: {dofs} dofs, {steps} steps, {s.factorisations} AMG set-ups, {s.iterations / steps:.1f} CG iterations per step, {1e3 * wall / steps:.1f} ms per "
              f"step ({1e9 * wall / steps / dofs:.0f} ns per dof-step) on {MPI.COMM_WORLD.size} rank(s); film peak "
              f"{max(h.column('film_max_temperature_K')):.9f} K")


if __name__ == "__main__":
    main()
