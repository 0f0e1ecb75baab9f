"""How much of the absorbed pump becomes heat, below and above the lasing threshold.

Below threshold (seed 000 Supp. Note): a fraction PLQY of the absorbed photons is re-emitted, each
carrying E_em of the pump photon's E_p, and the rest of the energy (the Stokes shift of the
radiative part, all of the non-radiative part) is heat:

    heat fraction = PLQY (E_p − E_em)/E_p + (1 − PLQY).

Above threshold (our model, the runaway feedback): the carrier density clamps at threshold, so the
absorbed power up to A·P_th(T) behaves as below threshold, and of the excess A·(I − P_th(T)) a
fraction ``slope_efficiency`` (energy, at most E_em/E_p) leaves as stimulated emission; the rest of
the excess is heat. As the film warms, P_th(T) rises and the stimulated part shrinks, so the heat
grows: heating feeds itself. Optionally PLQY falls with T because Auger gets faster:

    PLQY(T) = PLQY_ref / (1 + f_A (r(T) − 1)),  r(T) = τ_A(T_ref)/τ_A(T) = P_th(T)/P_th(T_ref),

with f_A the share of decay through Auger at T_ref (from the kinetics). Energy is conserved in
every regime: heat + emitted light = absorbed.

Two named models above threshold (physics.md §2, §5; the case file's ``film.heat_model``):

- ``energy-conserving``: the excess becomes stimulated photons in the lasing mode; their Stokes
  share (E_p − E_em)/E_p is heat at once and of the photons a fraction ``stimulated_absorbed_fraction``
  f_s is reabsorbed in the film (the rest leaves: outcoupling, second-order radiation, scattering),
  i.e. ``slope_efficiency`` = (E_em/E_p)(1 − f_s). f_s = 1 is every photon reabsorbed (the excess is
  all heat); f_s = 0 only the Stokes share heats.
- ``clamped`` (seed 000 Supp. Note): heat = A h₀ min(I, P_th(T)) with h₀ the below-threshold heat
  fraction: carriers clamp at threshold and the excess leaves as light with no Stokes heat. (Light
  out = absorbed − heat, so energy is conserved by construction; the photons carry more than E_em.)
"""

import dataclasses

import numpy as np

from cqdfem.constants import EMISSION_WAVELENGTH, PUMP_WAVELENGTH

H_C_EV_M = 1.239841984e-6        # h c in eV·m: E (eV) = H_C_EV_M / λ (m)


def photon_energy_eV(wavelength):
    return H_C_EV_M / wavelength


def heat_fraction(plqy, pump_photon_energy, emission_photon_energy):
    """Fraction of absorbed pump power that becomes heat below threshold."""
    return plqy * (pump_photon_energy - emission_photon_energy) / pump_photon_energy + (1.0 - plqy)


def slope_for(stimulated_absorbed_fraction, pump_wavelength, emission_wavelength):
    """The slope efficiency (E_em/E_p)(1 − f_s) of the energy-conserving model."""
    f = stimulated_absorbed_fraction
    if not 0 <= f <= 1:
        raise ValueError(f"stimulated_absorbed_fraction must be within [0, 1], got {f}")
    return pump_wavelength / emission_wavelength * (1 - f)


@dataclasses.dataclass(frozen=True)
class HeatModel:
    """Absorbed pump → heat in a film of ``thickness`` (m) absorbing ``absorptance`` of the pump."""
    absorptance: float
    plqy: float
    thickness: float
    pump_wavelength: float = PUMP_WAVELENGTH
    emission_wavelength: float = EMISSION_WAVELENGTH
    slope_efficiency: float = 0.0          # energy fraction of the absorbed excess above threshold
    auger_share: float = 0.0               # f_A: share of decay through Auger at T_ref (0: PLQY fixed)
    clamped: bool = False                  # the paper's model: no heat from the excess at all

    @classmethod
    def energy_conserving(cls, stimulated_absorbed_fraction, **kwargs):
        """The energy-conserving model with a fraction f_s of the stimulated photons reabsorbed."""
        return cls(slope_efficiency=slope_for(stimulated_absorbed_fraction,
                                              kwargs.get("pump_wavelength", PUMP_WAVELENGTH),
                                              kwargs.get("emission_wavelength", EMISSION_WAVELENGTH)), **kwargs)

    def __post_init__(self):
        for name in ("absorptance", "plqy", "auger_share"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise ValueError(f"{name} must be within [0, 1], got {v}")
        if self.thickness <= 0:
            raise ValueError("the film thickness must be > 0")
        if self.emission_wavelength <= self.pump_wavelength:
            raise ValueError("the emission wavelength must be longer than the pump wavelength")
        if not 0 <= self.slope_efficiency <= self.quantum_ratio:
            raise ValueError(f"slope_efficiency must be within [0, E_em/E_p = {self.quantum_ratio:.3f}] "
                             f"(a photon cannot carry more than its share), got {self.slope_efficiency}")

    @classmethod
    def from_kinetics(cls, decay_shares, **kwargs):
        """A model whose PLQY and Auger share are the kinetics' decay shares under the pump
        (:func:`cqdfem.lasing.kinetics.steady_state` or a Monte Carlo run)."""
        return cls(plqy=decay_shares["radiative"], auger_share=decay_shares["auger"], **kwargs)

    @property
    def quantum_ratio(self):
        """E_em / E_p."""
        return self.pump_wavelength / self.emission_wavelength

    def plqy_at(self, threshold_ratio=1.0):
        """PLQY with the Auger rate scaled by ``threshold_ratio`` = P_th(T)/P_th(T_ref)."""
        return self.plqy / (1.0 + self.auger_share * (np.asarray(threshold_ratio, float) - 1.0))

    def partition(self, intensity, threshold=np.inf, threshold_ratio=1.0):
        """Power per film area (W/m²): absorbed, spontaneous light, stimulated light, heat."""
        I = np.asarray(intensity, dtype=float)
        absorbed = self.absorptance * I
        below = self.absorptance * np.minimum(I, threshold)
        excess = absorbed - below
        spont = below * self.plqy_at(threshold_ratio) * self.quantum_ratio
        stim = excess if self.clamped else excess * self.slope_efficiency
        return {"absorbed": absorbed, "spontaneous": spont, "stimulated": stim,
                "heat": absorbed - spont - stim}

    def heat_fraction(self, intensity=1.0, threshold=np.inf, threshold_ratio=1.0):
        p = self.partition(intensity, threshold, threshold_ratio)
        return np.where(p["absorbed"] > 0, p["heat"] / np.where(p["absorbed"] > 0, p["absorbed"], 1), 0.0)

    def power_density(self, intensity, threshold=np.inf, threshold_ratio=1.0):
        """Heat per film volume, W/m³ (uniform through the film)."""
        return self.partition(intensity, threshold, threshold_ratio)["heat"] / self.thickness
