"""Make cases/data/fdtr-inorganic-synthetic.csv: the FDTR phase of geometries/fdtr-au-cqd-si.toml with
the film's k = 0.24 W/m/K (the library's, from seed 001's own FDTR), 3.4 um beams, 30 frequencies from
10 kHz to 20 MHz, by the analytic model, plus Gaussian noise of 0.3 deg (seeded). Synthetic: the
seeds' raw phase data are not published.

    containers/fenicsx python3 cases/data/make_fdtr_synthetic.py
"""

import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from cqdfem import fdtr, geometry  # noqa: E402
from cqdfem.workflows.fdtr import stack  # noqa: E402

NOISE_DEG, SEED, RADIUS = 0.3, 2026, 3.4e-6


def main():
    g = geometry.load_geometry(HERE.parents[1] / "geometries" / "fdtr-au-cqd-si.toml")
    f = np.geomspace(1e4, 2e7, 30)
    phase = fdtr.phase(stack(g), f, RADIUS, RADIUS) + np.random.default_rng(SEED).normal(0, NOISE_DEG, len(f))
    with open(HERE / "fdtr-inorganic-synthetic.csv", "w") as out:
        out.write("frequency_Hz,phase_deg\n")
        for fi, p in zip(f, phase):
            out.write(f"{fi:.6e},{p:.4f}\n")


if __name__ == "__main__":
    main()
