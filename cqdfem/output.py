"""Files a run writes: CSV series, JSON summaries, PNG plots, XDMF fields for ParaView; a progress bar.

CSV/JSON/PNG are written by rank 0 only; XDMF writing is collective (every rank calls it).
"""

import csv
import json
import math
import sys
import textwrap
import time

import numpy as np


def write_csv(path, columns):
    """``columns``: name -> sequence, all the same length (one row per time)."""
    names = list(columns)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names)
        for row in zip(*(columns[n] for n in names)):
            w.writerow([_cell(v) for v in row])


def _cell(v):
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return v


def read_csv(path):
    """name -> numpy array (for tests and post-processing)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return {name: np.array([float(r[i]) for r in rows[1:]]) for i, name in enumerate(rows[0])}


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(jsonable(obj), f, indent=2)
        f.write("\n")


def jsonable(obj):
    """Numpy scalars/arrays and dataclasses to plain JSON values (non-finite floats to null)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        return None if not math.isfinite(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if hasattr(obj, "__dataclass_fields__"):
        return {k: jsonable(getattr(obj, k)) for k in obj.__dataclass_fields__}
    return obj


def plot_film_temperature(path, series, title="", log_time=False):
    """Film temperature (°C) versus time (µs); ``series`` = [(label, t_s, T_max_K, T_mean_K or None)]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    for i, (label, t, tmax, tmean) in enumerate(series):
        t, tmax = np.asarray(t), np.asarray(tmax)
        keep = t > 0 if log_time else slice(None)
        line, = ax.plot(t[keep] * 1e6, tmax[keep] - 273.15, label=f"{label} (max)" if tmean is not None else label)
        if tmean is not None:
            ax.plot(t[keep] * 1e6, np.asarray(tmean)[keep] - 273.15, "--", color=line.get_color(),
                    label=f"{label} (mean)")
    if log_time:
        ax.set_xscale("log")
    ax.set_xlabel("time (µs)")
    ax.set_ylabel("film temperature (°C)")
    ax.set_title("\n".join(textwrap.wrap(title, 70)), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_coupled(path, t, T_film, threshold, pump, lasing, title="", log_time=False):
    """Film temperature, P_th(T(t)) and pump vs time, the lasing window shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.asarray(t) * 1e6
    fig, ax = plt.subplots(figsize=(6.6, 4.4), dpi=120)
    ax.plot(t, np.asarray(T_film) - 273.15, color="C3", label="film max temperature")
    ax.set_xlabel("time (µs)")
    ax.set_ylabel("film temperature (°C)", color="C3")
    ax2 = ax.twinx()
    ax2.plot(t, np.asarray(threshold) / 1e7, color="C0", label="threshold P_th(T)")
    ax2.plot(t, np.asarray(pump) / 1e7, color="k", ls="--", label="pump")
    ax2.set_ylabel("kW/cm²")
    on = np.asarray(lasing).astype(bool)
    ax.fill_between(t, 0, 1, where=on, color="C2", alpha=0.2, transform=ax.get_xaxis_transform(),
                    label="lasing")
    if log_time:
        ax.set_xscale("log")
    ax.set_title("\n".join(textwrap.wrap(title, 70)), fontsize=9)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_sweep_map(path, rows, title="", ax=None):
    """Lasing duration (colour) over threshold x pump ratio; CW-feasible points ringed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6.2, 4.4), dpi=120)
    longest = {}
    for r in rows:                                    # the longest pump duration of each point
        key = (r["threshold_W_m2"], r["pump_ratio"])
        if key not in longest or r["pump_duration_s"] > longest[key]["pump_duration_s"]:
            longest[key] = r
    pts = list(longest.values())
    x = [r["threshold_W_m2"] / 1e7 for r in pts]
    y = [r["pump_ratio"] for r in pts]
    c = [r["lasing_duration_s"] * 1e6 for r in pts]
    sc = ax.scatter(x, y, c=c, s=120, cmap="viridis", marker="s")
    cw = [r for r in pts if r["cw_lasing"]]
    ax.scatter([r["threshold_W_m2"] / 1e7 for r in cw], [r["pump_ratio"] for r in cw], s=220,
               facecolors="none", edgecolors="r", label="CW lasing (steady state below lasing-off)")
    ax.set_xscale("log")
    ax.set_xlabel("threshold at 295 K (kW/cm²)")
    ax.set_ylabel("pump / threshold")
    ax.set_title("\n".join(textwrap.wrap(title, 60)), fontsize=9)
    plt.colorbar(sc, ax=ax, label="lasing duration (µs)")
    if cw:
        ax.legend(fontsize=7, loc="upper right")
    if own:
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def plot_sweep_maps(path, maps, title=""):
    """One :func:`plot_sweep_map` panel per variant (e.g. per substrate)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(maps)
    cols = min(n, 2)
    rows_ = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows_, cols, figsize=(6.0 * cols, 4.2 * rows_), dpi=110, squeeze=False)
    for ax, (label, rows) in zip(axes.ravel(), maps):
        plot_sweep_map(None, rows, title=label, ax=ax)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.suptitle("\n".join(textwrap.wrap(title, 100)), fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_confinement(path, series, title="", xlabel="film thickness (nm)"):
    """Γ vs layer thickness (or wavelength); ``series`` = [(label, x in m, Γ)]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 4.2), dpi=120)
    for label, t, g in series:
        ax.plot(np.asarray(t) * 1e9, g, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("confinement factor Γ (TE0)")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("\n".join(textwrap.wrap(title, 70)), fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_threshold(path, T, P, pump=None, points=None, p_ref=None):
    """P_th(T) in kW/cm², with the pump level and calibration points if given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 4.2), dpi=120)
    ax.plot(np.asarray(T) - 273.15, np.asarray(P) / 1e7, label="threshold")
    if points and p_ref:
        ax.plot([t - 273.15 for t, _ in points], [r * p_ref / 1e7 for _, r in points], "o", label="calibration")
    if pump:
        ax.axhline(pump / 1e7, color="k", ls="--", lw=1, label="pump")
    ax.set_xlabel("film temperature (°C)")
    ax.set_ylabel("lasing threshold (kW/cm²)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


class Progress:
    """``[#####-----] step 120/240  t = 1.2 us / 4 us  ETA 3 s`` on a terminal; silent otherwise."""

    def __init__(self, end_time, label="", stream=None, enabled=None, rank=0):
        self.stream = stream or sys.stderr
        self.enabled = (rank == 0 and self.stream.isatty()) if enabled is None else enabled
        self.end, self.label, self.start = end_time, label, time.perf_counter()
        self._last = 0.0

    def __call__(self, i, n, t):
        if not self.enabled:
            return
        now = time.perf_counter()
        if i < n and now - self._last < 0.1:
            return
        self._last = now
        frac = i / n
        bar = "#" * int(20 * frac) + "-" * (20 - int(20 * frac))
        eta = (now - self.start) * (1 - frac) / frac if frac > 0 else float("nan")
        self.stream.write(f"\r{self.label}[{bar}] step {i}/{n}  t = {t * 1e6:.4g} us / "
                          f"{self.end * 1e6:.4g} us  ETA {eta:.0f} s ")
        if i == n:
            self.stream.write("\n")
        self.stream.flush()


class FieldWriter:
    """The temperature at output times in one XDMF file (ParaView: Xdmf3ReaderT), and the material
    fields (region tag, ρc, k in-plane/cross-plane, DG0) in another."""

    def __init__(self, directory, solver):
        from dolfinx.io import XDMFFile

        mesh = solver.sm.mesh
        self.path = directory / "temperature.xdmf"
        self.file = XDMFFile(mesh.comm, str(self.path), "w")
        self.file.write_mesh(mesh)
        with XDMFFile(mesh.comm, str(directory / "materials.xdmf"), "w") as f:
            f.write_mesh(mesh)
            f.write_meshtags(solver.sm.cell_tags, mesh.geometry)
            for field in (solver.rho_c, solver.k_in, solver.k_cross):
                f.write_function(field)

    def __call__(self, t, solver):
        self.file.write_function(solver.temperature, t)

    def close(self):
        self.file.close()
