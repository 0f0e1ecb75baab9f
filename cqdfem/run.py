"""``cqdfem run``: wire a case to the solvers and write its results.

A run writes into a scratch directory next to the target and moves the files in only when it has
finished, so a failed or interrupted run leaves nothing half-written. Cases with ``[[variants]]``
run each variant into its own subdirectory and add a combined plot.
"""

import pathlib
import re
import shutil
import tempfile
import time

import numpy as np

from cqdfem import case as caselib
from cqdfem import compat, output
from cqdfem.errors import InputError

SOLVER_KINDS = ("mesh", "thermal", "coupled", "sweep", "modes")


def say(comm, *args):
    if comm.rank == 0:
        print(*args, flush=True)


def slug(label):
    return re.sub(r"[^A-Za-z0-9.]+", "-", label).strip("-").lower() or "variant"


def run_case(case, outdir, comm=None, progress=None):
    """Run ``case`` into ``outdir``; returns the summary dict (on every rank)."""
    from mpi4py import MPI

    comm = comm or MPI.COMM_WORLD
    if case.kind not in SOLVER_KINDS:
        raise InputError(f"kind {case.kind!r} needs a solver this version of cqdfem does not have yet "
                         f"(available: {', '.join(SOLVER_KINDS)})", "kind", case.path)
    outdir = pathlib.Path(outdir)
    scratch = None
    if comm.rank == 0:
        outdir.parent.mkdir(parents=True, exist_ok=True)
        scratch = tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent)
    scratch = pathlib.Path(comm.bcast(scratch, root=0))
    try:
        if case.variants:
            summary = _run_variants(case, scratch, comm, progress)
        else:
            summary = RUNNERS[case.kind](case, scratch, comm, progress)
        comm.barrier()
    except BaseException:
        if comm.rank == 0:
            shutil.rmtree(scratch, ignore_errors=True)
        raise
    if comm.rank == 0:
        outdir.mkdir(parents=True, exist_ok=True)
        for f in scratch.iterdir():
            target = outdir / f.name
            if target.is_dir():
                shutil.rmtree(target)
            f.replace(target)
        scratch.rmdir()
    comm.barrier()
    return summary


def _run_variants(case, scratch, comm, progress):
    rows, series, gamma_series = [], [], []
    for label, vcase in case.variants:
        say(comm, f"--- variant: {label}")
        sub = scratch / slug(label)
        if comm.rank == 0:
            sub.mkdir()
        comm.barrier()
        s = RUNNERS[vcase.kind](vcase, sub, comm, progress, label=label)
        rows.append({"label": label, "directory": slug(label),
                     **{k: v for k, v in s.items() if k.endswith(("_K", "_s", "_m")) or k in ("source", "runaway", "steady_state", "rows", "modes")}})
        if "series" in s and vcase.kind == "modes":
            gamma_series.append((label, s["series"]))
        elif "series" in s:
            series.append((label, *s["series"]))
    summary = {"case": case.resolved(), "variants": rows, "versions": compat.versions()}
    if comm.rank == 0:
        output.write_json(scratch / "summary.json", summary)
        gammas = [(lab, *ser) for lab, ser in gamma_series]
        if gammas and case.sections["output"].get("plots", True):
            output.plot_confinement(scratch / "confinement.png", gammas, title=case.title)
        maps = [(r["label"], r["rows"]) for r in rows if r.get("rows")]
        if maps and case.sections["output"].get("plots", True):
            output.plot_sweep_maps(scratch / "map.png", maps, title=case.title)
        if series and case.sections["output"].get("plots", True):
            output.plot_film_temperature(scratch / "film_temperature.png", [(l, t, T, None) for l, t, T, _ in series],
                                         title=case.title, log_time=case.sections["output"].get("log_time", False))
    return summary


def run_mesh(case, scratch, comm, progress=None, label=None):
    from cqdfem import mesh as meshlib

    sm = meshlib.create(case.geometry)
    summary = sm.summary()
    from cqdfem.cli import print_mesh_summary
    print_mesh_summary(summary)
    sm.write(scratch / "mesh.xdmf")
    summary = {"case": case.resolved(), "mesh": summary, "versions": compat.versions()}
    if comm.rank == 0:
        output.write_json(scratch / "summary.json", summary)
    return summary


def run_thermal(case, scratch, comm, progress=None, label=None):
    from cqdfem import mesh as meshlib
    from cqdfem import thermal

    s = caselib.thermal_settings(case)
    wall0 = time.perf_counter()
    sm = meshlib.create(case.geometry, comm)
    solver = heat_solver(sm, s)
    solver.add_source(s["power_density"], profile=s["profile"])
    for name, point in s["probes"].items():
        try:
            solver.probe(name, point)
        except ValueError as e:
            raise InputError(str(e), f"thermal.probes.{name}", case.path) from None
    if s["adaptive"]:
        times = None
        adaptive = thermal.Adaptive(s["end_time"], rtol=s["tolerance"], atol=s["tolerance"],
                                    first_step=s["first_step"], max_step=s["max_step"])
    else:
        adaptive = None
        times = thermal.time_grid(s["end_time"], s["first_step"], s["step_ratio"], s["max_step"],
                                  breakpoints=solver.breakpoints(), restarts=solver.restarts(),
                                  outputs=s["output_times"])
    writer, bar = _writer_and_progress(case, scratch, solver, s, comm, progress, label)
    try:
        history = solver.run(times, outputs=s["output_times"], on_output=writer, on_step=bar, adaptive=adaptive)
    finally:
        if writer:
            writer.close()
    wall = time.perf_counter() - wall0
    t = history.column("time_s")
    profile = s["profile"](t)
    columns = {"time_s": t}
    if "intensity_W_m2" in s["source"]:
        columns["pump_W_m2"] = s["source"]["intensity_W_m2"] * profile
    columns["source_power_density_W_m3"] = s["power_density"] * profile
    columns.update((k, v) for k, v in history.columns.items() if k != "time_s")
    tmax = history.column("film_max_temperature_K")
    steady = None
    if case.sections["thermal"].get("steady"):
        # the same solver and source held at its peak until nothing changes (CW)
        solver.steady()
        steady = solver.measure(s["end_time"])
    warnings = []
    if case.sections["threshold"] and "pump_W_m2" in columns:
        # One-way: the threshold the film's temperature implies, and whether the pump is above it
        # (the feedback of lasing on the heat source is the coupled kind's job).
        from cqdfem.lasing import threshold as thresholds

        law, _ = thresholds.from_settings(case.sections["threshold"])
        try:
            columns["threshold_W_m2"] = law(tmax)
            columns["lasing"] = (columns["pump_W_m2"] >= columns["threshold_W_m2"]) & (columns["pump_W_m2"] > 0)
        except ValueError as e:
            warnings.append(f"no threshold column: {e}")
    absorbed = history.column("absorbed_energy_J")[-1]
    stored = history.column("stored_energy_J")[-1]
    out_c = history.column("conducted_out_energy_J")[-1]
    out_v = history.column("convected_out_energy_J")[-1]
    balance = (absorbed - stored - out_c - out_v) / absorbed if absorbed > 0 else 0.0
    summary = {
        "case": case.resolved(),
        "film_max_temperature_K": tmax[-1],
        "film_mean_temperature_K": history.column("film_mean_temperature_K")[-1],
        "film_peak_temperature_K": tmax.max(),
        "film_peak_time_s": t[int(np.argmax(tmax))],
        **({"spot_mean_temperature_K": history.column("spot_mean_temperature_K")[-1]}
           if "spot_mean_temperature_K" in history.columns else {}),
        "probes_K": {n: history.column(f"{n}_temperature_K")[-1] for n in s["probes"]},
        **({"steady_film_max_temperature_K": steady["film_max_temperature_K"],
            "steady_film_mean_temperature_K": steady["film_mean_temperature_K"]} if steady else {}),
        "source": s["source"],
        "energy": {"units": _energy_units(sm),
                   "absorbed": absorbed, "stored": stored, "conducted_out": out_c, "convected_out": out_v,
                   "balance_relative_error": balance},
        "solver": {"scheme": s["scheme"], "linear_solver": s["solver"],
                   "adaptive": s["adaptive"], "rejected_steps": solver.rejected_steps,
                   "dofs": solver.V.dofmap.index_map.size_global, "steps": len(t) - 1,
                   "distinct_matrices": solver.factorisations, "solves": solver.solves,
                   "wall_time_s": wall, "ranks": comm.size},
        "mesh": sm.summary(),
        "versions": compat.versions(),
        "series": (t, tmax, history.column("film_mean_temperature_K")),
    }
    if case.sections.get("modes"):
        summary["thermo_optic"] = thermo_optic(case, solver, "steady state" if steady else "end of the run")
        say(comm, thermo_optic_line(summary["thermo_optic"]))
    if absorbed > 0 and abs(balance) > 1e-3:
        warnings.append(f"energy balance off by {balance:.2%}: refine the mesh or the time steps")
    if absorbed > 0 and out_c > 0.01 * absorbed:
        warnings.append(f"{out_c / absorbed:.1%} of the heat left through the held boundary "
                        f"({', '.join(s['fixed'])}): the result depends on the substrate size")
    summary["warnings"] = warnings
    for w in warnings:
        say(comm, f"warning: {w}")
    if comm.rank == 0:
        output.write_csv(scratch / "timeseries.csv", columns)
        output.write_json(scratch / "summary.json", {k: v for k, v in summary.items() if k != "series"})
        if case.sections["output"].get("plots", True):
            output.plot_film_temperature(scratch / "film_temperature.png", [(label or "film", t, tmax, columns["film_mean_temperature_K"])],
                                         title=case.title, log_time=case.sections["output"].get("log_time", False))
    say(comm, f"{label + ': ' if label else ''}film max {tmax[-1]:.2f} K ({tmax[-1] - 273.15:.1f} °C) at "
              f"t = {t[-1]:.3g} s; peak {tmax.max():.2f} K; {len(t) - 1} steps, "
              f"{solver.factorisations} matrices, {wall:.1f} s on {comm.size} rank(s)")
    solver.free()
    return summary


def _writer_and_progress(case, scratch, solver, s, comm, progress, label):
    """The XDMF field writer (unless output.fields = false) and the progress bar of a transient run."""
    writer = output.FieldWriter(scratch, solver) if case.sections["output"].get("fields", True) else None
    bar = output.Progress(s["end_time"], label=f"{label}: " if label else "", rank=comm.rank,
                          enabled=None if progress is None else (progress and comm.rank == 0))
    return writer, bar


def heat_solver(sm, s):
    """A HeatSolver with a case's boundary conditions, initial state, scheme and linear solver."""
    from cqdfem import thermal

    return thermal.HeatSolver(sm, fixed_temperature=s["fixed_temperature"], fixed=s["fixed"], initial=s["initial"],
                              convection=s["convection"], scheme=s["scheme"], solver=s["solver"])


def thermo_optic(case, solver, state):
    """TE0 at the spot centre (x = 0) of a thermal case, cold and on the solver's temperature field:
    the 2D vector solver on a laterally uniform section, n(T) = n + dn/dT (T − 295 K) per material."""
    from cqdfem import optics, vectormodes

    m, g = case.sections["modes"], case.geometry
    if "wavelength" not in m:
        raise InputError("missing (the thermo-optic modes of a thermal run need it)", "modes.wavelength", case.path)
    if solver.sm.mesh.topology.dim == 3:
        raise InputError("thermo-optic modes need a 1D or 2D thermal model (set mesh.dimension)", "modes",
                         case.path)
    lam = m["wavelength"]
    try:
        slab = optics.Slab.from_geometry(g)
    except ValueError as e:
        raise InputError(str(e), "layers", g.path) from None
    sec = vectormodes.from_slab(slab, lam, symmetry="pec", side_wall="pec")
    field = vectormodes.temperature_field(solver, sec, substrate_top=g.layers[1].z0)
    cold, hot = (vectormodes.vector_modes(sec, count=1, temperature=T) for T in (None, field))
    out = {"state": state, "wavelength_m": lam, "where": "spot centre (x = 0), laterally uniform TE0",
           "dn_dT_per_K": dict(slab.dn_dT), "n_eff_cold": cold.modes[0].n_eff, "n_eff_hot": hot.modes[0].n_eff,
           "delta_n_eff": hot.modes[0].n_eff - cold.modes[0].n_eff,
           "confinement_cold": cold.modes[0].confinement, "confinement_hot": hot.modes[0].confinement,
           "warnings": cold.warnings + hot.warnings}
    if "period" in m:
        # λ_B = 2 n_eff Λ / m at a fixed period: to first order the shift is 2 Δn_eff Λ / m
        out["bragg_shift_m"] = 2 * out["delta_n_eff"] * m["period"] / m.get("order", 2)
    return out


def thermo_optic_line(t):
    line = (f"thermo-optic ({t['state']}, {t['where']}): n_eff {t['n_eff_cold']:.6f} -> {t['n_eff_hot']:.6f} "
            f"({t['delta_n_eff']:+.2e})")
    if "bragg_shift_m" in t:
        line += f", Bragg wavelength {t['bragg_shift_m'] * 1e9:+.3f} nm"
    return line


def _energy_units(sm):
    """What the energy totals are per: 1D models are per film area, 2D cartesian per depth."""
    if sm.mesh.topology.dim == 1:
        return "J/m^2 (per area of film)"
    return "J/m (per metre of depth)" if not sm.axisymmetric and sm.mesh.topology.dim == 2 else "J"


def run_coupled(case, scratch, comm, progress=None, label=None):
    """The runaway loop with the FEM heat solver; events, steady state, plot."""
    from cqdfem import coupling, thermal
    from cqdfem import mesh as meshlib

    s = caselib.coupled_settings(case)
    wall0 = time.perf_counter()
    sm = meshlib.create(case.geometry, comm)

    solver = heat_solver(sm, s)
    times = thermal.time_grid(s["end_time"], s["first_step"], s["step_ratio"], s["max_step"],
                              breakpoints=s["profile"].breakpoints(), restarts=s["profile"].jumps(),
                              outputs=s["output_times"])
    writer, bar = _writer_and_progress(case, scratch, solver, s, comm, progress, label)
    try:
        cols, ev = coupling.run_fem(solver, s["device"], s["pump"], times, drive=s["drive"], on_step=bar,
                                    on_output=writer, outputs=s["output_times"])
    finally:
        if writer:
            writer.close()
    steps, matrices = len(times) - 1, solver.factorisations
    solver.free()
    steady = None
    if s["steady"]:
        unit = heat_solver(sm, s)
        resistance = coupling.steady_resistance(unit, s["drive"])
        unit.free()
        T_ss, detail = coupling.steady_state(s["device"], s["pump"].intensity, resistance, s["fixed_temperature"])
        steady = {"resistance_K_per_W_m3": resistance, "temperature_K": T_ss,
                  "cw_lasing": bool(detail.get("lasing", False)), "detail": detail["reason"]}
    wall = time.perf_counter() - wall0
    t = np.asarray(cols["time_s"])
    tmax = np.asarray(cols["film_max_temperature_K"])
    order = ["time_s", "pump_W_m2", "threshold_W_m2", "lasing", "heat_W_m3", "film_max_temperature_K",
             "film_mean_temperature_K"]
    columns = {k: cols[k] for k in order if k in cols}
    columns.update((k, v) for k, v in cols.items() if k not in columns)
    summary = {
        "case": case.resolved(),
        "film_max_temperature_K": tmax[-1],
        "film_peak_temperature_K": tmax.max(),
        **ev,
        "threshold_law": s["device"].threshold.describe(),
        "threshold_fit": s["fit"].describe() if s["fit"] else None,
        "steady_state": steady,
        "drive": s["drive"],
        "solver": {"scheme": s["scheme"], "steps": steps, "distinct_matrices": matrices,
                   "wall_time_s": wall, "ranks": comm.size},
        "mesh": sm.summary(),
        "versions": compat.versions(),
        "series": (t, tmax, None),
    }
    if comm.rank == 0:
        output.write_csv(scratch / "timeseries.csv", columns)
        output.write_json(scratch / "summary.json", {k: v for k, v in summary.items() if k != "series"})
        if case.sections["output"].get("plots", True):
            output.plot_coupled(scratch / "lasing.png", t, tmax, columns["threshold_W_m2"], columns["pump_W_m2"],
                                columns["lasing"], title=case.title, log_time=case.sections["output"].get("log_time", False))
    dur = ev["lasing_duration_s"]
    say(comm, f"{label + ': ' if label else ''}lasing {'never starts' if dur is None else f'for {dur * 1e6:.3f} us'}"
              f"{' (stops at %.3f us)' % (ev['lasing_stop_s'] * 1e6) if ev['lasing_stop_s'] else ''}; "
              f"film max {tmax[-1]:.1f} K; runaway: {ev['runaway']}"
              + (f"; CW steady state {steady['temperature_K']:.1f} K, CW lasing {steady['cw_lasing']}"
                 if steady and steady["temperature_K"] else "")
              + f"; {steps} steps, {wall:.1f} s")
    return summary


def run_sweep(case, scratch, comm, progress=None, label=None):
    """Lasing duration and CW feasibility over thresholds x pump ratios by the superposition fast path:
    one FEM step response and one steady solve, then milliseconds per point."""
    from cqdfem import coupling, thermal
    from cqdfem import mesh as meshlib
    from cqdfem.lasing import threshold as thresholds

    s = caselib.coupled_settings(case)
    sw = case.sections["sweep"]
    wall0 = time.perf_counter()
    sm = meshlib.create(case.geometry, comm)

    # the response on a grid fine enough to interpolate at any age (steps double from first_step)
    times = thermal.time_grid(s["end_time"], s["first_step"], s["step_ratio"] / 2, s["max_step"])
    response = coupling.step_response(heat_solver(sm, s), times, drive=s["drive"], steady=False)
    resistance = coupling.steady_resistance(heat_solver(sm, s), s["drive"])
    t_fem = time.perf_counter() - wall0
    thr = dict(case.sections["threshold"])
    durations = sw.get("durations", [s["profile"].duration])
    rows = []
    t1 = time.perf_counter()
    for p_ref in sw["thresholds"]:
        thr["at_reference"] = p_ref
        law, _ = thresholds.from_settings(thr)
        device = coupling.Device(s["device"].heat, law)
        for ratio in sw["pump_ratios"]:
            I = ratio * p_ref
            T_ss, detail = coupling.steady_state(device, I, resistance, s["fixed_temperature"])
            for dur in durations:
                prof = thermal.Profile(rise_time=s["profile"].rise_time, duration=dur)
                _, ev = coupling.run_fast(response, device, coupling.Pump(I, prof), s["initial"])
                rows.append({"threshold_W_m2": p_ref, "pump_W_m2": I, "pump_ratio": ratio,
                             "pump_duration_s": dur if dur is not None else float("inf"),
                             "lasing_duration_s": ev["lasing_duration_s"] if ev["lasing_duration_s"] is not None else 0.0,
                             "lasing_stops": ev["lasing_stop_s"] is not None and (dur is None or ev["lasing_stop_s"] < dur * (1 - 1e-9)),
                             "runaway": ev["runaway"],
                             "cw_steady_temperature_K": T_ss if T_ss is not None else float("nan"),
                             "cw_lasing": bool(detail.get("lasing", False))})
    t_points = time.perf_counter() - t1
    summary = {"case": case.resolved(), "points": len(rows), "rows": rows,
               "steady_resistance_K_per_W_m3": resistance,
               "timing": {"fem_response_s": t_fem, "sweep_s": t_points,
                          "per_point_ms": 1e3 * t_points / max(len(rows), 1)},
               "mesh": sm.summary(), "versions": compat.versions()}
    if comm.rank == 0:
        output.write_csv(scratch / "sweep.csv", {k: [r[k] for r in rows] for k in rows[0]})
        output.write_json(scratch / "summary.json", summary)
        if case.sections["output"].get("plots", True):
            output.plot_sweep_map(scratch / "map.png", rows, title=case.title)
    say(comm, f"{label + ': ' if label else ''}{len(rows)} points in {t_points:.2f} s "
              f"({1e3 * t_points / max(len(rows), 1):.1f} ms each) after a {t_fem:.1f} s FEM response; "
              f"CW lasing at {sum(r['cw_lasing'] for r in rows)} of them")
    return summary


def mode_table(geometry, wavelength, polarizations=("TE", "TM"), count=4, temperature=None, vector=None,
               fields=None):
    """(slab, modes as dicts, messages) of the geometry's stack at ``wavelength``.

    ``vector``: None for the 1D slab solver, else a dict for the 2D full-vector cross-section solver:
    ``ridge_width`` (m, the active layer as a ridge; absent: laterally uniform), ``symmetry``
    ("pec", "pmc" or "none"); ``fields``: an XDMF path for the vector modes' fields (one file per
    solve: the TM solve of a uniform stack adds "-TM" to the name).
    """
    from cqdfem import optics

    try:
        slab = optics.Slab.from_geometry(geometry, temperature=temperature)
    except ValueError as e:
        raise InputError(str(e), "layers", geometry.path) from None
    if vector is not None:
        return (slab, *_vector_table(geometry, slab, wavelength, polarizations, count, vector, fields))
    modes, messages = [], []
    for pol in polarizations:
        try:
            modes += [m.describe() for m in optics.slab_modes(slab, wavelength, pol, n_modes=count)]
        except optics.CutoffError as e:
            messages.append(str(e))
    return slab, modes, messages


def _vector_table(geometry, slab, wavelength, polarizations, count, vector, fields=None):
    from cqdfem import optics, vectormodes

    width = vector.get("ridge_width")
    ridge = None
    if width:
        if geometry.active is None:
            raise InputError("a ridge needs an active layer (the film) in the geometry", "layers", geometry.path)
        ridge = (geometry.active.name, width)
    symmetry = vector.get("symmetry", "pec")
    if ridge:
        what = "ridge, full width" if symmetry == "none" else f"ridge, {symmetry.upper()} plane at x = 0"
        solves = [(what, dict(symmetry=None if symmetry == "none" else symmetry))]
    else:       # a uniform stack: a narrow section, PEC walls keep the TE modes, PMC the TM ones
        solves = [(pol, dict(symmetry=wall, side_wall=wall)) for pol, wall in (("TE", "pec"), ("TM", "pmc"))
                  if pol in polarizations]
    modes, messages = [], []
    skipped = {"pec": "TM", "pmc": "TE"}.get(symmetry) if ridge else None
    if skipped in polarizations:
        messages.append(f"a {symmetry.upper()} plane at x = 0 keeps only the {'TE' if skipped == 'TM' else 'TM'}"
                        f"-like family: symmetry = {'pmc' if skipped == 'TM' else 'pec'} or none for {skipped}-like modes")
    for what, options in solves:
        try:
            res = vectormodes.stack_modes(slab, wavelength, count=count * 2, ridge=ridge, keep_fields=bool(fields),
                                          **options)
        except optics.CutoffError as e:
            messages.append(f"{what}: {e}")
            continue
        seen, kept = {}, []
        for m in res.modes:
            k = seen.get(m.polarization, 0)
            if m.polarization in polarizations and k < count:
                m.order, seen[m.polarization] = k, k + 1
                kept.append(m)
                modes.append(dict(m.describe(), polarization=m.polarization + ("-like" if ridge else "")))
        if fields and kept:
            path = pathlib.Path(fields)
            if what == "TM":
                path = path.with_name(path.stem + "-TM" + path.suffix)
            vectormodes.write_modes(path, res.section, kept)
            messages.append(f"fields of {', '.join(f'{m.polarization}{m.order}' for m in kept)}: {path}")
        messages += res.warnings
        reasons = [r.reason for r in res.rejected]
        if reasons:
            messages.append(f"{what}: eigenpairs set aside: "
                            + ", ".join(f"{reasons.count(k)} {k}" for k in sorted(set(reasons)))
                            + f" ({res.dofs} dofs)")
    return modes, messages


def print_modes(modes, messages, wavelength):
    print(f"guided modes at {wavelength * 1e9:.4g} nm (confinement: |E|^2 fraction per layer)")
    for m in modes:
        conf = ", ".join(f"{k} {v:.4f}" for k, v in m["confinement"].items() if v > 1e-4)
        print(f"  {m['polarization']}{m['order']}  n_eff = {m['n_eff']:.6f}   {conf}")
    for msg in messages:
        print(f"  {msg}")


def run_modes(case, scratch, comm, progress=None, label=None):
    """Slab modes, optional thickness sweep, minimum thickness for ASE and DFB Bragg wavelength."""
    from cqdfem import optics

    m = case.sections["modes"]
    lam = m["wavelength"]
    layer = m.get("layer", case.geometry.active.name if case.geometry.active else None)
    vector = {k: m[k] for k in ("ridge_width", "symmetry") if k in m} if m.get("solver") == "vector" else None
    fields = scratch / "modes.xdmf" if vector is not None and case.sections["output"].get("fields", True) else None
    slab, modes, messages = mode_table(case.geometry, lam, tuple(m.get("polarizations", ["TE", "TM"])),
                                       m.get("count", 4), m.get("temperature"), vector, fields)
    summary = {"case": case.resolved(), "wavelength_m": lam, "modes": modes, "messages": messages}
    if comm.rank == 0:
        print_modes(modes, messages, lam)
    if "thicknesses" in m:
        rows = optics.confinement_sweep(slab, layer, m["thicknesses"], lam)
        summary["sweep"] = {"layer": layer, "thickness_m": [r[0] for r in rows], "n_eff": [r[1] for r in rows],
                            "confinement": [r[2] for r in rows]}
        summary["series"] = ([r[0] for r in rows], [r[2] for r in rows])
    if "wavelengths" in m:
        rows = optics.wavelength_sweep(slab, layer, m["wavelengths"])
        summary["dispersion"] = {"layer": layer, "wavelength_m": [r[0] for r in rows],
                                 "n_eff": [r[1] for r in rows], "confinement": [r[2] for r in rows]}
    if "material_gain" in m:
        t_min = optics.minimum_thickness_for_ase(slab, layer, lam, m["material_gain"], m["loss"])
        summary["minimum_thickness_for_ase_m"] = t_min
        say(comm, f"minimum {layer} thickness for ASE (Γ g = α_i): "
                  + (f"{t_min * 1e9:.1f} nm" if t_min else "none below 2 um"))
    if "period" in m:
        order = m.get("order", 2)
        lam_b, n_b = optics.bragg_wavelength(slab, m["period"], order, guess=lam)
        summary.update(bragg_wavelength_m=lam_b, bragg_n_eff=n_b, bragg_order=order)
        say(comm, f"Bragg wavelength (order {order}, period {m['period'] * 1e9:.4g} nm): {lam_b * 1e9:.3f} nm, "
                  f"n_eff = {n_b:.5f}")
        if "target_wavelength" in m:
            t = optics.thickness_for_wavelength(slab, layer, m["period"], m["target_wavelength"], order)
            summary["thickness_for_target_m"] = t
            say(comm, f"{layer} thickness for {m['target_wavelength'] * 1e9:.4g} nm: "
                      + (f"{t * 1e9:.2f} nm" if t else "none between 20 nm and 1 um"))
    if comm.rank == 0:
        output.write_json(scratch / "summary.json", {k: v for k, v in summary.items() if k != "series"})
        if "sweep" in summary:
            sw = summary["sweep"]
            output.write_csv(scratch / "confinement.csv", {"thickness_m": sw["thickness_m"], "n_eff": sw["n_eff"],
                                                            "confinement": sw["confinement"]})
            if case.sections["output"].get("plots", True):
                output.plot_confinement(scratch / "confinement.png", [(label or layer, *summary["series"])],
                                        title=case.title)
        if "dispersion" in summary:
            d = summary["dispersion"]
            output.write_csv(scratch / "dispersion.csv", {"wavelength_m": d["wavelength_m"], "n_eff": d["n_eff"],
                                                           "confinement": d["confinement"]})
            if case.sections["output"].get("plots", True):
                output.plot_confinement(scratch / "dispersion.png", [(label or layer, d["wavelength_m"],
                                                                      d["confinement"])],
                                        title=case.title, xlabel="wavelength (nm)")
    return summary


RUNNERS = {"mesh": run_mesh, "thermal": run_thermal, "coupled": run_coupled, "sweep": run_sweep,
           "modes": run_modes}
