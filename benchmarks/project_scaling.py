"""Weak-scaling projection of the 3D transient to 64+ ranks from measured per-rank profiles.

    python3 benchmarks/project_scaling.py --one 1rank.json --two 2rank.json --partition p4.json p8.json ...

Inputs are the JSON files of ``bench_solver.py --profile``: ``--one`` a whole run on 1 rank (the
computation per rank at n dofs), ``--two`` the same run on 2 ranks (measured PETSc messages, bytes and
reductions per step, and the 2-rank time the model is checked against), ``--partition`` the dof layout
of a larger mesh split over P ranks (owned and ghost dofs, neighbour ranks; ``--partition-only``,
oversubscribed: the layout does not depend on the core count).

Model of one time step on P ranks holding n dofs each (weak scaling, the 1-rank run's n):

    T(P) = T_comp/e_node + I·[(m + 5m(1 + (L(P) - 1)k))·α + 8·g(n)(1 + 5s)/β + R·α_r·⌈log2 P⌉]
           + S·10·L(P)·k·m·α          (S AMG set-ups per step, ~10 exchanges per level each)

- T_comp: the whole 1-rank step (assembly, CG, AMG, Python), measured, divided by the node's
  memory-bandwidth efficiency e_node (2 ranks on this 2-core machine, communication subtracted).
- I CG iterations per step (measured; AMG keeps it nearly flat in N: 2.9 → 4.0 from 10k to 105k dofs).
- Per iteration one MatMult halo exchange plus 5 per AMG level (pre/post smoothing, residual,
  restriction, interpolation); L(P) = L(1) + log(P)/log(1/r) levels, r = 1 - 1/c_grid; coarse levels
  talk to k times the fine level's m neighbours.
- m neighbour ranks and g(n) = c·n^q ghost dofs per rank, both from the measured partitions (q is
  fitted: the partitioner cuts these thin stacks into columns, so a halo is a cut through every layer
  and grows much more slowly than the n^(2/3) of a cube); s = 1/(1 - r^q) sums the coarse levels' halos.
- R reductions per iteration (measured) at α_r per tree stage.
- Network (assumptions, stated in the output): α = 2 µs latency, β = 1 GB/s per rank (a 25 GB/s
  NIC shared by ~25 ranks of a node), α_r = 3 µs per allreduce stage; AMG coarse levels with twice
  the fine level's neighbours (hypre's coarse-grid stencil growth).
"""

import argparse
import json
import math

import numpy as np


def load(path):
    with open(path) as f:
        return json.load(f)


def per_step(d, key):
    return np.mean([r.get(key, 0.0) for r in d["per_rank"]])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--one", required=True)
    p.add_argument("--two", required=True)
    p.add_argument("--partition", nargs="+", required=True)
    p.add_argument("--levels", type=float, default=10, help="AMG levels at the 1-rank size (hypre statistics)")
    p.add_argument("--grid-complexity", type=float, default=1.6, help="AMG grid complexity (hypre statistics)")
    p.add_argument("--latency", type=float, default=2e-6)
    p.add_argument("--bandwidth", type=float, default=1e9)
    p.add_argument("--reduction", type=float, default=3e-6)
    p.add_argument("--coarse-neighbours", type=float, default=2.0)
    a = p.parse_args()
    one, two = load(a.one), load(a.two)
    n = one["dofs"]
    steps = one["steps"]
    t1 = one["run"]["wall_s"] / steps
    t2 = two["run"]["wall_s"] / two["steps"]
    iters = one["run"]["iterations"] / steps
    reductions = (per_step(one, "VecTDot_count") + per_step(one, "VecNorm_count")) / iters
    # 2 ranks here: messages go through shared memory; what PETSc logs of them is the communication.
    comm2 = max(r.get("VecScatterBegin_time", 0.0) for r in two["per_rank"])
    e_node = t1 / (2 * (t2 - comm2)) * (two["dofs"] / n)
    # the measured partitions: ghosts ~ c n^(2/3), neighbours vs P
    parts = [load(f) for f in a.partition]
    owned = np.concatenate([[r["owned_dofs"] for r in d["per_rank"]] for d in parts])
    ghosts = np.concatenate([[r["ghost_dofs"] for r in d["per_rank"]] for d in parts])
    q, logc = np.polyfit(np.log(owned), np.log(ghosts), 1)      # ghosts = c n^q over every rank
    c = math.exp(logc)
    nbr = {d["ranks"]: (np.mean([r["neighbours"] for r in d["per_rank"]]),
                        max(r["neighbours"] for r in d["per_rank"])) for d in parts}
    m_sat = max(v[1] for v in nbr.values())
    nbr.setdefault(2, (np.mean([r["neighbours"] for r in two["per_rank"]]),
                       max(r["neighbours"] for r in two["per_rank"])))
    r = 1 - 1 / a.grid_complexity
    s = 1 / (1 - r ** q)
    g = c * n ** q
    print(f"measured: n = {n} dofs per rank, {t1 * 1e3:.1f} ms per step on 1 rank, {iters:.2f} CG iterations "
          f"per step, {reductions:.2f} reductions per iteration")
    print(f"measured: 2 ranks (same mesh) {t2 * 1e3:.1f} ms per step ({t1 / t2:.2f}x); PETSc halo traffic "
          f"{comm2 * 1e3:.2f} ms per step; node efficiency e_node = {e_node:.2f}")
    print("measured partitions (ranks: mean / max neighbours): "
          + ", ".join(f"{P}: {v[0]:.1f} / {v[1]}" for P, v in sorted(nbr.items())))
    print(f"fitted over {len(owned)} ranks: ghosts = {c:.3g} n^{q:.2f} ({g:.0f} at n = {n}); neighbours "
          f"at most {m_sat}, taken as saturated beyond the largest partition")
    print(f"assumed: latency {a.latency * 1e6:g} us, {a.bandwidth / 1e9:g} GB/s per rank, allreduce "
          f"{a.reduction * 1e6:g} us per stage, {a.levels:g} AMG levels at n, grid complexity "
          f"{a.grid_complexity:g}, coarse levels x{a.coarse_neighbours:g} neighbours")
    setups = one["run"]["amg_setups"] / steps

    def step_time(P, latency, coarse):
        """(halo s, reductions s, total s) per step on P ranks with n dofs each."""
        if P == 1:
            return 0.0, 0.0, t1
        levels = a.levels + math.log(P) / math.log(1 / r)
        # neighbours: measured where measured, else the largest measured (column parts saturate)
        m = nbr.get(P, (0, m_sat))[1]
        per_iteration = (m + 5 * m * (1 + (levels - 1) * coarse)) * latency + 8 * g * (1 + 5 * s) / a.bandwidth
        # AMG set-up (coarsening, interpolation, Galerkin products): ~10 exchanges per level, amortised
        setup = setups * levels * 10 * m * coarse * latency
        halo = iters * per_iteration + setup
        red = iters * reductions * a.reduction * math.ceil(math.log2(P))
        return halo, red, t1 / e_node + halo + red

    print("\n| ranks | dofs | AMG levels | halo ms/step | reductions ms/step | ms per step | weak efficiency |")
    print("|---|---|---|---|---|---|---|")
    for P in (1, 2, 8, 64, 256, 1024):
        halo, red, total = step_time(P, a.latency, a.coarse_neighbours)
        levels = a.levels + math.log(P) / math.log(1 / r)
        print(f"| {P} | {P * n:.3g} | {levels:.1f} | {halo * 1e3:.2f} | {red * 1e3:.2f} | {total * 1e3:.1f} | "
              f"{t1 / total:.2f} |")
    print("\nsensitivity at 64 / 1024 ranks (weak efficiency):")
    for latency, coarse in ((a.latency, 1.0), (a.latency, 4.0), (2.5 * a.latency, a.coarse_neighbours),
                            (2.5 * a.latency, 4.0)):
        e = [t1 / step_time(P, latency, coarse)[2] for P in (64, 1024)]
        print(f"  latency {latency * 1e6:g} us, coarse levels x{coarse:g} neighbours: {e[0]:.2f} / {e[1]:.2f}")
    print(f"  without the node's memory-bandwidth share (e_node = 1): "
          f"{t1 / (step_time(64, a.latency, a.coarse_neighbours)[2] - t1 / e_node + t1):.2f} at 64 ranks")

if __name__ == "__main__":
    main()
