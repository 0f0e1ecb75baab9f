"""The coupled runaway loop (FEM heat with the threshold feedback) and the sweep (the superposition
fast path over thresholds x pump ratios x durations)."""

import dataclasses
import time

import numpy as np

from cqdfem import compat
from cqdfem.workflows.result import Result
from cqdfem.workflows.thermal import add_layer_heat, heat_solver, nonphysical, temperature_fields

ONE_D_STEADY = ("a 1D model's steady state is that of an infinitely wide film over the whole substrate; "
                "under a finite spot heat also spreads sideways, so the real steady film is cooler: use an "
                "axisymmetric or 3D model for CW answers")
SERIES_ORDER = ("time_s", "pump_W_m2", "threshold_W_m2", "lasing", "heat_W_m3", "film_max_temperature_K",
                "film_mean_temperature_K")


def coupled(model, comm, on_step=None, checkpoint=None, resume=False):
    """The runaway loop with the FEM heat solver; events, steady state."""
    from cqdfem import coupling, thermal
    from cqdfem import mesh as meshlib

    th, device = model.thermal, model.device
    pump = coupling.Pump(model.pump.intensity, model.profile)
    wall0 = time.perf_counter()
    sm = meshlib.create(model.geometry, comm)
    # R_ss of this model first: the runaway criterion (loop gain) and the CW steady state need it
    unit = heat_solver(sm, model)
    resistance = coupling.steady_resistance(unit, model.coupling.drive, shape=model.film_shape)
    unit.free()
    solver = heat_solver(sm, model)
    times = thermal.time_grid(th.end_time, th.first_step, th.step_ratio, th.max_step,
                              breakpoints=model.profile.breakpoints(), restarts=model.profile.jumps(),
                              outputs=th.outputs)
    add_layer_heat(solver, model)
    fields = temperature_fields(model, solver)
    cols, ev = coupling.run_fem(solver, device, pump, times, drive=model.coupling.drive, on_step=on_step,
                                on_output=fields.record if fields else None, outputs=th.outputs,
                                shape=model.film_shape, resistance=resistance, checkpoint=checkpoint,
                                resume=resume)
    steps, matrices, setups = len(times) - 1, solver.matrices, solver.factorisations
    solver.free()
    steady = None
    if model.coupling.steady:
        T_ss, detail = coupling.steady_state(device, pump.intensity, resistance, th.ambient)
        steady = {"resistance_K_per_W_m3": resistance, "temperature_K": T_ss,
                  "cw_lasing": bool(detail.get("lasing", False)), "detail": detail["reason"]}
        if model.geometry.mesh.dimension == 1:
            steady["caveat"] = ONE_D_STEADY
    wall = time.perf_counter() - wall0
    tmax = np.asarray(cols["film_max_temperature_K"])
    columns = {k: cols[k] for k in SERIES_ORDER if k in cols}
    columns.update((k, v) for k, v in cols.items() if k not in columns)
    drift = line_drift(model, columns, ev)
    summary = {
        "case": model.resolved(),
        "film_max_temperature_K": tmax[-1],
        "film_peak_temperature_K": tmax.max(),
        **ev,
        "pump_absorption": model.pump_absorption(),
        **({"laser_line": model.laser_line} if model.laser_line else {}),
        "heat_model": model.heat_above_threshold(),
        "threshold_law": device.threshold.describe(),
        **model.threshold_report(),
        "threshold_fit": model.fit.describe() if model.fit else None,
        "steady_state": steady,
        **({"line_drift": drift} if drift else {}),
        "drive": model.coupling.drive,
        "solver": {"scheme": th.scheme, "steps": steps, "distinct_matrices": matrices, "preconditioner_setups": setups,
                   "wall_time_s": wall, "ranks": comm.size},
        "mesh": sm.summary(),
        "versions": compat.versions(),
        **({"measured_lasing_duration_s": model.coupling.measured_lasing_duration,
            "predicted_over_measured": (ev["lasing_duration_s"] or 0.0) / model.coupling.measured_lasing_duration}
           if model.coupling.measured_lasing_duration else {}),
        "pump_duration_s": model.pump.duration,
        "warnings": nonphysical(tmax.max()) + list(model.warnings) + (
            [f"the steady state counts the film's heat only, not the pump absorbed in "
             f"{', '.join(h.layer for h in model.layer_heat)}"] if steady and model.layer_heat else []),
    }
    return Result(kind="coupled", title=model.title, summary=summary, series=columns, fields=fields)


def line_drift(model, columns, ev):
    """With optics in the loop: the lasing line, gain peak, n_eff and Γ at the drive temperature of
    every step added to ``columns``; returns the summary's ``line_drift`` (None without optics)."""
    from cqdfem.linedrift import DetunedLaw

    law = model.law
    if not isinstance(law, DetunedLaw):
        return None
    t = np.asarray(columns["time_s"])
    T = np.asarray(columns["film_max_temperature_K" if model.coupling.drive == "max" else "film_mean_temperature_K"])
    optics = {k: np.asarray(v) for k, v in law.columns(T).items()}
    columns.update(optics)
    line, peak = optics["lasing_wavelength_m"], optics["gain_peak_wavelength_m"]
    # the state that matters: where lasing stops (else the end of the pump, else the end of the run)
    t_end = ev.get("lasing_stop_s") or model.pump.duration or t[-1]
    T_end = float(np.interp(t_end, t, T))
    at = law.columns(T_end)
    shift = float(at["lasing_wavelength_m"]) - float(line[0])
    o = model.optics
    return {"at": "lasing stop" if ev.get("lasing_stop_s") else "end of the pump", "time_s": t_end,
            "drive_temperature_K": T_end,
            "lasing_wavelength_start_m": float(line[0]), "lasing_wavelength_m": float(at["lasing_wavelength_m"]),
            "line_shift_m": shift, "gain_peak_shift_m": float(at["gain_peak_wavelength_m"]) - float(peak[0]),
            "detuning_start_m": float(line[0] - peak[0]), "detuning_m": float(law.detuning(T_end)),
            "confinement_start": float(optics["confinement"][0]), "confinement": float(at["confinement"]),
            "threshold_factor": float(np.exp(law.log_factor(T_end))),
            "measured_linewidth_m": o.linewidth, "line_shift_over_linewidth": abs(shift) / o.linewidth,
            "sources": model.optics_sources}


def sweep(model, comm, on_step=None):
    """Lasing duration and CW feasibility over thresholds x pump ratios by the superposition fast path:
    one FEM step response and one steady solve, then milliseconds per point."""
    from cqdfem import coupling, thermal
    from cqdfem import mesh as meshlib

    th, sw, profile = model.thermal, model.sweep, model.profile
    wall0 = time.perf_counter()
    sm = meshlib.create(model.geometry, comm)
    # the response on a grid fine enough to interpolate at any age (steps double from first_step)
    times = thermal.time_grid(th.end_time, th.first_step, th.step_ratio / 2, th.max_step)
    # R_ss on the solver of the step response: same unit load, same drive, no second set-up
    response = coupling.step_response(heat_solver(sm, model), times, drive=model.coupling.drive, steady=True,
                                      shape=model.film_shape)
    resistance = response.steady_K_per_W_m3
    t_fem = time.perf_counter() - wall0
    durations = sw.durations or (profile.duration,)
    rows = []
    t1 = time.perf_counter()
    for p_ref in sw.thresholds:
        # the law's shape is the case's; only its level moves (a fit of ratios does not depend on it)
        device = coupling.Device(model.heat, dataclasses.replace(model.law, p_ref=p_ref))
        for ratio in sw.pump_ratios:
            I = ratio * p_ref
            T_ss, detail = coupling.steady_state(device, I, resistance, th.ambient)
            for dur in durations:
                prof = thermal.Profile(rise_time=profile.rise_time, duration=dur)
                _, ev = coupling.run_fast(response, device, coupling.Pump(I, prof), th.initial_temperature,
                                          resistance=resistance)
                stop = ev["lasing_stop_s"]
                rows.append({"threshold_W_m2": p_ref, "pump_W_m2": I, "pump_ratio": ratio,
                             "pump_duration_s": dur if dur is not None else float("inf"),
                             "lasing_duration_s": ev["lasing_duration_s"] if ev["lasing_duration_s"] is not None else 0.0,
                             "lasing_stops": stop is not None and (dur is None or stop < dur * (1 - 1e-9)),
                             "runaway": ev["runaway"],
                             "cw_steady_temperature_K": T_ss if T_ss is not None else float("nan"),
                             "cw_lasing": bool(detail.get("lasing", False))})
    t_points = time.perf_counter() - t1
    summary = {"case": model.resolved(), "pump_absorption": model.pump_absorption(),
               "heat_model": model.heat_above_threshold(), **model.threshold_report(),
               "points": len(rows), "rows": rows,
               "steady_resistance_K_per_W_m3": resistance,
               "timing": {"fem_response_s": t_fem, "sweep_s": t_points,
                          "per_point_ms": 1e3 * t_points / max(len(rows), 1)},
               "mesh": sm.summary(), "versions": compat.versions()}
    table = {k: [r[k] for r in rows] for k in rows[0]}
    return Result(kind="sweep", title=model.title, summary=summary, tables={"sweep.csv": table})
