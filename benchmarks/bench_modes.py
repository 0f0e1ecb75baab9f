"""2D vector mode benchmark: time to n_eff within 1e-6, cqdfem (DOLFINx + SLEPc) vs femwell.

The structure: a CQD ridge (n = 1.97, 200 nm x 2 um) on glass (1.52) under air at 630 nm, its
quasi-TE0 mode. Both solvers get the same meshes (ours, exported) and second-order elements
(Nedelec x Lagrange; femwell: scikit-fem with scipy's shift-invert ARPACK). The reference is our
solver on a much finer mesh; femwell's finest answer is printed against it too. femwell is not a
project dependency: `make bench-modes` puts it in /tmp/cqdfem-femwell (or $CQDFEM_FEMWELL) with
`make femwell` (pure Python wheels) and passes that directory with --femwell.
"""

import argparse
import datetime
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from cqdfem import compat, optics, vectormodes as vm  # noqa: E402

LAM = 630e-9
SLAB = optics.Slab(1.52, (("film", 200e-9, 1.97),), 1.0)
RIDGE = ("film", 2e-6)
LADDER = [(6, 3), (8, 4), (12, 5), (16, 6)]    # (cells_per_layer, resolution)


def ours(cpl, res, symmetry=None):
    t = time.perf_counter()
    sec = vm.from_slab(SLAB, LAM, ridge=RIDGE, symmetry=symmetry, cells_per_layer=cpl, resolution=res)
    r = vm.vector_modes(sec, count=1)
    return sec, r.modes[0].n_eff, r.dofs, time.perf_counter() - t


def femwell(sec):
    """femwell's quasi-TE0 on the same triangles (cqdfem.verification.femwell_mode); (n_eff, dofs,
    seconds)."""
    from cqdfem import verification

    t = time.perf_counter()
    mode = verification.femwell_mode(sec, LAM)
    return float(np.real(mode.n_eff)), mode.basis.N, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--femwell", help="directory holding femwell and scikit-fem (skipped if absent)")
    ap.add_argument("--write", help="append the results table to this markdown file")
    args = ap.parse_args()
    if args.femwell:
        sys.path.insert(0, args.femwell)

    ours(6, 3)                                   # JIT-compile the forms once, outside the timings
    _, n_ref, dofs_ref, t_ref = ours(32, 10, symmetry="pec")
    print(f"reference: n_eff = {n_ref:.10f} ({dofs_ref} dofs, {t_ref:.1f} s)", flush=True)
    rows = []
    for cpl, res in LADDER:
        for label, sym in (("cqdfem, half (PEC symmetry plane)", "pec"), ("cqdfem, full width", None)):
            sec, n, dofs, sec_t = ours(cpl, res, sym)
            rows.append((label, cpl, res, dofs, sec_t, n))
            print(rows[-1], flush=True)
            if sym is None and args.femwell:
                try:
                    n_f, dofs_f, t_f = femwell(sec)
                    rows.append(("femwell 0.1.12 (scikit-fem, scipy), full width", cpl, res, dofs_f, t_f, n_f))
                    print(rows[-1], flush=True)
                except ImportError as e:
                    print(f"femwell not importable: {e}")
    lines = [f"\n## 2D vector modes: time to n_eff within 1e-6 — {datetime.date.today()}, DOLFINx "
             f"{compat.versions()['dolfinx']}, 1 rank\n",
             "CQD ridge 200 nm x 2 um (n 1.97) on glass under air, 630 nm, quasi-TE0; the same meshes "
             "(ours, crossed triangles, graded to the ridge edges and layers) and second-order "
             f"Nedelec x Lagrange elements for both solvers. Reference n_eff = {n_ref:.10f} (cqdfem, "
             f"{dofs_ref} dofs, half).\n",
             "| solver | cells/layer, per wavelength | dofs | seconds | n_eff | abs. error |",
             "|---|---|---|---|---|---|"]
    for label, cpl, res, dofs, sec_t, n in rows:
        lines.append(f"| {label} | {cpl}, {res} | {dofs} | {sec_t:.2f} | {n:.9f} | {abs(n - n_ref):.1e} |")
    best = {}
    for label, *_, dofs, sec_t, n in rows:
        if abs(n - n_ref) <= 1e-6 and (label not in best or sec_t < best[label]):
            best[label] = sec_t
    lines.append("")
    for label in dict.fromkeys(r[0] for r in rows):
        t = best.get(label)
        lines.append(f"- time to 1e-6, {label}: " + (f"**{t:.2f} s**" if t else "not reached on this ladder"))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        with open(args.write, "a") as f:
            f.write(text)


if __name__ == "__main__":
    main()
