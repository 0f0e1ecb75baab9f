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
    dist = _doping_distribution(doping)
    p = poisson(mean)
    N = np.arange(len(p))
    return sum(f * float(p @ absorption_per_dot(N, g_e, g_h, n)) for n, f in dist.items())


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
    dist = _doping_distribution(doping)
    for n in dist:
        _check(g_e, g_h, n)
    f = lambda m: ensemble_absorption(m, g_e, g_h, dist)   # noqa: E731
    if f(0.0) <= 0:
        return 0.0                      # already transparent or gaining with no excitation
    hi = 1.0
    while f(hi) > 0:
        hi *= 2
        if hi > 1e4:
            raise ValueError("no gain threshold: the ensemble never becomes transparent")
    return optimize.brentq(f, 0.0, hi, xtol=1e-14, rtol=1e-14)


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
    eta = competing_lifetime / (transfer_time + competing_lifetime)
    boost = 1 + eta * donor_cross_section / emitter_cross_section * donor_fraction / (1 - donor_fraction)
    return fluence_threshold / boost, eta


# --- gain models for a threshold from material physics --------------------------------------------

GAIN_MODELS = ("state-filling",)


@dataclasses.dataclass(frozen=True)
class GainModel:
    """How a dot's exciton number N (and its doping) sets its band-edge absorption A*/A0.

    ``state-filling``: :func:`absorption_per_dot` with g_e, g_h and n extra electrons. ``doping``: the
    mean number of extra electrons per dot, spread binomially over the g_e states
    (:func:`fermi_dirac_doping`), or explicit ((n, fraction), ...).
    """
    model: str = "state-filling"
    electron_degeneracy: int = 2
    hole_degeneracy: int = 4
    doping: float | tuple = 0.0

    def __post_init__(self):
        if self.model not in GAIN_MODELS:
            raise ValueError(f"unknown gain model {self.model!r} ({', '.join(GAIN_MODELS)})")
        for n in self.doping_fractions():
            _check(self.electron_degeneracy, self.hole_degeneracy, n)

    def doping_fractions(self):
        """{extra electrons: fraction of dots}."""
        if isinstance(self.doping, tuple):
            return _doping_distribution(dict(self.doping))
        if self.doping == 0:
            return {0: 1.0}
        return {n: f for n, f in fermi_dirac_doping(self.doping, self.electron_degeneracy).items() if f > 0}

    def per_dot(self, N, n):
        """A*/A0 of dots with N excitons (array) and n extra electrons."""
        return absorption_per_dot(N, self.electron_degeneracy, self.hole_degeneracy, n)

    def absorption(self, P, n=0):
        """Σ_N P_N A*(N)/A0 over a distribution P of exciton numbers (dots with n extra electrons)."""
        P = np.asarray(P, float)
        return float(P @ self.per_dot(np.arange(len(P)), n))

    def ensemble_absorption(self, mean):
        """A*/A0 of the ensemble with Poisson excitons of ``mean`` (right after a short pulse)."""
        p = poisson(mean)
        return sum(f * self.absorption(p, n) for n, f in self.doping_fractions().items())

    def gain_threshold(self):
        """⟨N⟩_th: the Poisson mean where the ensemble turns transparent."""
        if self.ensemble_absorption(0.0) <= 0:
            return 0.0
        hi = 1.0
        while self.ensemble_absorption(hi) > 0:
            hi *= 2
            if hi > 1e4:
                raise ValueError("no gain threshold: the ensemble never becomes transparent")
        return optimize.brentq(self.ensemble_absorption, 0.0, hi, xtol=1e-14, rtol=1e-14)

    def maximum_gain(self):
        """The largest −A*/A0 the ensemble reaches (every dot at its best exciton number)."""
        N = np.arange(4 * (self.electron_degeneracy + self.hole_degeneracy) + 1)
        return sum(f * float(np.max(-self.per_dot(N, n))) for n, f in self.doping_fractions().items())
