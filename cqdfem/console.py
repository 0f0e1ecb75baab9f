"""Everything cqdfem prints: one-line reports of results, tables, the progress bar. Rank 0 only."""

import sys
import time


def rank():
    try:
        from mpi4py import MPI

        return MPI.COMM_WORLD.rank
    except ImportError:
        return 0


def say(*args, **kwargs):
    if rank() == 0:
        print(*args, **kwargs, flush=True)


def length(metres):
    for unit, scale in (("mm", 1e-3), ("um", 1e-6), ("nm", 1e-9)):
        if metres >= scale:
            return f"{metres / scale:.4g} {unit}"
    return f"{metres:.4g} m"


def mesh_summary(summary):
    say(f"{summary['dimension']}D {summary['coordinates']} mesh: {summary['cells']} cells, "
        f"{summary['vertices']} vertices, {summary['ranks']} rank(s)")
    say(f"  {'layer':<16} {'thickness':>12} {'cells':>10} {'through':>8}  regions")
    for l in summary["layers"]:
        regions = ", ".join(f"{r}: {n}" for r, n in l["regions"].items())
        say(f"  {l['name']:<16} {length(l['thickness_m']):>12} {l['cells']:>10} {l['cells_through']:>8}  {regions}")
    say(f"  boundaries: {', '.join(summary['boundaries'])}")


def modes_table(modes, messages, wavelength):
    say(f"guided modes at {wavelength * 1e9:.4g} nm (confinement: |E|^2 fraction per layer)")
    for m in modes:
        conf = ", ".join(f"{k} {v:.4f}" for k, v in m["confinement"].items() if v > 1e-4)
        say(f"  {m['polarization']}{m['order']}  n_eff = {m['n_eff']:.6f}   {conf}")
    for msg in messages:
        say(f"  {msg}")


def bands_table(per, laser=None, heat=None):
    """The band edges and κ per polarization, and the lasing edge against the stated line."""
    for pol, b in per.items():
        say(f"{pol} band edges (order {b['order']}, period {b['period_m'] * 1e9:.4g} nm, {b['dofs']} dofs, "
            f"{b['seconds']:.1f} s):")
        for m in b["modes"]:
            say(f"  {m['wavelength_m'] * 1e9:10.4f} nm  {m['parity']:<13} "
                f"{'radiates (zeroth harmonic)' if m['radiating'] else 'non-radiating'}")
        cwt = b["coupling_coefficient_cwt_per_m"]
        say(f"  splitting {b['splitting_m'] * 1e9:.4f} nm, kappa {b['coupling_coefficient_per_m'] / 100:.2f} /cm"
            + (f" (first-order coupled-wave theory {cwt / 100:.2f} /cm)" if cwt else "")
            + f"; effective-medium Bragg line {b['bragg_wavelength_m'] * 1e9:.4f} nm (n_eff {b['bragg_n_eff']:.5f}, "
            f"n_g {b['group_index']:.4f})")
    if heat:
        em, res, d = heat["effective_medium"], heat["resolved"], heat["difference"]
        say(f"{heat['layer']} conductivity, effective medium vs resolved 3D cell: in-plane "
            f"{em['in_plane_W_mK']:.4g} vs {res['in_plane_W_mK']:.4g} W/m/K ({d['in_plane']:+.1%}; Rayleigh "
            f"{heat['rayleigh_in_plane_W_mK']:.4g}), cross-plane {em['cross_plane_W_mK']:.4g} vs "
            f"{res['cross_plane_W_mK']:.4g} W/m/K ({d['cross_plane']:+.1%})" + (f" [{heat['note']}]" if "note" in heat else ""))
    if laser:
        say(f"lasing edge {laser['lasing_edge_m'] * 1e9:.3f} nm vs stated {laser['stated_m'] * 1e9:.3f} nm: "
            f"{laser['offset_m'] * 1e9:+.3f} nm ({'within' if laser['consistent'] else 'outside'} "
            f"{laser['tolerance_m'] * 1e9:g} nm)")


def resume_note(directory):
    """What --resume will continue from (the manifests in the run's checkpoint directory)."""
    import json

    found = []
    for path in sorted(directory.glob("*/manifest.json")):
        try:
            m = json.loads(path.read_text())
            found.append(f"{path.parent.name} from step {m['i']} (t = {m['t']:.4g} s)")
        except (OSError, ValueError, KeyError):
            continue
    say("resuming " + ", ".join(found) if found else f"no checkpoint in {directory}: starting from t = 0")


def warn(text):
    if rank() == 0:
        print(f"warning: {text}", file=sys.stderr, flush=True)


def laser_line(line):
    verdict = "consistent" if line["consistent"] else "INCONSISTENT"
    if line["bragg_wavelength_m"] is None:
        say(f"laser line {line['stated_wavelength_m'] * 1e9:.1f} nm: no Bragg line (no guided mode) — {verdict}")
        return
    say(f"Bragg line (order {line['order']}, period {line['period_m'] * 1e9:.4g} nm): "
        f"{line['bragg_wavelength_m'] * 1e9:.2f} nm, n_eff = {line['n_eff']:.5f}; stated "
        f"{line['stated_wavelength_m'] * 1e9:.1f} nm ± {line['tolerance_m'] * 1e9:g} nm: {verdict}")


def thermo_optic_line(t):
    line = (f"thermo-optic ({t['state']}, {t['where']}): n_eff {t['n_eff_cold']:.6f} -> {t['n_eff_hot']:.6f} "
            f"({t['delta_n_eff']:+.2e})")
    if "bragg_shift_m" in t:
        line += f", Bragg wavelength {t['bragg_shift_m'] * 1e9:+.3f} nm"
    return line


def fdtr_summary(f):
    """The fitted conductivity, its uncertainty and each input's share."""
    g = f" and interface conductance {f['conductance_W_m2K']:.3g} W/m^2/K" if "conductance_W_m2K" in f else ""
    say(f"{f['layer']}: k = {f['conductivity_W_mK']:.4g} ± {f['uncertainty_W_mK']:.2g} W/m/K{g} "
        f"(library {f['library_conductivity_W_mK']:.4g}); rms residual {f['residual_deg']:.3f} deg over "
        f"{f['points']} frequencies, {f['frequencies_Hz'][0]:.3g}-{f['frequencies_Hz'][1]:.3g} Hz")
    for name, dk in sorted(f["contributions"].items(), key=lambda kv: -kv[1]):
        rel = f["relative_uncertainties"].get(name)
        say(f"  {name:<24} {dk:.3g} W/m/K" + (f"  (input ± {100 * rel:.3g} %)" if rel is not None else "  (fit)"))


def physics_threshold(p, prefix=""):
    """The threshold from material physics beside the measured one."""
    line = f"{prefix}threshold from material physics: {p['intensity_W_m2'] / 1e7:.4g} kW/cm^2 (steady, <N> = " \
        f"{p['mean_excitons_at_threshold']:.3g})"
    if p.get("fluence_J_m2") is not None:
        line += f", {p['fluence_J_m2'] * 1e2:.4g} uJ/cm^2 (short pulse)"
    if "measured_W_m2" in p:
        line += f"; measured {p['measured_W_m2'] / 1e7:.4g} kW/cm^2 (x{p['predicted_over_measured']:.3g})"
    if p.get("fluence_predicted_over_measured") is not None:
        line += (f"; measured {p['measured_fluence_J_m2'] * 1e2:.4g} uJ/cm^2 "
                 f"(x{p['fluence_predicted_over_measured']:.3g})")
    if "measured_mean_excitons" in p:
        line += (f"; gain threshold <N>_th {p['transparency_mean_excitons']:.3g} vs measured "
                 f"{p['measured_mean_excitons']:.3g}")
    say(line)


def report(result, model=None):
    """Print what a result says (its variants first, each with its label); ``model``: its warnings."""
    if model is not None and model.kind not in ("thermal", "coupled"):      # those print their summary's
        for w in sorted({w for x in [model] + [v for _, v in model.variants] for w in x.warnings}):
            warn(w)
    for label, sub in result.variants:
        say(f"--- variant: {label}")
        report(sub)
    if result.variants:
        return
    s, prefix = result.summary, f"{result.label}: " if result.label else ""
    if "threshold_from_physics" in s:
        physics_threshold(s["threshold_from_physics"], prefix)
    if "uq" in s:
        sampled_summary(s, prefix)
    elif result.kind == "mesh":
        mesh_summary(s["mesh"])
    elif result.kind == "thermal":
        if "thermo_optic" in s:
            say(thermo_optic_line(s["thermo_optic"]))
        for w in s["warnings"]:
            say(f"warning: {w}")
        sv = s["solver"]
        T, peak = s["film_max_temperature_K"], s["film_peak_temperature_K"]
        say(f"{prefix}film max {T:.2f} K ({T - 273.15:.1f} °C) at t = {result.series['time_s'][-1]:.3g} s; "
            f"peak {peak:.2f} K; {sv['steps']} steps, {sv['distinct_matrices']} matrices, "
            f"{sv['wall_time_s']:.1f} s on {sv['ranks']} rank(s)")
    elif result.kind == "coupled":
        for w in s["warnings"]:
            say(f"warning: {w}")
        dur, stop, steady = s["lasing_duration_s"], s["lasing_stop_s"], s["steady_state"]
        say(f"{prefix}lasing {'never starts' if dur is None else f'for {dur * 1e6:.3f} us'}"
            f"{' (stops at %.3f us)' % (stop * 1e6) if stop else ''}; "
            f"film max {s['film_max_temperature_K']:.1f} K; runaway: {s['runaway']}"
            + (f"; CW steady state {steady['temperature_K']:.1f} K, CW lasing {steady['cw_lasing']}"
               if steady and steady["temperature_K"] else "")
            + f"; {s['solver']['steps']} steps, {s['solver']['wall_time_s']:.1f} s")
        if "line_drift" in s:
            d = s["line_drift"]
            say(f"{prefix}line drift to the {d['at']} ({d['drive_temperature_K']:.1f} K): lasing line "
                f"{d['line_shift_m'] * 1e9:+.3f} nm ({d['line_shift_over_linewidth']:.2f} x the "
                f"{d['measured_linewidth_m'] * 1e9:g} nm linewidth), gain peak {d['gain_peak_shift_m'] * 1e9:+.2f} nm; "
                f"threshold x{d['threshold_factor']:.4f} from the optics")
    elif result.kind == "sweep":
        tm = s["timing"]
        say(f"{prefix}{s['points']} points in {tm['sweep_s']:.2f} s ({tm['per_point_ms']:.1f} ms each) after a "
            f"{tm['fem_response_s']:.1f} s FEM response; CW lasing at {sum(r['cw_lasing'] for r in s['rows'])} of them")
    elif result.kind == "bands":
        bands_table(s["polarizations"], s.get("laser_line"), s.get("pillar_layer_conductivity"))
    elif result.kind == "fdtr":
        fdtr_summary(s["fdtr"])
    elif result.kind == "modes":
        modes_table(s["modes"], s["messages"], s["wavelength_m"])
        if "minimum_thickness_for_ase_m" in s:
            t_min = s["minimum_thickness_for_ase_m"]
            say(f"minimum {s['minimum_thickness_layer']} thickness for ASE (Γ g = α_i): "
                + (f"{t_min * 1e9:.1f} nm" if t_min else "none below 2 um"))
        if "bragg_wavelength_m" in s:
            say(f"Bragg wavelength (order {s['bragg_order']}, period {s['bragg_period_m'] * 1e9:.4g} nm): "
                f"{s['bragg_wavelength_m'] * 1e9:.3f} nm, n_eff = {s['bragg_n_eff']:.5f}")
        if "thickness_for_target_m" in s:
            t = s["thickness_for_target_m"]
            say(f"{s['target_layer']} thickness for {s['target_wavelength_m'] * 1e9:.4g} nm: "
                + (f"{t * 1e9:.2f} nm (TE0 n_eff {s['target_n_eff']:.5f}, Γ {s['target_layer']} "
                   f"{s['target_confinement'][s['target_layer']]:.3f})" if t else
                   f"none: {s['thickness_for_target_why_none']}"))
        if "grating_fill" in s:
            f = s["grating_fill"]
            say(f"{f['layer']} gaps for {f['target_wavelength_m'] * 1e9:.4g} nm: "
                + (f"{f['cqd_share_of_gaps']:.3f} {f['cqd']} + the rest {f['rest']} (TE0 n_eff {f['n_eff']:.5f})"
                   if f["cqd_share_of_gaps"] is not None else f"none: {f['why_none']}"))
        if "laser_line" in s:
            laser_line(s["laser_line"])


def files(outdir):
    """Where a run's files are."""
    if rank() != 0:
        return
    say(f"results in {outdir}/: {', '.join(sorted(p.name for p in outdir.iterdir()))}")
    plots = sorted(str(p) for p in outdir.rglob("*.png"))
    fields = sorted(str(p) for p in outdir.rglob("*.xdmf"))
    say(f"  summary: {outdir / 'summary.json'}")
    if plots:
        say(f"  plots: {', '.join(plots)}")
    if fields:
        say(f"  ParaView (open with the 'Xdmf3 Reader T' reader): {', '.join(fields)}")
    vtx = sorted(str(p) for p in outdir.rglob("*.bp"))
    if vtx:
        say(f"  ParaView (open with the 'ADIOS2 VTX Reader'): {', '.join(vtx)}")


class Progress:
    """``[#####-----] step 120/240  t = 1.2 us / 4 us  ETA 3 s`` on a terminal; silent otherwise."""

    def __init__(self, end_time, label="", stream=None, enabled=None, rank=0):
        self.stream = stream or sys.stderr
        self.enabled = (rank == 0 and self.stream.isatty()) if enabled is None else enabled
        self.end, self.label, self.start = end_time, label, time.perf_counter()
        self._last = 0.0

    def __call__(self, i, n, t, label=None):
        if label is not None and f"{label}: " != self.label:     # a new variant: its own bar and ETA
            self.label, self.start = f"{label}: ", time.perf_counter()
        if not self.enabled:
            return
        now = time.perf_counter()
        if i < n and now - self._last < 0.1:
            return
        self._last = now
        frac = i / n
        bar = "#" * int(20 * frac) + "-" * (20 - int(20 * frac))
        eta = (now - self.start) * (1 - frac) / frac if frac > 0 else float("nan")
        self.stream.write(f"\r{self.label}[{bar}] step {i}/{n}  t = {t * 1e6:.4g} us / "
                          f"{self.end * 1e6:.4g} us  ETA {eta:.0f} s ")
        if i == n:
            self.stream.write("\n")
        self.stream.flush()


def sampled_summary(s, prefix=""):
    """A sampled run: the band of each output, the probabilities, the inputs that decide it."""
    u = s["uq"]
    for w in s["warnings"]:
        say(f"warning: {w}")
    tm = s["timing"]
    say(f"{prefix}{u['samples']} samples ({u['evaluations']} evaluations) of {len(u['inputs'])} uncertain inputs in "
        f"{tm['wall_time_s']:.1f} s on {tm['ranks']} rank(s): {tm['fem_responses_s']:.1f} s FEM responses, "
        f"{tm['per_evaluation_ms']:.2f} ms per evaluation")
    scale = {"_s": (1e6, "us"), "_K": (1.0, "K"), "_W_m2": (1e-7, "kW/cm^2")}
    for key, q in u["outputs"].items():
        if not q.get("finite"):
            continue
        f, unit = next(v for k, v in scale.items() if key.endswith(k))
        pcts = [k for k in q if k.startswith("p")]
        say(f"  {key}: " + ", ".join(f"{k.upper()} {q[k] * f:.4g}" for k in pcts) + f" {unit}"
            + (f" ({q['finite']} of {u['samples']} samples)" if q["finite"] < u["samples"] else ""))
    if "rows" in s:                     # a sampled sweep
        best = max(s["rows"], key=lambda r: (r["cw_lasing_probability"], -r["threshold_W_m2"]))
        say(f"  {s['points']} map points; CW lasing likely (probability >= 0.5) at "
            f"{sum(r['cw_lasing'] for r in s['rows'])}; highest probability {best['cw_lasing_probability']:.2f} at "
            f"{best['threshold_W_m2'] * 1e-7:g} kW/cm^2 x {best['pump_ratio']:g}")
    if u.get("probabilities"):
        say("  probability: " + ", ".join(f"{k} {v:.3f}" for k, v in u["probabilities"].items()))
    if "measured_lasing_duration_s" in u:
        say(f"  measured lasing duration {u['measured_lasing_duration_s'] * 1e6:g} us: quantile "
            f"{u['measured_quantile']:.3f} of the predicted distribution"
            f" ({'inside' if u['measured_within_band'] else 'outside'} the band)")
    for key, idx in (u.get("sobol") or {}).items():
        if key not in ("lasing_duration_s", "film_peak_temperature_K", "steady_temperature_K"):
            continue
        top = sorted(idx.items(), key=lambda kv: -kv[1]["total"])[:4]
        say(f"  decides {key}: " + ", ".join(f"{k} (total {v['total']:.2f})" for k, v in top))
