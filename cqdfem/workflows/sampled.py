"""A sampled run: a thermal or coupled case with an ``[uncertainty]`` table, propagated by the
superposition fast path (physics.md §11).

How (and why it is fast and honest):
1. Samples: scrambled Sobol points over the inputs (:func:`cqdfem.uq.design`): A (the samples the
   quantiles and uq_samples.csv report), and for the Sobol indices B and the d matrices AB_i.
2. Every sample is the case rebuilt with its values (``--set`` overrides through the same build and
   checks as the case: :func:`cqdfem.model.build.sampler`), ~1 ms each.
3. The heat problem is linear, so a sample's film temperature is the superposition of its own step
   response. Inputs that change the response (conductivities, ρc, thicknesses: the "thermal inputs")
   need FEM: ``fem_responses`` samples are solved with DOLFINx, and log R(t) (and the steady
   resistance) is fitted as a quadratic in the log thermal inputs; ``validation`` other samples (half
   of them the most extreme) are solved too, and the fit's error in R and in every output is reported
   beside the band it would distort. Without thermal inputs one FEM response serves all (exact).
4. All samples of a chunk go through one numpy time loop (:func:`cqdfem.coupling.run_fast_many`) on a
   uniform grid (every age a grid point); its error against the graded grid of the FEM loop is
   measured on the case's nominal values and reported.
5. MPI: chunks of a fixed size are dealt to the ranks and gathered; FEM responses are solved serially
   per rank (COMM_SELF) and dealt likewise, so ``mpirun -n N`` gives the serial table bit for bit.
"""

import dataclasses
import math
import time

import numpy as np

from cqdfem import compat
from cqdfem.workflows.result import Result

CHUNK = 512                    # samples per numpy time loop (fixed: the results do not depend on ranks)
OUTPUTS = {
    "coupled": ("lasing_start_s", "lasing_stop_s", "lasing_duration_s", "film_peak_temperature_K", "runaway",
                "runaway_time_s", "cw_steady_temperature_K", "cw_lasing", "critical_pump_W_m2"),
    "thermal": ("film_peak_temperature_K", "film_max_temperature_K", "steady_temperature_K"),
}
FLAGS = ("runaway", "cw_lasing")           # 0/1 outputs: reported as probabilities


def sampled(model, comm, on_step=None):
    from cqdfem import uq
    from cqdfem.model import build as model_build

    u = model.uncertainty
    wall0 = time.perf_counter()
    build = model_build.sampler(u.table, model.path)
    d = len(u.inputs)
    if model.kind == "sweep":
        return _sweep(model, comm, u, build, wall0)
    A, B, AB = uq.design([i.distribution for i in u.inputs], u.samples, u.seed, indices=u.indices)
    rows = A if B is None else np.vstack([A, B, AB.reshape(-1, d)])
    t = np.linspace(0.0, model.thermal.end_time, u.time_steps + 1)
    make = lambda x: build(list(u.geometry_sets) + [o for i, v in zip(u.inputs, x) for o in i.overrides(v)])  # noqa: E731

    # the thermal inputs of every sample (each rank builds its chunks' samples)
    chunks = [(s, min(s + CHUNK, len(rows))) for s in range(0, len(rows), CHUNK)]
    mine = chunks[comm.rank::comm.size]
    built = {c: [_record(make(x), model.kind) for x in rows[c[0]:c[1]]] for c in mine}
    theta = _gather_rows(comm, {c: np.array([r["theta"] for r in recs]) for c, recs in built.items()}, chunks)
    t_build = time.perf_counter() - wall0

    # FEM responses: the design and validation samples, or the case alone without thermal inputs
    t1 = time.perf_counter()
    varying = _independent(theta)
    responses = Responses(model, t, theta, varying, u, make, rows, comm)
    t_fem = time.perf_counter() - t1

    # every sample through the fast path
    t2 = time.perf_counter()
    out_chunks, series_chunks = {}, {}
    for c, recs in built.items():
        R, R_ss = responses.of(np.arange(*c))
        res, ser = _propagate(model, recs, t, R, R_ss, keep_series=c[0] < u.samples)
        out_chunks[c] = res
        if ser is not None:
            series_chunks[c] = ser
    outputs = {k: _gather_rows(comm, {c: o[k] for c, o in out_chunks.items()}, chunks)
               for k in OUTPUTS[model.kind]}
    a_chunks = [c for c in chunks if c[0] < u.samples]
    # the first chunks hold the samples (A) and maybe more evaluations: the band is of the samples
    series = {k: _gather_rows(comm, {c: s[k] for c, s in series_chunks.items()}, a_chunks)[:u.samples]
              for k in (("T", "P_th") if model.kind == "coupled" else ("T",))}
    t_samples = time.perf_counter() - t2

    # the nominal case, the time grid's error and the response fit's error (same on every rank)
    nominal, grid_error = _nominal(model, t, responses)
    validation = responses.validate(lambda idx: [_record(make(rows[i]), model.kind) for i in idx],
                                    lambda recs, R, R_ss: _propagate(model, recs, t, R, R_ss)[0])
    n = u.samples
    summary = _summary(model, u, outputs, rows, n, d, nominal, grid_error, validation, responses,
                       {"sample_builds_s": t_build, "fem_responses_s": t_fem, "samples_s": t_samples,
                        "evaluations": len(rows), "per_evaluation_ms": 1e3 * (t_build + t_samples) / len(rows),
                        "ranks": comm.size, "wall_time_s": time.perf_counter() - wall0})
    table = {"sample": np.arange(n)}
    for j, inp in enumerate(u.inputs):
        table[inp.column] = A[:, j]
    table.update((k, outputs[k][:n]) for k in OUTPUTS[model.kind])
    band = _band(t, series, u.probabilities, model)
    return Result(kind=model.kind, title=model.title, summary=summary, series=band,
                  tables={"uq_samples.csv": table})


# --- one sample ----------------------------------------------------------------------------------

def thermal_signature(m):
    """What the heat problem of a model depends on, as positive numbers: the lateral sizes and the
    spot, the top's convection (+1, to take its log), and per layer its thickness, k (in, cross) and ρc
    (and its pillars' period, diameter and fill). Equal signatures give equal step responses (the
    film's heat shape aside)."""
    g = m.geometry
    spot = g.spot()
    # the lateral sizes and the top's convection shape the response too (a sampled spot is a thermal input)
    out = [x for x in (g.width, g.depth) if x] + (list(np.ravel(spot[1])) if spot else []) + [m.thermal.convection + 1.0]
    for layer in m.geometry.layers:
        mat = layer.material
        out += [layer.thickness, *mat.conductivity, mat.density * mat.heat_capacity]
        if layer.pillars:
            f = layer.pillars.fill
            out += [layer.pillars.period, layer.pillars.diameter, *f.conductivity, f.density * f.heat_capacity]
    return out


def _independent(theta):
    """Columns of the signatures that vary, one of each set that moves together (an isotropic k in
    and cross, the two k of an anisotropic layer scaled by one factor): the fit's variables."""
    x = np.log(theta)
    out = []
    for j in np.flatnonzero(np.ptp(x, axis=0) > 1e-12):
        if not any(np.ptp(x[:, j] - x[:, i]) < 1e-12 for i in out):
            out.append(int(j))
    return np.array(out, dtype=int)


def _record(m, kind):
    """What the fast path needs of one sample's model."""
    rec = {"theta": thermal_signature(m), "T0": m.thermal.initial_temperature, "ambient": m.thermal.ambient}
    if kind == "sweep":
        rec.update(heat=m.heat, law=m.law)
    elif kind == "coupled":
        rec.update(device=m.device, intensity=m.pump.intensity)
    else:
        rec.update(power_density=m.source.power_density)
    return rec


class _Constant:
    """A batch of devices whose heat does not depend on temperature (a thermal case: Q × profile)."""

    def __init__(self, q):
        self.q = np.asarray(q, float)[:, None]

    def __len__(self):
        return len(self.q)

    def heat_density(self, intensity, T):
        return self.q * np.asarray(intensity, float).reshape(len(self), -1)


def _propagate(model, recs, t, R, R_ss, keep_series=False):
    """Outputs (and optionally the time series) of the samples ``recs`` with responses R (m, n)."""
    from cqdfem import coupling

    T0 = np.array([r["T0"] for r in recs])
    ambient = np.array([r["ambient"] for r in recs])
    resp = coupling.UniformResponses(t, R)
    if model.kind == "thermal":
        batch = _Constant([r["power_density"] for r in recs])
        T = coupling._superpose(resp, lambda frac, T_pred: batch.q[:, 0] * frac, model.profile, len(recs), T0)
        film = T.max(axis=1)
        steady = ambient + R_ss * batch.q[:, 0] if model.thermal.steady else np.full(len(recs), np.nan)
        out = {"film_peak_temperature_K": film, "film_max_temperature_K": T[:, -1], "steady_temperature_K": steady}
        return out, ({"T": T} if keep_series else None)
    batch = coupling.BatchDevice([r["device"] for r in recs])
    I0 = np.array([r["intensity"] for r in recs])
    T, evs = coupling.run_fast_many(resp, batch, I0, model.profile, T0, resistance=R_ss)
    T_ss, cw = coupling.steady_many(batch, I0, R_ss, ambient)
    crit = coupling.critical_pump_many(batch, R_ss, ambient)
    f = lambda k: np.array([np.nan if e[k] is None else float(e[k]) for e in evs])       # noqa: E731
    out = {"lasing_start_s": f("lasing_start_s"), "lasing_stop_s": f("lasing_stop_s"),
           "lasing_duration_s": np.nan_to_num(f("lasing_duration_s"), nan=0.0),
           "film_peak_temperature_K": T.max(axis=1), "runaway": np.array([float(e["runaway"]) for e in evs]),
           "runaway_time_s": f("runaway_time_s"), "cw_steady_temperature_K": T_ss, "cw_lasing": cw.astype(float),
           "critical_pump_W_m2": crit}
    return out, ({"T": T, "P_th": batch.threshold(T)} if keep_series else None)


# --- FEM step responses and their fit over the thermal inputs --------------------------------------

def _fem_response(m, t):
    """(R on the uniform grid ``t``, steady resistance) of one model, solved serially (COMM_SELF)."""
    from mpi4py import MPI

    from cqdfem import coupling, thermal
    from cqdfem import mesh as meshlib
    from cqdfem.workflows.thermal import heat_solver

    th = m.thermal
    sm = meshlib.create(m.geometry, MPI.COMM_SELF)
    times = thermal.time_grid(th.end_time, th.first_step, th.step_ratio / 2, th.max_step)
    # the steady solve on the solver of the transient: same unit load, same drive, no second set-up
    r = coupling.step_response(heat_solver(sm, m), times, drive=m.coupling.drive, steady=True, shape=m.film_shape)
    return r, np.interp(t, r.time_s, r.rise_K_per_W_m3), r.steady_K_per_W_m3


class Responses:
    """The step responses of all samples: one FEM solve (no thermal input uncertain) or a quadratic
    fit of log R(t) and log R_ss over the log thermal inputs, from FEM solves of design samples."""

    def __init__(self, model, t, theta, varying, u, make, rows, comm):
        self.t, self.varying = t, varying
        n = u.samples
        if not len(varying):
            r = comm.bcast(_fem_response(model, t) if comm.rank == 0 else None, root=0)
            self.base, self.R, self.R_ss = r[0], r[1], r[2]
            self.method = "one FEM step response (no uncertain input changes the heat problem)"
            self.design, self.check = [], []
            return
        self.base = None
        p = len(varying)
        x = np.log(theta[:, varying])
        self.centre, self.scale = x[:n].mean(axis=0), np.maximum(x[:n].std(axis=0), 1e-300)
        z = (x - self.centre) / self.scale
        K = min(u.fem_responses, n)
        quad = (p + 1) * (p + 2) // 2
        self.degree = 2 if K >= 2 * quad else 1
        if K < p + 2:
            from cqdfem.errors import InputError

            raise InputError(f"{p} thermal inputs vary but fem_responses = {K}: expected at least {p + 2} "
                             f"(a quadratic fit wants {2 * quad})", "uncertainty.fem_responses")
        self.design = list(range(K))
        # validation: the most extreme samples of all evaluations, and as many more from the sequence
        V = u.validation
        extreme = [int(i) for i in np.argsort(-np.abs(z).max(axis=1)) if i >= K][:V - V // 2]
        more = [i for i in range(K, n) if i not in extreme][:V // 2]
        self.check = extreme + more
        todo = self.design + self.check
        mine = {i: _fem_response(make(rows[i]), t)[1:] for i in todo[comm.rank::comm.size]}
        solved = {}
        for part in comm.allgather(mine):
            solved.update(part)
        self.solved = solved
        Rd = np.array([solved[i][0][1:] for i in self.design])
        ss = np.array([solved[i][1] for i in self.design])
        if np.any(Rd <= 0) or np.any(ss <= 0):
            raise RuntimeError("a FEM step response is not positive: cannot fit its logarithm")
        phi = self._features(z[self.design])
        self.coef, *_ = np.linalg.lstsq(phi, np.log(np.column_stack([Rd, ss])), rcond=None)
        self.z = z
        self.method = (f"{'quadratic' if self.degree == 2 else 'linear'} least-squares fit of log R(t) and log R_ss "
                       f"in the log thermal inputs, from {K} FEM step responses (design samples)")

    def _features(self, z):
        cols = [np.ones(len(z))] + [z[:, i] for i in range(z.shape[1])]
        if self.degree == 2:
            cols += [z[:, i] * z[:, j] for i in range(z.shape[1]) for j in range(i, z.shape[1])]
        return np.column_stack(cols)

    def of(self, idx):
        """(R (m, n) on the uniform grid, R_ss (m,)) of the evaluations ``idx``."""
        if not len(self.varying):
            return np.repeat(self.R[None], len(idx), axis=0), np.full(len(idx), self.R_ss)
        y = np.exp(self._features(self.z[idx]) @ self.coef)
        return np.column_stack([np.zeros(len(idx)), y[:, :-1]]), y[:, -1]

    def validate(self, records, propagate):
        """The fit against FEM on the validation samples: R, R_ss and every output."""
        if not len(self.varying):
            return {"method": self.method, "exact": True, "resistance_K_per_W_m3": self.R_ss}
        idx = np.array(self.check, dtype=int)
        if not len(idx):
            return {"method": self.method, "validation_samples": 0, "warning": "no validation samples: error unknown"}
        recs = records(idx)
        R_fit, ss_fit = self.of(idx)
        R_fem = np.array([self.solved[i][0] for i in idx])
        ss_fem = np.array([self.solved[i][1] for i in idx])
        rel = np.abs(R_fit[:, 1:] / R_fem[:, 1:] - 1).max()
        rel_end = (np.abs(R_fit - R_fem).max(axis=1) / R_fem[:, -1]).max()
        fit_out = propagate(recs, R_fit, ss_fit)
        fem_out = propagate(recs, R_fem, ss_fem)
        errors = {}
        for k, v in fem_out.items():
            a, b = np.asarray(fit_out[k], float), np.asarray(v, float)
            both = np.isfinite(a) & np.isfinite(b)
            errors[k] = {"max_abs_error": float(np.abs(a - b)[both].max()) if both.any() else None,
                         "disagree_on_existence": int((np.isfinite(a) != np.isfinite(b)).sum())}
        return {"method": self.method, "thermal_inputs": len(self.varying), "fem_responses": len(self.design),
                "validation_samples": len(idx), "max_relative_error_R": float(rel),
                "max_error_R_over_final_R": float(rel_end),
                "max_relative_error_R_ss": float(np.abs(ss_fit / ss_fem - 1).max()), "outputs": errors}


def _gather_rows(comm, parts, chunks):
    """The per-chunk arrays of all ranks, in chunk order (the serial order)."""
    merged = {}
    for p in comm.allgather(parts):
        merged.update(p)
    return np.concatenate([merged[c] for c in chunks]) if chunks else np.array([])


def _nominal(model, t, responses):
    """The case's own values through the fast path on the uniform grid, and the grid's error
    against the FEM loop's graded grid (run_fast on the FEM response itself)."""
    from cqdfem import coupling

    base = responses.base
    if base is None:
        r, R, R_ss = _fem_response(model, t)
    else:
        r, R, R_ss = base, responses.R, responses.R_ss
    rec = _record(model, model.kind)
    uniform, _ = _propagate(model, [rec], t, R[None], np.array([R_ss]))
    nominal = {k: float(v[0]) for k, v in uniform.items()}
    if model.kind != "coupled":
        return nominal, None
    cols, ev = coupling.run_fast(r, model.device, coupling.Pump(model.pump.intensity, model.profile),
                                 model.thermal.initial_temperature, resistance=R_ss)
    graded = {"lasing_duration_s": ev["lasing_duration_s"] or 0.0,
              "film_peak_temperature_K": float(np.max(cols["film_drive_temperature_K"]))}
    error = {k: abs(nominal[k] - v) for k, v in graded.items()}
    return nominal, {"steps": len(t) - 1, "time_step_s": float(t[1] - t[0]), "graded_grid": graded,
                     "abs_error": error}


# --- the summary --------------------------------------------------------------------------------

def _summary(model, u, outputs, rows, n, d, nominal, grid_error, validation, responses, timing):
    from cqdfem import uq

    A_out = {k: v[:n] for k, v in outputs.items()}
    stats = {}
    for k, v in A_out.items():
        if k in FLAGS:
            continue
        stats[k] = uq.quantiles(v, u.probabilities) if np.isfinite(v).any() else {"finite": 0}
    probabilities = {k: float(np.mean(A_out[k])) for k in FLAGS if k in A_out}
    if "lasing_stop_s" in A_out and model.pump.duration:
        stop = A_out["lasing_stop_s"]
        probabilities["lasing_stops_before_pump_ends"] = float(np.mean(np.isfinite(stop) &
                                                                       (stop < model.pump.duration * (1 - 1e-9))))
    out = {"samples": n, "seed": u.seed, "evaluations": len(rows), "confidence": u.confidence, "inputs": [i.describe() for i in u.inputs],
           "outputs": stats, "probabilities": probabilities, "nominal": nominal,
           "thermal_response": validation, "time_grid": grid_error}
    if model.kind == "coupled" and model.geometry.mesh.dimension == 1:
        from cqdfem.workflows.coupled import ONE_D_STEADY

        out["cw_caveat"] = ONE_D_STEADY
    measured = model.coupling.measured_lasing_duration
    if measured and "lasing_duration_s" in A_out:
        dur = A_out["lasing_duration_s"]
        out["measured_lasing_duration_s"] = measured
        out["measured_quantile"] = float(np.mean(dur <= measured))
        lo, hi = (stats["lasing_duration_s"][f"p{100 * p:g}"] for p in (min(u.probabilities), max(u.probabilities)))
        out["measured_within_band"] = bool(lo <= measured <= hi)
    if u.indices:
        out["sobol"], out["sobol_convergence"] = _indices(outputs, n, d, u)
    def width(k):                      # of the output's band (P_lo to P_hi), 0 where unknown
        s = stats.get(k, {})
        return s.get(f"p{100 * max(u.probabilities):g}", 0) - s.get(f"p{100 * min(u.probabilities):g}", 0)

    warnings = []
    for k, e in (validation.get("outputs") or {}).items():
        if e["max_abs_error"] is not None and width(k) > 0:
            e["over_band_width"] = e["max_abs_error"] / width(k)
            if e["over_band_width"] > 0.1:
                warnings.append(f"the response fit's error in {k} ({e['max_abs_error']:.3g}) is "
                                f"{100 * e['over_band_width']:.0f} % of its band: raise uncertainty.fem_responses")
    if grid_error:
        for k, e in grid_error["abs_error"].items():
            if width(k) > 0 and e > 0.1 * width(k):
                warnings.append(f"the uniform grid's error in {k} ({e:.3g}) is over 10 % of its band: raise "
                                "uncertainty.time_steps")
    return {"case": model.resolved(), "uq": out, "timing": timing, "warnings": list(model.warnings) + warnings,
            "versions": compat.versions(),
            **({"measured_lasing_duration_s": measured} if measured else {}),
            "pump_duration_s": model.pump.duration}


def _indices(outputs, n, d, u):
    """Sobol indices of every output finite in all evaluations, and their CI widths at n/4, n/2, n."""
    from cqdfem import uq

    names = [i.key for i in u.inputs]
    sobol, conv = {}, {}
    for k, v in outputs.items():
        if k in FLAGS or not np.all(np.isfinite(v)) or np.ptp(v) == 0:
            continue
        fA, fB, fAB = v[:n], v[n:2 * n], v[2 * n:].reshape(d, n)
        r = uq.sobol_from(fA[None], fB[None], fAB[:, None, :], confidence=u.confidence, seed=u.seed)[0]
        sobol[k] = {name: {"first": float(r["first"][j]), "total": float(r["total"][j]),
                           "first_ci": [float(x) for x in r["first_ci"][j]],
                           "total_ci": [float(x) for x in r["total_ci"][j]]} for j, name in enumerate(names)}
        steps = []
        for m in (n // 4, n // 2, n):
            if m < 16:
                continue
            rm = uq.sobol_from(fA[None, :m], fB[None, :m], fAB[:, None, :m], confidence=u.confidence, seed=u.seed)[0]
            steps.append({"n": m, "max_first_ci_width": float(np.ptp(rm["first_ci"], axis=1).max()),
                          "max_total_ci_width": float(np.ptp(rm["total_ci"], axis=1).max())})
        conv[k] = steps
    return sobol, conv


def _band(t, series, probabilities, model):
    """timeseries.csv of a sampled run: the P_lo/P50/P_hi of the film temperature (and threshold)."""
    lo, hi = min(probabilities), max(probabilities)
    out = {"time_s": t}
    for key, name, unit in (("T", "film_max_temperature", "K"), ("P_th", "threshold", "W_m2")):
        if key in series and len(series[key]):
            q = np.quantile(series[key], [lo, 0.5, hi], axis=0)
            for p, row in zip((lo, 0.5, hi), q):
                out[f"{name}_p{100 * p:g}_{unit}"] = row
    if model.kind == "coupled":
        out["pump_W_m2"] = model.pump.intensity * np.asarray(model.profile(t), float)
    return out


# --- a sampled sweep: probabilities per map point -------------------------------------------------

def _sweep(model, comm, u, build, wall0):
    """Every sample at every threshold x pump ratio (x duration) of the map: the probability of CW
    lasing and of lasing stopping before the pump ends, and the band of the lasing duration, per
    point. (No Sobol indices: one set per point would say little; sample a coupled case for them.)"""
    from cqdfem import coupling, thermal, uq

    sw, profile = model.sweep, model.profile
    A, _, _ = uq.design([i.distribution for i in u.inputs], u.samples, u.seed, indices=False)
    n = len(A)
    t = np.linspace(0.0, model.thermal.end_time, u.time_steps + 1)
    make = lambda x: build(list(u.geometry_sets) + [o for i, v in zip(u.inputs, x) for o in i.overrides(v)])  # noqa: E731
    points = [(p, r) for p in sw.thresholds for r in sw.pump_ratios]
    durations = sw.durations or (profile.duration,)
    per = max(1, CHUNK // len(points))
    chunks = [(a, min(a + per, n)) for a in range(0, n, per)]
    mine = chunks[comm.rank::comm.size]
    built = {c: [_record(make(x), "sweep") for x in A[c[0]:c[1]]] for c in mine}
    theta = _gather_rows(comm, {c: np.array([r["theta"] for r in recs]) for c, recs in built.items()}, chunks)
    t_build = time.perf_counter() - wall0
    t1 = time.perf_counter()
    responses = Responses(model, t, theta, _independent(theta), u, make, A, comm)
    t_fem = time.perf_counter() - t1
    t2 = time.perf_counter()
    keys = ("cw_steady_temperature_K", "cw_lasing") + tuple(f"{k}@{j}" for j in range(len(durations))
                                                            for k in ("lasing_duration_s", "lasing_stops", "runaway"))
    out = {}
    for c, recs in built.items():
        R, R_ss = responses.of(np.arange(*c))
        devices = [coupling.Device(r["heat"], dataclasses.replace(r["law"], p_ref=p)) for r in recs for p, _ in points]
        I = np.array([ratio * p for _ in recs for p, ratio in points])
        rep = lambda a: np.repeat(np.asarray(a), len(points), axis=0)        # noqa: E731
        batch = coupling.BatchDevice(devices)
        ambient = rep([r["ambient"] for r in recs])
        T_ss, cw = coupling.steady_many(batch, I, rep(R_ss), ambient)
        res = {"cw_steady_temperature_K": T_ss, "cw_lasing": cw.astype(float)}
        for j, dur in enumerate(durations):
            prof = thermal.Profile(rise_time=profile.rise_time, duration=dur)
            _, evs = coupling.run_fast_many(coupling.UniformResponses(t, rep(R)), batch, I, prof,
                                            rep([r["T0"] for r in recs]), resistance=rep(R_ss))
            stop = np.array([np.nan if e["lasing_stop_s"] is None else e["lasing_stop_s"] for e in evs])
            res[f"lasing_duration_s@{j}"] = np.array([e["lasing_duration_s"] or 0.0 for e in evs])
            res[f"lasing_stops@{j}"] = (np.isfinite(stop) & (stop < (dur or np.inf) * (1 - 1e-9))).astype(float)
            res[f"runaway@{j}"] = np.array([float(e["runaway"]) for e in evs])
        out[c] = {k: v.reshape(len(recs), len(points)) for k, v in res.items()}
    table = {k: _gather_rows(comm, {c: o[k] for c, o in out.items()}, chunks) for k in keys}   # (n, points)
    t_samples = time.perf_counter() - t2
    lo, hi = min(u.probabilities), max(u.probabilities)
    rows, long = [], {"sample": [], "threshold_W_m2": [], "pump_ratio": [], "pump_duration_s": [],
                      "lasing_duration_s": [], "lasing_stops": [], "cw_steady_temperature_K": [], "cw_lasing": []}
    for j, dur in enumerate(durations):
        for k, (p, ratio) in enumerate(points):
            dur_k = table[f"lasing_duration_s@{j}"][:, k]
            T_k = table["cw_steady_temperature_K"][:, k]
            q = uq.quantiles(dur_k, (lo, 0.5, hi))
            rows.append({"threshold_W_m2": p, "pump_W_m2": ratio * p, "pump_ratio": ratio,
                         "pump_duration_s": dur if dur is not None else float("inf"),
                         "lasing_duration_s": q["p50"], f"lasing_duration_p{100 * lo:g}_s": q[f"p{100 * lo:g}"],
                         f"lasing_duration_p{100 * hi:g}_s": q[f"p{100 * hi:g}"],
                         "lasing_stops_probability": float(table[f"lasing_stops@{j}"][:, k].mean()),
                         "lasing_stops": bool(table[f"lasing_stops@{j}"][:, k].mean() >= 0.5),
                         "runaway_probability": float(table[f"runaway@{j}"][:, k].mean()),
                         "runaway": bool(table[f"runaway@{j}"][:, k].mean() >= 0.5),
                         "cw_lasing_probability": float(table["cw_lasing"][:, k].mean()),
                         "cw_lasing": bool(table["cw_lasing"][:, k].mean() >= 0.5),
                         "cw_steady_temperature_K": float(np.nanmedian(T_k)) if np.isfinite(T_k).any() else float("nan")})
            for i in range(n):
                for key, v in (("sample", i), ("threshold_W_m2", p), ("pump_ratio", ratio),
                               ("pump_duration_s", dur if dur is not None else float("inf")),
                               ("lasing_duration_s", dur_k[i]), ("lasing_stops", table[f"lasing_stops@{j}"][i, k]),
                               ("cw_steady_temperature_K", T_k[i]), ("cw_lasing", table["cw_lasing"][i, k])):
                    long[key].append(v)
    validation = responses.validate(lambda idx: [_record(make(A[i]), "sweep") for i in idx],
                                    lambda recs, R, R_ss: _sweep_check(model, recs, t, R, R_ss, points))
    summary = {"case": model.resolved(), "points": len(rows), "rows": rows,
               "uq": {"samples": n, "seed": u.seed, "evaluations": n * len(points) * len(durations),
                      "inputs": [i.describe() for i in u.inputs], "outputs": {}, "thermal_response": validation,
                      "what": "rows: per map point, the median lasing duration and its band, and the probability "
                              "(share of samples) of CW lasing, of lasing stopping before the pump ends and of runaway; "
                              "cw_lasing / lasing_stops / runaway: that probability >= 0.5"},
               "timing": {"sample_builds_s": t_build, "fem_responses_s": t_fem, "samples_s": t_samples,
                          "evaluations": n * len(points) * len(durations),
                          "per_evaluation_ms": 1e3 * (t_build + t_samples) / (n * len(points) * len(durations)),
                          "ranks": comm.size, "wall_time_s": time.perf_counter() - wall0},
               "warnings": list(model.warnings), "versions": compat.versions()}
    points_table = {k: [r[k] for r in rows] for k in rows[0]}
    return Result(kind="sweep", title=model.title, summary=summary,
                  tables={"sweep.csv": points_table, "uq_samples.csv": {k: np.asarray(v) for k, v in long.items()}})


def _sweep_check(model, recs, t, R, R_ss, points):
    """What the response fit's validation compares in a sweep: the CW steady temperature and the
    lasing duration (the case's pulse) of every sample at every point."""
    from cqdfem import coupling

    devices = [coupling.Device(r["heat"], dataclasses.replace(r["law"], p_ref=p)) for r in recs for p, _ in points]
    I = np.array([ratio * p for _ in recs for p, ratio in points])
    batch = coupling.BatchDevice(devices)
    k = len(points)
    T_ss, _ = coupling.steady_many(batch, I, np.repeat(R_ss, k), np.repeat([r["ambient"] for r in recs], k))
    _, evs = coupling.run_fast_many(coupling.UniformResponses(t, np.repeat(R, k, axis=0)), batch, I, model.profile,
                                    np.repeat([r["T0"] for r in recs], k))
    return {"cw_steady_temperature_K": T_ss, "lasing_duration_s": np.array([e["lasing_duration_s"] or 0.0 for e in evs])}
