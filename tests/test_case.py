"""Case/geometry validation: every kind of bad input is one line, exit code 2, nothing written."""

import pathlib
import tomllib

import pytest

from conftest import ROOT
from cqdfem import geometry as caselib
from cqdfem import model
from cqdfem.materials import Library

GOOD_GEOMETRY = """
title = "test stack"
[domain]
width = "200 um"
depth = "100 um"
[[layers]]
name = "substrate"
material = "MgF2"
thickness = "1 mm"
[[layers]]
name = "film"
material = "CQD-inorganic"
thickness = "120 nm"
active = true
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_every_shipped_file_checks(cli):
    files = sorted(ROOT.glob("geometries/*.toml")) + sorted(ROOT.glob("cases/*.toml"))
    assert len(files) >= 10
    r = cli("check", *files)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("ok: ") == len(files)


def test_geometry_values_in_si():
    g = caselib.load_geometry(ROOT / "geometries/dfb-mgf2.toml")
    assert [l.name for l in g.layers] == ["substrate", "grating", "film", "cap"]
    grating = g.layer("grating")
    assert grating.thickness == pytest.approx(130e-9)
    assert grating.z0 == pytest.approx(1e-3)
    assert grating.pillars.period == pytest.approx(430e-9)
    assert grating.pillars.fill.name == "CQD-inorganic"
    assert grating.pillars.fill_fraction == pytest.approx(3.141592653589793 * 160**2 / (4 * 430**2))
    assert g.active.name == "film"
    assert g.thickness == pytest.approx(1e-3 + 130e-9 + 100e-9 + 1e-6)


BAD = [
    # (what to change in GOOD_GEOMETRY, key in the message, what the message says)
    (("thickness = \"120 nm\"", "thickness = \"-120 nm\""), "layers[1].thickness", "expected a positive quantity in m"),
    (("thickness = \"120 nm\"", "thickness = \"120 ns\""), "layers[1].thickness", "expected a quantity in m (a length)"),
    (("thickness = \"120 nm\"\n", ""), "layers[1].thickness", "missing (required)"),
    (("material = \"MgF2\"", "material = \"unobtainium\""), "layers[0].material", "unknown material 'unobtainium'"),
    (("active = true", "active = true\ncolour = \"red\""), "layers[1].colour", "unknown key"),
    (("width = \"200 um\"", "widht = \"200 um\""), "domain.widht", "unknown key"),
    (("name = \"film\"", "name = \"substrate\""), "layers[1].name", "used twice"),
    (("active = true", "active = \"yes\""), "layers[1].active", "expected true or false"),
    (("material = \"MgF2\"", "material = { conductivity = -3 }"), "layers[0].material.conductivity", "positive"),
]


@pytest.mark.parametrize("change, key, message", BAD, ids=[b[1] + ":" + b[2][:20] for b in BAD])
def test_bad_geometry_is_one_line_exit_2(cli, tmp_path, change, key, message):
    text = GOOD_GEOMETRY.replace(*change)
    assert text != GOOD_GEOMETRY
    path = write(tmp_path, "bad.toml", text)
    r = cli("check", path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"{path}: {key}: "), lines[0]
    assert message in lines[0]
    assert "Traceback" not in r.stderr


def test_case_errors(cli, tmp_path):
    write(tmp_path, "stack.toml", GOOD_GEOMETRY)
    cases = {
        'geometry = "missing.toml"\n': ("geometry", "does not exist"),
        'geometry = "stack.toml"\nkind = "magic"\n': ("kind", "expected one of"),
        'geometry = "stack.toml"\n[pump]\nintensity = "51 kW"\n': ("pump.intensity", "W/m^2"),
        'geometry = "stack.toml"\n[film]\nabsorptance = 1.5\n': ("film.absorptance", "expected a number in [0.0, 1.0]"),
        'geometry = "stack.toml"\n[film]\nlayer = "substrate"\n': ("film.layer", "not the active layer"),
        'geometry = "stack.toml"\n[pumpp]\n': ("pumpp", "unknown key"),
        'geometry = "stack.toml"\n[thermal]\ndimension = 3\n[pump]\nspot = ["1 mm", "1 um"]\n': ("mesh.spot", "smaller than domain.width"),
        '[pump]\nintensity = "51 kW/cm^2"\n': ("geometry", "missing (required)"),
        'geometry = "stack.toml"\n[threshold]\nlaw = "table"\n': ("threshold.table", "needs table"),
        'geometry = "stack.toml"\nkind = "modes"\n[modes]\nwavelength = "630 nm"\nridge_width = "2 um"\n':
            ("modes.ridge_width", 'set solver = "vector"'),
        'geometry = "stack.toml"\nkind = "modes"\n[modes]\nwavelength = "630 nm"\nsolver = "fdtd"\n':
            ("modes.solver", "expected one of"),
        'geometry = "stack.toml"\nkind = "thermal"\n[pump]\npower_density = "1e15 W/m^3"\n[thermal]\n'
        'end_time = "1 us"\n[modes]\nperiod = "430 nm"\n':
            ("modes.wavelength", "missing"),
    }
    for text, (key, message) in cases.items():
        path = write(tmp_path, "case.toml", text)
        r = cli("check", path)
        assert r.returncode == 2, text
        assert r.stderr.strip() == r.stderr.strip().splitlines()[0]
        assert r.stderr.startswith(f"{path}: {key}: "), (text, r.stderr)
        assert message in r.stderr, (text, r.stderr)


def test_error_inside_referenced_geometry_names_that_file(cli, tmp_path):
    geo = write(tmp_path, "stack.toml", GOOD_GEOMETRY.replace("1 mm", "1 kg"))
    case = write(tmp_path, "case.toml", 'geometry = "stack.toml"\n')
    r = cli("check", case)
    assert r.returncode == 2
    assert r.stderr.startswith(f"{geo}: layers[0].thickness: ")


def test_not_toml_and_missing_file(cli, tmp_path):
    r = cli("check", tmp_path / "nope.toml")
    assert r.returncode == 2 and "file does not exist" in r.stderr
    bad = write(tmp_path, "broken.toml", "title = \n")
    r = cli("check", bad)
    assert r.returncode == 2 and r.stderr.startswith(f"{bad}: not valid TOML")


def test_set_overrides(tmp_path):
    path = write(tmp_path, "stack.toml", GOOD_GEOMETRY)
    case = write(tmp_path, "case.toml", 'geometry = "stack.toml"\n[pump]\nintensity = "51 kW/cm^2"\n')
    c = model.load(case, ['pump.intensity="88 kW/cm^2"', "mesh.film_cells=6", 'thermal.dimension=2',
                          'pump.spot=["50 um", "30 um"]'])
    assert c.pump.intensity == pytest.approx(88e7)
    assert c.geometry.mesh.film_cells == 6
    assert c.geometry.mesh.dimension == 2
    assert c.geometry.spot() == ("rect", (pytest.approx(50e-6), pytest.approx(30e-6)))
    assert path.exists()


def test_run_bad_input_writes_nothing(cli, tmp_path):
    write(tmp_path, "stack.toml", GOOD_GEOMETRY.replace('"120 nm"', '"0 nm"'))
    case = write(tmp_path, "case.toml", 'geometry = "stack.toml"\nkind = "mesh"\n')
    out = tmp_path / "out"
    r = cli("run", case, "-o", out)
    assert r.returncode == 2
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.toml", "stack.toml"]


# --- materials -----------------------------------------------------------------------------------

PHYSICS_TABLE = {   # name: (k_inplane, k_crossplane, rho, c, n) from ../shared/docs/physics.md
    "CQD-inorganic": (0.24, 0.24, 2633, 374, 1.97),
    "CQD-organic": (0.22, 0.22, 1790, 591, 1.74),
    "glass": (1.4, 1.4, 2500, 750, 1.52),
    "MgF2": (21, 30, 3180, 1003, 1.38),
    "sapphire": (42, 42, 3970, 951, 1.77),
    "Si": (148, 148, 2330, 750, 3.9),
    "Al": (237, 237, 2689, 951, None),
    "SiO2": (1.4, 1.4, 2200, 740, 1.457),
    "spin-on-glass": (1.4, 1.4, 2200, 740, 1.40),
    "air": (None, None, None, None, 1.0),
}


def test_library_matches_physics_md():
    lib = Library.default()
    for name, (ki, kc, rho, c, n) in PHYSICS_TABLE.items():
        m = lib.get(name)
        assert m.source, name
        assert m.wavelength is not None and 600e-9 < m.wavelength < 700e-9
        if ki is not None:
            assert m.conductivity == (ki, kc), name
            assert (m.density, m.heat_capacity) == (rho, c), name
        if n is not None:
            assert m.refractive_index == n, name
    assert not lib.get("MgF2").isotropic and lib.get("glass").isotropic
    # rho*c of both films ~1e6 J/m^3/K (physics.md: Supp. Table 1 swaps rho and c; the product holds)
    for film in ("CQD-inorganic", "CQD-organic"):
        assert lib.get(film).volumetric_heat_capacity == pytest.approx(1e6, rel=0.06)


def test_library_toml_parses_standalone():
    data = tomllib.loads((ROOT / "cqdfem/data/materials.toml").read_text())
    assert set(PHYSICS_TABLE) <= set(data)


def test_user_override_and_addition(tmp_path):
    text = GOOD_GEOMETRY + """
[materials.MgF2]
conductivity = ["20 W/m/K", "31 W/m/K"]
[materials.my-film]
base = "CQD-inorganic"
refractive_index = 1.9
"""
    text = text.replace('material = "CQD-inorganic"', 'material = "my-film"')
    g = caselib.parse_geometry(tomllib.loads(text), pathlib.Path("x.toml"))
    assert g.layers[0].material.conductivity == (20, 31)
    assert g.layers[0].material.density == 3180          # inherited
    film = g.layers[1].material
    assert (film.name, film.refractive_index, film.conductivity) == ("my-film", 1.9, (0.24, 0.24))


def test_scratch_of_a_killed_run_is_removed_by_the_next(tmp_path):
    # a run killed while writing leaves .NAME-HOST-PID-*; the next run into NAME removes it when that
    # process is gone, and leaves a live process's and another host's alone
    import subprocess

    from cqdfem import output
    from cqdfem.workflows import Result

    target = tmp_path / "out"
    prefix = output._scratch_prefix(target).rsplit("-", 2)[0] + "-"
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f"{prefix}{dead.pid}-abc123"
    live = tmp_path / f"{prefix}{__import__('os').getpid()}-def456"
    other = tmp_path / ".out-otherhost-1-ghi789"
    for d in (stale, live, other):
        d.mkdir()
        (d / "summary.json").write_text("{}")
    Result(kind="mesh", title="t", summary={"a": 1}).write(target)
    assert not stale.exists() and live.exists() and other.exists()
    assert (target / "summary.json").exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".out-") and p not in (live, other)] == []
