"""The mesh and thermal workflows: a stack's mesh; the transient heat of a pump in the film."""

import time

import numpy as np

from cqdfem import compat
from cqdfem.workflows.result import MeshFields, Result, TemperatureFields

NONPHYSICAL_K = 2000.0   # K: far above where any CQD film (or its ligands) survives


def mesh(model, comm, on_step=None):
    from cqdfem import mesh as meshlib

    sm = meshlib.create(model.geometry, comm)
    return Result(kind="mesh", title=model.title, fields=MeshFields(sm),
                  summary={"case": model.resolved(), "mesh": sm.summary(), "versions": compat.versions()})


def heat_solver(sm, model):
    """A HeatSolver with the case's boundary conditions, initial state, scheme and linear solver."""
    from cqdfem import thermal

    th, so = model.thermal, model.solver
    return thermal.HeatSolver(sm, fixed_temperature=th.ambient, fixed=th.fixed, initial=th.initial_temperature,
                              convection=th.convection_bc, scheme=th.scheme, solver=th.solver, rtol=so.rtol,
                              options=dict(so.options), reuse_preconditioner=so.reuse_preconditioner)


def temperature_fields(model, solver):
    """Where a transient keeps its field snapshots (None when the case asks for no fields)."""
    if not model.output.fields:
        return None
    return TemperatureFields(solver.sm.mesh, solver.sm.cell_tags, (solver.rho_c, solver.k_in, solver.k_cross))


def add_layer_heat(solver, model):
    """The pump heat of absorbing layers other than the film (absorptance from optics), under the spot."""
    for h in model.layer_heat:
        solver.add_source(h.density(model.pump.intensity), region=h.layer, profile=model.profile,
                          name=f"pump in {h.layer}", shape=h.shape, under_spot=True)


def energy_units(sm):
    """What the energy totals are per: 1D models are per film area, 2D cartesian per depth."""
    if sm.mesh.topology.dim == 1:
        return "J/m^2 (per area of film)"
    return "J/m (per metre of depth)" if not sm.axisymmetric and sm.mesh.topology.dim == 2 else "J"


def thermal(model, comm, on_step=None, checkpoint=None, resume=False):
    """Transient heat under the case's pump; one-way threshold columns if it has a [threshold]."""
    from cqdfem import mesh as meshlib
    from cqdfem import thermal as heat

    th, src = model.thermal, model.source
    wall0 = time.perf_counter()
    sm = meshlib.create(model.geometry, comm)
    solver = heat_solver(sm, model)
    solver.add_source(src.power_density, profile=model.profile, shape=model.film_shape)
    add_layer_heat(solver, model)
    for name, point in model.probes.items():
        solver.probe(name, point)
    if th.adaptive:
        times = None
        adaptive = heat.Adaptive(th.end_time, rtol=th.tolerance, atol=th.tolerance,
                                 first_step=th.first_step, max_step=th.max_step)
    else:
        adaptive = None
        times = heat.time_grid(th.end_time, th.first_step, th.step_ratio, th.max_step,
                               breakpoints=solver.breakpoints(), restarts=solver.restarts(), outputs=th.outputs)
    fields = temperature_fields(model, solver)
    history = solver.run(times, outputs=th.outputs, on_output=fields.record if fields else None,
                         on_step=on_step, adaptive=adaptive, checkpoint=checkpoint, resume=resume)
    wall = time.perf_counter() - wall0
    t = history.column("time_s")
    profile = model.profile(t)
    columns = {"time_s": t}
    if model.pump.intensity is not None:
        columns["pump_W_m2"] = model.pump.intensity * profile
    columns["source_power_density_W_m3"] = src.power_density * profile
    columns.update((k, v) for k, v in history.columns.items() if k != "time_s")
    tmax = history.column("film_max_temperature_K")
    steady = None
    if th.steady:
        # the same solver and source held at its peak until nothing changes (CW)
        solver.steady()
        steady = solver.measure(th.end_time)
    warnings = []
    if model.law is not None and "pump_W_m2" in columns:
        # One-way: the threshold the film's temperature implies, and whether the pump is above it
        # (the feedback of lasing on the heat source is the coupled kind's job).
        try:
            columns["threshold_W_m2"] = model.law(tmax)
            columns["lasing"] = (columns["pump_W_m2"] >= columns["threshold_W_m2"]) & (columns["pump_W_m2"] > 0)
        except ValueError as e:
            warnings.append(f"no threshold column: {e}")
    absorbed = history.column("absorbed_energy_J")[-1]
    stored = history.column("stored_energy_J")[-1]
    out_c = history.column("conducted_out_energy_J")[-1]
    out_v = history.column("convected_out_energy_J")[-1]
    balance = (absorbed - stored - out_c - out_v) / absorbed if absorbed > 0 else 0.0
    summary = {
        "case": model.resolved(),
        "film_max_temperature_K": tmax[-1],
        "film_mean_temperature_K": history.column("film_mean_temperature_K")[-1],
        "film_peak_temperature_K": tmax.max(),
        "film_peak_time_s": t[int(np.argmax(tmax))],
        **({"spot_mean_temperature_K": history.column("spot_mean_temperature_K")[-1]}
           if "spot_mean_temperature_K" in history.columns else {}),
        "probes_K": {n: history.column(f"{n}_temperature_K")[-1] for n in model.probes},
        **({"steady_film_max_temperature_K": steady["film_max_temperature_K"],
            "steady_film_mean_temperature_K": steady["film_mean_temperature_K"]} if steady else {}),
        "source": src.description,
        **model.threshold_report(),
        "pump_absorption": model.pump_absorption(),
        **({"laser_line": model.laser_line} if model.laser_line else {}),
        "energy": {"units": energy_units(sm),
                   "absorbed": absorbed, "stored": stored, "conducted_out": out_c, "convected_out": out_v,
                   "balance_relative_error": balance},
        "solver": {"scheme": th.scheme, "linear_solver": th.solver,
                   "adaptive": th.adaptive, "rejected_steps": solver.rejected_steps,
                   "dofs": solver.V.dofmap.index_map.size_global, "steps": len(t) - 1,
                   "distinct_matrices": solver.matrices, "preconditioner_setups": solver.factorisations,
                   "krylov_iterations": solver.iterations, "solves": solver.solves,
                   "wall_time_s": wall, "ranks": comm.size},
        "mesh": sm.summary(),
        "versions": compat.versions(),
    }
    if model.modes is not None:
        from cqdfem import optics, vectormodes

        m = model.modes
        summary["thermo_optic"] = vectormodes.thermo_optic(
            optics.Slab.from_geometry(model.geometry), solver, m.wavelength,
            substrate_top=model.geometry.layers[1].z0, period=m.period, order=m.order,
            state="steady state" if steady else "end of the run")
    if absorbed > 0 and abs(balance) > 1e-3:
        warnings.append(f"energy balance off by {balance:.2%}: refine the mesh or the time steps")
    if absorbed > 0 and out_c > 0.01 * absorbed:
        warnings.append(f"{out_c / absorbed:.1%} of the heat left through the held boundary "
                        f"({', '.join(th.fixed)}): the result depends on the substrate size")
    warnings += nonphysical(tmax.max()) + list(model.warnings)
    summary["warnings"] = warnings
    solver.free()
    return Result(kind="thermal", title=model.title, summary=summary, series=columns, fields=fields)


def nonphysical(peak):
    if peak > NONPHYSICAL_K:
        return [f"NON-PHYSICAL: the film reaches {peak:.4g} K (above {NONPHYSICAL_K:g} K no film survives and "
                "the linear heat model with fixed properties is meaningless): check the pump and absorptance"]
    return []
