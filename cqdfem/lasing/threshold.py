"""Lasing threshold versus temperature, P_th(T): the law that turns film heating into lasing failure.

Three laws, vectorised over T (kelvin), each ``law(T) -> P_th`` in W/m² and ``law.ratio(T) ->
P_th(T)/P_th(T_ref)``:

- :class:`Auger` (seed 001 Eq. 1, Beattie–Landsberg form): a sustained pump must replace Auger
  losses, so P_th ∝ 1/τ_A with τ_A(T) ∝ (E/kT)^{3/2} exp[((1 + 2M)/(1 + M)) E/kT]. E is the band gap
  (constant or Varshni E_g(T)) or, because the real band gap (1.94 eV) makes the law far steeper than
  measured, an *effective energy* fitted to threshold-vs-temperature data; M is the electron/hole
  mass ratio.
- :class:`T0`: P_th(T) = P_th(T_ref) exp((T − T_ref)/T0), the empirical characteristic temperature.
- :class:`Table`: measured points, monotone (PCHIP) interpolation; outside the table is an error.

:func:`calibrate` fits a law's free parameter to (T, ratio) points by least squares on log(ratio);
``law.temperature_at(P)`` inverts the law (the temperature at which lasing stops for a pump P).
Bad parameters raise :class:`ValueError` naming the parameter.
"""

import dataclasses
import math

import numpy as np

from cqdfem.constants import ROOM_TEMPERATURE

K_B_EV = 8.617333262e-5        # Boltzmann constant, eV/K
T_MAX = 2000.0                 # upper end of the search for an inverse temperature, K


def _temperatures(T):
    T = np.asarray(T, dtype=float)
    if np.any(~np.isfinite(T)) or np.any(T <= 0):
        raise ValueError(f"temperatures must be > 0 K, got {T.min() if T.size else T}")
    return T


@dataclasses.dataclass(frozen=True)
class Varshni:
    """E_g(T) = E0 − α T² / (T + β) (eV)."""
    E0: float
    alpha: float
    beta: float

    def __call__(self, T):
        T = np.asarray(T, dtype=float)
        return self.E0 - self.alpha * T * T / (T + self.beta)


class Law:
    """Common part: P_th(T) = p_ref · ratio(T), with ratio(T_ref) = 1."""
    p_ref: float
    T_ref: float

    def _check_ref(self):
        if not (self.p_ref > 0):
            raise ValueError(f"p_ref (threshold at the reference temperature) must be > 0 W/m², got {self.p_ref}")
        if not (self.T_ref > 0):
            raise ValueError(f"T_ref must be > 0 K, got {self.T_ref}")

    def __call__(self, T):
        return self.p_ref * self.ratio(T)

    def domain(self):
        return (1.0, T_MAX)

    def log_ratio(self, T):
        return np.log(self.ratio(T))

    def temperature_at(self, pump):
        """The temperature where P_th reaches ``pump`` (W/m²); None if it never does in the domain.

        Below the domain's lowest threshold (the pump never lases) this is also None: check
        ``law(T) <= pump`` for that case.
        """
        from scipy.optimize import brentq

        lo, hi = self.domain()
        # in logs: the ratio spans hundreds of decades over the search range
        f = lambda T: float(self.log_ratio(T)) + math.log(self.p_ref / pump)   # noqa: E731
        flo, fhi = f(lo), f(hi)
        if flo > 0 or fhi < 0:
            return None
        return brentq(f, lo, hi, xtol=1e-10, rtol=1e-13)


@dataclasses.dataclass(frozen=True)
class Auger(Law):
    """P_th ∝ 1/τ_A(T), τ_A ∝ (E/kT)^{3/2} exp[((1+2M)/(1+M)) E/kT] (seed 001 Eq. 1).

    ``energy``: eV, a number (constant, e.g. an effective energy) or a :class:`Varshni`.
    """
    p_ref: float
    energy: object = 1.94
    mass_ratio: float = 1.0
    T_ref: float = ROOM_TEMPERATURE

    def __post_init__(self):
        self._check_ref()
        if not (self.mass_ratio > 0):
            raise ValueError(f"mass_ratio M must be > 0, got {self.mass_ratio}")
        if not callable(self.energy) and not (self.energy > 0):
            raise ValueError(f"energy must be > 0 eV, got {self.energy}")

    def gap(self, T):
        return self.energy(T) if callable(self.energy) else np.full_like(np.asarray(T, float), self.energy)

    def log_tau(self, T):
        """ln τ_A(T) up to a constant."""
        T = _temperatures(T)
        x = self.gap(T) / (K_B_EV * T)
        if np.any(x <= 0):
            raise ValueError("the band gap must stay positive over the temperatures asked for")
        c = (1 + 2 * self.mass_ratio) / (1 + self.mass_ratio)
        return 1.5 * np.log(x) + c * x

    def log_ratio(self, T):
        return self.log_tau(self.T_ref) - self.log_tau(T)

    def ratio(self, T):
        return np.exp(self.log_ratio(T))

    def describe(self):
        e = self.energy if not callable(self.energy) else dataclasses.asdict(self.energy)
        return {"law": "auger", "p_ref_W_m2": self.p_ref, "T_ref_K": self.T_ref, "energy_eV": e,
                "mass_ratio": self.mass_ratio}


@dataclasses.dataclass(frozen=True)
class T0(Law):
    """P_th(T) = p_ref exp((T − T_ref)/T0)."""
    p_ref: float
    T0: float = 70.0
    T_ref: float = ROOM_TEMPERATURE

    def __post_init__(self):
        self._check_ref()
        if not (self.T0 > 0):
            raise ValueError(f"T0 must be > 0 K, got {self.T0}")

    def log_ratio(self, T):
        return (_temperatures(T) - self.T_ref) / self.T0

    def ratio(self, T):
        return np.exp(self.log_ratio(T))

    def describe(self):
        return {"law": "t0", "p_ref_W_m2": self.p_ref, "T_ref_K": self.T_ref, "T0_K": self.T0}


@dataclasses.dataclass(frozen=True)
class Table(Law):
    """Measured points (T, ratio to p_ref), monotone PCHIP interpolation; error outside the table."""
    p_ref: float
    temperatures: tuple
    ratios: tuple
    T_ref: float = ROOM_TEMPERATURE

    def __post_init__(self):
        self._check_ref()
        T, r = np.asarray(self.temperatures, float), np.asarray(self.ratios, float)
        if T.ndim != 1 or len(T) < 2 or len(T) != len(r):
            raise ValueError("a table needs at least two (T, value) points")
        if np.any(np.diff(T) <= 0):
            raise ValueError("table temperatures must be strictly increasing (sorted, no repeats)")
        if np.any(T <= 0) or np.any(r <= 0):
            raise ValueError("table temperatures and values must be > 0")

    def _interp(self):
        from scipy.interpolate import PchipInterpolator

        return PchipInterpolator(np.asarray(self.temperatures, float), np.asarray(self.ratios, float),
                                 extrapolate=False)

    def domain(self):
        return (float(self.temperatures[0]), float(self.temperatures[-1]))

    def ratio(self, T):
        T = _temperatures(T)
        lo, hi = self.domain()
        if np.any(T < lo - 1e-9) or np.any(T > hi + 1e-9):
            raise ValueError(f"temperature outside the table ({lo:g}-{hi:g} K): "
                             f"{T[(T < lo) | (T > hi)].ravel()[0]:g} K")
        return self._interp()(np.clip(T, lo, hi))

    def describe(self):
        return {"law": "table", "p_ref_W_m2": self.p_ref, "T_ref_K": self.T_ref,
                "temperatures_K": list(self.temperatures), "ratios": list(self.ratios)}


@dataclasses.dataclass
class Fit:
    law: Law
    parameter: str
    value: float
    residuals: np.ndarray        # ln(law ratio) − ln(data ratio) at the points
    rms_log: float

    def describe(self):
        return {"parameter": self.parameter, "value": self.value, "rms_log_ratio": self.rms_log,
                "residuals_log_ratio": self.residuals.tolist()}


def calibrate(kind, points, p_ref, T_ref=ROOM_TEMPERATURE, mass_ratio=1.0):
    """Fit the free parameter of ``kind`` ('auger': effective energy; 't0': T0) to ``points``
    [(T K, P_th(T)/P_th(T_ref))] by least squares on ln(ratio)."""
    from scipy.optimize import least_squares

    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
        raise ValueError("calibration points must be [(T, ratio), ...]")
    T, r = _temperatures(pts[:, 0]), pts[:, 1]
    if np.any(r <= 0):
        raise ValueError("calibration ratios must be > 0")
    if np.all(np.abs(T - T_ref) < 1e-9):
        raise ValueError("calibration needs a point away from the reference temperature")
    if kind == "t0":
        make, name, x0, bounds = (lambda x: T0(p_ref, T0=x, T_ref=T_ref)), "T0_K", 50.0, (1e-3, 1e6)
    elif kind == "auger":
        make = lambda x: Auger(p_ref, energy=x, mass_ratio=mass_ratio, T_ref=T_ref)   # noqa: E731
        name, x0, bounds = "energy_eV", 0.1, (1e-6, 20.0)
    else:
        raise ValueError(f"cannot calibrate a {kind!r} law (auger, t0)")

    def residual(p):
        return np.log(make(p[0]).ratio(T)) - np.log(r)

    x = None
    if kind == "t0":
        # ln ratio = (T − T_ref)/T0 is linear in 1/T0: the least-squares optimum in closed form (the
        # same objective; a sampled case recalibrates per sample, so it matters)
        dT = T - T_ref
        inv = float(np.sum(dT * np.log(r)) / np.sum(dT * dT))
        if inv > 0 and bounds[0] <= 1 / inv <= bounds[1]:
            x = 1 / inv
    if x is None:
        sol = least_squares(residual, [x0], bounds=([bounds[0]], [bounds[1]]), xtol=1e-14, ftol=1e-14, gtol=1e-14)
        x = float(sol.x[0])
    res = residual([x])
    return Fit(law=make(x), parameter=name, value=x, residuals=res, rms_log=float(np.sqrt(np.mean(res ** 2))))


def from_settings(s):
    """A law from a case's validated [threshold] section (SI values); ValueError if inconsistent."""
    law = s.get("law", "t0")
    p_ref = s.get("at_reference")
    if p_ref is None:
        raise ValueError("at_reference (the threshold at the reference temperature) is required")
    T_ref = s.get("reference_temperature", ROOM_TEMPERATURE)
    if law == "table":
        pts = s["table"]           # not sorted here: an unsorted table is an input error
        return Table(p_ref, tuple(p[0] for p in pts), tuple(p[1] for p in pts), T_ref=T_ref), None
    if "fit" in s:
        fit = calibrate(law, s["fit"], p_ref, T_ref, mass_ratio=s.get("mass_ratio", 1.0))
        return fit.law, fit
    if law == "t0":
        return T0(p_ref, T0=s["T0"], T_ref=T_ref), None
    return Auger(p_ref, energy=s.get("energy", 1.94), mass_ratio=s.get("mass_ratio", 1.0), T_ref=T_ref), None
