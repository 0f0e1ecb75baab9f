"""Optics in the runaway loop (cqdfem.linedrift): a known answer on the semi-infinite heat response,
neutral optics equal to the loop without them, the line table against the slab solver, bad input."""

import json
import math

import numpy as np
import pytest

from cqdfem import coupling, linedrift, optics, thermal
from cqdfem.geometry import load_geometry
from cqdfem.lasing.heat import HeatModel
from cqdfem.lasing.threshold import T0

from conftest import ROOT

T_REF = 295.0


def flat_table(line, gamma=0.27):
    """A line table that does not move with T (its interpolation must then be exact)."""
    return linedrift.LineTable((200.0, 900.0), (1.5, 1.5), (gamma, gamma), (line, line), (line, line))


def test_stop_time_on_the_semi_infinite_response_is_analytic():
    """Constant heat Q on a film whose drive temperature rises as T_ref + Q a √t (semi-infinite
    solid under a constant flux): P_th = P_ref e^{x/T0} S(Δ_ref)/S(Δ) with Δ = Δ_ref − s x,
    x = T − T_ref, a Gaussian S; lasing stops where that reaches the pump — a quadratic in x."""
    lam, d_ref, s, w, T0_ = 643e-9, 0.5e-9, 0.1e-9, 20e-9, 70.0
    gain = linedrift.GainSpectrum(lam - d_ref, s, w, "gaussian", T_REF)
    law = linedrift.DetunedLaw(T0(5e8, T0_, T_REF), flat_table(lam), gain)
    A, thick, I = 0.2, 60e-9, 8e8
    heat = HeatModel(absorptance=A, plqy=0.0, thickness=thick)        # all absorbed power is heat
    Q = A * I / thick
    a = 2 / math.sqrt(math.pi) / math.sqrt(1.0 * 1.4 * 2.2e6) * thick    # K per (W/m³) per √s: 2√(t/π)/e · d
    c2, c1, c0 = 4 * math.log(2) * s * s / w ** 2, 1 / T0_ - 8 * math.log(2) * d_ref * s / w ** 2, -math.log(I / 5e8)
    x = (-c1 + math.sqrt(c1 * c1 - 4 * c2 * c0)) / (2 * c2)
    t_stop = (x / (Q * a)) ** 2
    t = np.linspace(0, 1.5 * t_stop, 6001)
    response = coupling.StepResponse(t, a * np.sqrt(t))
    pump = coupling.Pump(I, thermal.Profile())                          # a step: on at t = 0, for ever
    _, ev = coupling.run_fast(response, coupling.Device(heat, law), pump, T_REF)
    assert ev["lasing_stop_s"] == pytest.approx(t_stop, rel=1e-6)
    # without the detuning the same film lases longer: the ASE law alone stops at x = T0 ln(I/P_ref)
    _, ev0 = coupling.run_fast(response, coupling.Device(heat, law.base), pump, T_REF)
    assert ev0["lasing_stop_s"] == pytest.approx((T0_ * math.log(I / 5e8) / (Q * a)) ** 2, rel=1e-6)
    assert ev0["lasing_stop_s"] > 1.1 * ev["lasing_stop_s"]


def test_neutral_optics_leave_the_law_unchanged_and_lorentzian_share():
    base = T0(5e8, 70.0, T_REF)
    law = linedrift.DetunedLaw(base, flat_table(643e-9), linedrift.GainSpectrum(640e-9, 0.0, 30e-9, "gaussian", T_REF))
    T = np.linspace(280, 600, 33)
    assert np.array_equal(law.ratio(T), base.ratio(T))
    assert law.temperature_at(8e8) == base.temperature_at(8e8)
    g = linedrift.GainSpectrum(640e-9, 0.0, 30e-9, "lorentzian", T_REF)
    assert g.log_share(15e-9) == pytest.approx(math.log(0.5), rel=1e-12)      # half maximum at Δ = FWHM/2
    assert linedrift.GainSpectrum(0, 0, 30e-9).log_share(15e-9) == pytest.approx(math.log(0.5), rel=1e-12)


def test_line_table_follows_the_slab_solver():
    geo = load_geometry(ROOT / "geometries" / "dfb-mgf2-643.toml")
    tab = linedrift.line_table(geo, 430e-9, 2, T_REF, expansion=1e-5, offset=-0.3e-9, temperatures=[295.0, 395.0])
    for T, lam in zip(tab.temperatures, tab.bragg):
        slab = optics.Slab.from_geometry(geo, temperature=T, T_ref=T_REF)
        ref, _ = optics.bragg_wavelength(slab, 430e-9 * (1 + 1e-5 * (T - T_REF)), 2, guess=643e-9)
        assert lam == pytest.approx(ref, rel=1e-8)       # (the table's windows differ: discretisation level)
    assert np.allclose(np.subtract(tab.line, tab.bragg), -0.3e-9, rtol=0, atol=1e-18)
    # 100 K: the period's expansion moves the line by λ α ΔT n_eff/n_g (the guide's dispersion pulls
    # n_eff down as λ grows: 0.582 nm), MgF2's dn/dT adds a little; this geometry's CQD and spin-on
    # glass have no dn/dT (and so the grating's effective medium has none)
    from cqdfem import bands

    n_g = bands.group_index(optics.Slab.from_geometry(geo), tab.bragg[0])
    expansion_only = tab.bragg[0] * 1e-5 * 100 * tab.n_eff[0] / n_g
    assert expansion_only == pytest.approx(0.582e-9, rel=0.01)
    assert 0 < tab.bragg[1] - tab.bragg[0] - expansion_only < 0.05e-9
    assert tab.at("line", 345.0) == pytest.approx(0.5 * (tab.line[0] + tab.line[1]), rel=1e-12)
    assert tab.at("line", 495.0) == pytest.approx(2 * tab.line[1] - tab.line[0], rel=1e-12)   # linear beyond


CASE = """
title = "optics in the loop"
geometry = "{root}/geometries/dfb-mgf2-643.toml"
kind = "coupled"
[pump]
intensity = "88 kW/cm^2"
duration = "1 us"
rise_time = "300 ns"
wavelength = "442 nm"
[film]
absorptance = 0.05
heat_model = "energy-conserving"
plqy = 0.15
emission_wavelength = "640 nm"
[threshold]
law = "t0"
at_reference = "52 kW/cm^2"
reference_temperature = "295 K"
T0 = "70 K"
[thermal]
dimension = 1
end_time = "1.2 us"
[coupling]
steady = false
[output]
fields = false
plots = false
"""


def test_the_fem_loop_with_neutral_optics_equals_the_loop_without(cli, tmp_path):
    case = tmp_path / "c.toml"
    case.write_text(CASE.format(root=ROOT))
    neutral = ["--set", "optics.in_loop=true", "--set", 'optics.gain_peak_shift="0 nm/K"',
               "--set", 'optics.expansion="0 1/K"', "--set", 'optics.line="bragg"']
    for m in ("MgF2", "SiO2"):
        neutral += ["--set", f'materials.{m}.dn_dT="0 1/K"']
    r0 = cli("run", case, "-o", tmp_path / "off", "-q")
    r1 = cli("run", case, "-o", tmp_path / "on", "-q", *neutral)
    r2 = cli("run", case, "-o", tmp_path / "drift", "-q", "--set", "optics.in_loop=true",
             "--set", 'materials.CQD-inorganic.dn_dT="1e-4 1/K"', "--set", 'optics.gain_width="10 nm"')
    assert r0.returncode == r1.returncode == r2.returncode == 0, r0.stderr + r1.stderr + r2.stderr
    off, on, drift = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("off", "on", "drift"))
    # (the line at each tabulated T is its own Bragg fixed point, converged to 1e-12 m: equal to roundoff)
    assert on["lasing_stop_s"] == pytest.approx(off["lasing_stop_s"], rel=1e-12)
    assert on["film_max_temperature_K"] == pytest.approx(off["film_max_temperature_K"], rel=1e-12)
    assert abs(on["line_drift"]["line_shift_m"]) < 1e-15
    assert on["line_drift"]["threshold_factor"] == pytest.approx(1.0, abs=1e-9)
    # real drift: the gain peak runs away from the line, the threshold climbs faster, lasing ends sooner
    d = drift["line_drift"]
    assert d["gain_peak_shift_m"] == pytest.approx(0.1e-9 * (d["drive_temperature_K"] - 295), rel=1e-9)
    assert 0 < d["line_shift_m"] < d["gain_peak_shift_m"] and d["threshold_factor"] > 1
    assert (drift["lasing_duration_s"] or 0) <= (off["lasing_duration_s"] or 0)
    assert d["sources"]["gain_width"] == "case file"
    cols = (tmp_path / "drift" / "timeseries.csv").read_text().splitlines()[0].split(",")
    assert {"lasing_wavelength_m", "gain_peak_wavelength_m", "n_eff", "confinement"} <= set(cols)


@pytest.mark.parametrize("sets,expect", [
    (['kind="thermal"', "optics.in_loop=true"], 'applies to kind = "coupled" or "sweep"'),
    (['geometry="{root}/geometries/film-on-si.toml"', "optics.in_loop=true"], "[laser]"),
    (["optics.in_loop=true", 'optics.gain_width="-3 nm"'], "optics.gain_width"),
    (["optics.in_loop=true", 'optics.gain_shape="flat"'], "optics.gain_shape"),
])
def test_bad_optics_input_is_one_line(cli, tmp_path, sets, expect):
    case = tmp_path / "c.toml"
    case.write_text(CASE.format(root=ROOT))
    args = []
    for s in sets:
        args += ["--set", s.format(root=ROOT)]
    r = cli("check", case, *args)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert expect in r.stderr and len(r.stderr.strip().splitlines()) == 1
