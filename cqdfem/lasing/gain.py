"""Optical-gain statistics of quantum-dot ensembles (seeds 002-004).

A dot holding N excitons (and n extra electrons from doping) absorbs at the band edge in proportion
to A*/A0 = 1 − n_e/g_e − n_h/g_h with n_e = min(N + n, g_e), n_h = min(N, g_h) (state filling of
g_e-fold electron and g_h-fold hole levels); negative is gain. Excitons arrive by Poisson statistics,
⟨N⟩ = σ J. The ensemble gain threshold ⟨N⟩_th solves Σ_N P(N; ⟨N⟩) A*(N)/A0 = 0 (averaged over the
doping distribution): 1.54 for CdSe 1S (g_e = 2, g_h = 4; seed 002 measures 1.55 ± 0.07), exactly 0
for doubly doped dots.
"""

import dataclasses
import math

import numpy as np
from scipy import optimize, stats

H_PLANCK = 6.62607015e-34
C_LIGHT = 299792458.0


def poisson(mean, n_max=None):
    """P(N) for N = 0..n_max (default: far enough into the tail that the rest is < 1e-16)."""
    if mean < 0:
        raise ValueError(f"⟨N⟩ must be >= 0, got {mean}")
    if n_max is None:
        n_max = int(mean + 12 * math.sqrt(mean + 1) + 20)
    return stats.poisson.pmf(np.arange(n_max + 1), mean)


def absorption_per_dot(N, g_e=2, g_h=4, doping=0):
    """A*/A0 of a dot with N excitons and ``doping`` extra electrons (negative: holes)."""
    N = np.asarray(N)
    n_e = np.minimum(N + max(doping, 0), g_e)
    n_h = np.minimum(N + max(-doping, 0), g_h)
    return 1.0 - n_e / g_e - n_h / g_h


def _check(g_e, g_h, doping):
    if g_e < 1 or g_h < 1 or int(g_e) != g_e or int(g_h) != g_h:
        raise ValueError(f"degeneracies must be positive integers, got g_e={g_e}, g_h={g_h}")
    if doping > g_e or -doping > g_h:
        raise ValueError(f"doping {doping} exceeds the band-edge degeneracy")


def ensemble_absorption(mean, g_e=2, g_h=4, doping=None):
    """Σ_N P(N) A*(N)/A0, averaged over ``doping`` ({extra electrons: fraction} or an int)."""
    return GainModel.filling(g_e, g_h, doping).ensemble_absorption(mean)


def _doping_distribution(doping):
    if doping is None:
        return {0: 1.0}
    if isinstance(doping, (int, np.integer)):
        return {int(doping): 1.0}
    dist = {int(n): float(f) for n, f in dict(doping).items()}
    if any(f < 0 for f in dist.values()) or abs(sum(dist.values()) - 1) > 1e-9:
        raise ValueError("doping fractions must be >= 0 and sum to 1")
    return dist


def fermi_dirac_doping(mean_electrons, g_e=2):
    """Fractions of dots with 0..g_e extra electrons when each of the g_e states is filled
    independently with probability ⟨n⟩/g_e (Fermi-Dirac occupancy at fixed mean)."""
    if not 0 <= mean_electrons <= g_e:
        raise ValueError(f"mean extra electrons must be within [0, {g_e}]")
    k = np.arange(g_e + 1)
    return dict(zip(k.tolist(), stats.binom.pmf(k, g_e, mean_electrons / g_e).tolist()))


def gain_threshold(g_e=2, g_h=4, doping=None):
    """The ensemble gain threshold ⟨N⟩_th (excitons per dot) where absorption crosses zero."""
    return GainModel.filling(g_e, g_h, doping).gain_threshold()


# --- conversions ---------------------------------------------------------------------------------

def photon_energy(wavelength):
    """J per photon."""
    return H_PLANCK * C_LIGHT / wavelength


def excitons_from_fluence(energy_fluence, cross_section, wavelength):
    """⟨N⟩ = σ J with J = energy fluence / photon energy (SI: J/m², m², m)."""
    return cross_section * energy_fluence / photon_energy(wavelength)


def fluence_from_excitons(mean, cross_section, wavelength):
    """The energy fluence (J/m²) that gives ⟨N⟩ excitons per dot."""
    return mean / cross_section * photon_energy(wavelength)


def intensities_from_fluence(energy_fluence, duration, shape="gaussian"):
    """(average, peak) intensity W/m² of one pulse of ``duration`` (FWHM for a Gaussian)."""
    average = energy_fluence / duration
    if shape == "gaussian":
        return average, energy_fluence / (duration * math.sqrt(math.pi / (4 * math.log(2))))
    if shape == "square":
        return average, average
    raise ValueError(f"unknown pulse shape {shape!r} (gaussian, square)")


def material_gain(mean, absorbance, thickness, g_e=2, g_h=4, doping=None):
    """Material gain (1/m, positive = gain) of a film whose unexcited band-edge absorbance
    (optical density, log10) is ``absorbance``: g = −(A*/A0) · absorbance · ln 10 / d."""
    return -ensemble_absorption(mean, g_e, g_h, doping) * absorbance * math.log(10) / thickness


# --- measurements --------------------------------------------------------------------------------

def vsl(length, amplitude, gain):
    """Variable-stripe-length intensity I(L) = A (e^{gL} − 1)/g."""
    L = np.asarray(length, float)
    return amplitude * np.expm1(gain * L) / gain


def fit_vsl(length, intensity):
    """Fit I(L) = A(e^{gL} − 1)/g; returns (A, g, their standard errors)."""
    L, I = np.asarray(length, float), np.asarray(intensity, float)
    g0 = max(2 * math.log(max(I[-1] / max(I[len(I) // 2], 1e-300), 1.0 + 1e-9)) / max(L[-1], 1e-300), 1e-3 / L[-1])
    A0 = I[0] / L[0] if L[0] > 0 else I[1] / L[1]
    popt, pcov = optimize.curve_fit(vsl, L, I, p0=[A0, g0], maxfev=20000)
    return popt[0], popt[1], np.sqrt(np.diag(pcov))


def cascade_threshold(fluence_threshold, donor_fraction, donor_cross_section, emitter_cross_section,
                      transfer_time, competing_lifetime):
    """Effective gain threshold fluence with donor→emitter charge transfer (seed 004).

    Emitters receive their own excitations plus those of donors transferred with efficiency
    η = τ_other/(τ_CT + τ_other) (transfer must beat the donors' other decay). With donors making up
    ``donor_fraction`` of the dots, an emitter sees ⟨N⟩ = J [σ_e + η σ_d f_d/(1 − f_d)]:
    the threshold fluence falls by that factor over the emitter-only film.
    """
    if not 0 <= donor_fraction < 1:
        raise ValueError("donor_fraction must be within [0, 1)")
    ratio = donor_cross_section / emitter_cross_section * donor_fraction / (1 - donor_fraction)
    boost, eta = cascade_boost(ratio, transfer_time, competing_lifetime)
    return fluence_threshold / boost, eta


def cascade_boost(donor_absorption_ratio, transfer_time, competing_lifetime):
    """(boost, η): how many more excitations an emitter dot receives per pump photon with donors that
    absorb ``donor_absorption_ratio`` times what the emitters absorb (σ_d N_d / σ_e N_e) and pass them
    on with efficiency η = τ_other / (τ_CT + τ_other): boost = 1 + η · ratio (seed 004). The emitters'
    effective cross-section is σ_e · boost."""
    if not donor_absorption_ratio >= 0:
        raise ValueError(f"the donors' absorption ratio must be >= 0, got {donor_absorption_ratio}")
    if not transfer_time > 0 or not competing_lifetime > 0:
        raise ValueError("transfer_time and competing_lifetime must be > 0")
    eta = competing_lifetime / (transfer_time + competing_lifetime)
    return 1 + eta * donor_absorption_ratio, eta


# --- gain models for a threshold from material physics --------------------------------------------

GAIN_MODELS = ("state-filling", "three-level", "four-level")

# Seed 003's level pictures (Fig 6-8) of a dot with a doubly degenerate band-edge exciton, at the
# lasing line, in units of the gain of a fully inverted dot (so the saturated gain keeps its meaning):
#   unexcited dot: +a (ground-state absorption at the lasing line; a = 1 when the lasing transition
#   ends on the ground state, the three-level picture; a < 1 when it ends on a level that empties, the
#   four-level picture, a = the residual overlap of absorption with emission);
#   one exciton: (a − 1 + b)/2 (one slot still absorbs, one emits, and the exciton absorbs into the
#   biexciton with strength b relative to its own stimulated emission: 003's "ESA into XX");
#   two or more: −1 (fully inverted).
# The default a and b are fixed by 003's own thresholds under band-edge (Rabi) excitation, where the
# two slots fill independently: 3LS 1.0 without ESA and 1.5 with it, 4LS 0.5 and 1.0 (003, Fig 8c-f).
# With binomial statistics of mean m = 2p the threshold is the root of b p² − (b − a − 1) p − a = 0:
# b = 0 gives m = 2a/(1 + a), so a = 1/3 for the 4LS; m = 1.5 (3LS) needs b = 8/3, m = 1.0 (4LS, a = 1/3)
# b = 4/3. These are calibrations of an abstract picture to 003's simulated spectra, not measurements.
LEVEL_DEFAULTS = {"three-level": (1.0, 8.0 / 3.0), "four-level": (1.0 / 3.0, 4.0 / 3.0)}
STATISTICS = ("poisson", "binomial")


def level_absorption(N, lasing_line_absorption, biexciton_absorption):
    """A*/A0 per dot of a level picture (see LEVEL_DEFAULTS) with N excitons, in units of the fully
    inverted dot's gain."""
    N = np.asarray(N)
    a, b = lasing_line_absorption, biexciton_absorption
    return np.where(N <= 0, a, np.where(N == 1, 0.5 * (a - 1.0 + b), -1.0))


@dataclasses.dataclass(frozen=True)
class GainModel:
    """How a dot's exciton number N (and its doping) sets its absorption A*/A0 at the lasing line.

    ``state-filling``: :func:`absorption_per_dot` with g_e, g_h and n extra electrons. ``doping``: the
    mean number of extra electrons per dot, spread binomially over the g_e states
    (:func:`fermi_dirac_doping`), or explicit ((n, fraction), ...).
    ``three-level`` / ``four-level``: seed 003's pictures (:func:`level_absorption`), with
    ``lasing_line_absorption`` a and ``biexciton_absorption`` b (None: LEVEL_DEFAULTS); undoped only.
    For every model a fully inverted dot has A*/A0 = −1, so the material gain is −(A*/A0) α0 with α0
    the saturated gain.
    """
    model: str = "state-filling"
    electron_degeneracy: int = 2
    hole_degeneracy: int = 4
    doping: float | tuple = 0.0
    lasing_line_absorption: float | None = None
    biexciton_absorption: float | None = None

    def __post_init__(self):
        if self.model not in GAIN_MODELS:
            raise ValueError(f"unknown gain model {self.model!r} ({', '.join(GAIN_MODELS)})")
        if self.model == "state-filling":
            if self.lasing_line_absorption is not None or self.biexciton_absorption is not None:
                raise ValueError("lasing_line_absorption and biexciton_absorption belong to the level "
                                 "models (three-level, four-level), not state-filling")
            for n in self.doping_fractions():
                _check(self.electron_degeneracy, self.hole_degeneracy, n)
            return
        if self.doping_fractions() != {0: 1.0}:
            raise ValueError(f"the {self.model} picture is for undoped dots; doping needs the state-filling model")
        a, b = self.levels
        if self.model == "three-level" and a != 1.0:
            raise ValueError("a three-level dot's lasing transition ends on the ground state: "
                             "its lasing_line_absorption is 1 (use four-level for a < 1)")
        if not 0 <= a <= 1:
            raise ValueError(f"lasing_line_absorption must be within [0, 1], got {a}")
        if not 0 <= b <= 100:
            raise ValueError(f"biexciton_absorption must be within [0, 100], got {b}")

    @classmethod
    def filling(cls, g_e=2, g_h=4, doping=None):
        """State filling with ``doping`` exactly n extra electrons per dot (an int, negative: holes)
        or {n: fraction} (the module-level functions' and the CLI's convention; the ``doping``
        field itself takes a mean)."""
        return cls(electron_degeneracy=g_e, hole_degeneracy=g_h, doping=tuple(_doping_distribution(doping).items()))

    @property
    def levels(self):
        """(a, b) of a level model: its lasing-line and biexciton absorption."""
        a0, b0 = LEVEL_DEFAULTS[self.model]
        a = a0 if self.lasing_line_absorption is None else float(self.lasing_line_absorption)
        b = b0 if self.biexciton_absorption is None else float(self.biexciton_absorption)
        return a, b

    @property
    def slots(self):
        """Excitons a dot holds at the band edge before it is fully inverted."""
        return 2 if self.model != "state-filling" else min(self.electron_degeneracy, self.hole_degeneracy)

    def doping_fractions(self):
        """{extra electrons: fraction of dots}."""
        if isinstance(self.doping, tuple):
            return _doping_distribution(dict(self.doping))
        if self.doping == 0:
            return {0: 1.0}
        return {n: f for n, f in fermi_dirac_doping(self.doping, self.electron_degeneracy).items() if f > 0}

    def per_dot(self, N, n):
        """A*/A0 of dots with N excitons (array) and n extra electrons."""
        if self.model != "state-filling":
            return level_absorption(N, *self.levels)
        return absorption_per_dot(N, self.electron_degeneracy, self.hole_degeneracy, n)

    def absorption(self, P, n=0):
        """Σ_N P_N A*(N)/A0 over a distribution P of exciton numbers (dots with n extra electrons)."""
        P = np.asarray(P, float)
        return float(P @ self.per_dot(np.arange(len(P)), n))

    def ensemble_absorption(self, mean, statistics="poisson"):
        """A*/A0 of the ensemble right after a short pulse leaving ``mean`` excitons per dot:
        ``poisson`` (pumped far above the band edge, ⟨N⟩ = σJ) or ``binomial`` (pumped at the band
        edge, 003's Rabi picture: each of the dot's :attr:`slots` filled independently, mean ≤ slots)."""
        if statistics == "poisson":
            p = poisson(mean)
        elif statistics == "binomial":
            if not 0 <= mean <= self.slots:
                raise ValueError(f"band-edge pumping puts at most {self.slots} excitons in a dot, got {mean}")
            p = stats.binom.pmf(np.arange(self.slots + 1), self.slots, mean / self.slots)
        else:
            raise ValueError(f"unknown statistics {statistics!r} ({', '.join(STATISTICS)})")
        return sum(f * self.absorption(p, n) for n, f in self.doping_fractions().items())

    def gain_threshold(self, statistics="poisson"):
        """⟨N⟩_th: the mean excitons per dot from which on the ensemble gains (A*/A0 < 0). The first
        crossing counts: a film transparent when unexcited but absorbing into biexcitons once pumped
        (a = 0, b > 0) has its threshold where the gain finally wins, not at zero."""
        f = lambda m: self.ensemble_absorption(m, statistics)    # noqa: E731
        if f(0.0) < 0:
            return 0.0
        if statistics == "binomial":
            hi = float(self.slots)
            if f(hi) >= 0:
                raise ValueError("no gain threshold: band-edge pumping never makes the ensemble gain")
        else:
            hi = 1.0
            while f(hi) >= 0:
                hi *= 2
                if hi > 1e4:
                    raise ValueError("no gain threshold: the ensemble never becomes transparent")
        grid = np.linspace(0.0, hi, 257)
        values = [f(m) for m in grid]
        i = next(i for i, v in enumerate(values) if v < 0)
        return optimize.brentq(f, grid[i - 1], grid[i], xtol=1e-14, rtol=1e-14)

    def maximum_gain(self):
        """The largest −A*/A0 the ensemble reaches (every dot at its best exciton number)."""
        N = np.arange(4 * (self.electron_degeneracy + self.hole_degeneracy) + 1)
        return sum(f * float(np.max(-self.per_dot(N, n))) for n, f in self.doping_fractions().items())
