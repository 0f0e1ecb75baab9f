"""The ``cqdfem`` command: argparse and dispatch. Defaults live in the model (cqdfem.model.settings);
work happens in the workflows; printing in cqdfem.console; files in cqdfem.output.

Bad input is one line on stderr (``file: key: what was expected``) and exit code 2, on every rank
alike (validation is deterministic, so all ranks fail together; only rank 0 prints).
"""

import argparse
import json
import pathlib
import sys

from cqdfem import console
from cqdfem.console import say
from cqdfem.checkpoint import CheckpointError
from cqdfem.errors import InputError, SolverError

CHECKPOINTS = ".checkpoint"      # inside the output directory, while a run is under way
from cqdfem.inputs import files, readers
from cqdfem.model.settings import KineticsSettings, ModesSettings, ThresholdSettings
from cqdfem.model.parts import cost_estimate


def load_any(path, overrides=()):
    """A geometry file (it has [[layers]]) or a case file; returns (model or None, geometry)."""
    from cqdfem import geometry, model

    data = files.read_toml(path)
    if "layers" in data:
        return None, geometry.parse_geometry(files.apply_overrides(data, overrides), pathlib.Path(path))
    try:
        m = model.from_table(data, pathlib.Path(path), overrides)
    except InputError as e:
        raise e.at(file=path) from None
    return m, m.geometry


def _quantity(text, unit, key):
    """A positive quantity from the command line (bad input: exit 2 naming the option)."""
    return readers.quantity(unit, positive=True)(text, key)


def cmd_check(args):
    for path in args.files:
        m, geometry = load_any(path, args.set)
        what = f"case, kind {m.kind}" + (f", {len(m.variants)} variants" if m.variants else "") if m else "geometry"
        if m is not None and m.uncertainty is not None:
            u = m.uncertainty
            what += (f", sampled: {u.samples} samples of {len(u.inputs)} uncertain inputs"
                     f" ({sum(i.source != 'case' for i in u.inputs)} from the library)")
        layers = ", ".join(f"{l.name} {console.length(l.thickness)}" for l in geometry.layers)
        say(f"ok: {path} ({what}; {layers})")
        if m is not None and m.physics is not None:
            console.physics_threshold(m.physics, "  ")
        est = cost_estimate(m) if m is not None else None
        if est:
            say(f"  estimate (3D, from the mesh plan; rates measured on the 3D flagship): up to ~{est['dofs']:.3g} dofs, "
                f"~{est['memory_bytes'] / 2 ** 30:.2g} GiB, ~{est['seconds']:.3g} s for {est['steps']} steps on one rank")
        if m is not None:
            warnings = {w for x in [m] + [v for _, v in m.variants] for w in x.warnings}
        else:
            from cqdfem.model import laser_report

            warnings = {laser_report(geometry)[1]} - {None} if geometry.laser else set()
        for w in sorted(warnings):
            console.warn(w)
    return 0


def cmd_mesh(args):
    from cqdfem import mesh as meshlib

    sets = ([f"mesh.dimension={args.dimension}"] if args.dimension else []) + args.set
    _, geometry = load_any(args.geometry, sets)
    if args.dimension:     # a case's [thermal] dimension would otherwise win over mesh.dimension
        geometry = geometry.with_mesh(dimension=args.dimension)
    outputs = [pathlib.Path(o) for o in (args.output or [])]
    for o in outputs:
        if o.suffix not in (".xdmf", ".msh", ".vtu", ".vtk"):
            raise InputError(f"unsupported mesh format {o.suffix!r} (expected .xdmf, .msh, .vtu or .vtk)", "-o", o)
        if o.is_dir():
            raise InputError("expected a file name, got a directory", "-o", o)
    sm = meshlib.create(geometry)
    console.mesh_summary(sm.summary())
    for o in outputs:
        o.parent.mkdir(parents=True, exist_ok=True)
        sm.write(o)
        say(f"wrote {o}")
    return 0


def cmd_run(args):
    from cqdfem import model, workflows

    m = model.load(args.case, args.set)
    outdir = pathlib.Path(args.output) if args.output else m.directory
    if outdir.exists() and not outdir.is_dir():
        raise InputError("expected a directory for the results, got an existing file", "-o", outdir)
    bar = console.Progress(m.thermal.end_time or 0.0, rank=console.rank(),
                           enabled=False if args.quiet else None)
    checkpoints = outdir / CHECKPOINTS
    if args.resume:
        console.resume_note(checkpoints)
    try:
        result = workflows.run(m, on_step=bar, checkpoints=checkpoints, resume=args.resume)
    except CheckpointError as e:
        raise InputError(str(e), "--resume", checkpoints) from None
    console.report(result, m)
    result.write(outdir)
    _remove_checkpoints(checkpoints)
    console.files(outdir)
    return 0


def _remove_checkpoints(path):
    """The run finished and its results are written: its checkpoints are no longer needed."""
    import shutil

    from mpi4py import MPI

    if MPI.COMM_WORLD.rank == 0:
        shutil.rmtree(path, ignore_errors=True)
    MPI.COMM_WORLD.barrier()


def cmd_gain(args):
    from cqdfem.lasing import gain

    if args.doping_mean is not None and args.doping:
        raise InputError("give --doping or --doping-mean, not both", "--doping-mean")
    level = args.model != "state-filling"
    if level and (args.doping or args.doping_mean):
        raise InputError(f"the {args.model} picture is for undoped dots; doping needs --model state-filling", "--doping")
    if not level and (args.lasing_line_absorption is not None or args.biexciton_absorption is not None):
        raise InputError("--lasing-line-absorption and --biexciton-absorption belong to the level models", "--model")
    try:
        doping = gain.fermi_dirac_doping(args.doping_mean, args.ge) if args.doping_mean is not None else args.doping
        gm = (gain.GainModel(args.model, lasing_line_absorption=args.lasing_line_absorption,
                             biexciton_absorption=args.biexciton_absorption) if level
              else gain.GainModel.filling(args.ge, args.gh, doping))
        n_th = gm.gain_threshold(args.statistics)
    except ValueError as e:
        key = "--doping" if "doping" in str(e) else ("--ge" if not level else "--model")
        raise InputError(str(e), key) from None
    out = {"model": args.model, "statistics": args.statistics, "threshold_excitons_per_dot": n_th}
    if level:
        a, b = gm.levels
        out.update(lasing_line_absorption=a, biexciton_absorption=b)
        what = f"{args.model}, lasing-line absorption {a:.4g}, biexciton absorption {b:.4g}"
    else:
        out.update(g_e=args.ge, g_h=args.gh, doping=doping)
        what = f"g_e = {args.ge}, g_h = {args.gh}, doping {doping}"
    if args.json:
        say(json.dumps(out, indent=2))
    else:
        say(f"gain threshold <N>_th = {n_th:.4f} excitons per dot ({what}; {args.statistics} excitation)")
    return 0


def _threshold(args):
    """(law, fit, settings) from a case's [threshold], or built from the command line (validated alike)."""
    from cqdfem import model

    if args.case:
        m = model.load(args.case, args.set)
        if m.law is None:
            raise InputError("the case has no [threshold] section", "threshold", args.case)
        return m.law, m.fit, m.threshold
    table = {"law": args.law}
    for key, value in (("at_reference", args.at_reference), ("reference_temperature", args.reference_temperature),
                       ("T0", args.T0), ("energy", args.energy), ("mass_ratio", args.mass_ratio)):
        if value is not None:
            table[key] = value
    if args.fit:
        pairs = []
        for item in args.fit:
            if ":" not in item:
                raise InputError(f"expected TEMPERATURE:RATIO, got {item!r}", "--fit")
            t, r = item.split(":", 1)
            try:
                pairs.append([t, float(r)])
            except ValueError:
                raise InputError(f"expected a number after ':', got {r!r}", "--fit") from None
        table["fit"] = pairs
    return model.threshold(table)


def cmd_threshold(args):
    import numpy as np

    from cqdfem import output
    from cqdfem.lasing import threshold as thresholds

    if args.range.count(":") != 1:
        raise InputError(f"expected LOW:HIGH temperatures, got {args.range!r}", "--range")
    lo, hi = (_quantity(x, "K", "--range") for x in args.range.split(":"))
    if not lo < hi:
        raise InputError(f"expected LOW < HIGH, got {args.range!r}", "--range")
    law, fit, settings = _threshold(args)
    if isinstance(law, thresholds.Table):
        lo, hi = max(lo, law.domain()[0]), min(hi, law.domain()[1])
    T = np.linspace(lo, hi, 11)
    out = {"law": law.describe(), "fit": fit.describe() if fit else None,
           "table": [{"temperature_K": t, "threshold_W_m2": p, "ratio": p / law.p_ref} for t, p in zip(T, law(T))]}
    if args.pump:
        pump = _quantity(args.pump, "W/m^2", "--pump")
        out["pump_W_m2"] = pump
        out["lasing_stops_at_K"] = law.temperature_at(pump)
    if args.plot:
        Tp = np.linspace(lo, hi, 200)
        output.plot_threshold(args.plot, Tp, law(Tp), pump=out.get("pump_W_m2"), points=settings.fit, p_ref=law.p_ref)
    if args.json:
        say(json.dumps(output.jsonable(out), indent=2))
        return 0
    say(f"law: {json.dumps(output.jsonable(law.describe()))}")
    if fit:
        say(f"fitted {fit.parameter} = {fit.value:.6g} (rms of ln ratio {fit.rms_log:.2e})")
    say(f"  {'T (K)':>8} {'P_th (kW/cm^2)':>15} {'ratio':>8}")
    for row in out["table"]:
        say(f"  {row['temperature_K']:8.1f} {row['threshold_W_m2'] / 1e7:15.2f} {row['ratio']:8.3f}")
    if args.pump:
        T_stop = out["lasing_stops_at_K"]
        say(f"at {out['pump_W_m2'] / 1e7:.4g} kW/cm^2 lasing stops at "
            + (f"{T_stop:.2f} K ({T_stop - 273.15:.1f} C)" if T_stop else "no temperature in range (never, or never lases)"))
    if args.plot:
        say(f"wrote {args.plot}")
    return 0


def cmd_kinetics(args):
    import numpy as np

    from cqdfem import model
    from cqdfem.constants import EMISSION_WAVELENGTH
    from cqdfem.lasing import kinetics
    from cqdfem.lasing.heat import HeatModel

    # the case's [kinetics] and [pump] give the values; options given on the command line win
    ks, pump = KineticsSettings(), None
    if args.case:
        m = model.load(args.case, args.set)
        ks, pump = m.kinetics, m.pump
    opt = lambda name, unit: _quantity(getattr(args, name), unit, f"--{name.replace('_', '-')}") \
        if getattr(args, name) is not None else None                                       # noqa: E731
    lam = opt("wavelength", "m") or (pump.wavelength if pump else model.PumpSettings().wavelength)
    intensity = opt("intensity", "W/m^2") or (pump.intensity if pump else None)
    plqy = args.plqy
    if plqy is not None and not 0 <= plqy <= 1:
        raise InputError(f"expected a number in [0, 1], got {plqy}", "--plqy")
    try:
        dots = ks.dots(intensity, lam, generation=opt("generation", "1/s"), cross_section=opt("cross_section", "m^2"),
                       auger_lifetime=opt("auger_lifetime", "s"), pl_lifetime=opt("pl_lifetime", "s"), plqy=plqy,
                       auger_scaling=args.auger_scaling)
    except ValueError as e:
        raise InputError(str(e), "kinetics") from None
    P, shares = kinetics.steady_state(dots)
    out = {"generation_per_dot_s": dots.generation, "mean_excitons": float(P @ np.arange(len(P))),
           "populations": {"0": P[0], "1": P[1], "2": P[2], ">=3": P[3:].sum()},
           "decay_shares": shares, "relaxation_time_s": kinetics.relaxation_time(dots),
           "plqy_under_pump": shares["radiative"]}
    heat = HeatModel.from_kinetics(shares, absorptance=1.0, thickness=1.0, pump_wavelength=lam)
    out["heat_fraction"] = float(heat.heat_fraction())
    if args.monte_carlo:
        lattice = args.lattice if args.lattice is not None else ks.lattice
        step = _quantity(args.time_step, "s", "--time-step") if args.time_step is not None else ks.time_step
        end = opt("end_time", "s") or ks.end_time
        if lattice < 2:
            raise InputError(f"expected an integer >= 2, got {lattice}", "--lattice")
        if end / step > 1e7:
            raise InputError(f"end time / time step = {end / step:.3g} steps: expected a larger step", "--time-step")
        mc = kinetics.monte_carlo(dots, end, step, size=lattice,
                                  seed=args.seed if args.seed is not None else ks.seed)
        out["monte_carlo"] = {"decay_shares": mc.decay_shares, "mean_excitons_end": float(mc.mean_excitons[-1])}
    if args.json:
        from cqdfem import output

        say(json.dumps(output.jsonable(out), indent=2))
        return 0
    say(f"G = {dots.generation:.4g} absorptions per dot per s; steady <N> = {out['mean_excitons']:.3f}, "
        f"reached in ~{out['relaxation_time_s'] * 1e9:.2f} ns (slowest time constant)")
    say("populations: " + ", ".join(f"N={k}: {v:.3f}" for k, v in out["populations"].items()))
    say("decay shares: " + ", ".join(f"{k} {v:.1%}" for k, v in shares.items()))
    say(f"heat fraction of the absorbed pump (emission at {EMISSION_WAVELENGTH * 1e9:.0f} nm): {out['heat_fraction']:.3f}")
    if args.monte_carlo:
        say("Monte Carlo: " + ", ".join(f"{k} {v:.1%}" for k, v in out["monte_carlo"]["decay_shares"].items()))
    return 0


def cmd_modes(args):
    from cqdfem import output
    from cqdfem.workflows.modes import mode_table

    _, geometry = load_any(args.geometry, args.set)
    lam = _quantity(args.wavelength, "m", "--wavelength")
    T = _quantity(args.temperature, "K", "--temperature") if args.temperature else None
    if args.count < 1:
        raise InputError(f"expected a count >= 1, got {args.count}", "--count")
    vector = None
    if args.vector or args.ridge:
        vector = {"symmetry": args.symmetry}
        if args.ridge:
            vector["ridge_width"] = _quantity(args.ridge, "m", "--ridge")
    if args.fields and vector is None:
        raise InputError("--fields writes the 2D vector solver's fields: add --vector or --ridge", "--fields")
    _, modes, messages, fields = mode_table(geometry, lam, tuple(args.polarization or ModesSettings.polarizations),
                                            args.count, T, vector, keep_fields=bool(args.fields))
    if fields:
        path = pathlib.Path(args.fields)
        for suffix, section, kept in fields.sets:
            from cqdfem import vectormodes

            target = path.with_name(path.stem + suffix + path.suffix)
            vectormodes.write_modes(target, section, kept)
            messages.append(f"fields of {', '.join(f'{m.polarization}{m.order}' for m in kept)}: {target}")
    line = None
    if geometry.laser is not None:
        from cqdfem.model import laser_report

        line = laser_report(geometry)[0]
    if args.json:
        say(json.dumps(output.jsonable({"wavelength_m": lam, "modes": modes, "messages": messages,
                                        **({"laser_line": line} if line else {})}), indent=2))
    else:
        console.modes_table(modes, messages, lam)
        if line:
            console.laser_line(line)
    return 0


def cmd_bands(args):
    from cqdfem import model as model_, output
    from cqdfem.workflows import bands

    _, geometry = load_any(args.geometry, args.set)
    table = {"polarizations": args.polarization or ["TE"], "lattice": args.lattice}
    if args.near:
        table["near"] = _quantity(args.near, "m", "--near")
    if args.cells:
        table["cells"] = args.cells
    table["conductivity"] = args.conductivity
    m = model_.create("bands", geometry, bands=table, output={"fields": bool(args.fields), "plots": False})
    result = bands.bands(m, None)
    if args.fields:
        result.fields.sets[0][1].write_fields(pathlib.Path(args.fields))
    s = result.summary
    if args.json:
        keep = ("band_edges_m", "coupling_coefficient_per_m", "bragg_wavelength_m", "modes", "polarizations",
                "grating", "laser_line", "assumptions", "pillar_layer_conductivity")
        say(json.dumps(output.jsonable({k: s[k] for k in keep if k in s}), indent=2))
    else:
        console.bands_table(s["polarizations"], s.get("laser_line"), s.get("pillar_layer_conductivity"))
    return 0


def cmd_fdtr(args):
    from cqdfem import model as model_, output
    from cqdfem.workflows import fdtr

    _, geometry = load_any(args.geometry, args.set)
    table = {"data": args.data, "pump_radius": _quantity(args.pump_radius, "m", "--pump-radius"),
             "probe_radius": _quantity(args.probe_radius, "m", "--probe-radius"), "fit": args.fit,
             "interface_conductance": args.conductance}
    m = model_.create("fdtr", geometry, fdtr=table, output={"plots": False})
    s = fdtr.fdtr(m).summary
    if args.json:
        say(json.dumps(output.jsonable({"fdtr": s["fdtr"], "assumptions": s["assumptions"]}), indent=2))
    else:
        console.fdtr_summary(s["fdtr"])
    return 0


def cmd_info(args):
    from cqdfem import compat

    v = compat.versions()
    if args.json:
        say(json.dumps(v, indent=2))
        return 0
    say(f"cqdfem  {v['cqdfem']}")
    say(f"DOLFINx {v['dolfinx']}")
    say(f"PETSc   {v['petsc']} (scalar {v.get('petsc_scalar')})")
    say(f"SLEPc   {v['slepc']}")
    say(f"gmsh    {v['gmsh']}")
    say(f"MPI     {v['mpi']} (mpi4py {v['mpi4py']}), {v['ranks']} rank(s)")
    return 0


def parser():
    p = argparse.ArgumentParser(prog="cqdfem", description="Thermal runaway in CQD lasers (FEniCSx).")
    sub = p.add_subparsers(dest="command", required=True)
    sets = {"action": "append", "default": [], "metavar": "KEY=VALUE",
            "help": "override an entry of the file, e.g. --set mesh.film_cells=6"}
    c = sub.add_parser("check", help="validate case and geometry files without solving")
    c.add_argument("files", nargs="+")
    c.add_argument("--set", **sets)
    c.set_defaults(func=cmd_check)
    m = sub.add_parser("mesh", help="mesh a geometry (or a case's geometry) and write it")
    m.add_argument("geometry")
    m.add_argument("-o", "--output", action="append", help="output file: .xdmf, .msh, .vtu (repeatable)")
    m.add_argument("--dimension", type=int, choices=(1, 2, 3))
    m.add_argument("--set", **sets)
    m.set_defaults(func=cmd_mesh)
    r = sub.add_parser("run", help="run a case")
    r.add_argument("case")
    r.add_argument("-o", "--output", help="output directory (default: the case's output.directory)")
    r.add_argument("--set", **sets)
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.add_argument("--resume", action="store_true",
                   help="continue from the last checkpoint in the output directory (output.checkpoint_interval)")
    r.set_defaults(func=cmd_run)
    md = sub.add_parser("modes", help="guided modes (n_eff, confinement) of a geometry's film stack")
    md.add_argument("geometry")
    md.add_argument("--wavelength", required=True, help="e.g. 630nm")
    md.add_argument("--polarization", action="append", choices=("TE", "TM"), default=None)
    md.add_argument("--count", type=int, default=ModesSettings.count, help="modes per polarization")
    md.add_argument("--temperature", help="film stack temperature (dn/dT shifts), e.g. '340 K'")
    md.add_argument("--vector", action="store_true",
                    help="2D full-vector cross-section solver (DOLFINx + SLEPc) instead of the 1D slab")
    md.add_argument("--ridge", help="with --vector: the active layer as a ridge of this width, e.g. 2um")
    md.add_argument("--symmetry", choices=("pec", "pmc", "none"), default=ModesSettings.symmetry,
                    help="with --vector: wall at x = 0 (pec: TE-like family, pmc: TM-like, none: full width)")
    md.add_argument("--fields", help="with --vector: write E_t, E_z, |E|^2 of the modes to this .xdmf (ParaView)")
    md.add_argument("--json", action="store_true")
    md.add_argument("--set", **sets)
    md.set_defaults(func=cmd_modes)
    bd = sub.add_parser("bands", help="band edges and coupling kappa of a geometry's DFB grating (Bloch unit cell)")
    bd.add_argument("geometry")
    bd.add_argument("--near", help="where to look, e.g. 643nm (default: the geometry's [laser] line)")
    bd.add_argument("--polarization", action="append", choices=("TE", "TM"), default=None)
    bd.add_argument("--lattice", choices=("square", "lines"), default="square",
                    help="square: the pillars (averaged along y); lines: a 1D grating of bars")
    bd.add_argument("--cells", type=int, help="cells along one period (default 24)")
    bd.add_argument("--fields", help="write the first polarization's band-edge fields to this .xdmf (ParaView)")
    bd.add_argument("--conductivity", action="store_true",
                    help="also the pillar layer's conductivity: resolved 3D unit cell vs the effective medium")
    bd.add_argument("--json", action="store_true")
    bd.add_argument("--set", **sets)
    bd.set_defaults(func=cmd_bands)
    fd = sub.add_parser("fdtr", help="fit a layer's conductivity to an FDTR phase-vs-frequency CSV")
    fd.add_argument("geometry", help="the sample's stack, bottom first (e.g. Si, CQD film, Au)")
    fd.add_argument("--data", required=True, help="CSV with columns frequency_Hz, phase_deg")
    fd.add_argument("--pump-radius", required=True, help="pump 1/e^2 radius, e.g. 3.4um")
    fd.add_argument("--probe-radius", required=True, help="probe 1/e^2 radius, e.g. 3.4um")
    fd.add_argument("--fit", required=True, help="the layer whose conductivity is fitted")
    fd.add_argument("--conductance", action="store_true", help="also fit the interface conductance above it")
    fd.add_argument("--json", action="store_true")
    fd.add_argument("--set", **sets)
    fd.set_defaults(func=cmd_fdtr)
    g = sub.add_parser("gain", help="ensemble gain threshold <N>_th from degeneracies and doping")
    g.add_argument("--ge", type=int, default=2, help="electron degeneracy (2 for CdSe 1S)")
    g.add_argument("--gh", type=int, default=4, help="hole degeneracy (4 for CdSe 1S)")
    g.add_argument("--doping", type=int, default=0, help="extra electrons per dot (negative: holes)")
    g.add_argument("--doping-mean", type=float, help="mean extra electrons, Fermi-Dirac (binomial) spread")
    g.add_argument("--model", choices=("state-filling", "three-level", "four-level"), default="state-filling",
                   help="state filling of g_e/g_h levels, or seed 003's level pictures")
    g.add_argument("--lasing-line-absorption", type=float,
                   help="level models: unexcited absorption at the lasing line / fully inverted gain (a)")
    g.add_argument("--biexciton-absorption", type=float,
                   help="level models: X->XX absorption / one exciton's stimulated emission (b)")
    g.add_argument("--statistics", choices=("poisson", "binomial"), default="poisson",
                   help="poisson: pumped far above the band edge; binomial: at the band edge (003's Rabi picture)")
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=cmd_gain)
    t = sub.add_parser("threshold", help="print/plot a threshold law P_th(T) (from a case or options)")
    t.add_argument("case", nargs="?", help="a case file with a [threshold] section")
    t.add_argument("--set", **sets)
    t.add_argument("--law", choices=("auger", "t0", "table"), default=ThresholdSettings.law)
    t.add_argument("--at-reference", help="threshold at the reference temperature, e.g. '52 kW/cm^2'")
    t.add_argument("--reference-temperature", help=f"default {ThresholdSettings.reference_temperature:g} K")
    t.add_argument("--T0", help="characteristic temperature of the t0 law, e.g. '70 K'")
    t.add_argument("--energy", help="(effective) energy of the auger law, e.g. '1.94 eV'")
    t.add_argument("--mass-ratio", type=float, help="electron/hole mass ratio M of the auger law")
    t.add_argument("--fit", action="append", metavar="T:RATIO", help="calibration point, e.g. '333 K:1.7'")
    t.add_argument("--pump", help="a pump intensity: print the temperature where lasing stops")
    t.add_argument("--range", default="280 K:380 K", help="temperature range of the table/plot")
    t.add_argument("--plot", help="write a PNG of P_th(T)")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_threshold)
    ks = KineticsSettings()
    k = sub.add_parser("kinetics", help="multiexciton kinetics under a pump: populations, decay shares")
    k.add_argument("case", nargs="?", help="a case file: its [kinetics] and [pump] sections")
    k.add_argument("--set", **sets)
    k.add_argument("--intensity", help=f"pump intensity (default {ks.intensity / 1e7:g} kW/cm^2)")
    k.add_argument("--wavelength", help="pump wavelength (default 442 nm)")
    k.add_argument("--cross-section", help=f"absorption cross-section per dot at the pump "
                                           f"(default {ks.cross_section * 1e4:g} cm^2)")
    k.add_argument("--generation", help="absorptions per dot per second (instead of intensity x cross-section)")
    k.add_argument("--auger-lifetime", help="biexciton Auger lifetime (default: cqdfem.lasing.kinetics.Dots)")
    k.add_argument("--pl-lifetime", help="single-exciton lifetime (default: cqdfem.lasing.kinetics.Dots)")
    k.add_argument("--plqy", type=float, help="single-exciton PLQY, traps the rest (default: Dots)")
    k.add_argument("--auger-scaling", choices=("linear", "pairs", "cubic"))
    k.add_argument("--monte-carlo", action="store_true", help="also run the kinetic Monte Carlo")
    k.add_argument("--lattice", type=int, help=f"Monte Carlo lattice side (default {ks.lattice})")
    k.add_argument("--time-step", help=f"Monte Carlo time step (default {ks.time_step * 1e12:g} ps)")
    k.add_argument("--end-time", help=f"Monte Carlo end time (default {ks.end_time * 1e9:g} ns)")
    k.add_argument("--seed", type=int)
    k.add_argument("--json", action="store_true")
    k.set_defaults(func=cmd_kinetics)
    i = sub.add_parser("info", help="versions of cqdfem, DOLFINx, PETSc, SLEPc, gmsh, MPI")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_info)
    return p


def main(argv=None):
    import warnings

    import numpy as np

    args = parser().parse_args(argv)
    try:
        # numpy's floating-point warnings would print before the one-line message of a bad input
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            return args.func(args)
    except InputError as e:
        if console.rank() == 0:
            print(str(e), file=sys.stderr, flush=True)
        return 2
    except SolverError as e:
        if console.rank() == 0:
            print(f"cqdfem: solver failed: {e}", file=sys.stderr, flush=True)
        return 3
    except Exception:
        # A bug on one rank must not leave the others waiting in a collective for ever.
        from mpi4py import MPI

        if MPI.COMM_WORLD.size == 1:
            raise
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(1)
