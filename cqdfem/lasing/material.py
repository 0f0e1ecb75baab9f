"""The lasing threshold from material physics: the pump that makes the film's steady gain pay the
mode's losses (physics.md §6, §7, §13).

A pump of intensity I at photon energy hν gives each dot G = σ I / hν absorptions per second. Against
Auger, radiative and trap decay (:mod:`cqdfem.lasing.kinetics`) the dots settle in a steady
distribution P_N of exciton numbers; a gain model (:mod:`cqdfem.lasing.gain`: state filling with
degeneracies and doping, or seed 003's level pictures) turns P_N into the band-edge absorption
A*/A0 of the ensemble, and the material gain is g = −(A*/A0) α0, with α0 the unexcited film's
band-edge absorption coefficient (= the gain at full inversion, the saturated gain). The threshold is
the intensity where the modal gain meets the losses:

    Γ g(P_N(I)) = α_total       (α_total = internal + radiation/outcoupling loss of the mode)

solved by bracketing on log I. For a pulse much shorter than every decay (fs pumping, seeds 002 and
004) the dots hold a Poisson distribution of mean σ J / hν, and the same condition gives a threshold
fluence J_th. Limits (tests): without Auger and loss, I_th = ⟨N⟩_th hν / (σ τ_rad); doubly doped
CdSe (transparent with no excitons) has I_th → 0 as the loss → 0.
"""

import dataclasses
import math

import numpy as np
from scipy import optimize

from cqdfem.lasing import gain as gains
from cqdfem.lasing import kinetics

N_TAIL = 1e-12        # the kinetics follow enough states that the population above them is below this


@dataclasses.dataclass(frozen=True)
class Optics:
    """The mode's side of the threshold condition Γ g = α_total."""
    confinement: float                 # Γ, share of the mode in the gain film
    loss: float                        # α_total, 1/m (internal + radiation)

    def __post_init__(self):
        if not 0 < self.confinement <= 1:
            raise ValueError(f"confinement must be within (0, 1], got {self.confinement}")
        if not self.loss >= 0:
            raise ValueError(f"loss must be >= 0 1/m, got {self.loss}")

    @property
    def required_gain(self):
        """Material gain the film must give, 1/m."""
        return self.loss / self.confinement


@dataclasses.dataclass(frozen=True)
class Result:
    """A threshold from material physics and what it rests on."""
    intensity: float | None            # W/m² (steady state), None: unreachable
    fluence: float | None              # J/m² of a short pulse (Poisson), None: unreachable
    excitons: float | None             # ⟨N⟩ per dot at the steady threshold
    generation: float | None           # G = σ I / hν at the steady threshold, 1/s
    required_gain: float               # α_total / Γ, 1/m
    transparency_excitons: float       # ⟨N⟩_th of the gain model (Poisson, no loss)
    reason: str | None = None          # why there is no threshold

    def summary(self):
        return {"intensity_W_m2": self.intensity, "fluence_J_m2": self.fluence,
                "mean_excitons_at_threshold": self.excitons, "generation_per_s": self.generation,
                "required_material_gain_1_m": self.required_gain,
                "transparency_mean_excitons": self.transparency_excitons, "unreachable": self.reason}


def _states(dots, mean_hint):
    """How many exciton states the steady state needs (its tail below N_TAIL)."""
    n = max(dots.n_max, int(mean_hint + 10 * math.sqrt(mean_hint + 1) + 12))
    return min(n, 400)


def steady_populations(dots, doping=0):
    """P_N of dots with ``doping`` extra electrons under a constant pump (the kinetics' steady state,
    with enough states that the truncation is invisible)."""
    d = dataclasses.replace(dots, doping=doping)
    mean = d.generation * d.pl_lifetime
    d = dataclasses.replace(d, n_max=_states(d, mean))
    while True:
        P, _ = kinetics.steady_state(d)
        if P[-1] < N_TAIL or d.n_max >= 400:
            return P
        d = dataclasses.replace(d, n_max=min(2 * d.n_max, 400))


def steady_gain(model, dots, saturated_gain):
    """Material gain (1/m) of the film under the pump ``dots`` describe."""
    a = sum(f * model.absorption(steady_populations(dots, n), n) for n, f in model.doping_fractions().items())
    return -a * saturated_gain


def pulse_gain(model, mean, saturated_gain):
    """Material gain (1/m) right after a short pulse leaving ⟨N⟩ = ``mean`` excitons per dot."""
    return -model.ensemble_absorption(mean) * saturated_gain


def threshold(model, dots, cross_section, wavelength, saturated_gain, optics):
    """The threshold of a film of dots (:class:`Result`).

    ``model``: a :class:`cqdfem.lasing.gain.GainModel`; ``dots``: the kinetics
    (:class:`cqdfem.lasing.kinetics.Dots`; its generation is replaced); ``cross_section`` σ at the
    pump (m²); ``wavelength`` of the pump (m); ``saturated_gain`` α0 (1/m); ``optics``: :class:`Optics`.
    """
    if not cross_section > 0 or not saturated_gain > 0 or not wavelength > 0:
        raise ValueError("cross_section, saturated_gain and wavelength must be > 0")
    need = optics.required_gain
    hv = gains.photon_energy(wavelength)
    n_tr = model.gain_threshold()
    best = model.maximum_gain() * saturated_gain
    if need >= best * (1 - 1e-12):
        return Result(None, None, None, None, need, n_tr,
                      f"the mode needs {need / 100:.4g} /cm of material gain; the film gives at most "
                      f"{best / 100:.4g} /cm (saturated gain x the gain model's largest -A*/A0)")

    # short pulse: Poisson ⟨N⟩ with gain = need
    f_pulse = lambda m: pulse_gain(model, m, saturated_gain) - need      # noqa: E731
    mean = 0.0 if f_pulse(0.0) >= 0 else _root(f_pulse, 1.0)
    fluence = mean * hv / cross_section

    # steady state under a constant pump: solve in log G
    def f(logG):
        return steady_gain(model, dataclasses.replace(dots, generation=math.exp(logG)), saturated_gain) - need

    if f(-700.0) >= 0:                                  # transparent and lossless: gain from no pump
        return Result(0.0, fluence, 0.0, 0.0, need, n_tr)
    # Without Auger the steady state is Poisson with mean G τ: G = mean / τ is the threshold, and Auger
    # only raises it. Bracket from there in steps of 4x.
    lo = math.log(mean / dots.pl_lifetime)
    while f(lo) > 0:
        lo -= math.log(4.0)
    hi = lo
    while f(hi) < 0:
        hi += math.log(4.0)
        if hi > lo + 200:
            return Result(None, fluence, None, None, need, n_tr,
                          "the steady gain never reaches the loss (Auger empties the dots faster than any pump fills them)")
    logG = optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12)
    G = math.exp(logG)
    d = dataclasses.replace(dots, generation=G)
    excitons = 0.0
    for n, fraction in model.doping_fractions().items():
        P = steady_populations(d, n)
        excitons += fraction * float(P @ np.arange(len(P)))
    return Result(G * hv / cross_section, fluence, excitons, G, need, n_tr)


def _root(f, hi):
    while f(hi) < 0:
        hi *= 2
        if hi > 1e4:
            raise ValueError("the gain never reaches the loss")
    return optimize.brentq(f, 0.0, hi, xtol=1e-14, rtol=1e-13)
