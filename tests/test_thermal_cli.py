"""`cqdfem run` for thermal cases: files of the contract, bad input, MPI equality, ParaView."""

import json
import subprocess
import sys

import numpy as np
import pytest

from cqdfem.output import read_csv

CASE = """
title = "small thermal case"
kind = "thermal"
[geometry]
[geometry.domain]
width = "40 um"
[geometry.mesh]
dimension = {dimension}
spot_diameter = "10 um"
coordinates = "{coordinates}"
[[geometry.layers]]
name = "substrate"
material = "MgF2"
thickness = "50 um"
[[geometry.layers]]
name = "film"
material = "CQD-inorganic"
thickness = "120 nm"
active = true
[pump]
intensity = "51 kW/cm^2"
duration = "0.5 us"
rise_time = "50 ns"
[film]
absorptance = 0.2
plqy = 0.15
[thermal]
end_time = "1 us"
output_times = ["0.1 us", "0.5 us", "1 us"]
[thermal.probes]
film_top = "film.top"
[output]
log_time = true
"""


def write_case(tmp_path, dimension=2, coordinates="axisymmetric", extra=""):
    path = tmp_path / "case.toml"
    path.write_text(CASE.format(dimension=dimension, coordinates=coordinates) + extra)
    return path


def test_run_writes_the_contract_files(tmp_path, cli):
    case = write_case(tmp_path)
    out = tmp_path / "out"
    r = cli("run", case, "-o", out)
    assert r.returncode == 0, r.stderr
    names = {p.name for p in out.iterdir()}
    assert {"summary.json", "timeseries.csv", "temperature.xdmf", "temperature.h5", "materials.xdmf",
            "film_temperature.png"} <= names
    summary = json.loads((out / "summary.json").read_text())
    series = read_csv(out / "timeseries.csv")
    for col in ("time_s", "pump_W_m2", "film_max_temperature_K", "film_mean_temperature_K",
                "spot_max_temperature_K", "film_top_temperature_K", "absorbed_energy_J", "stored_energy_J"):
        assert col in series, col
    tmax = series["film_max_temperature_K"]
    assert summary["film_max_temperature_K"] == pytest.approx(tmax[-1])
    assert summary["film_peak_temperature_K"] == pytest.approx(tmax.max())
    assert 0.45e-6 < summary["film_peak_time_s"] <= 0.5e-6        # hottest when the pulse ends
    assert tmax.max() > 300 and tmax[-1] < tmax.max()
    # the pump column follows the pulse shape: ramp over 50 ns, off after 0.5 us
    t, pump = series["time_s"], series["pump_W_m2"]
    assert pump[np.argmin(np.abs(t - 25e-9))] == pytest.approx(0.5 * 5.1e8, rel=0.05)
    assert np.all(pump[t > 0.5e-6] == 0)
    assert abs(summary["energy"]["balance_relative_error"]) < 1e-3
    assert summary["source"]["heat_fraction"] == pytest.approx(0.15 * (1 - 442 / 640) + 0.85)
    assert summary["case"]["thermal"]["end_time"] == pytest.approx(1e-6)
    assert summary["solver"]["distinct_matrices"] < summary["solver"]["steps"] / 3
    assert "dolfinx" in summary["versions"]


def test_1d_equals_2d_under_a_wide_spot(tmp_path, cli):
    # A spot 20x wider than the diffusion length: the 2D centre sees the 1D answer.
    temps = []
    for dim in (1, 2):
        case = write_case(tmp_path, dimension=dim, coordinates="cartesian",
                          extra="")
        out = tmp_path / f"out{dim}"
        r = cli("run", case, "-o", out, "--set", "geometry.mesh.spot_diameter='30 um'",
                "--set", "thermal.end_time='0.2 us'", "--set", "thermal.output_times=['0.2 us']",
                "--set", "pump.duration='0.2 us'")
        assert r.returncode == 0, r.stderr
        temps.append(json.loads((out / "summary.json").read_text())["probes_K"]["film_top"])
    assert temps[0] == pytest.approx(temps[1], rel=2e-3)


@pytest.mark.parametrize("sets,key", [
    (["thermal.end_time='-1 us'"], "thermal.end_time"),
    (["film.plqy=1.5"], "film.plqy"),
    (["thermal.output_times=['2 us']"], "thermal.output_times"),
    (["pump.rise_time='1 us'"], "pump"),
    (["thermal.probes.bad='nolayer.top'"], "thermal.probes.bad"),
    (["thermal.scheme='rk4'"], "thermal.scheme"),
])
def test_bad_thermal_input_is_one_line_and_writes_nothing(tmp_path, cli, sets, key):
    case = write_case(tmp_path)
    out = tmp_path / "out"
    args = [a for s in sets for a in ("--set", s)]
    r = cli("run", case, "-o", out, *args)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert key in r.stderr and "case.toml" in r.stderr
    assert not out.exists() and not list(tmp_path.glob(".out-*"))


def test_missing_film_properties_are_named(tmp_path, cli):
    case = write_case(tmp_path)
    text = case.read_text()
    case.write_text(text.replace("plqy = 0.15\n", ""))
    r = cli("check", case)
    assert r.returncode == 2 and "film.plqy" in r.stderr
    # without an absorptance the optics give it (every library material has optical constants at
    # 442 nm); at a pump wavelength where the film's are unknown, the message says so
    case.write_text(text.replace("absorptance = 0.2\n", ""))
    assert cli("check", case).returncode == 0
    case.write_text(text.replace("absorptance = 0.2\n", "").replace("[pump]\n", '[pump]\nwavelength = "405 nm"\n'))
    r = cli("check", case)
    assert r.returncode == 2 and "film.absorptance" in r.stderr and "no optical constants at 405 nm" in r.stderr


def test_cli_two_ranks_same_as_one(tmp_path, cli):
    # serial pytest: this test starts mpirun itself
    case = write_case(tmp_path)
    results = []
    for ranks in (None, 2):
        out = tmp_path / f"out{ranks}"
        r = cli("run", case, "-o", out, ranks=ranks)
        assert r.returncode == 0, r.stderr
        results.append(read_csv(out / "timeseries.csv"))
    for col in ("film_max_temperature_K", "film_mean_temperature_K", "film_top_temperature_K"):
        assert np.allclose(results[0][col], results[1][col], rtol=1e-9), col


def test_variants_run_into_subdirectories(tmp_path, cli):
    extra = """
[[variants]]
label = "thin"
[[variants]]
label = "thick film"
set = ["geometry.layers[1].thickness='240 nm'"]
"""
    case = write_case(tmp_path, dimension=1, coordinates="cartesian", extra=extra)
    out = tmp_path / "out"
    r = cli("run", case, "-o", out)
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert [v["label"] for v in summary["variants"]] == ["thin", "thick film"]
    thin, thick = (json.loads((out / d / "summary.json").read_text()) for d in ("thin", "thick-film"))
    # same absorbed power spread over twice the thickness: a longer heat path in the film, hotter top
    assert thick["film_peak_temperature_K"] > thin["film_peak_temperature_K"]
    assert (out / "film_temperature.png").stat().st_size > 1000


PV_SCRIPT = r"""
import json, sys
from paraview.simple import Xdmf3ReaderT
r = Xdmf3ReaderT(FileName=[sys.argv[1]])
r.UpdatePipelineInformation()
times = list(r.TimestepValues) if hasattr(r.TimestepValues, "__len__") else [r.TimestepValues]
r.UpdatePipeline(times[-1])
rng = r.PointData["temperature"].GetRange()
print(json.dumps({"arrays": list(r.PointData.keys()), "times": times, "range": list(rng)}))
"""


@pytest.mark.paraview
def test_paraview_reads_temperature_at_every_output_time(tmp_path, cli):
    pytest.importorskip("paraview", reason="python3-paraview is in the runtime package list")
    case = write_case(tmp_path)
    out = tmp_path / "out"
    assert cli("run", case, "-o", out).returncode == 0
    script = tmp_path / "pv.py"
    script.write_text(PV_SCRIPT)
    r = subprocess.run([sys.executable, str(script), str(out / "temperature.xdmf")], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert "temperature" in got["arrays"]
    assert got["times"] == pytest.approx([0.0, 1e-7, 5e-7, 1e-6])
    summary = json.loads((out / "summary.json").read_text())
    assert got["range"][1] == pytest.approx(summary["film_max_temperature_K"], rel=1e-6)   # read as float32


def test_paper_cases_fig4b_and_fig4d(tmp_path, cli):
    # Fig 4b: the absorptance was fixed so that the inorganic film is ~60 C after 2 us; the organic
    # film (thicker, higher threshold) runs far hotter. Fig 4d: better conductors, cooler films.
    out = tmp_path / "fig4b"
    assert cli("run", "cases/fig4b-film-heating.toml", "-o", out, "-q").returncode == 0
    inorg, org = (read_csv(out / d / "timeseries.csv") for d in
                  ("inorganic-120-nm-51-kw-cm2", "organic-300-nm-83-kw-cm2"))
    at2 = [np.interp(2e-6, s["time_s"], s["film_max_temperature_K"]) - 273.15 for s in (inorg, org)]
    assert at2[0] == pytest.approx(60, abs=1.5)
    assert at2[1] > 2 * at2[0]
    out = tmp_path / "fig4d"
    assert cli("run", "cases/fig4d-substrates.toml", "-o", out, "-q").returncode == 0
    final = {v["label"]: v["film_max_temperature_K"] for v in json.loads((out / "summary.json").read_text())["variants"]}
    assert final["glass"] > final["MgF2"] > final["sapphire"] > final["Si"] > final["Al"] > 295


def test_threshold_columns_follow_the_film_temperature(tmp_path, cli):
    # One-way: the threshold the film temperature implies, and whether the pump is above it.
    extra = '[threshold]\nlaw = "t0"\nat_reference = "40 kW/cm^2"\nfit = [["333 K", 1.7]]\n'
    case = write_case(tmp_path, extra=extra)
    out = tmp_path / "out"
    r = cli("run", case, "-o", out)
    assert r.returncode == 0, r.stderr
    s = read_csv(out / "timeseries.csv")
    T0 = 38 / np.log(1.7)
    assert np.allclose(s["threshold_W_m2"], 4e8 * np.exp((s["film_max_temperature_K"] - 295) / T0), rtol=1e-12)
    on, t = s["lasing"] == 1, s["time_s"]
    ramped = np.argmax(t >= 50e-9)                        # the pump has risen to 51 kW/cm²
    assert on[ramped] and not on[-1]                      # lases then, not after the pulse
    stop = t[ramped + np.argmin(on[ramped:])]
    assert 50e-9 < stop < 0.5e-6                          # the heating stopped it before the pulse ended


def test_thermal_case_with_modes_reports_the_thermo_optic_shift(tmp_path, cli):
    """Held at a uniform 345 K near the top (no heat to speak of, 1 us is far too short for the
    held bottom 50 um below to matter), the stack's TE0 must equal the slab at a uniform 345 K."""
    from cqdfem import model as caselib, optics

    extra = ('\n[materials.CQD-inorganic]\ndn_dT = "1e-4 1/K"\n'
             '[modes]\nwavelength = "630 nm"\nperiod = "430 nm"\n')
    text = CASE.format(dimension=1, coordinates="cartesian").replace(
        'intensity = "51 kW/cm^2"', 'power_density = "1 W/m^3"').replace(
        "[thermal]\n", '[thermal]\ninitial = "345 K"\n') + extra
    (tmp_path / "case.toml").write_text(text)
    out = tmp_path / "out"
    r = cli("run", tmp_path / "case.toml", "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    t = json.loads((out / "summary.json").read_text())["thermo_optic"]
    geometry = caselib.load(tmp_path / "case.toml").geometry
    hot = optics.slab_modes(optics.Slab.from_geometry(geometry, temperature=345.0), 630e-9, "TE", 1)[0].n_eff
    cold = optics.slab_modes(optics.Slab.from_geometry(geometry), 630e-9, "TE", 1)[0].n_eff
    assert abs(t["n_eff_hot"] - hot) < 2e-6 and abs(t["n_eff_cold"] - cold) < 2e-6
    assert t["delta_n_eff"] > 1e-3                                   # 50 K x 1e-4 /K in the film
    assert t["bragg_shift_m"] == pytest.approx(2 * t["delta_n_eff"] * 430e-9 / 2, rel=1e-12)
    assert "thermo-optic" in r.stdout and "Bragg wavelength +" in r.stdout
