"""Pure pieces of the model build: the heat of absorbing layers, the film's absorptance and where it
came from, calibration-point checks, the threshold law of a setting, probe coordinates."""

import dataclasses

from cqdfem.errors import InputError


@dataclasses.dataclass(frozen=True)
class LayerHeat:
    """Pump heat in a layer other than the film: ``absorptance`` of the incident intensity, of which
    ``heat_fraction`` is heat, over ``thickness``, following ``shape`` (a function of coordinates)."""
    layer: str
    absorptance: float
    heat_fraction: float
    thickness: float
    shape: object
    what: str

    def density(self, intensity):
        """Mean heat density (W/m³) under the spot at pump ``intensity`` (W/m²)."""
        return intensity * self.absorptance * self.heat_fraction / self.thickness


def film_absorptance(m):
    """The film's absorptance: the number given, else (``"optics"`` or not given) the transfer-matrix
    result when the stack's optics are known, else None."""
    a = m.film.absorptance
    if isinstance(a, float):
        return a
    if m.absorption is not None and m.geometry.active is not None:
        return float(m.absorption.absorptance[m.geometry.active.name])
    return None


def absorptance_origin(m):
    if isinstance(m.film.absorptance, float):
        return "given (film.absorptance)"
    return "optics (transfer matrix at the pump wavelength, cqdfem.absorption)"


def check_fit(t):
    """Calibration points the laws can follow: one ratio per temperature, rising with temperature
    (every law here has P_th increasing with T)."""
    seen = {}
    for i, (T, r) in enumerate(t.fit):
        key = f"threshold.fit[{i}]"
        if T in seen and seen[T] != r:
            raise InputError(f"two ratios ({seen[T]:g}, {r:g}) at one temperature ({T:g} K)", key)
        seen[T] = r
        if (T > t.reference_temperature and r < 1) or (T < t.reference_temperature and r > 1):
            raise InputError(f"expected a ratio {'>=' if T > t.reference_temperature else '<='} 1 "
                             f"{'above' if T > t.reference_temperature else 'below'} the reference temperature "
                             f"(the threshold rises with temperature), got {r:g} at {T:g} K", key)


def law_from_settings(t):
    """(law, fit or None) of a :class:`ThresholdSettings`; ValueError if inconsistent."""
    from cqdfem.lasing import threshold as thresholds

    if t.law == "table":
        return thresholds.Table(t.at_reference, tuple(p[0] for p in t.table), tuple(p[1] for p in t.table),
                                T_ref=t.reference_temperature), None
    if t.fit:
        fit = thresholds.calibrate(t.law, [list(p) for p in t.fit], t.at_reference, t.reference_temperature,
                                   mass_ratio=t.mass_ratio)
        return fit.law, fit
    if t.law == "t0":
        return thresholds.T0(t.at_reference, T0=t.T0, T_ref=t.reference_temperature), None
    return thresholds.Auger(t.at_reference, energy=t.energy, mass_ratio=t.mass_ratio,
                            T_ref=t.reference_temperature), None


def probe_coordinates(spec, geometry, key):
    """Model coordinates (m) of a probe: a point, or "<layer>.top|middle|bottom" on the axis; a point
    outside the model is an input error (``check`` sees it, not the solver after meshing)."""
    dim = geometry.mesh.dimension
    if isinstance(spec, str):
        name, where = spec.rsplit(".", 1)
        try:
            layer = geometry.layer(name)
        except KeyError:
            raise InputError(f"no layer named {name!r}", key) from None
        z = {"bottom": layer.z0, "middle": layer.z0 + layer.thickness / 2, "top": layer.z1}[where]
        return tuple([0.0] * (dim - 1) + [z])
    if len(spec) != dim:
        raise InputError(f"expected {dim} coordinates for a {dim}D model, got {len(spec)}", key)
    bounds = []
    for extent in (geometry.width, geometry.depth)[:dim - 1]:
        lo = 0.0 if geometry.symmetric or geometry.mesh.coordinates == "axisymmetric" else -extent / 2
        bounds.append((lo, extent / 2))
    bounds.append((0.0, geometry.thickness))
    tol = 1e-12 * max(geometry.thickness, *(b[1] for b in bounds))
    for axis, (x, (lo, hi)) in enumerate(zip(spec, bounds)):
        if not lo - tol <= x <= hi + tol:
            raise InputError(f"the point is outside the model: coordinate {axis} = {x:g} m is not within "
                             f"[{lo:g}, {hi:g}] m", key)
    return tuple(spec)





def laser_report(g):
    """(summary.json's ``laser_line``, warning or None) of a geometry stating its lasing line."""
    try:
        lam, n, problem = g.laser_check()
    except (ValueError, RuntimeError) as e:
        raise InputError(f"cannot check the stated line: {e}", "laser", g.path) from None
    line = {"stated_wavelength_m": g.laser.wavelength, "order": g.laser.order, "period_m": g.laser.period,
            "bragg_wavelength_m": lam, "n_eff": n, "tolerance_m": g.laser.tolerance,
            "consistent": problem is None, "how": "TE0 of the effective-medium slab (cqdfem.optics)"}
    return line, (f"{g.path or 'geometry'}: laser.wavelength: {problem}" if problem else None)


# What a 3D heat run costs, measured on the 3D flagship at 10k-105k dofs with the tuned CG + AMG
# (benchmarks/results.md, "3D linear solver"): the process without a model, per dof, and per dof and step.
BASE_MEMORY = 165 * 2 ** 20          # bytes
MEMORY_PER_DOF = 3.6e3               # bytes
TIME_PER_DOF_STEP = 1.5e-6           # s, one rank


def cost_estimate(m):
    """{"dofs", "memory_bytes", "steps", "seconds"} of a 3D thermal, coupled or sweep model before it is
    meshed (the dofs from the mesh plan's cell estimate, an upper one), or None."""
    from cqdfem.thermal import time_grid

    g, th = m.geometry, m.thermal
    if g.mesh.dimension != 3 or th.end_time is None or m.profile is None:
        return None
    dofs = g.estimated_cells() / 6            # a prism's 3 tetrahedra per 2 triangles ≈ 6 cells a vertex
    steps = len(time_grid(th.end_time, th.first_step, th.step_ratio, th.max_step,
                          breakpoints=m.profile.breakpoints(), restarts=m.profile.jumps(), outputs=th.outputs)) - 1
    return {"dofs": dofs, "memory_bytes": BASE_MEMORY + MEMORY_PER_DOF * dofs, "steps": steps,
            "seconds": steps * dofs * TIME_PER_DOF_STEP}


# What a threshold from material physics takes for granted (summary.json lists it beside the inputs).
PHYSICS_ASSUMPTIONS = (
    "steady state under a constant pump: the pump lasts far longer than the dots' decay (ns), as the "
    "device's ns-us pulses do; the fluence threshold is for a pulse far shorter than every decay",
    "the pump is absorbed far above the band edge: absorption per dot does not depend on its excitons",
    "the material gain is -(A*/A0) x saturated_gain at the lasing line (no spectral shift of the gain)",
    "a charged dot's Auger follows the statistical (carrier-counting) scaling; its radiative and trap "
    "rates stay N / tau_PL",
)


LEVEL_SOURCE = ("assumption: calibrated so that band-edge (Rabi) excitation gives 003's Fig 8e-f thresholds "
                "(3LS 1.5, 4LS 1.0 excitons per dot; cqdfem.lasing.gain.LEVEL_DEFAULTS)")


def physics_threshold(m, given):
    """(summary.json's ``threshold_from_physics``, Result) of a case with [gain] and [kinetics];
    InputError naming the key when an input is missing or the physics gives no threshold.
    ``given``: the [kinetics] keys the case sets (the rest are defaults)."""
    import math

    from cqdfem.lasing import gain as gains
    from cqdfem.lasing import material

    g, k, pump = m.gain, m.kinetics, m.pump
    if g is None or g.saturated_gain is None:
        raise InputError("missing: a threshold from physics needs the film's saturated (band-edge) gain",
                         "gain.saturated_gain")
    if g.required_gain is not None and (g.confinement is not None or g.loss):
        raise InputError("give required_gain (= loss / confinement) or confinement and loss, not both",
                         "gain.required_gain")
    if g.confinement is None and g.required_gain is None:
        raise InputError('missing: a threshold from physics needs the confinement factor (a number or "modes") '
                         'and the loss, or the required material gain', "gain.confinement")
    src = dict(g.sources)

    defaults = type(g)()

    def origin(name, case_has=None):
        if case_has is None:            # a [gain] key: set in the case if it differs from the default
            case_has = getattr(g, name) != getattr(defaults, name)
        return src.get(name, "case (no source given)" if case_has else "default (cqdfem.model.settings)")

    film = m.geometry.active
    sigma, sigma_from = k.cross_section, origin("cross_section", "cross_section" in given)
    own = film.material.absorption_cross_section if film is not None else None
    if "cross_section" not in given and own and abs(own[1] - pump.wavelength) <= 5e-9:
        sigma, sigma_from = own[0], src.get("cross_section", f"film material {film.material.name!r} (library)")
    confinement, gamma_from = g.confinement, origin("confinement", True)
    if g.required_gain is not None:
        confinement = 1.0               # Γ g = α with Γ = 1, α = the required gain: the same condition
    elif confinement == "modes":
        confinement, gamma_from = mode_confinement(m), "TE0 mode of the stack at the emission wavelength (cqdfem.optics)"
    try:
        model = gains.GainModel(model=g.model, electron_degeneracy=g.electron_degeneracy,
                                hole_degeneracy=g.hole_degeneracy, doping=g.doping,
                                lasing_line_absorption=g.lasing_line_absorption,
                                biexciton_absorption=g.biexciton_absorption)
        dots = k.dots(intensity=0.0, wavelength=pump.wavelength)
        boost = eta = None
        if g.donor_absorption_ratio:
            if g.transfer_time is None or g.competing_lifetime is None:
                raise InputError("a cascade (donor_absorption_ratio > 0) needs transfer_time and competing_lifetime",
                                 "gain.transfer_time")
            boost, eta = gains.cascade_boost(g.donor_absorption_ratio, g.transfer_time, g.competing_lifetime)
            sigma_emitter, sigma = sigma, sigma * boost
        optics = material.Optics(confinement, g.loss if g.required_gain is None else g.required_gain)
        r = material.threshold(model, dots, sigma, pump.wavelength, g.saturated_gain, optics)
    except ValueError as e:
        raise InputError(f"expected consistent gain and kinetics inputs: {e}", "gain") from None
    if r.intensity is None:
        raise InputError(f"the material physics gives no threshold: {r.reason}", "threshold.at_reference")
    inputs = {
        "gain_model": {"value": g.model, "source": origin("model")},
        **({"electron_degeneracy": {"value": g.electron_degeneracy, "source": origin("electron_degeneracy")},
            "hole_degeneracy": {"value": g.hole_degeneracy, "source": origin("hole_degeneracy")},
            "doping_electrons_per_dot": {"value": g.doping, "source": origin("doping")}}
           if g.model == "state-filling" else
           {"lasing_line_absorption": {"value": model.levels[0], "source": src.get(
               "lasing_line_absorption", LEVEL_SOURCE if g.lasing_line_absorption is None else "case (no source given)")},
            "biexciton_absorption": {"value": model.levels[1], "source": src.get(
               "biexciton_absorption", LEVEL_SOURCE if g.biexciton_absorption is None else "case (no source given)")}}),
        "saturated_gain_1_m": {"value": g.saturated_gain, "source": origin("saturated_gain")},
        **({"required_gain_1_m": {"value": g.required_gain, "source": origin("required_gain")}}
           if g.required_gain is not None else
           {"confinement": {"value": confinement, "source": gamma_from},
            "loss_1_m": {"value": g.loss, "source": origin("loss")}}),
        "cross_section_m2": {"value": sigma, "source": sigma_from},
        "pump_wavelength_m": {"value": pump.wavelength, "source": "pump.wavelength"},
        "auger_lifetime_s": {"value": dots.auger_lifetime, "source": origin("auger_lifetime", "auger_lifetime" in given)},
        "auger_scaling": {"value": dots.auger_scaling, "source": origin("auger_scaling", "auger_scaling" in given)},
        "pl_lifetime_s": {"value": dots.pl_lifetime, "source": origin("pl_lifetime", "pl_lifetime" in given)},
    }
    if boost is not None:
        inputs["cross_section_m2"]["value"] = sigma_emitter
        inputs.update({
            "donor_absorption_ratio": {"value": g.donor_absorption_ratio, "source": origin("donor_absorption_ratio")},
            "transfer_time_s": {"value": g.transfer_time, "source": origin("transfer_time")},
            "competing_lifetime_s": {"value": g.competing_lifetime, "source": origin("competing_lifetime")},
            "cascade_efficiency": {"value": eta, "source": "tau_other / (tau_CT + tau_other) (cqdfem.lasing.gain.cascade_boost)"},
            "cascade_boost": {"value": boost, "source": "1 + efficiency x donor_absorption_ratio: the emitters' effective cross-section / their own"},
        })
    if g.doping:
        t = dots.trion_auger_lifetime
        inputs["trion_auger_lifetime_s"] = {"value": t if t is not None else 4 * dots.auger_lifetime,
                                            "source": origin("trion_auger_lifetime", True) if t is not None
                                            else "statistical scaling, 4 x the biexciton Auger lifetime"}
    out = {**r.summary(), "inputs": inputs, "assumptions": list(PHYSICS_ASSUMPTIONS),
           "temperature_dependence": "the [threshold] law's ratio P_th(T)/P_th(T_ref) times this value"}
    t = m.threshold
    if t is not None and t.measured:
        out["measured_W_m2"] = t.measured
        out["predicted_over_measured"] = r.intensity / t.measured
    if t is not None and t.measured_fluence:
        out["measured_fluence_J_m2"] = t.measured_fluence
        out["fluence_predicted_over_measured"] = r.fluence / t.measured_fluence if r.fluence is not None else None
    if t is not None and t.measured_excitons is not None:
        out["measured_mean_excitons"] = t.measured_excitons
        out["transparency_minus_measured_excitons"] = r.transparency_excitons - t.measured_excitons
    for key in ("measured", "measured_fluence", "measured_excitons"):
        if key in src:
            out[f"{key}_source"] = src[key]
    if not math.isfinite(r.intensity):
        raise InputError("the material physics gives no finite threshold", "threshold.at_reference")
    return out, r


def mode_confinement(m):
    """Γ of the active layer in the stack's fundamental TE mode at the emission wavelength."""
    from cqdfem import optics

    g = m.geometry
    if g.active is None:
        raise InputError('confinement = "modes" needs an active layer', "gain.confinement")
    try:
        slab = optics.Slab.from_geometry(g)
        mode = optics.slab_modes(slab, m.film.emission_wavelength, "TE", n_modes=1)[0]
    except optics.CutoffError as e:
        raise InputError(f"no confinement from the modes: {e}", "gain.confinement") from None
    except ValueError as e:
        raise InputError(f'confinement = "modes" needs the stack\'s indices: {e}', "gain.confinement") from None
    return float(mode.confinement[g.active.name])
