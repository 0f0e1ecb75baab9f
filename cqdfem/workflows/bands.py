"""The bands workflow: the DFB grating's band edges, κ and band-edge fields from its Bloch unit cell
(:mod:`cqdfem.bands`), beside the effective-medium Bragg line and the geometry's stated laser line."""

import dataclasses

from cqdfem import compat
from cqdfem.workflows.result import BandFields, Result

ASSUMPTIONS = {
    "lattice_square": "cylinders on a square lattice, permittivity averaged along the other lattice direction "
                      "(exact first-order coupling for waves along x; the oblique 2D couplings are not in it)",
    "lattice_lines": "a 1D grating of bars",
    "lasing_edge": "order 2: the antisymmetric edge (no zeroth harmonic, does not radiate at the Gamma point) "
                   "is the one a finite DFB lases on (Kazarinov-Henry 1985)",
    "claddings": "truncated (Dirichlet) 20 decay lengths out: real arithmetic, so the symmetric edge's radiation "
                 "loss is not computed (the runtime's PETSc is real-only; a PML needs complex)",
    "dispersion": "indices at the material's tabulated wavelength, no material dispersion (n_g from the slab mode)",
}


def bands(model, comm, on_step=None):
    """Band edges of the geometry's pillar layer for each polarization (the first one's are the
    summary's top-level ``band_edges_m``, ``coupling_coefficient_per_m``, ``bragg_wavelength_m``)."""
    from cqdfem import bands as physics
    from cqdfem import optics

    g, b = model.geometry, model.bands
    grating = dataclasses.replace(physics.Grating.from_geometry(g), lattice=b.lattice)
    slab = optics.Slab.from_geometry(g)
    order = g.laser.order if g.laser else 2
    near = b.near or (g.laser.wavelength if g.laser else None)
    per, sets, tables = {}, [], {}
    for pol in b.polarizations:
        res = physics.band_edges(slab, grating, order=order, polarization=pol, near=near, cells=b.cells,
                                 cells_per_layer=b.cells_per_layer, degree=b.degree, comm=comm)
        per[pol] = res.describe()
        suffix = "" if pol == b.polarizations[0] else f"-{pol}"
        sets.append((suffix, res))
        tables[f"band_profiles{suffix}.csv"] = res.profiles()
    first = per[b.polarizations[0]]
    summary = {"case": model.resolved(), **{k: first[k] for k in ("band_edges_m", "coupling_coefficient_per_m",
                                                                  "bragg_wavelength_m", "modes")},
               "polarizations": per,
               "grating": {"layer": grating.layer, "period_m": grating.period, "diameter_m": grating.width,
                           "n_ridge": grating.n_ridge, "n_gap": grating.n_gap, "lattice": grating.lattice,
                           "fourier_coefficient": grating.fourier(order),
                           "fill_fraction": grating.fourier(0)},
               "assumptions": {k: v for k, v in ASSUMPTIONS.items()
                               if not k.startswith("lattice_") or k == f"lattice_{grating.lattice}"}}
    if b.conductivity:
        from cqdfem import cellheat

        summary["pillar_layer_conductivity"] = {"layer": grating.layer,
                                                **cellheat.compare(cellheat.from_geometry(g), comm=comm)}
    if g.laser is not None:
        edge = first["lasing_edge_m"]
        summary["laser_line"] = {"stated_m": g.laser.wavelength, "lasing_edge_m": edge,
                                 "offset_m": edge - g.laser.wavelength, "tolerance_m": g.laser.tolerance,
                                 "consistent": abs(edge - g.laser.wavelength) <= g.laser.tolerance}
    summary["warnings"] = list(model.warnings)
    summary["versions"] = compat.versions()
    fields = BandFields(sets) if model.output.fields else None
    return Result(kind="bands", title=model.title, summary=summary, tables=tables, fields=fields)
