"""The typed model: built once per case (counted), defaults in one place, the scripting API, and the
bad inputs `check` must refuse before any solve."""

import dataclasses
import pathlib

import pytest

from cqdfem import geometry, model
from cqdfem.errors import InputError
from cqdfem.lasing import heat, threshold

ROOT = pathlib.Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.toml"))


def test_check_builds_each_physics_object_once(monkeypatch):
    calls = {"calibrate": 0, "heat": 0}
    real_calibrate, real_post = threshold.calibrate, heat.HeatModel.__post_init__

    def calibrate(*a, **k):
        calls["calibrate"] += 1
        return real_calibrate(*a, **k)

    def post(self):
        calls["heat"] += 1
        real_post(self)

    monkeypatch.setattr(threshold, "calibrate", calibrate)
    monkeypatch.setattr(heat.HeatModel, "__post_init__", post)
    for path in CASES:
        if "[uncertainty]" in path.read_text():
            continue                 # a sampled case also builds its inputs' extremes (tests/test_sampled.py)
        calls.update(calibrate=0, heat=0)
        m = model.load(path)
        models = [m] + [v for _, v in m.variants]
        fitted = {x.threshold for x in models if x.fit is not None}
        heats = {dataclasses.astuple(x.heat) for x in models if x.heat is not None}
        assert calls["calibrate"] == len(fitted), path.name
        assert calls["heat"] == len(heats), path.name
    # the shipped cases do exercise both: microsecond-lasing has two threshold laws in five models
    m = model.load(ROOT / "cases" / "microsecond-lasing.toml")
    assert len({x.threshold for x in [m] + [v for _, v in m.variants]}) == 2


def test_defaults_live_in_the_settings():
    m = model.load(ROOT / "cases" / "fig4b-film-heating.toml")
    assert m.thermal.ambient == 295.0 and m.thermal.initial_temperature == 295.0
    assert m.pump.wavelength == pytest.approx(442e-9) and m.film.emission_wavelength == pytest.approx(640e-9)
    assert m.kinetics.dots(5e8).pl_lifetime == 37e-9     # kinetics.Dots's own default, not a CLI one
    assert m.kinetics.dots(5e8).plqy == 0.5
    r = m.resolved()
    # the resolved input carries every material property and the patterning, not only names
    film = r["geometry"]["layers"][1]
    assert film["material"]["conductivity_W_mK"] == [0.24, 0.24]
    assert film["material"]["density_kg_m3"] == 2633 and film["material"]["heat_capacity_J_kgK"] == 374
    dfb = model.load(ROOT / "cases" / "microsecond-lasing.toml").resolved()["geometry"]["layers"]
    grating = next(l for l in dfb if "pillars" in l)
    assert grating["pillars"]["period_m"] == pytest.approx(430e-9)
    assert grating["pillars"]["fill"]["refractive_index"] == pytest.approx(1.40)      # spin-on glass (dfb-mgf2-643)
    assert grating["pillars"]["fill"]["optical_constants"][0] == pytest.approx([350e-9, 1.40, 0.0])


def _stack():
    return geometry.Geometry.of([("substrate", "MgF2", "1 mm"), ("film", "CQD-inorganic", "120 nm", True)],
                                title="film on MgF2")


COUPLED = dict(pump={"intensity": "88 kW/cm^2", "duration": "2 us"},
               film={"absorptance": 0.2, "plqy": 0.15},
               threshold={"law": "t0", "at_reference": "52 kW/cm^2", "fit": [["333 K", 1.7]]},
               thermal={"end_time": "2 us"}, output={"fields": False})


def test_create_is_the_same_model_as_a_file():
    m = model.create("coupled", _stack(), **COUPLED)
    toml = {"kind": "coupled", "geometry": {"layers": [
        {"name": "substrate", "material": "MgF2", "thickness": "1 mm"},
        {"name": "film", "material": "CQD-inorganic", "thickness": "120 nm", "active": True}]}, **COUPLED}
    f = model.from_table(toml)
    for name in ("pump", "film", "threshold", "thermal", "profile", "heat", "source"):
        assert getattr(m, name) == getattr(f, name), name
    assert m.law.T0 == f.law.T0
    # settings objects work as tables too
    again = model.create("coupled", _stack(), **{**COUPLED, "pump": m.pump, "thermal": m.thermal})
    assert again.pump == m.pump and again.thermal == m.thermal


@pytest.mark.mpi
def test_scripting_api_runs_and_matches_the_file_route(comm, tmp_path):
    from cqdfem import output, workflows

    m = model.create("coupled", _stack(), **COUPLED)
    r = workflows.run(m, comm)
    assert r.summary["lasing_start_s"] is not None
    assert set(r.series) >= {"time_s", "pump_W_m2", "threshold_W_m2", "lasing", "film_max_temperature_K"}
    path = tmp_path if comm.size == 1 else pathlib.Path(comm.bcast(str(tmp_path), root=0))
    out = r.write(path / "api")
    if comm.rank == 0:
        assert output.read_csv(out / "timeseries.csv")["film_max_temperature_K"][-1] == \
            pytest.approx(r.summary["film_max_temperature_K"], rel=1e-12)
        assert (out / "lasing.png").exists()
    toml = model.from_table({"kind": "coupled", "geometry": {"layers": [
        {"name": "substrate", "material": "MgF2", "thickness": "1 mm"},
        {"name": "film", "material": "CQD-inorganic", "thickness": "120 nm", "active": True}]}, **COUPLED})
    f = workflows.run(toml, comm)
    for k in ("lasing_start_s", "lasing_stop_s", "lasing_duration_s", "film_max_temperature_K"):
        assert r.summary[k] == pytest.approx(f.summary[k], rel=1e-12), k
    # lasing starts with the pump and stops where the film reaches the law's temperature for 88 kW/cm²
    import numpy as np

    assert r.summary["lasing_start_s"] == 0.0 and 0 < r.summary["lasing_stop_s"] < 2e-6
    T_stop = m.law.temperature_at(88e7)
    assert T_stop == pytest.approx(295 + m.law.T0 * np.log(88 / 52), rel=1e-9)
    assert np.interp(r.summary["lasing_stop_s"], r.series["time_s"], r.series["film_max_temperature_K"]) == \
        pytest.approx(T_stop, abs=0.05)


BAD = {   # case text (geometry = the 120 nm film on MgF2) -> (key in the message, words)
    'kind = "thermal"\n[pump]\npower_density = "1e15 W/m^3"\n[thermal]\nend_time = "1 us"\nmax_step = "1e-20 s"\n':
        ("thermal.max_step", "steps"),
    'kind = "thermal"\n[pump]\nintensity = "1e30 W/cm^2"\n[film]\nabsorptance = 0.2\nplqy = 0.1\n'
    '[thermal]\nend_time = "1 us"\n': ("pump.intensity", "at most"),
    '[mesh]\nfilm_cells = 1000000000\n': ("mesh.film_cells", "<= 1000"),
    '[threshold]\nat_reference = "52 kW/cm^2"\nfit = [["333 K", 1.7], ["333 K", 1.9]]\n':
        ("threshold.fit[1]", "two ratios"),
    '[threshold]\nat_reference = "52 kW/cm^2"\nfit = [["333 K", 0.7]]\n': ("threshold.fit[0]", ">= 1"),
    '[threshold]\nat_reference = "52 kW/cm^2"\n': ("threshold.T0", "needs T0 or fit"),
    '[threshold]\nlaw = "auger"\n': ("threshold.at_reference", "missing"),
    'kind = "thermal"\n[pump]\npower_density = "1e15 W/m^3"\n[thermal]\nend_time = "1 us"\n'
    '[thermal.probes]\np = ["2 mm"]\n': ("thermal.probes.p", "outside the model"),
    'kind = "thermal"\n[pump]\npower_density = "1e15 W/m^3"\n[thermal]\nend_time = "1 us"\ndimension = 3\n'
    '[modes]\nwavelength = "640 nm"\n': ("modes", "1D or 2D"),
    'kind = "thermal"\n[thermal]\nend_time = "1 us"\nprobes = 5\n': ("thermal.probes", "table of probes"),
    'mesh = 3\n': ("mesh", "expected a table"),
    '[[variants]]\nlabel = "A b"\n[[variants]]\nlabel = "a-B"\n': ("variants[1].label", "same directory"),
    'kind = "modes"\n[modes]\nwavelength = "640 nm"\nthicknesses = ["1 m"]\n': ("modes.thicknesses[0]", "at most"),
    'kind = "sweep"\n[film]\nabsorptance = 0.2\nplqy = 0.1\n[threshold]\nat_reference = "5 kW/cm^2"\nT0 = "70 K"\n'
    '[thermal]\nend_time = "1 us"\n[sweep]\nthresholds = ["5 kW/cm^2"]\npump_ratios = [1.5]\n': None,   # no intensity needed
}


def test_bad_inputs_are_refused_by_check(cli, tmp_path):
    geo = ROOT / "geometries" / "inorganic-mgf2.toml"
    for text, expected in BAD.items():
        case = tmp_path / "case.toml"
        case.write_text(f'geometry = "{geo}"\n' + text)
        r = cli("check", case)
        if expected is None:
            assert r.returncode == 0, (text, r.stderr)
            continue
        key, words = expected
        assert r.returncode == 2, (text, r.stdout)
        assert r.stderr.count("\n") == 1 and r.stderr.startswith(f"{case}: {key}: "), (text, r.stderr)
        assert words in r.stderr, (text, r.stderr)


def test_bad_geometries_are_refused(cli, tmp_path):
    layers = "".join(f'[[layers]]\nname = "l{i}"\nmaterial = "SiO2"\nthickness = "1 um"\n' for i in range(300))
    cases = {
        layers: ("layers", "at most 200 layers"),
        '[[layers]]\nname = "s"\nmaterial = "MgF2"\nthickness = "1 mm"\n[[layers]]\nname = "f"\n'
        'material = "CQD-inorganic"\nthickness = "0.1 nm"\nactive = true\n': ("layers[1].thickness", "at least 1 nm"),
        '[domain]\nwidth = "1 mm"\ndepth = "1 mm"\n[mesh]\ndimension = 3\nspot = ["50 um", "50 um"]\nmax_cell = "10 nm"\n'
        '[[layers]]\nname = "s"\nmaterial = "MgF2"\nthickness = "1 mm"\n': ("mesh", "cells"),
        '[[layers]]\nname = "s"\nmaterial = {conductivity = 1}\nthickness = "1 mm"\n'
        '[[layers]]\nname = "f"\nmaterial = "CQD-inorganic"\nthickness = "100 nm"\nactive = true\n': None,   # a mesh: fine
    }
    for text, expected in cases.items():
        g = tmp_path / "g.toml"
        g.write_text(text)
        r = cli("check", g)
        if expected is None:
            assert r.returncode == 0, r.stderr
            continue
        assert r.returncode == 2 and r.stderr.startswith(f"{g}: {expected[0]}: "), r.stderr
        assert expected[1] in r.stderr, r.stderr
    # ... but a thermal case on it is refused by check, naming the material
    case = tmp_path / "case.toml"
    case.write_text('geometry = "g.toml"\nkind = "thermal"\n[pump]\npower_density = "1e15 W/m^3"\n'
                    '[thermal]\nend_time = "1 us"\n')
    r = cli("check", case)
    assert r.returncode == 2 and r.stderr.startswith(f"{g}: layers[0].material: ") and "density" in r.stderr


def test_unreadable_files_give_one_line(cli, tmp_path):
    bad = tmp_path / "bytes.toml"
    bad.write_bytes(b'title = "\xff\xfe"\n')
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    for path, words in ((bad, "not UTF-8"), (loop, "cannot open")):
        r = cli("check", path)
        assert r.returncode == 2 and r.stderr.startswith(f"{path}: ") and words in r.stderr, r.stderr
        assert r.stderr.count("\n") == 1
    case = tmp_path / "case.toml"
    case.write_text('geometry = "a\\u0000b.toml"\ntitle = "\\u0007"\n')
    r = cli("check", case)
    assert r.returncode == 2 and "\x00" not in r.stderr and "does not exist" in r.stderr


def test_run_into_an_existing_file_is_refused(cli, tmp_path):
    target = tmp_path / "taken"
    target.write_text("x")
    r = cli("run", ROOT / "cases" / "fig1c-confinement.toml", "-o", target)
    assert r.returncode == 2 and "existing file" in r.stderr and r.stderr.count("\n") == 1
    assert target.read_text() == "x"


def test_cli_flags_are_validated(cli):
    for args, key in ((("threshold", "--at-reference", "52 kW/cm^2", "--T0", "70 K", "--range", "300 K"), "--range"),
                      (("kinetics", "--monte-carlo", "--time-step", "0"), "--time-step"),
                      (("kinetics", "--monte-carlo", "--lattice", "0"), "--lattice"),
                      (("modes", str(ROOT / "geometries" / "inorganic-glass.toml"), "--wavelength", "630 nm",
                        "--count", "0"), "--count")):
        r = cli(*args)
        assert r.returncode == 2 and key in r.stderr and r.stderr.count("\n") == 1, (args, r.stderr)


def test_python_errors_are_input_errors():
    with pytest.raises(InputError, match="layers\\[1\\].thickness"):
        geometry.Geometry.of([("substrate", "MgF2", "1 mm"), ("film", "CQD-inorganic", "-1 nm", True)])
    with pytest.raises(InputError, match="pump.intensity"):
        model.create("coupled", _stack(), **{**COUPLED, "pump": {"duration": "1 us"}})
    with pytest.raises(InputError, match="unknown table"):
        model.create("thermal", _stack(), pumps={})


def test_check_estimates_a_3d_run_and_refuses_one_too_big(cli):
    from cqdfem import mesh as meshlib
    from cqdfem.model.parts import cost_estimate

    m = model.load(ROOT / "cases" / "flagship-3d.toml")
    est = cost_estimate(m)
    dofs = meshlib.create(m.geometry).mesh.geometry.index_map().size_global
    assert dofs <= est["dofs"] < 1.6 * dofs                 # an upper estimate, not a wild one
    assert est["steps"] == 242 and est["memory_bytes"] > 150 * 2 ** 20
    r = cli("check", "cases/flagship-3d.toml")
    assert r.returncode == 0 and "estimate (3D" in r.stdout and "dofs" in r.stdout
    r = cli("check", "cases/flagship-3d.toml", "--set", 'solver.max_memory="100 MB"')
    assert r.returncode == 2 and "solver.max_memory" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert cost_estimate(model.load(ROOT / "cases" / "fig4b-film-heating.toml")) is None     # 1D: none
