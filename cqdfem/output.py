"""Files a result becomes: CSV series, JSON summaries, PNG plots, XDMF fields for ParaView.

CSV/JSON/PNG are written by rank 0 only; XDMF writing is collective (every rank calls it).
"""

import csv
import json
import math
import textwrap

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


def plot_coupled(path, t, T_film, threshold, pump, lasing, title="", log_time=False, lines=None):
    """Film temperature, P_th(T(t)) and pump vs time, the lasing window shaded; with ``lines``
    ((lasing line, gain peak) in m, optics in the loop) a second panel of their drift."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.asarray(t) * 1e6
    if lines is None:
        fig, ax = plt.subplots(figsize=(6.6, 4.4), dpi=120)
    else:
        fig, (ax, axl) = plt.subplots(2, 1, figsize=(6.6, 6.8), dpi=120, sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
        line, peak = (np.asarray(v) * 1e9 for v in lines)
        axl.plot(t, line - line[0], color="C4", label=f"lasing line − {line[0]:.2f} nm")
        axl.plot(t, peak - line[0], color="C1", label="gain peak (same origin)")
        axl.set_ylabel("wavelength shift (nm)")
        axl.set_xlabel("time (µs)")
        axl.legend(fontsize=8, loc="upper left")
        axl.grid(alpha=0.3)
    ax.plot(t, np.asarray(T_film) - 273.15, color="C3", label="film max temperature")
    if lines is None:
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
    h1 = ax.get_legend_handles_labels()
    h2 = ax2.get_legend_handles_labels()
    ax.legend(h1[0] + h2[0], h1[1] + h2[1], fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_sweep_map(path, rows, title="", ax=None, vmax=None):
    """Lasing duration (colour, 0 to the pulse: a point that never lases is dark, and panels of one
    figure share the scale) over threshold x pump ratio; CW-feasible points ringed."""
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
    top = vmax if vmax is not None else max([r["pump_duration_s"] * 1e6 for r in pts], default=1.0)
    sc = ax.scatter(x, y, c=c, s=120, cmap="viridis", marker="s", vmin=0.0, vmax=top)
    cw = [r for r in pts if r["cw_lasing"]]
    sampled = "cw_lasing_probability" in (pts[0] if pts else {})
    ax.scatter([r["threshold_W_m2"] / 1e7 for r in cw], [r["pump_ratio"] for r in cw], s=220,
               facecolors="none", edgecolors="r", label="CW lasing (steady state below lasing-off)")
    if sampled:                                       # a sampled sweep: the probability of CW lasing
        for r in pts:
            if r["cw_lasing_probability"] > 0:
                ax.annotate(f"{r['cw_lasing_probability']:.2f}", (r["threshold_W_m2"] / 1e7, r["pump_ratio"]),
                            textcoords="offset points", xytext=(0, 9), ha="center", fontsize=6, color="r")
    ax.set_xscale("log")
    ax.set_xlabel("threshold at 295 K (kW/cm²)")
    ax.set_ylabel("pump / threshold")
    ax.set_title("\n".join(textwrap.wrap(title, 60) + (["rings: CW lasing in ≥ 50 % of samples; numbers: its share"]
                                                      if sampled else [])), fontsize=9)
    plt.colorbar(sc, ax=ax, label="lasing duration (µs)" + (", median of samples" if sampled else ""))
    if cw and not sampled:
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
    top = max([r["pump_duration_s"] * 1e6 for _, rows in maps for r in rows], default=1.0)
    for ax, (label, rows) in zip(axes.ravel(), maps):
        plot_sweep_map(None, rows, title=label, ax=ax, vmax=top)
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


def plot_durations(path, rows, title=""):
    """Predicted lasing duration against pump duration, one marker per variant, the measured
    duration as a line and lasing = pump as the ceiling; ``rows`` = [(label, pump s, lasing s or
    None, measured s or None)]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.2, 4.6), dpi=120)
    pumps = [p for _, p, _, _ in rows if p]
    top = max(pumps + [1e-6]) * 1e6 * 1.1
    ax.plot([0, top], [0, top], color="0.7", lw=1, label="lasing as long as the pump")
    measured = next((m for *_, m in rows if m), None)
    if measured:
        ax.axhline(measured * 1e6, color="k", ls="--", lw=1, label=f"measured: {measured * 1e6:g} µs")
    for i, (label, pump, dur, _) in enumerate(rows):
        if pump:
            ax.plot(pump * 1e6, (dur or 0.0) * 1e6, marker="os^vDP<>"[i % 8], ls="none", ms=8,
                    label=f"{label}: {(dur or 0.0) * 1e6:.2f} µs" + (" (never lases)" if dur is None else ""))
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("pump duration (µs)")
    ax.set_ylabel("predicted lasing duration (µs)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("\n".join(textwrap.wrap(title, 80)), fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _figure(rows=1, cols=1, size=(7.2, 4.6)):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, *plt.subplots(rows, cols, figsize=size, dpi=120)


def _save(plt, fig, ax, path, title, width):
    ax.set_title("\n".join(textwrap.wrap(title, width)), fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_band(path, result, title=""):
    """A sampled run's fan chart: the film temperature's P_lo–P_hi band and median over time, and
    for a coupled case the threshold's band against the pump."""
    c = result.series
    t = np.asarray(c["time_s"]) * 1e6
    temps = sorted(k for k in c if k.startswith("film_max_temperature_p"))
    coupled = any(k.startswith("threshold_p") for k in c)
    plt, fig, axes = _figure(2 if coupled else 1, 1, (7.2, 6.4 if coupled else 4.6))
    axes = np.atleast_1d(axes)
    lo, mid, hi = _band_keys(temps)
    axes[0].fill_between(t, c[lo], c[hi], color="C3", alpha=0.25, label=f"{_pct(lo)}–{_pct(hi)} of samples")
    axes[0].plot(t, c[mid], color="C3", label="median")
    axes[0].set_ylabel("film temperature (K)")
    if coupled:
        lo, mid, hi = _band_keys(sorted(k for k in c if k.startswith("threshold_p")))
        axes[1].fill_between(t, np.asarray(c[lo]) * 1e-7, np.asarray(c[hi]) * 1e-7, color="C0", alpha=0.25,
                             label=f"threshold P_th(T), {_pct(lo)}–{_pct(hi)}")
        axes[1].plot(t, np.asarray(c[mid]) * 1e-7, color="C0", label="threshold, median")
        axes[1].plot(t, np.asarray(c["pump_W_m2"]) * 1e-7, color="k", lw=1, label="pump (nominal)")
        axes[1].set_ylabel("kW/cm²")
        axes[1].legend(fontsize=7)
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    axes[-1].set_xlabel("time (µs)")
    _save(plt, fig, axes[0], path, title, 80)


def _band_keys(keys):
    by = sorted(keys, key=lambda k: float(k.split("_p")[-1].split("_")[0]))
    mid = next(k for k in by if "_p50_" in k)
    return by[0], mid, by[-1]


def _pct(key):
    return f"P{key.split('_p')[-1].split('_')[0]}"


def plot_histogram(path, result, title=""):
    """The sampled distribution of the lasing duration (coupled) or the film's peak temperature
    (thermal), with the measurement marked where the case gives one."""
    u = result.summary["uq"]
    table = result.tables["uq_samples.csv"]
    coupled = "lasing_duration_s" in table
    steady = not coupled and np.isfinite(np.asarray(table["steady_temperature_K"], float)).any()
    key, f, unit = (("lasing_duration_s", 1e6, "µs") if coupled else
                    ("steady_temperature_K" if steady else "film_peak_temperature_K", 1.0, "K"))
    v = np.asarray(table[key], float)
    v = v[np.isfinite(v)] * f
    plt, fig, ax = _figure()
    ax.hist(v, bins=min(60, max(10, len(v) // 20)), color="C0", alpha=0.7)
    q = u["outputs"][key]
    for p in [k for k in q if k.startswith("p")]:
        ax.axvline(q[p] * f, color="C0", ls=":", lw=1)
    top = ax.get_ylim()[1]
    for i, p in enumerate(k for k in q if k.startswith("p")):
        ax.text(q[p] * f, top * (0.97 - 0.05 * (i % 3)), p.upper(), fontsize=7, ha="center", va="top")
    if coupled and u.get("measured_lasing_duration_s"):
        m = u["measured_lasing_duration_s"] * 1e6
        ax.axvline(m, color="k", ls="--", lw=1.5, label=f"measured: {m:g} µs (quantile {u['measured_quantile']:.2f})")
        ax.legend(fontsize=8)
    if coupled and result.summary.get("pump_duration_s"):
        ax.axvline(result.summary["pump_duration_s"] * 1e6, color="0.6", lw=1)
    ax.set_xlabel(("lasing duration" if coupled else "steady film temperature" if steady else
                   "film peak temperature") + f" ({unit})")
    ax.set_ylabel(f"samples (of {u['samples']})")
    ax.grid(alpha=0.3)
    _save(plt, fig, ax, path, title, 80)


def plot_sobol(path, result, title=""):
    """First-order and total Sobol indices of the main output, with their confidence intervals,
    inputs ranked by total index."""
    u = result.summary["uq"]
    key = next(k for k in ("lasing_duration_s", "steady_temperature_K", "film_peak_temperature_K") if k in u["sobol"])
    idx = sorted(u["sobol"][key].items(), key=lambda kv: kv[1]["total"])
    names = [k for k, _ in idx]
    y = np.arange(len(names))
    plt, fig, ax = _figure(size=(7.2, 1.2 + 0.32 * len(names)))
    for off, which, color in ((-0.18, "first", "C0"), (0.18, "total", "C3")):
        vals = np.array([v[which] for _, v in idx])
        ci = np.array([v[f"{which}_ci"] for _, v in idx])
        err = np.abs(np.vstack([vals - ci[:, 0], ci[:, 1] - vals]))
        ax.barh(y + off, vals, height=0.34, color=color, xerr=err, error_kw={"lw": 0.8},
                label=f"{which}-order" if which == "first" else "total")
    ax.set_yticks(y, names, fontsize=7)
    ax.set_xlabel(f"Sobol index of {key} (bars: {100 * u.get('confidence', 0.95):g} % bootstrap CI)")
    ax.axvline(0, color="k", lw=0.5)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=7, loc="lower right")
    _save(plt, fig, ax, path, title, 60)


def plot_band_edges(path, profiles, summary, title=""):
    """The two band-edge fields over one period of the grating and its neighbours (layer lines)."""
    import numpy as np

    plt, fig, axes = _figure(1, 2, size=(10, 4.2))
    x, z = np.asarray(profiles["x_m"]) * 1e9, np.asarray(profiles["z_m"]) * 1e9
    keys = [k for k in profiles if k not in ("x_m", "z_m")]
    layers = summary["case"]["geometry"]["layers"]
    z0 = layers[1]["z0_m"] if len(layers) > 1 else 0.0
    g = summary["grating"]
    for ax, key in zip(np.atleast_1d(axes), keys):
        v = np.asarray(profiles[key])
        lim = max(abs(v).max(), 1e-30)
        im = ax.tricontourf(x, z, v, levels=np.linspace(-lim, lim, 41), cmap="RdBu_r")
        for l in layers[1:]:
            ax.axhline((l["z0_m"] - z0) * 1e9, color="k", lw=0.5)
        ax.axhline((layers[-1]["z0_m"] + layers[-1]["thickness_m"] - z0) * 1e9, color="k", lw=0.5)
        for s_ in (-1, 1):
            ax.axvline((g["period_m"] / 2 + s_ * g["diameter_m"] / 2) * 1e9, color="k", lw=0.5, ls="--")
        parity, lam = key.split("_")
        ax.set_title(f"{lam[:-2]} nm, {parity}", fontsize=9)
        ax.set_xlabel("x (nm)")
        ax.set_ylabel("z (nm, 0 on the substrate)")
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def plot_fdtr(path, table, fit, title=""):
    """Measured and fitted FDTR phase vs modulation frequency, residuals below."""
    import numpy as np

    plt, fig, (ax, res) = _figure(2, 1, size=(6.4, 5.6))
    f = np.asarray(table["frequency_Hz"])
    ax.semilogx(f, table["phase_deg"], "o", ms=4, label="measured")
    ax.semilogx(f, table["model_phase_deg"], "-", label=f"fit: {fit['layer']} k = {fit['conductivity_W_mK']:.3f} "
                f"± {fit['uncertainty_W_mK']:.3f} W/m/K")
    ax.set_ylabel("phase (deg)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    res.semilogx(f, table["residual_deg"], "o", ms=3)
    res.axhline(0, color="k", lw=0.5)
    res.set_xlabel("modulation frequency (Hz)")
    res.set_ylabel("residual (deg)")
    res.grid(alpha=0.3)
    _save(plt, fig, ax, path, title, 80)


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


def write_fields(directory, fields, field_format="xdmf"):
    """Fields for ParaView (XDMF: Xdmf3ReaderT; temperature snapshots also as ADIOS2 VTX .bp),
    collective: whatever fields a result holds write themselves (temperature + materials, vector
    modes, a mesh)."""
    if fields is not None:
        fields.write_xdmf(directory, field_format)


# --- a result, whole ---------------------------------------------------------------------------

def write(result, directory, comm=None):
    """Write a :class:`cqdfem.workflows.Result` into ``directory`` (every rank calls this).

    Files go to a scratch directory next to the target and move in only when all are written, so a
    failure leaves nothing half-written; variants go to their own subdirectories. Returns the path.
    """
    import pathlib
    import shutil
    import tempfile

    from mpi4py import MPI

    from cqdfem.errors import InputError

    comm = comm or MPI.COMM_WORLD
    directory = pathlib.Path(directory)
    scratch, problem = None, None
    if comm.rank == 0:
        if directory.exists() and not directory.is_dir():
            problem = "expected a directory for the results, got an existing file"
        else:
            try:
                directory.parent.mkdir(parents=True, exist_ok=True)
                remove_dead_scratch(directory)
                scratch = tempfile.mkdtemp(prefix=_scratch_prefix(directory), dir=directory.parent)
            except OSError as e:
                problem = f"cannot write the results there ({e.strerror or e})"
    scratch, problem = comm.bcast((scratch, problem), root=0)
    if problem:
        raise InputError(problem, None, directory)
    scratch = pathlib.Path(scratch)
    try:
        _write_into(result, scratch, comm)
        comm.barrier()
    except BaseException:
        if comm.rank == 0:
            shutil.rmtree(scratch, ignore_errors=True)
        raise
    if comm.rank == 0:
        directory.mkdir(parents=True, exist_ok=True)
        for f in scratch.iterdir():
            target = directory / f.name
            if target.is_dir():
                shutil.rmtree(target)
            f.replace(target)
        scratch.rmdir()
    comm.barrier()
    return directory


def _scratch_prefix(directory):
    """``.NAME-HOST-PID-``: whose scratch directory it is, so that a later run can tell a dead one."""
    import os
    import socket

    host = "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:40]
    return f".{directory.name}-{host}-{os.getpid()}-"


def remove_dead_scratch(directory):
    """Remove the scratch directories a killed run left next to ``directory``: those of this host
    whose process no longer exists (another host's, or a live process's, are left alone). Returns
    what was removed."""
    import os
    import shutil

    prefix = _scratch_prefix(directory).rsplit("-", 2)[0] + "-"          # .NAME-HOST-
    removed = []
    for p in directory.parent.glob(f"{prefix}*"):
        pid = p.name[len(prefix):].split("-", 1)[0]
        if not (p.is_dir() and pid.isdigit()):
            continue
        try:
            os.kill(int(pid), 0)
            continue                                   # alive (or not ours to signal): leave it
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def _write_into(result, directory, comm):
    from cqdfem.model import slug

    for label, sub in result.variants:
        path = directory / slug(label)
        if comm.rank == 0:
            path.mkdir()
        comm.barrier()
        _write_into(sub, path, comm)
    write_fields(directory, result.fields, result.field_format)
    if comm.rank != 0:
        return
    write_json(directory / "summary.json", result.summary)
    if result.series:
        write_csv(directory / "timeseries.csv", result.series)
    for name, columns in result.tables.items():
        write_csv(directory / name, columns)
    if result.plots:
        for name in plot_names(result):
            plot(result, directory / name)


def plot_names(result):
    """The PNG files a result draws."""
    if result.variants:
        kinds = {r.kind for _, r in result.variants}
        if "modes" in kinds:
            return ["confinement.png"] if any("sweep" in r.summary for _, r in result.variants) else []
        if "sweep" in kinds:
            return ["map.png"]
        names = ["film_temperature.png"] if any(r.series for _, r in result.variants) else []
        if "coupled" in kinds:
            names.append("lasing_durations.png")
        return names
    if "uq" in result.summary and result.kind != "sweep":
        return ["uq_band.png", "uq_histogram.png"] + (["uq_sobol.png"] if result.summary["uq"].get("sobol") else [])
    return {"thermal": ["film_temperature.png"], "coupled": ["lasing.png"], "sweep": ["map.png"],
            "bands": ["bands.png"], "fdtr": ["fdtr.png"],
            "modes": [n for n, key in (("confinement.png", "sweep"), ("dispersion.png", "dispersion"))
                      if key in result.summary]}.get(result.kind, [])


def plot(result, path=None):
    """Draw one of the result's plots (by file name; default: its first) and return the path."""
    import pathlib

    names = plot_names(result)
    if not names:
        raise ValueError(f"a {result.kind} result has no plot")
    path = pathlib.Path(path or names[0])
    name = path.name if path.name in names else names[0]
    title, label = result.title, result.label
    if result.variants:
        subs = [(lab, r) for lab, r in result.variants]
        if name == "confinement.png":
            plot_confinement(path, [(lab, r.summary["sweep"]["thickness_m"], r.summary["sweep"]["confinement"])
                                    for lab, r in subs if "sweep" in r.summary], title=title)
        elif name == "map.png":
            plot_sweep_maps(path, [(lab, r.summary["rows"]) for lab, r in subs], title=title)
        elif name == "lasing_durations.png":
            plot_durations(path, [(lab, r.summary["pump_duration_s"], r.summary["lasing_duration_s"],
                                   r.summary.get("measured_lasing_duration_s")) for lab, r in subs], title=title)
        else:
            plot_film_temperature(path, [(lab, r.series["time_s"], r.series["film_max_temperature_K"], None)
                                         for lab, r in subs if r.series], title=title, log_time=result.log_time)
        return path
    s, c = result.summary, result.series
    if name == "bands.png":
        plot_band_edges(path, result.tables["band_profiles.csv"], s, title=title)
        return path
    if name == "fdtr.png":
        plot_fdtr(path, result.tables["fdtr_fit.csv"], s["fdtr"], title=title)
        return path
    if name.startswith("uq_"):
        {"uq_band.png": plot_band, "uq_histogram.png": plot_histogram, "uq_sobol.png": plot_sobol}[name](
            path, result, title=title)
    elif name == "film_temperature.png":
        plot_film_temperature(path, [(label or "film", c["time_s"], c["film_max_temperature_K"],
                                      c["film_mean_temperature_K"])], title=title, log_time=result.log_time)
    elif name == "lasing.png":
        plot_coupled(path, c["time_s"], c["film_max_temperature_K"], c["threshold_W_m2"], c["pump_W_m2"],
                     c["lasing"], title=title, log_time=result.log_time,
                     lines=(c["lasing_wavelength_m"], c["gain_peak_wavelength_m"]) if "lasing_wavelength_m" in c else None)
    elif name == "map.png":
        plot_sweep_map(path, s["rows"], title=title)
    elif name == "confinement.png":
        plot_confinement(path, [(label or s["sweep"]["layer"], s["sweep"]["thickness_m"], s["sweep"]["confinement"])],
                         title=title)
    else:
        d = s["dispersion"]
        plot_confinement(path, [(label or d["layer"], d["wavelength_m"], d["confinement"])], title=title,
                         xlabel="wavelength (nm)")
    return path
