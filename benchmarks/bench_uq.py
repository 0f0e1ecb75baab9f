"""Samples of the 1D flagship's coupled run by the superposition fast path: all samples through one
numpy time loop (coupling.run_fast_many) against one run_fast per sample (the naive loop).

    containers/fenicsx python3 benchmarks/bench_uq.py --samples 1024 --mode batch|loop
    containers/fenicsx [mpirun -n 2] python3 benchmarks/bench_uq.py --samples 768 --mode sampled
    containers/fenicsx python3 benchmarks/bench_uq.py --samples 4 --mode fem

Both start from the same FEM step response and steady resistance (built first, timed apart); the
samples vary absorptance (×/÷ 1.5), PLQY (0.10–0.20), the threshold (52 ± 5 kW/cm²) and T0 (±15 %).
Prints the per-sample cost; compare the two modes as whole processes.
"""

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--samples", type=int, default=1024)
    p.add_argument("--mode", choices=("batch", "loop", "sampled", "fem"), default="batch")
    a = p.parse_args()
    if a.mode == "sampled":
        return sampled(a.samples)
    if a.mode == "fem":
        return fem(a.samples)
    import numpy as np

    from cqdfem import coupling, model, uq, thermal
    from cqdfem import mesh as meshlib
    from cqdfem.lasing import threshold as th
    from cqdfem.workflows.thermal import heat_solver

    root = pathlib.Path(__file__).resolve().parents[1]
    m = model.load(root / "cases" / "microsecond-lasing.toml")
    t0 = time.perf_counter()
    sm = meshlib.create(m.geometry)
    times = thermal.time_grid(m.thermal.end_time, m.thermal.first_step, m.thermal.step_ratio / 2, m.thermal.max_step)
    response = coupling.step_response(heat_solver(sm, m), times, drive="max", steady=False, shape=m.film_shape)
    R = coupling.steady_resistance(heat_solver(sm, m), "max", shape=m.film_shape)
    t_fem = time.perf_counter() - t0
    inf = float("inf")
    dists = [uq.parse(f"{m.heat.absorptance} ×/÷ 1.5", "", "A", bounds=(0, 1)),
             uq.parse("uniform(0.10, 0.20)", "", "plqy", bounds=(0, 1)),
             uq.parse("52 ± 5 kW/cm^2", "W/m^2", "P", bounds=(0, inf)),
             uq.parse(f"{m.law.T0} ± {0.15 * m.law.T0}", "K", "T0", bounds=(0, inf))]
    x = uq.sample(dists, a.samples, seed=1)
    import dataclasses

    devices = [coupling.Device(dataclasses.replace(m.heat, absorptance=A, plqy=q), th.T0(P, T0=T0))
               for A, q, P, T0 in x]
    t1 = time.perf_counter()
    if a.mode == "batch":
        _, evs = coupling.run_fast_many(response, coupling.BatchDevice(devices), [m.pump.intensity] * len(devices),
                                        m.profile, resistance=R)
    else:
        evs = [coupling.run_fast(response, d, coupling.Pump(m.pump.intensity, m.profile), resistance=R)[1]
               for d in devices]
    t_samples = time.perf_counter() - t1
    dur = np.array([e["lasing_duration_s"] or 0.0 for e in evs])
    q = uq.quantiles(dur)
    print(f"{a.mode}: {a.samples} samples, {len(response.time_s)} steps: {1e3 * t_samples / a.samples:.3f} ms per sample "
          f"after {t_fem:.2f} s of FEM responses; lasing duration P5/P50/P95 = "
          f"{q['p5'] * 1e6:.3f} / {q['p50'] * 1e6:.3f} / {q['p95'] * 1e6:.3f} us")


def sampled(n):
    """The whole sampled run of cases/microsecond-lasing-uq.toml (its 12 inputs, Sobol indices:
    n (12 + 2) evaluations), as `cqdfem run` does it, on however many ranks this was started."""
    from mpi4py import MPI

    from cqdfem import model, workflows

    root = pathlib.Path(__file__).resolve().parents[1]
    m = model.load(root / "cases" / "microsecond-lasing-uq.toml", [f"uncertainty.samples={n}"])
    r = workflows.run(m)
    if MPI.COMM_WORLD.rank == 0:
        tm, u = r.summary["timing"], r.summary["uq"]
        q = u["outputs"]["lasing_duration_s"]
        print(f"sampled: {u['samples']} samples, {tm['evaluations']} evaluations on {tm['ranks']} rank(s): builds "
              f"{tm['sample_builds_s']:.1f} s, FEM responses {tm['fem_responses_s']:.1f} s, samples {tm['samples_s']:.1f} s, "
              f"{tm['per_evaluation_ms']:.2f} ms per evaluation (build + fast path); lasing duration P5/P50/P95 = "
              f"{q['p5'] * 1e6:.3f} / {q['p50'] * 1e6:.3f} / {q['p95'] * 1e6:.3f} us")


def fem(n):
    """The naive way at the same physics: one coupled FEM run (the heat solver in the loop) per sample
    of the same inputs, on the FEM loop's own graded steps."""
    from mpi4py import MPI

    from cqdfem import model, uq
    from cqdfem.model import build
    from cqdfem.workflows import coupled

    root = pathlib.Path(__file__).resolve().parents[1]
    m = model.load(root / "cases" / "microsecond-lasing-uq.toml")
    u = m.uncertainty
    make = build.sampler(u.table, m.path)
    A, _, _ = uq.design([i.distribution for i in u.inputs], max(n, 4), u.seed, indices=False)
    t0 = time.perf_counter()
    for x in A[:n]:
        coupled.coupled(make([o for i, v in zip(u.inputs, x) for o in i.overrides(v)]), MPI.COMM_SELF)
    per = (time.perf_counter() - t0) / n
    print(f"fem: {n} samples, one coupled FEM run each: {per:.2f} s per sample")


if __name__ == "__main__":
    main()
