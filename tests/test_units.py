import math

import pytest

from cqdfem import units
from cqdfem.errors import InputError


@pytest.mark.parametrize("text, unit, expected", [
    ("120 nm", "m", 120e-9),
    ("1 mm", "m", 1e-3),
    ("50 um", "m", 50e-6),
    ("50 µm", "m", 50e-6),
    ("51 kW/cm^2", "W/m^2", 51e7),
    ("2.5 us", "s", 2.5e-6),
    ("295 K", "K", 295.0),
    ("60 degC", "K", 333.15),
    ("1.94 eV", "J", 1.94 * 1.602176634e-19),
    ("0.24 W/m/K", "W/m/K", 0.24),
    ("3.18 g/cm^3", "kg/m^3", 3180.0),
    ("1e-4 1/K", "1/K", 1e-4),
    (295, "K", 295.0),
    (1.5e-7, "m", 1.5e-7),
    ("1.5e-7", "m", 1.5e-7),
])
def test_parse_to_si(text, unit, expected):
    assert units.parse(text, unit) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("value, unit, display", [
    (120e-9, "m", "nm"), (51e7, "W/m^2", "kW/cm^2"), (2.5e-6, "s", "us"), (333.15, "K", "degC"),
    (1.234567890123e-3, "m", None),
])
def test_round_trip(value, unit, display):
    text = units.format(value, unit, display)
    assert units.parse(text, unit) == pytest.approx(value, rel=1e-11)


@pytest.mark.parametrize("text, unit, message", [
    ("120 nm", "s", "expected a quantity in s (a time)"),
    ("51 kW", "W/m^2", "expected a quantity in W/m^2 (an intensity)"),
    ("12 furlongz", "m", "unknown unit 'furlongz'"),
    ("nm", "m", "expected a quantity like"),
    (True, "m", "expected a quantity in m"),
    ([1, 2], "m", "expected a quantity in m"),
    ("inf m", "m", "expected a quantity like"),
])
def test_bad_quantities(text, unit, message):
    with pytest.raises(InputError) as e:
        units.parse(text, unit, key="layers[0].thickness")
    assert message in str(e.value)
    assert str(e.value).startswith("layers[0].thickness: ")
    assert math.isfinite(units.parse("1 m", "m"))
