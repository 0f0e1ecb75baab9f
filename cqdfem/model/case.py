"""The model of one case: its stack, its typed settings and the physics objects built from them
(threshold law, heat model, pump profile, heat source) — built once, then only read."""

import dataclasses
import math
import pathlib

from cqdfem.geometry import Geometry
from cqdfem.model.settings import (BandsSettings, CouplingSettings, FdtrSettings, FilmSettings, GainSettings, KineticsSettings,
                                   ModesSettings, OpticsSettings, OutputSettings, PumpSettings, SolverSettings,
                                   SweepSettings, ThermalSettings, ThresholdSettings)


@dataclasses.dataclass(frozen=True)
class HeatSource:
    """The film's heat density under the peak pump and how it was obtained (summary.json's source)."""
    power_density: float                     # W/m³
    description: dict


@dataclasses.dataclass(frozen=True)
class Model:
    kind: str                                # mesh | thermal | coupled | sweep | modes | bands | fdtr
    geometry: Geometry
    title: str = "case"
    path: pathlib.Path | None = None
    pump: PumpSettings = PumpSettings()
    film: FilmSettings = FilmSettings()
    kinetics: KineticsSettings = KineticsSettings()
    gain: GainSettings | None = None
    threshold: ThresholdSettings | None = None
    thermal: ThermalSettings = ThermalSettings()
    coupling: CouplingSettings = CouplingSettings()
    solver: SolverSettings = SolverSettings()
    modes: ModesSettings | None = None
    bands: BandsSettings | None = None
    fdtr: FdtrSettings | None = None
    optics: OpticsSettings | None = None
    sweep: SweepSettings | None = None
    output: OutputSettings = OutputSettings()
    # built physics objects (None where the kind does not need them)
    profile: object = None                   # cqdfem.thermal.Profile of the pump
    heat: object = None                      # cqdfem.lasing.heat.HeatModel of the film
    source: HeatSource | None = None
    law: object = None                       # threshold law P_th(T)
    physics: dict | None = None              # the threshold from material physics and its inputs
    fit: object = None                       # its calibration (cqdfem.lasing.threshold.Fit) if fitted
    probes: dict = dataclasses.field(default_factory=dict)   # name -> model coordinates, m
    absorption: object = None                # cqdfem.absorption.Absorption of the stack at the pump
    absorption_note: str | None = None       # why there is none (a material without optical constants)
    film_shape: object = None                # the film heat's depth profile (absorptance from optics)
    layer_heat: tuple = ()                   # LayerHeat of other absorbing layers (absorptance from optics)
    optics_sources: dict | None = None       # [optics] in the loop: each parameter's origin
    laser_line: dict | None = None           # the geometry's [laser] line against its Bragg line
    uncertainty: object = None               # cqdfem.model.uncertain.UncertaintySettings: a sampled run
    measurement: dict | None = None          # fdtr: {"frequency_Hz": [...], "phase_deg": [...]} read from its CSV
    warnings: tuple = ()                     # what check says but does not refuse
    variants: tuple = ()                     # ((label, Model), ...) from [[variants]]

    @property
    def device(self):
        """The coupled loop's device: heat model and threshold law."""
        from cqdfem.coupling import Device

        return Device(self.heat, self.law)

    @property
    def directory(self):
        """Where `run` writes by default."""
        if self.output.directory:
            return pathlib.Path(self.output.directory)
        return pathlib.Path("results") / (self.path.stem if self.path else self.title)

    def resolved(self):
        """The fully resolved input, JSON-ready (summary.json's ``case``): every setting with its
        default filled in and every material property as used, so a result can be recomputed."""
        out = {"title": self.title, "kind": self.kind, "file": str(self.path) if self.path else None,
               "geometry": self.geometry.resolved()}
        for name in ("pump", "film", "gain", "threshold", "thermal", "solver", "coupling", "modes", "bands", "fdtr", "optics", "sweep",
                     "kinetics", "output"):
            value = getattr(self, name)
            if value is not None:
                out[name] = dataclasses.asdict(value)
        if self.optics_sources:
            out["optics"]["sources"] = self.optics_sources
        if self.uncertainty is not None:
            out["uncertainty"] = self.uncertainty.describe()
        if self.law is not None:
            out["threshold_law"] = self.law.describe()
        if self.physics is not None:
            out["threshold_from_physics"] = self.physics
        if self.source is not None:
            out["source"] = self.source.description
        return out

    def threshold_report(self):
        """summary.json's threshold from material physics, beside the measured one (empty if the case
        does not ask for it)."""
        if self.physics is None:
            return {}
        return {"threshold_from_physics_W_m2": self.physics["intensity_W_m2"], "threshold_from_physics": self.physics}

    def heat_above_threshold(self):
        """summary.json's ``heat_model``: which model turns the excess above threshold into heat."""
        if self.heat is None:
            return None
        if self.heat.clamped:
            return {"model": "clamped", "what": "heat = A h0 min(I, P_th(T)): the excess leaves as light, no "
                    "Stokes heat (seed 000 Supp. Note)"}
        ratio = self.heat.quantum_ratio
        f = self.film
        return {"model": "energy-conserving", "slope_efficiency": self.heat.slope_efficiency,
                "stimulated_absorbed_fraction": 1 - self.heat.slope_efficiency / ratio,
                "from": ("film.slope_efficiency" if f.slope_efficiency is not None else
                         "film.stimulated_absorbed_fraction" if f.stimulated_absorbed_fraction is not None else
                         "assumption (cqdfem.model.settings.STIMULATED_ABSORBED_FRACTION)")}

    def pump_absorption(self):
        """summary.json's ``pump_absorption``: R, T and A per layer at the pump (or why not known)."""
        if self.absorption is None:
            return {"wavelength_m": self.pump.wavelength, "unknown": self.absorption_note}
        out = self.absorption.summary()
        p = self.pump
        incidence = "normal incidence" if p.angle == 0 else f"{math.degrees(p.angle):.4g} deg, {p.polarization}-polarized"
        out["assumptions"] = (f"{incidence} from the cover, coherent thin layers, an incoherent substrate "
                              "over 10 um with air below it, patterned layers as their effective medium")
        if self.layer_heat:
            out["heated_layers"] = {h.layer: {"absorptance": h.absorptance, "heat_fraction": h.heat_fraction,
                                              "what": h.what} for h in self.layer_heat}
        return out
