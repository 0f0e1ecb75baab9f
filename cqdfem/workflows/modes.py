"""The modes workflow: guided modes of the stack (1D slab or 2D vector solver), Γ and dispersion
sweeps, the minimum thickness for ASE, the DFB Bragg line and the thickness that puts it at a target."""

from cqdfem import compat
from cqdfem.errors import InputError
from cqdfem.workflows.result import ModeFields, Result


def mode_table(geometry, wavelength, polarizations=("TE", "TM"), count=4, temperature=None, vector=None,
               keep_fields=False):
    """(slab, modes as dicts, messages, ModeFields or None) of the geometry's stack at ``wavelength``.

    ``vector``: None for the 1D slab solver, else the 2D full-vector cross-section solver's options:
    ``ridge_width`` (m, the active layer as a ridge; absent: laterally uniform), ``symmetry``
    ("pec", "pmc" or "none"). ``keep_fields``: keep the vector modes' fields (a uniform stack's TM
    solve gets the file suffix "-TM").
    """
    from cqdfem import optics

    try:
        slab = optics.Slab.from_geometry(geometry, temperature=temperature)
    except ValueError as e:
        raise InputError(str(e), "layers", geometry.path) from None
    if vector is not None:
        return (slab, *_vector_table(geometry, slab, wavelength, polarizations, count, vector, keep_fields))
    modes, messages = [], []
    for pol in polarizations:
        try:
            modes += [m.describe() for m in optics.slab_modes(slab, wavelength, pol, n_modes=count)]
        except optics.CutoffError as e:
            messages.append(str(e))
    return slab, modes, messages, None


def _vector_table(geometry, slab, wavelength, polarizations, count, vector, keep_fields):
    from cqdfem import optics, vectormodes

    width = vector.get("ridge_width")
    ridge = None
    if width:
        if geometry.active is None:
            raise InputError("a ridge needs an active layer (the film) in the geometry", "layers", geometry.path)
        ridge = (geometry.active.name, width)
    solves, note = vectormodes.family_solves(polarizations, ridge, vector.get("symmetry", "pec"))
    modes, messages, field_sets = [], [note] if note else [], []
    for what, options in solves:
        try:
            res = vectormodes.stack_modes(slab, wavelength, count=count * 2, ridge=ridge, keep_fields=keep_fields,
                                          **options)
        except optics.CutoffError as e:
            messages.append(f"{what}: {e}")
            continue
        seen, kept = {}, []
        for m in res.modes:
            k = seen.get(m.polarization, 0)
            if m.polarization in polarizations and k < count:
                m.order, seen[m.polarization] = k, k + 1
                kept.append(m)
                modes.append(dict(m.describe(), polarization=m.polarization + ("-like" if ridge else "")))
        if keep_fields and kept:
            field_sets.append(("-TM" if what == "TM" else "", res.section, kept))
        messages += res.warnings
        reasons = [r.reason for r in res.rejected]
        if reasons:
            messages.append(f"{what}: eigenpairs set aside: "
                            + ", ".join(f"{reasons.count(k)} {k}" for k in sorted(set(reasons)))
                            + f" ({res.dofs} dofs)")
    return modes, messages, ModeFields(field_sets) if field_sets else None


def modes(model, comm, on_step=None):
    """Slab or vector modes, optional thickness/wavelength sweeps, minimum thickness for ASE, Bragg."""
    from cqdfem import optics

    m, g = model.modes, model.geometry
    lam = m.wavelength
    layer = m.layer or (g.active.name if g.active else None)
    slab, table, messages, fields = mode_table(g, lam, m.polarizations, m.count, m.temperature, m.vector,
                                               keep_fields=m.vector is not None and model.output.fields)
    summary = {"case": model.resolved(), "wavelength_m": lam, "modes": table, "messages": messages,
               **({"laser_line": model.laser_line} if model.laser_line else {}), "warnings": list(model.warnings)}
    tables = {}
    if m.thicknesses:
        rows = optics.confinement_sweep(slab, layer, m.thicknesses, lam)
        summary["sweep"] = {"layer": layer, "thickness_m": [r[0] for r in rows], "n_eff": [r[1] for r in rows],
                            "confinement": [r[2] for r in rows]}
        tables["confinement.csv"] = {k: summary["sweep"][k] for k in ("thickness_m", "n_eff", "confinement")}
    if m.wavelengths:
        rows = optics.wavelength_sweep(slab, layer, m.wavelengths)
        summary["dispersion"] = {"layer": layer, "wavelength_m": [r[0] for r in rows],
                                 "n_eff": [r[1] for r in rows], "confinement": [r[2] for r in rows]}
        tables["dispersion.csv"] = {k: summary["dispersion"][k] for k in ("wavelength_m", "n_eff", "confinement")}
    if m.material_gain is not None:
        summary["minimum_thickness_for_ase_m"] = optics.minimum_thickness_for_ase(slab, layer, lam, m.material_gain,
                                                                                  m.loss)
        summary["minimum_thickness_layer"] = layer
    if m.period is not None:
        lam_b, n_b = optics.bragg_wavelength(slab, m.period, m.order, guess=lam)
        summary.update(bragg_wavelength_m=lam_b, bragg_n_eff=n_b, bragg_order=m.order, bragg_period_m=m.period)
        if m.target_wavelength is not None:
            t = optics.thickness_for_wavelength(slab, layer, m.period, m.target_wavelength, m.order)
            summary["thickness_for_target_m"] = t
            summary["target_wavelength_m"] = m.target_wavelength
            summary["target_layer"] = layer
            if t is None:
                summary["thickness_for_target_why_none"] = optics.why_no_thickness(slab, layer, m.period,
                                                                                   m.target_wavelength, m.order)
            else:
                at = optics.slab_modes(slab.with_layer(layer, thickness=t), m.target_wavelength, "TE", 1)[0]
                summary["target_n_eff"], summary["target_confinement"] = at.n_eff, at.confinement
    if m.fill_with is not None:
        summary["grating_fill"] = grating_fill(g, m)
    summary["versions"] = compat.versions()
    return Result(kind="modes", title=model.title, summary=summary, tables=tables, fields=fields)


def grating_fill(geometry, m):
    """The CQD share of the grating's gaps (the rest ``m.fill_with``) whose Bragg line is the target."""
    import dataclasses

    from cqdfem import optics
    from cqdfem.materials import Library

    grating = next(l for l in geometry.layers if l.pillars)
    cqd = grating.pillars.fill
    other = Library.default().get(m.fill_with)

    def slab_of(x):
        eps = x * cqd.refractive_index ** 2 + (1 - x) * other.refractive_index ** 2
        fill = dataclasses.replace(cqd, name=f"{x:.3f} {cqd.name} + {other.name}", refractive_index=eps ** 0.5)
        layer = dataclasses.replace(grating, pillars=dataclasses.replace(grating.pillars, fill=fill))
        layers = tuple(layer if l.name == grating.name else l for l in geometry.layers)
        return optics.Slab.from_geometry(dataclasses.replace(geometry, layers=layers))

    x, why = optics.fill_for_wavelength(slab_of, m.target_wavelength, m.period, m.order)
    out = {"layer": grating.name, "cqd": cqd.name, "rest": other.name, "target_wavelength_m": m.target_wavelength,
           "cqd_share_of_gaps": x, "how": "gaps as a volume-weighted permittivity mix, then the layer's effective medium"}
    if x is None:
        out["why_none"] = why
    else:
        mode = optics.slab_modes(slab_of(x), m.target_wavelength, "TE", 1)[0]
        out.update(n_eff=mode.n_eff, confinement=mode.confinement)
    return out
