"""The runaway loop: film temperature → P_th(T) → lasing or not → heat → film temperature.

Each time step the drive temperature of the film (its maximum, or the mean over the pump spot)
sets the threshold P_th(T) (:mod:`cqdfem.lasing.threshold`); the pump lases while it is at or above
it, and the heat model (:class:`cqdfem.lasing.heat.HeatModel`) turns the absorbed pump into heat —
less of it while lasing (stimulated emission carries part away), more as P_th(T) climbs and PLQY
falls. That heat drives the next thermal step (explicitly: the step to t_{n+1} uses T(t_n)).

Two ways to run it:

- :func:`run_fem`: the heat solver itself in the loop (any mesh, any profile);
- :func:`run_fast`: the thermal problem is linear (k, ρc independent of T), so the drive temperature
  for any heat history is a superposition (Duhamel) of one computed FEM step response
  (:func:`step_response`): milliseconds per run, for sweeps. Equal to :func:`run_fem` on the same
  mesh and steps (tests/test_coupling.py).

Events (:func:`events`) are located between samples by linear interpolation of the margin
pump − P_th(T), not at the step: lasing start, lasing stop (``lasing_duration_s``) and runaway.
Runaway is the feedback, defined physically: the loop gain g = R_ss ∂Q/∂T (the steady rise of the
drive temperature per unit film heat, times how fast the heat grows with temperature) reaching 1
while the pump is on — past it no steady state can hold the film (heat generation outgrows removal).
Without feedback (∂Q/∂T = 0, e.g. once lasing has stopped and the heat is constant) it is never
flagged, whatever the mesh; it needs R_ss (``resistance``), which a 1D model through the whole
substrate overstates (use an axisymmetric or 3D model for a finite spot). :func:`steady_state` solves T = T_amb + R_ss Q(T) for a CW pump and finds the fold where no
steady state exists (the critical pump); :func:`continuation` traces the branch.
"""

import dataclasses
import math

import numpy as np

from cqdfem.constants import ROOM_TEMPERATURE

UNIT = 1e15                    # W/m³: the heat density of the unit responses
RUNAWAY_CRITERION = ("the loop gain R_ss dQ/dT (steady drive-temperature rise per unit film heat x the growth "
                     "of the heat with temperature) reaches 1 while the pump is on: past it no steady state "
                     "holds the film; never without feedback (dQ/dT = 0)")


@dataclasses.dataclass(frozen=True)
class Device:
    heat: object                 # cqdfem.lasing.heat.HeatModel
    threshold: object            # a threshold law: law(T) -> W/m², law.ratio(T)

    def heat_density(self, intensity, T):
        """Heat per film volume (W/m³) at pump ``intensity`` and film temperature ``T``."""
        P_th = self.threshold(T)
        q = self.heat.power_density(intensity, threshold=P_th, threshold_ratio=P_th / self.threshold.p_ref)
        return float(q) if np.ndim(q) == 0 else q


@dataclasses.dataclass(frozen=True)
class Pump:
    intensity: float             # peak, W/m²
    profile: object              # cqdfem.thermal.Profile

    def __call__(self, t):
        return self.intensity * np.asarray(self.profile(t), float)


class _Feedback:
    """The heat source of the FEM loop: a time profile whose value is the current heat density.

    The step to t₁ cannot use T(t₁) (it is what the step computes), so it uses T extrapolated
    linearly from the last two samples (:func:`predict`): a second-order predictor instead of the
    lagging T(t₀), which put lasing stops ~0.5 % late on the default steps (tests/test_coupling.py).
    """

    def __init__(self, device, pump, T0):
        self.device, self.pump, self.T = device, pump, T0
        self.history = []                        # (t, T) of the last two samples

    def record(self, t, T):
        self.T = T
        self.history = (self.history + [(t, T)])[-2:]

    def in_step(self, t0, t1, at):
        T = predict(self.history, at) if at > t0 else self.T
        return self.device.heat_density(self.pump.intensity * self.pump.profile.in_step(t0, t1, at), T)

    def __call__(self, t):
        return self.device.heat_density(float(self.pump(t)), self.T)

    def jumps(self):
        return self.pump.profile.jumps()

    def breakpoints(self):
        return self.pump.profile.breakpoints()


def predict(history, t):
    """T at ``t`` extrapolated linearly from the last two (t, T) samples (constant from one)."""
    if len(history) < 2:
        return history[-1][1] if history else None
    (ta, Ta), (tb, Tb) = history
    return Tb + (Tb - Ta) * (t - tb) / (tb - ta) if tb > ta else Tb


def _drive_key(drive):
    return {"max": "film_max_temperature_K", "mean": "spot_mean_temperature_K",
            "centre": "centre_temperature_K"}[drive]


def run_fem(solver, device, pump, times, drive="max", on_step=None, on_output=None, outputs=(), shape=None,
            resistance=None, checkpoint=None, resume=False):
    """The coupled loop with the FEM heat solver (``solver`` has no film source of its own).

    Returns (columns dict, events dict). ``drive``: 'max' (film maximum), 'mean' (spot mean) or
    'centre' (a probe named 'centre' the caller added). ``shape``: the film heat's depth profile
    (see :meth:`cqdfem.thermal.HeatSolver.add_source`; its mean is the device's heat density).
    ``resistance``: R_ss of the same model (:func:`steady_resistance`) for the runaway criterion.
    ``checkpoint``, ``resume``: as :meth:`cqdfem.thermal.HeatSolver.run`; the feedback's state (its
    last two samples) is the series' last two rows, so a resumed loop continues exactly.
    """
    key = _drive_key(drive)
    fb = _Feedback(device, pump, solver.T_initial)
    solver.add_source(1.0, profile=fb, name="feedback", shape=shape)   # W/m³ per unit of the feedback's value

    fb.record(times[0], solver.T_initial)

    def step(i, n, t):
        fb.record(t, solver.latest[key])
        if on_step:
            on_step(i, n, t)

    def resumed(cols):
        fb.history = []
        for t_, T_ in list(zip(cols["time_s"], cols[key]))[-2:]:
            fb.record(t_, T_)

    history = solver.run(times, outputs=outputs, on_output=on_output, on_step=step, energy=False,
                         checkpoint=checkpoint, resume=resume, on_resume=resumed)
    cols = dict(history.columns)
    t = np.asarray(cols["time_s"])
    T = np.asarray(cols[key])
    return _finish(cols, t, T, device, pump, resistance)


def _finish(cols, t, T, device, pump, resistance=None):
    """Threshold, pump, lasing and heat columns from the drive temperature; and the events."""
    I = pump(t)
    P_th = device.threshold(T)
    cols["pump_W_m2"] = I
    # the state at each sample, from that sample's temperature, as the events are
    cols["threshold_W_m2"] = P_th
    cols["lasing"] = ((I >= P_th) & (I > 0)).astype(int)
    cols["heat_W_m3"] = np.array([device.heat_density(i, T_) for i, T_ in zip(I, T)])
    return cols, events(t, T, I, P_th, pump, device, resistance)


def loop_gain(device, intensity, T, resistance, dT=1e-3):
    """g = R_ss ∂Q/∂T at pump ``intensity`` and film temperature ``T`` (central difference)."""
    up = device.heat_density(intensity, T + dT)
    down = device.heat_density(intensity, T - dT)
    return resistance * (np.asarray(up) - np.asarray(down)) / (2 * dT)


def events(t, T, I, P_th, pump, device=None, resistance=None, gain=None):
    """Lasing start/stop times (interpolated where pump − P_th changes sign) and runaway."""
    t, T, I, P_th = (np.asarray(a, float) for a in (t, T, I, P_th))
    margin = np.where(I > 0, I - P_th, -np.inf)
    on = margin >= 0
    out = {"lasing_start_s": None, "lasing_stop_s": None, "lasing_duration_s": None,
           "runaway": False, "runaway_time_s": None, "runaway_criterion": RUNAWAY_CRITERION}
    idx = np.flatnonzero(on)
    if len(idx):
        i = idx[0]
        out["lasing_start_s"] = _crossing(t, margin, i - 1, i) if i > 0 else t[0]
        off = np.flatnonzero(~on[i:])
        if len(off):
            j = i + off[0]
            out["lasing_stop_s"] = _crossing(t, margin, j - 1, j)
            out["lasing_duration_s"] = out["lasing_stop_s"] - out["lasing_start_s"]
        else:
            out["lasing_duration_s"] = t[-1] - out["lasing_start_s"]
    out.update(_runaway(t, T, I, device, resistance, gain))
    if out["runaway_time_s"] is not None and out["lasing_start_s"] is not None:
        # the gain jumps where lasing starts; interpolating between samples must not put it earlier
        out["runaway_time_s"] = max(out["runaway_time_s"], out["lasing_start_s"])
    return out


def _crossing(t, margin, i, j):
    """Where the margin crosses zero between samples i and j (a pump switching off: at t_j)."""
    a, b = margin[i], margin[j]
    if not (np.isfinite(a) and np.isfinite(b)) or a == b:
        return float(t[j]) if not np.isfinite(b) else float(t[i])
    return float(t[i] + (t[j] - t[i]) * a / (a - b))


def _runaway(t, T, I, device, resistance, gain=None):
    if gain is None and (device is None or resistance is None):
        return {"runaway": None, "runaway_criterion": "not evaluated: needs the steady resistance R_ss"}
    on = I > 0
    if not on.any():
        return {}
    g = np.where(on, loop_gain(device, I, T, resistance) if gain is None else gain, -np.inf)
    k = np.flatnonzero(g >= 1.0)
    if not len(k):
        return {"loop_gain_max": float(g[on].max())}
    i = k[0]
    when = float(t[0]) if i == 0 else _crossing(t, g - 1.0, i - 1, i)
    return {"runaway": True, "runaway_time_s": when, "loop_gain_max": float(g[on].max())}


# --- the fast path -------------------------------------------------------------------------------

@dataclasses.dataclass
class StepResponse:
    """The drive temperature rise per unit heat density, R(t) (K per W/m³), on a time grid."""
    time_s: np.ndarray
    rise_K_per_W_m3: np.ndarray
    steady_K_per_W_m3: float | None = None

    def __call__(self, t):
        return np.interp(t, self.time_s, self.rise_K_per_W_m3)

    def convolve(self, dQ, k):
        """Σ_j dQ[j] R(t_{k+1} − t_j), j ≤ k: the drive-temperature rise at t_{k+1} of every device
        (``dQ``: heat changes, time-major (steps, devices))."""
        t = self.time_s
        return self(t[k + 1] - t[:k + 1]) @ dQ[:k + 1]


@dataclasses.dataclass
class UniformResponses:
    """One step response per sample on a shared uniform grid t_k = k Δt (K per W/m³, shape (m, n)):
    every age t_{k+1} − t_j is a grid point, so each step is one multiply-add per past step and
    sample, without interpolation (the sampled inputs change the thermal response itself)."""
    time_s: np.ndarray
    rise_K_per_W_m3: np.ndarray

    def __post_init__(self):
        # time-major and reversed, so that step k reads one contiguous block: R_rev[n-2-k+j] = R(t_{k+1-j})
        self._rev = np.ascontiguousarray(np.asarray(self.rise_K_per_W_m3, float)[:, ::-1].T)

    def convolve(self, dQ, k):
        n = len(self._rev)
        return np.einsum("ji,ji->i", dQ[:k + 1], self._rev[n - 2 - k:n - 1])


def step_response(solver, times, drive="centre", steady=True, shape=None):
    """R(t) of the FEM ``solver`` (no sources of its own) to a unit heat density switched on at t=0."""
    key = _drive_key(drive)
    # a large unit: the rise must stand well clear of T_fixed's rounding (295 K + 1e-16 K is 295 K)
    solver.add_source(UNIT, name="unit", shape=shape)
    h = solver.run(times, energy=False)
    rise = (h.column(key) - solver.T_fixed) / UNIT
    ss = _steady_rise(solver, key) if steady else None
    return StepResponse(np.asarray(h.column("time_s")), rise, ss)


def steady_resistance(solver, drive="max", shape=None):
    """Steady drive-temperature rise per W/m³ of heat in the film (``solver`` without sources)."""
    solver.add_source(UNIT, name="unit", shape=shape)
    return _steady_rise(solver, _drive_key(drive))


def _steady_rise(solver, key):
    solver.steady()
    return (solver.measure(0.0)[key] - solver.T_fixed) / UNIT


def run_fast(response, device, pump, T0=ROOM_TEMPERATURE, resistance=None):
    """The coupled loop by superposition on the response's own time grid: T_{n+1} = T0 +
    Σ_k (Q_k − Q_{k−1}) R(t_{n+1} − t_k), with Q_k the heat on step k from the FEM loop's predictor
    of T(t_{k+1}). On a uniform grid this is exactly what the FEM loop computes (a linear
    time-invariant scheme).
    """
    t = response.time_s
    T = _superpose(response, lambda frac, T_pred: [device.heat_density(pump.intensity * frac, T_pred[0])],
                   pump.profile, 1, T0)[0]
    cols = {"time_s": t, "film_drive_temperature_K": T}
    return _finish(cols, t, T, device, pump, resistance)


def _superpose(response, heat, profile, m, T0):
    """(m, steps) drive temperatures of ``m`` devices whose heat densities ``heat(pump fraction,
    predicted T array)`` feed the superposition of one step response (the core of the fast paths)."""
    t = response.time_s
    n = len(t)
    T0 = np.broadcast_to(np.asarray(T0, float), (m,))
    T = np.repeat(T0[:, None], n, axis=1)
    dQ = np.zeros((n - 1, m))                # time-major: step k's block is contiguous
    Q_prev = np.zeros(m)
    for k in range(n - 1):
        frac = profile.in_step(t[k], t[k + 1], t[k + 1])
        # the FEM loop's predictor: T at t_{k+1} extrapolated from the last two samples
        T_pred = predict([(t[j], T[:, j]) for j in range(max(k - 1, 0), k + 1)], t[k + 1])
        Q = np.asarray(heat(frac, T_pred), float).reshape(m)
        dQ[k] = Q - Q_prev
        Q_prev = Q
        # all past changes, each seen through the response at its own age
        T[:, k + 1] = T0 + response.convolve(dQ, k)
    return T


class BatchDevice:
    """Many devices (samples of uncertain inputs) whose heat density is evaluated as one numpy
    expression: per-sample heat-model parameters and threshold laws (t0, or auger with a constant
    energy) as arrays. Same physics as :meth:`Device.heat_density`, to roundoff."""

    def __init__(self, devices):
        from cqdfem.lasing import threshold as th

        self.devices = list(devices)
        h = [d.heat for d in self.devices]
        col = lambda f: np.array([f(x) for x in h], dtype=float)[:, None]       # noqa: E731
        self.A, self.plqy, self.d = col(lambda x: x.absorptance), col(lambda x: x.plqy), col(lambda x: x.thickness)
        self.q = col(lambda x: x.quantum_ratio)
        self.slope = col(lambda x: 1.0 if x.clamped else x.slope_efficiency)
        self.fA = col(lambda x: x.auger_share)
        laws = [d.threshold for d in self.devices]
        self.p_ref = np.array([law.p_ref for law in laws])[:, None]
        self.T_ref = np.array([law.T_ref for law in laws])[:, None]
        if all(isinstance(law, th.T0) for law in laws):
            self.kind, self.T0 = "t0", np.array([law.T0 for law in laws])[:, None]
        elif all(isinstance(law, th.Auger) and not callable(law.energy) for law in laws):
            self.kind = "auger"
            self.E = np.array([law.energy for law in laws])[:, None]
            self.c = np.array([(1 + 2 * law.mass_ratio) / (1 + law.mass_ratio) for law in laws])[:, None]
        else:
            raise ValueError("a batch needs every law to be t0, or every law auger with a constant energy")

    def __len__(self):
        return len(self.devices)

    def log_ratio(self, T):
        T = np.asarray(T, float).reshape(len(self), -1)
        if self.kind == "t0":
            return (T - self.T_ref) / self.T0
        from cqdfem.lasing.threshold import K_B_EV

        x, x_ref = self.E / (K_B_EV * T), self.E / (K_B_EV * self.T_ref)
        return 1.5 * np.log(x_ref) + self.c * x_ref - (1.5 * np.log(x) + self.c * x)

    def threshold(self, T):
        return self.p_ref * np.exp(self.log_ratio(T))

    def heat_density(self, intensity, T):
        """(samples, m) heat densities for intensities and temperatures of the same shape."""
        I = np.asarray(intensity, float).reshape(len(self), -1)
        r = np.exp(self.log_ratio(T))
        P_th = self.p_ref * r
        absorbed = self.A * I
        below = self.A * np.minimum(I, P_th)
        spont = below * self.plqy / (1.0 + self.fA * (r - 1.0)) * self.q
        stim = (absorbed - below) * self.slope
        return (absorbed - spont - stim) / self.d


def run_fast_many(response, batch, intensities, profile, T0=ROOM_TEMPERATURE, resistance=None):
    """:func:`run_fast` for every device of ``batch`` at once (one time loop, numpy over samples):
    the same predictor and superposition, to roundoff. ``intensities``: peak pump per sample,
    ``profile``: the pump's shape, shared; ``response``: one :class:`StepResponse` for all, or
    :class:`UniformResponses` (one per sample); ``T0`` and ``resistance`` scalars or per sample.
    Returns (T array (samples, steps), [events per sample])."""
    t = response.time_s
    m = len(batch)
    I0 = np.asarray(intensities, float).reshape(m)
    T = _superpose(response, lambda frac, T_pred: batch.heat_density(I0 * frac, T_pred)[:, 0], profile, m, T0)
    # the events of every sample from whole-batch arrays (what _finish does one device at a time)
    I = I0[:, None] * np.asarray(profile(t), float)[None, :]
    P_th = batch.threshold(T)
    gain, R = None, None
    if resistance is not None:
        dT = 1e-3
        R = np.broadcast_to(np.asarray(resistance, float), (m,))
        gain = R[:, None] * (batch.heat_density(I, T + dT) - batch.heat_density(I, T - dT)) / (2 * dT)
    out = [events(t, T[i], I[i], P_th[i], Pump(I0[i], profile), None, None if R is None else R[i],
                  None if gain is None else gain[i]) for i in range(m)]
    return T, out


def steady_many(batch, intensities, resistance, T0=ROOM_TEMPERATURE, T_max=1500.0, n_scan=4000):
    """:func:`steady_state` of every device of ``batch`` at once: (T_ss (nan where none), CW lasing
    (bool)) arrays. The same scan for the first stable root, then bisection to 1e-10 K."""
    m = len(batch)
    I = np.asarray(intensities, float).reshape(m, 1)
    R = np.broadcast_to(np.asarray(resistance, float), (m,))[:, None]
    T0 = np.broadcast_to(np.asarray(T0, float), (m,))[:, None]
    Ts = T0 + (T_max - T0) * np.linspace(0.0, 1.0, n_scan)[None, :]
    g = lambda T: T - T0 - R * batch.heat_density(np.broadcast_to(I, T.shape), T)       # noqa: E731
    vals = g(Ts)
    rising = np.diff(np.sign(vals), axis=1) > 0
    has = rising.any(axis=1)
    i = np.argmax(rising, axis=1)
    rows = np.arange(m)
    lo, hi = Ts[rows, i][:, None], Ts[rows, np.minimum(i + 1, n_scan - 1)][:, None]
    for _ in range(64):
        if np.all(hi - lo <= 1e-10):
            break
        mid = 0.5 * (lo + hi)
        neg = g(mid) < 0
        lo, hi = np.where(neg, mid, lo), np.where(neg, hi, mid)
    T = np.where(has, 0.5 * (lo + hi)[:, 0], np.nan)
    T = np.where(vals[:, 0] >= 0, T0[:, 0], T)             # no heating at all
    lasing = np.isfinite(T) & (I[:, 0] >= batch.threshold(np.where(np.isfinite(T), T, T0[:, 0]))[:, 0])
    return T, lasing


def critical_pump_many(batch, resistance, T0=ROOM_TEMPERATURE, T_max=1500.0, n_scan=4000):
    """The critical CW pump (W/m²) of every device of ``batch``: where the steady branch that starts
    cold ends (its first fold), nan where that branch reaches ``T_max`` without one. Above it the film
    leaves the branch: lasing stops and it settles hotter, or it runs away. (:func:`critical_pump`'s
    bisection finds where no steady state exists at all; the two agree where the branch has a single
    fold, as the lumped model's.) The heat is linear in the pump on either side of threshold
    (:class:`BatchDevice`), so the pump that holds the film at T, I_hold(T), is explicit; the branch
    is where it rises with T and the fold is its first maximum, refined by a parabola."""
    m = len(batch)
    R = np.broadcast_to(np.asarray(resistance, float), (m,))[:, None]
    T0 = np.broadcast_to(np.asarray(T0, float), (m,))[:, None]
    Ts = T0 + (T_max - T0) * np.linspace(0.0, 1.0, n_scan)[None, 1:]
    P = batch.threshold(Ts)
    Q0 = batch.heat_density(np.zeros_like(Ts), Ts)          # heat without pump (none for a film)
    Qk = batch.heat_density(P, Ts)                           # heat at threshold
    above = (batch.heat_density(2 * P, Ts) - Qk) / P         # dQ/dI above threshold
    need = (Ts - T0) / R                                     # the heat that holds the film at T
    with np.errstate(divide="ignore", invalid="ignore"):
        I = np.where(need <= Qk, (need - Q0) * P / (Qk - Q0),
                     np.where(above > 0, P + (need - Qk) / above, np.inf))
    falls = np.diff(I, axis=1) < 0
    has = falls.any(axis=1)
    k = np.argmax(falls, axis=1)                             # I rises up to k, falls after: the fold
    rows = np.arange(m)
    k = np.clip(k, 1, I.shape[1] - 2)
    y0, y1, y2 = I[rows, k - 1], I[rows, k], I[rows, k + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        curv = y0 - 2 * y1 + y2
        top = np.where((curv < 0) & np.isfinite(curv), y1 - (y2 - y0) ** 2 / (8 * curv), y1)
    return np.where(has & np.isfinite(top), np.maximum(top, y1), np.nan)


# --- steady state under a CW pump ----------------------------------------------------------------

def steady_state(device, intensity, resistance, T0=ROOM_TEMPERATURE, T_max=1500.0, n_scan=4000):
    """The stable steady film temperature T = T0 + R_ss Q(T) (R_ss: K per W/m³), or None.

    Returns (T or None, detail). None means the heat generation outgrows heat removal everywhere:
    no steady lasing (past the fold).
    """
    def g(T):
        return T - T0 - resistance * device.heat_density(intensity, T)

    Ts = np.linspace(T0, T_max, n_scan)
    try:
        vals = np.asarray(g(Ts), dtype=float)            # vectorised: one call for the whole scan
        if vals.shape != Ts.shape:
            vals = np.array([g(T) for T in Ts])
    except ValueError as e:            # a table law outside its range
        return None, {"reason": str(e)}
    sign = np.flatnonzero(np.diff(np.sign(vals)) > 0)     # g rising through zero: a stable root
    if vals[0] >= 0:
        return T0, {"reason": "no heating"}
    if not len(sign):
        Q0, Q1 = (float(device.heat_density(intensity, T)) for T in (T0, T_max))
        if abs(Q1 - Q0) <= 1e-9 * abs(Q0):
            # no feedback at all: the steady state exists, it is only hotter than anything physical
            return None, {"reason": f"the steady state ({T0 + resistance * Q0:.4g} K) lies beyond {T_max:g} K: the "
                                    "heat is constant there (no feedback), it only cannot be removed at a physical "
                                    "temperature"}
        return None, {"reason": f"no stable steady state below {T_max:g} K: heat generation outgrows removal"}
    from scipy.optimize import brentq

    i = sign[0]
    T = brentq(g, Ts[i], Ts[i + 1], xtol=1e-10)
    # CW lasing is feasible when the steady film is still below the lasing-off temperature
    return T, {"reason": "stable root", "lasing": bool(intensity >= device.threshold(T))}


def critical_pump(device, resistance, lo, hi, T0=ROOM_TEMPERATURE, rtol=1e-6):
    """The largest CW pump (W/m²) with a stable steady state in [lo, hi] (the fold), or None."""
    ok = lambda I: steady_state(device, I, resistance, T0)[0] is not None   # noqa: E731
    if not ok(lo):
        return None
    if ok(hi):
        return None
    while hi - lo > rtol * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def continuation(device, resistance, intensities, T0=ROOM_TEMPERATURE):
    """The steady branch T_ss(I) over ``intensities`` (None past the fold)."""
    return [steady_state(device, I, resistance, T0)[0] for I in intensities]


def lumped_fold(a, b, theta, resistance):
    """Closed form for a lumped model with heat a + b·exp(ΔT/θ): ΔT = R(a + b e^{ΔT/θ}).

    Tangency at ΔT* = θ ln(θ/(R b)) gives the critical a: a* = (ΔT* − θ)/R. (For tests.)
    """
    dT = theta * math.log(theta / (resistance * b))
    return (dT - theta) / resistance, dT
