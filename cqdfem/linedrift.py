"""Optics in the runaway loop: the DFB line and the gain peak drift apart as the film heats.

A DFB laser lases at its grating's line λ_L, not at the gain peak λ_g that ASE follows. Heating moves
both: λ_L through n_eff(T) (dn/dT of every layer) and the period's thermal expansion, λ_g through the
band gap (CdSe ≈ −0.3 meV/K, ≈ +0.1 nm/K at 640 nm; physics.md §12), much faster. The detuning
Δ = λ_L − λ_g costs gain at the line, and Γ(T) changes with n(T), so a DFB threshold climbs faster
than the ASE law P_ASE(T) of Fig 4a:

    P_th(T) = P_ASE(T) · Γ(T_ref)/Γ(T) · S(Δ(T_ref)) / S(Δ(T)),

S the gain spectrum's shape (peak 1; Gaussian or Lorentzian of a stated FWHM), assuming the pump
needed grows in proportion to the peak gain needed (linear gain–pump relation near threshold) and
that the case's reference threshold is the DFB's own at T_ref (the factor is 1 there).

The line and Γ come from the slab solver at each temperature of a table (T_ref − 50 K to
T_ref + 450 K, every 10 K; linear interpolation, linear extrapolation beyond), the whole optical
stack at the film's drive temperature (an upper bound on the line's drift: the substrate is cooler).
The band-edge option adds the unit cell's (lasing edge − Bragg line) at T_ref (:mod:`cqdfem.bands`)
to the Bragg line at every T. The law stays a function of T alone, so the heat problem is still
linear and the superposition fast path holds.
"""

import dataclasses
import math

import numpy as np

from cqdfem.lasing.threshold import Law

SHAPES = ("gaussian", "lorentzian")
SPAN = (-50.0, 450.0, 25.0)       # table: T_ref + (from, to, every), K (n_eff is ~linear in T: linear
                                  # interpolation over 25 K is within 1e-6 nm of the 10 K table's)


@dataclasses.dataclass(frozen=True)
class GainSpectrum:
    """λ_g(T) = peak + shift (T − T_ref); S(Δ) of FWHM ``width``, 1 at Δ = 0."""
    peak: float                    # m, at T_ref
    shift: float                   # m/K
    width: float                   # FWHM, m
    shape: str = "gaussian"
    T_ref: float = 295.0

    def __post_init__(self):
        if self.shape not in SHAPES:
            raise ValueError(f"gain shape must be one of {SHAPES}, not {self.shape!r}")
        if not self.width > 0:
            raise ValueError("the gain width must be > 0")

    def peak_at(self, T):
        return self.peak + self.shift * (np.asarray(T, float) - self.T_ref)

    def log_share(self, delta):
        """log S(Δ) ≤ 0."""
        x = 2 * np.asarray(delta, float) / self.width
        if self.shape == "gaussian":
            return -math.log(2) * x * x
        return -np.log1p(x * x)


@dataclasses.dataclass(frozen=True)
class LineTable:
    """n_eff, Γ of the active layer, the Bragg line and the lasing line vs temperature (TE0)."""
    temperatures: tuple            # K
    n_eff: tuple
    confinement: tuple
    bragg: tuple                   # m
    line: tuple                    # m (Bragg + the band-edge offset)
    offset: float = 0.0            # m: lasing edge − Bragg line at T_ref (0: the Bragg line)

    def at(self, name, T):
        """Linear interpolation of column ``name`` at T (linear extrapolation outside the table)."""
        x = np.asarray(self.temperatures, float)
        y = np.asarray(getattr(self, name), float)
        T = np.asarray(T, float)
        out = np.interp(T, x, y)
        lo, hi = T < x[0], T > x[-1]
        if np.any(lo) or np.any(hi):
            out = np.where(lo, y[0] + (T - x[0]) * (y[1] - y[0]) / (x[1] - x[0]), out)
            out = np.where(hi, y[-1] + (T - x[-1]) * (y[-1] - y[-2]) / (x[-1] - x[-2]), out)
        return out


def line_table(geometry, period, order, T_ref, expansion=0.0, offset=0.0, temperatures=None):
    """The :class:`LineTable` of ``geometry`` (its layers' dn/dT; the period expanding by
    ``expansion`` 1/K) at ``temperatures`` (default: :data:`SPAN` around T_ref)."""
    from cqdfem import optics

    if temperatures is None:
        a, b, d = SPAN
        temperatures = T_ref + np.arange(a, b + d / 2, d)
    temperatures = np.asarray(temperatures, float)
    film = geometry.active.name
    rows, window = [], None
    for T in temperatures:
        slab = optics.Slab.from_geometry(geometry, temperature=float(T), T_ref=T_ref)
        L = period * (1 + expansion * (T - T_ref))
        # the Bragg fixed point λ = 2 n_eff(λ) Λ / m, started from the previous temperatures' line
        # (extrapolated) and with the windows the first one needed: one eigensolve per iteration
        if len(rows) >= 2:
            lam = 2 * rows[-1][0] - rows[-2][0]
        elif rows:
            lam = rows[-1][0]
        else:
            lam = optics.bragg_wavelength(slab, L, order, guess=2 * slab.n_max * period / order)[0]
        for _ in range(60):
            mode = optics.slab_modes(slab, lam, "TE", 1, window=window)[0]
            new = 2 * mode.n_eff * L / order
            done = abs(new - lam) < 1e-15
            lam = new
            if done:
                break
        else:
            raise RuntimeError(f"the Bragg line at {T:g} K did not converge")
        if window is None:
            k0 = 2 * math.pi / lam
            window = tuple(30 / (k0 * math.sqrt(max(mode.n_eff ** 2 - nc ** 2, 1e-30)))
                           for nc in (slab.substrate, slab.cover))
        rows.append((lam, mode.n_eff, mode.confinement[film]))
    lam, n, g = (tuple(float(v) for v in col) for col in zip(*rows))
    return LineTable(tuple(float(t) for t in temperatures), n, g, lam, tuple(x + offset for x in lam), offset)


@dataclasses.dataclass(frozen=True)
class DetunedLaw(Law):
    """P_th(T) = base(T) · Γ(T_ref)/Γ(T) · S(Δ_ref)/S(Δ(T)) (see the module docstring)."""
    base: object
    table: LineTable
    gain: GainSpectrum
    p_ref: float = None
    T_ref: float = None

    def __post_init__(self):
        # the level and reference are the base law's unless replaced (a sweep moves p_ref)
        if self.p_ref is None:
            object.__setattr__(self, "p_ref", self.base.p_ref)
        if self.T_ref is None:
            object.__setattr__(self, "T_ref", self.base.T_ref)
        self._check_ref()

    def detuning(self, T):
        """Δ(T) = λ_L(T) − λ_g(T), m."""
        return self.table.at("line", T) - self.gain.peak_at(T)

    def log_factor(self, T):
        g = self.table.at("confinement", T)
        g_ref = self.table.at("confinement", self.T_ref)
        return (np.log(g_ref / g) + self.gain.log_share(self.detuning(self.T_ref))
                - self.gain.log_share(self.detuning(T)))

    def log_ratio(self, T):
        return self.base.log_ratio(T) + self.log_factor(T)

    def ratio(self, T):
        return np.exp(self.log_ratio(T))

    def domain(self):
        return self.base.domain()

    def columns(self, T):
        """Per drive temperature: the timeseries columns of the optics."""
        return {"lasing_wavelength_m": self.table.at("line", T), "gain_peak_wavelength_m": self.gain.peak_at(T),
                "n_eff": self.table.at("n_eff", T), "confinement": self.table.at("confinement", T)}

    def describe(self):
        d = dict(self.base.describe())
        d.update(p_ref_W_m2=self.p_ref, T_ref_K=self.T_ref)
        d["optics_in_loop"] = {
            "formula": "P_ASE(T) * Gamma(T_ref)/Gamma(T) * S(Delta(T_ref))/S(Delta(T)), Delta = lambda_L - lambda_g",
            "gain_peak_m": self.gain.peak, "gain_peak_shift_m_per_K": self.gain.shift,
            "gain_width_m": self.gain.width, "gain_shape": self.gain.shape,
            "band_edge_offset_m": self.table.offset,
            "line_at_T_ref_m": float(self.table.at("line", self.T_ref)),
            "table_K": [self.table.temperatures[0], self.table.temperatures[-1]]}
        return d
