"""The fdtr workflow: fit a layer's conductivity to a measured FDTR phase (:mod:`cqdfem.fdtr`), with
the seed's uncertainty procedure; the stack is the geometry file's (bottom first: Si, film, Au)."""

import dataclasses

from cqdfem import compat
from cqdfem.workflows.result import Result

ASSUMPTIONS = {
    "model": "multilayer analytic solution of the frequency-domain heat equation (Hankel transform, one "
             "transfer relation per layer; Cahill 2004, Schmidt 2008), checked against DOLFINx in the tests",
    "heating": "the pump is absorbed at the top surface (an optically thick transducer); CW modulation, "
               "no pulse accumulation",
    "fitted_layer": "isotropic conductivity; perfect contacts unless fdtr.interface_conductance",
    "uncertainty": "000's procedure: each input perturbed by its uncertainty, refit, changes added in "
                   "quadrature with the fit's own standard error (defaults: 000 Supp. Table 1)",
}


def stack(geometry):
    """The geometry's layers as :class:`cqdfem.fdtr.Layer` (bottom first; pillar layers homogenised)."""
    from cqdfem import fdtr

    out = []
    for layer in geometry.layers:
        mat = layer.homogenised() if layer.pillars is not None else layer.material
        k_in, k_cross = mat.conductivity
        out.append(fdtr.Layer(layer.name, layer.thickness, k_cross, mat.volumetric_heat_capacity,
                              conductivity_in_plane=k_in))
    return out


def fdtr(model, comm=None, on_step=None):
    from cqdfem import fdtr as physics

    f, data = model.fdtr, model.measurement
    layers = stack(model.geometry)
    freq, measured = data["frequency_Hz"], data["phase_deg"]
    start = [dataclasses.replace(l, conductivity_in_plane=None) if l.name == f.fit else l for l in layers]
    relative = f.uncertainties(layers)
    res = physics.fit_with_uncertainty(start, freq, measured, f.pump_radius, f.probe_radius, f.fit,
                                       relative, conductance=f.interface_conductance,
                                       bottom=f.bottom)
    fitted = physics.phase(res.model, freq, f.pump_radius, f.probe_radius, f.bottom)
    start_k = next(l.conductivity for l in layers if l.name == f.fit)
    summary = {"case": model.resolved(),
               "fdtr": {**res.summary(), "library_conductivity_W_mK": start_k,
                        "relative_uncertainties": relative,
                        "frequencies_Hz": [min(freq), max(freq)], "points": len(freq)},
               "assumptions": ASSUMPTIONS, "warnings": list(model.warnings), "versions": compat.versions()}
    table = {"frequency_Hz": list(freq), "phase_deg": list(measured), "model_phase_deg": list(fitted),
             "residual_deg": [m - p for m, p in zip(measured, fitted)]}
    return Result(kind="fdtr", title=model.title, summary=summary, tables={"fdtr_fit.csv": table})
