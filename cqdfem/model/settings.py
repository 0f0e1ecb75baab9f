"""The typed settings of a case: frozen dataclasses, one per table, whose field defaults are the
package's defaults (nowhere else holds them). Field names are the case file's keys; values are SI."""

import dataclasses

from cqdfem.constants import EMISSION_WAVELENGTH, PUMP_WAVELENGTH, ROOM_TEMPERATURE

OUTPUT_FRACTIONS = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)   # default field output times / end_time
# Share of the lasing mode's photons the film reabsorbs as heat: an assumption, uncertain over [0, 1].
# A second-order CQD DFB outcouples through its grating, but its slope efficiencies are low (a few %),
# so most photons are lost inside the device, part by scattering out of the film and part by
# absorption (CQD self-absorption at the band edge, the grating): half reabsorbed is the middle of
# what is known, not a fit.
STIMULATED_ABSORBED_FRACTION = 0.5


@dataclasses.dataclass(frozen=True)
class PumpSettings:
    intensity: float | None = None           # peak pump intensity, W/m²
    power_density: float | None = None       # or the heat density in the film directly, W/m³
    heat_flux: float | None = None           # or the heat per film area, W/m²
    wavelength: float = PUMP_WAVELENGTH      # m
    rise_time: float = 0.0                   # s, linear rise of each pulse
    duration: float | None = None            # s, None: on for ever (a step)
    period: float | None = None              # s, pulse train period
    pulses: int = 1
    angle: float = 0.0                       # rad, of incidence from the cover (optics of the absorption;
                                             # the intensity stays the power per film area)
    polarization: str = "s"                  # s | p (the same at normal incidence)
    spot: tuple | None = None                # (x, y) full widths, m: goes to the mesh options
    diameter: float | None = None            # disc spot, m: likewise


@dataclasses.dataclass(frozen=True)
class FilmSettings:
    layer: str | None = None                 # the active layer (checked against the geometry)
    absorptance: float | str | None = None   # fraction of the pump the film absorbs, or "optics"
                                             # (None: "optics" when every material has optical constants)
    plqy: float | None = None                # photoluminescence quantum yield
    emission_wavelength: float = EMISSION_WAVELENGTH
    heat_model: str = "energy-conserving"    # above threshold: energy-conserving | clamped (seed 000)
    stimulated_absorbed_fraction: float | None = None   # f_s: stimulated photons reabsorbed in the film
                                             # (None: STIMULATED_ABSORBED_FRACTION, or from slope_efficiency)
    slope_efficiency: float | None = None    # or the light out per absorbed excess, E_em/E_p (1 − f_s)
    auger_share: float = 0.0                 # share of decay through Auger at T_ref (PLQY(T))


@dataclasses.dataclass(frozen=True)
class KineticsSettings:
    """Defaults are :class:`cqdfem.lasing.kinetics.Dots`'s where it has them."""
    cross_section: float = 1e-18             # m² (1e-14 cm²) per dot at the pump
    generation: float | None = None          # absorptions per dot per s (instead of σ I / E_p)
    auger_lifetime: float | None = None      # None: the Dots default
    pl_lifetime: float | None = None
    plqy: float | None = None
    dissociation_rate: float = 0.0
    auger_scaling: str = "linear"
    trion_auger_lifetime: float | None = None   # doped dots: Auger lifetime of their trion (None: 4 τ_XX)
    lattice: int = 20                        # Monte Carlo: dots per lattice side
    time_step: float = 1e-12                 # Monte Carlo step, s
    end_time: float = 5e-9                   # Monte Carlo end, s
    seed: int = 0
    intensity: float = 5e8                   # W/m² (50 kW/cm²) when the case has no pump.intensity

    def dots(self, intensity=None, wavelength=PUMP_WAVELENGTH, **given):
        """The :class:`cqdfem.lasing.kinetics.Dots` these settings describe (``given``: overrides,
        None ignored); ValueError if inconsistent."""
        from cqdfem.lasing import gain, kinetics

        values = {k: getattr(self, k) for k in ("generation", "cross_section", "auger_lifetime", "pl_lifetime",
                                                "plqy", "dissociation_rate", "auger_scaling",
                                                "trion_auger_lifetime")}
        values.update((k, v) for k, v in given.items() if v is not None)
        if values["generation"] is None:
            I = self.intensity if intensity is None else intensity
            values["generation"] = values["cross_section"] * I / gain.photon_energy(wavelength)
        values.pop("cross_section")
        return kinetics.Dots(**{k: v for k, v in values.items() if v is not None})


@dataclasses.dataclass(frozen=True)
class GainSettings:
    """The film's gain and the mode's loss: with [kinetics], the threshold from material physics
    (cqdfem.lasing.material)."""
    model: str = "state-filling"             # cqdfem.lasing.gain.GAIN_MODELS
    electron_degeneracy: int = 2             # band-edge electron states (CdSe 1S_e: 2)
    hole_degeneracy: int = 4                 # band-edge hole states (CdSe 1S_3/2: 4)
    doping: float = 0.0                      # mean extra electrons per dot (binomial over the electron states)
    lasing_line_absorption: float | None = None   # level models: unexcited absorption at the line / full gain
    biexciton_absorption: float | None = None     # level models: X->XX absorption / one exciton's SE
    donor_absorption_ratio: float = 0.0      # cascade (004): donors' pump absorption / the emitters'
    transfer_time: float | None = None       # cascade: donor -> emitter charge transfer, s
    competing_lifetime: float | None = None  # cascade: what the transfer must beat (the gain window), s
    saturated_gain: float | None = None      # α0, 1/m: band-edge absorption of the unexcited film
    confinement: float | str | None = None   # Γ, or "modes": the TE0 mode of the stack at the emission
    loss: float = 0.0                        # α_total, 1/m: internal + radiation loss of the mode
    required_gain: float | None = None       # or α_total/Γ directly: the material gain the mode needs, 1/m
    sources: tuple = ()                      # ((input, where its value comes from), ...)


@dataclasses.dataclass(frozen=True)
class ThresholdSettings:
    at_reference: float                      # P_th at the reference temperature, W/m² (case: or "physics")
    measured: float | None = None            # a measured threshold to compare with, W/m²
    measured_fluence: float | None = None    # or of short pulses, J/m²
    measured_excitons: float | None = None   # or the gain threshold <N>_th in excitons per dot (fs TA)
    law: str = "t0"                          # auger | t0 | table
    reference_temperature: float = ROOM_TEMPERATURE
    T0: float | None = None                  # t0 law, K
    fit: tuple | None = None                 # ((T, ratio), ...): calibrate the law's free parameter
    table: tuple | None = None               # table law: ((T, ratio), ...)
    energy: float = 1.94                     # auger law, eV (CdSe band gap, seed 001)
    mass_ratio: float = 1.0                  # auger law, electron/hole mass ratio M


@dataclasses.dataclass(frozen=True)
class ThermalSettings:
    end_time: float | None = None            # s (required for a transient run)
    first_step: float = 1e-10                # s
    step_ratio: float = 0.05                 # largest step / time so far (steps grow geometrically)
    max_step: float | None = None            # s
    scheme: str = "bdf2"                     # bdf2 | cn | euler
    adaptive: bool = False                   # error-controlled bdf2 steps
    tolerance: float = 1e-3                  # of the adaptive mode
    solver: str = "auto"                     # auto | lu | cg
    ambient: float = ROOM_TEMPERATURE        # K: held boundaries and convection reference
    initial: float | None = None             # K, None: ambient
    fixed: tuple = ("bottom",)               # boundaries held at ambient
    convection: float = 0.0                  # W/m²/K on the top surface
    output_times: tuple | None = None        # s, None: end_time x OUTPUT_FRACTIONS
    probes: dict = dataclasses.field(default_factory=dict)   # name -> point or "layer.top|middle|bottom"
    steady: bool = False                     # also solve the steady state under the peak source
    dimension: int | None = None             # override of mesh.dimension
    coordinates: str | None = None           # override of mesh.coordinates

    @property
    def initial_temperature(self):
        return self.ambient if self.initial is None else self.initial

    @property
    def outputs(self):
        return tuple(sorted(self.output_times or [self.end_time * f for f in OUTPUT_FRACTIONS]))

    @property
    def convection_bc(self):
        """The solver's ``convection`` argument."""
        return {"top": (self.convection, self.ambient)} if self.convection else {}


@dataclasses.dataclass(frozen=True)
class SolverSettings:
    """The heat solver's linear algebra (thermal.solver chooses LU or CG)."""
    rtol: float = 1e-10                      # CG: relative tolerance of each step's solve
    reuse_preconditioner: bool = True        # CG: one AMG hierarchy across nearby step sizes
    options: tuple = ()                      # PETSc options passed through: ((name, value), ...)
    max_memory: float | None = None          # bytes a 3D run may need (estimated at check); None: this
                                             # machine's physical memory


@dataclasses.dataclass(frozen=True)
class CouplingSettings:
    drive: str = "max"                       # film temperature the threshold sees: max | mean
    steady: bool = True                      # also find the CW steady state
    measured_lasing_duration: float | None = None   # s: a measurement to compare the prediction with


@dataclasses.dataclass(frozen=True)
class ModesSettings:
    wavelength: float | None = None          # m (required for a modes run)
    polarizations: tuple = ("TE", "TM")
    count: int = 4                           # modes per polarization
    layer: str | None = None                 # the swept layer (default: the active one)
    thicknesses: tuple | None = None         # Γ sweep over the layer's thickness, m
    wavelengths: tuple | None = None         # dispersion sweep, m
    material_gain: float | None = None       # 1/m: minimum thickness for ASE (with loss)
    loss: float | None = None                # 1/m
    period: float | None = None              # DFB period, m: Bragg wavelength
    order: int = 2                           # DFB order
    target_wavelength: float | None = None   # m: layer thickness that puts the Bragg line there
    fill_with: str | None = None             # material: also the CQD share of the grating gaps (rest this)
                                             # that puts the line at target_wavelength
    temperature: float | None = None         # K: uniform stack temperature (dn/dT)
    solver: str = "slab"                     # slab | vector
    ridge_width: float | None = None         # vector solver: the active layer as a ridge, m
    symmetry: str = "pec"                    # vector solver: wall at x = 0 (pec | pmc | none)

    @property
    def vector(self):
        """The 2D vector solver's options (None: the 1D slab solver)."""
        if self.solver != "vector":
            return None
        return {"symmetry": self.symmetry, **({"ridge_width": self.ridge_width} if self.ridge_width else {})}


@dataclasses.dataclass(frozen=True)
class BandsSettings:
    """The grating's Bloch unit cell (cqdfem.bands); order and period come from the geometry."""
    near: float | None = None                # m: where to look (default: the geometry's [laser] line)
    polarizations: tuple = ("TE",)
    lattice: str = "square"                  # square: cylinders, averaged along y | lines: bars
    cells: int = 24                          # cells along one period (error ~1.5e-6 in λ, shipped DFB)
    cells_per_layer: int = 8
    degree: int = 2
    conductivity: bool = True                # also the pillar layer's k: resolved 3D cell vs effective medium


@dataclasses.dataclass(frozen=True)
class FdtrSettings:
    """An FDTR measurement to fit (cqdfem.fdtr): phase vs frequency over the geometry's stack."""
    data: str = ""                           # CSV (frequency_Hz, phase_deg), relative to the case file
    pump_radius: float = 0.0                 # m, 1/e² (required: the seeds do not state the beams)
    probe_radius: float = 0.0
    fit: str = ""                            # the layer whose conductivity is fitted (isotropic)
    interface_conductance: bool = False      # also fit the conductance at the top of that layer
    bottom: str = "half-space"               # the substrate's back: half-space | adiabatic | isothermal
    uncertainty: tuple = ()                  # (input, relative) overrides of the defaults below

    def uncertainties(self, layers):
        """Input -> relative uncertainty: 000 Supp. Table 1's (thicknesses ± 5 % above the substrate,
        the other layers' k ± 5 %, the fitted film's ρ and c ± 25 % each, so ρc ± 35 %), then the
        case's overrides (0 drops one)."""
        names = [l.name for l in layers]
        out = {f"{n}.thickness": 0.05 for n in names[1:]}
        out.update({f"{n}.conductivity": 0.05 for n in names[1:] if n != self.fit})
        out[f"{self.fit}.heat_capacity"] = (2 * 0.25**2) ** 0.5
        out.update(dict(self.uncertainty))
        return {k: v for k, v in out.items() if v > 0}


@dataclasses.dataclass(frozen=True)
class OpticsSettings:
    """Optics in the coupled loop (cqdfem.linedrift): the DFB line and the gain peak vs temperature."""
    in_loop: bool = False                    # off unless the case asks (parameters partly assumed)
    line: str = "band_edge"                  # band_edge: Bragg line + the cell's edge offset at T_ref | bragg
    gain_peak: float | None = None           # m at the reference temperature (default: the [laser] line)
    gain_peak_shift: float = 0.1e-9          # m/K: CdSe band gap −0.3 meV/K at 640 nm (physics.md §12)
    gain_width: float = 30e-9                # FWHM, m: assumption (PL-like width; not published)
    gain_shape: str = "gaussian"
    expansion: float = 1e-5                  # 1/K of the period: MgF2 ~1e-5 /K (physics.md §12)
    linewidth: float = 0.7e-9                # m: the measured FWHM the line shift is compared with (seed 001)

    SOURCES = {"gain_peak": "assumption: the gain peak sits on the stated laser line at the reference temperature",
               "gain_peak_shift": "physics.md section 12: CdSe band gap -0.3 meV/K, ~ +0.1 nm/K at 640 nm (literature)",
               "gain_width": "assumption: 30 nm FWHM, a PL-like width (the film's gain spectrum is not published)",
               "gain_shape": "assumption: Gaussian (inhomogeneous broadening)",
               "expansion": "physics.md section 12: MgF2 ~1e-5 /K (literature), applied at the film's drive temperature "
                            "(an upper bound: the substrate is cooler)",
               "linewidth": "seed 001: measured FWHM 0.7 nm",
               "stack_temperature": "assumption: the whole optical stack at the film's drive temperature (upper bound "
                                    "on the line's drift)",
               "gain_vs_pump": "assumption: the pump needed grows in proportion to the peak gain needed (linear "
                               "gain-pump relation near threshold); the case's threshold is the DFB's own at T_ref"}

    def sources(self, given):
        """Each parameter with its value's origin: the case's own ("case file") or the default's source."""
        return {k: ("case file" if k in given else v) for k, v in self.SOURCES.items()}


@dataclasses.dataclass(frozen=True)
class SweepSettings:
    thresholds: tuple                        # P_th(T_ref) values, W/m²
    pump_ratios: tuple                       # pump / threshold
    durations: tuple | None = None           # pump durations, s (None: the pump's)


@dataclasses.dataclass(frozen=True)
class OutputSettings:
    directory: str | None = None             # None: results/<case file stem>
    fields: bool = True                      # fields for ParaView
    field_format: str = "xdmf"               # temperature snapshots: xdmf | vtx (ADIOS2 .bp) | both
    plots: bool = True                       # PNG plots
    log_time: bool = False                   # plots against log time
    checkpoint_interval: object = None       # thermal/coupled: every N steps (int) or seconds (float, wall)
