"""Material library (``data/materials.toml``) and user additions or overrides.

A material is a named set of thermal and optical properties in SI units. Conductivity is stored as
``(k_inplane, k_crossplane)``; an isotropic material has both equal.
"""

import dataclasses
import functools
import math
import tomllib
from importlib import resources

import numpy as np

from cqdfem import units
from cqdfem.errors import InputError

# field -> SI unit for parsing; None marks a plain string.
FIELDS = {
    "conductivity": "W/m/K", "density": "kg/m^3", "heat_capacity": "J/kg/K",
    "refractive_index": "", "extinction": "", "wavelength": "m", "dn_dT": "1/K",
    "absorption_cross_section": "m^2", "dot_density": "1/m^3",
    "description": None, "source": None,
}
SAME_WAVELENGTH = 1e-9    # m: a value given at λ holds within this of λ (no dispersion model)


@dataclasses.dataclass(frozen=True)
class Material:
    name: str
    conductivity: tuple | None = None          # (in-plane, cross-plane), W/m/K
    density: float | None = None               # kg/m^3
    heat_capacity: float | None = None         # J/kg/K
    refractive_index: float | None = None      # real part at `wavelength`
    extinction: float = 0.0                    # imaginary part of the index
    wavelength: float | None = None            # m, where the index was given
    dn_dT: float = 0.0                         # 1/K
    optical_constants: tuple | None = None     # ((λ m, n, k), ...) sorted by λ: interpolated between rows
    absorption_cross_section: tuple | None = None   # (σ m², λ m) per dot: a CQD film's k there, σ N λ / 4π
    dot_density: float | None = None           # dots per m³
    description: str = ""
    source: str = ""

    def index(self, wavelength):
        """The complex refractive index n + ik at ``wavelength`` (m), or None where the material
        does not say: a table (interpolated, not extrapolated), the dots' absorption cross-section
        and density at its wavelength, or the scalar index and extinction at their wavelength."""
        near = (lambda lam: lam is not None and abs(lam - wavelength) <= SAME_WAVELENGTH)   # noqa: E731
        n = k = None
        table = self.optical_constants
        if table and table[0][0] - SAME_WAVELENGTH <= wavelength <= table[-1][0] + SAME_WAVELENGTH:
            lams = [r[0] for r in table]
            n = float(np.interp(wavelength, lams, [r[1] for r in table]))
            k = float(np.interp(wavelength, lams, [r[2] for r in table]))
        elif self.refractive_index is not None and near(self.wavelength):
            n, k = self.refractive_index, self.extinction
        if self.absorption_cross_section and self.dot_density and near(self.absorption_cross_section[1]):
            sigma, _ = self.absorption_cross_section
            k = sigma * self.dot_density * wavelength / (4 * math.pi)      # κ = α λ / 4π, α = σ N
            n = n if n is not None else self.refractive_index
        if n is None or k is None:
            return None
        return complex(n, k)

    @property
    def isotropic(self):
        return self.conductivity is None or self.conductivity[0] == self.conductivity[1]

    @property
    def volumetric_heat_capacity(self):
        """ρc in J/m³/K."""
        return self.density * self.heat_capacity

    def require(self, *fields, key=None):
        """Raise unless every named property is set (a solver calls this for what it needs)."""
        missing = [f for f in fields if getattr(self, f) is None]
        if missing:
            raise InputError(f"material {self.name!r} has no {', '.join(missing)}", key)
        return self


def _parse_fields(name, table, key):
    values = {}
    for field, value in table.items():
        if field == "base":
            continue
        if field not in FIELDS:
            raise InputError(f"unknown material property {field!r} (expected one of "
                             f"{', '.join(['base'] + list(FIELDS))})", f"{key}.{field}")
        unit = FIELDS[field]
        if unit is None:
            if not isinstance(value, str):
                raise InputError("expected a string", f"{key}.{field}")
            values[field] = value
        elif field == "refractive_index" and isinstance(value, list):
            values["optical_constants"] = _optical_table(value, f"{key}.{field}")
            values[field] = values["optical_constants"][-1][1]     # the longest wavelength's n (emission side)
        elif field == "absorption_cross_section":
            if not isinstance(value, list) or len(value) != 2:
                raise InputError('expected [cross-section, wavelength], e.g. ["1.0e-14 cm^2", "442 nm"]',
                                 f"{key}.{field}")
            sigma = units.parse(value[0], "m^2", f"{key}.{field}[0]")
            lam = units.parse(value[1], "m", f"{key}.{field}[1]")
            if not (0 < sigma < 1e-10) or not (0 < lam < 1e-3):
                raise InputError(f"expected a positive cross-section and wavelength, got {value!r}", f"{key}.{field}")
            values[field] = (sigma, lam)
        elif field == "conductivity":
            ks = value if isinstance(value, list) else [value, value]
            if len(ks) != 2:
                raise InputError("expected a conductivity or [in-plane, cross-plane]", f"{key}.{field}")
            ks = tuple(units.parse(k, unit, f"{key}.{field}") for k in ks)
            if min(ks) <= 0 or max(ks) > 1e6:
                raise InputError(f"expected a positive conductivity of a real material, got {value!r}", f"{key}.{field}")
            values[field] = ks
        else:
            v = units.parse(value, unit, f"{key}.{field}") if unit else _number(value, f"{key}.{field}")
            if abs(v) > (1e30 if field == "dot_density" else 1e12):   # beyond any material; products stay finite
                raise InputError(f"expected a {field} of a real material, got {value!r}", f"{key}.{field}")
            if field in ("density", "heat_capacity", "refractive_index", "wavelength", "dot_density") and v <= 0:
                raise InputError(f"expected a positive {field}, got {value!r}", f"{key}.{field}")
            if field == "extinction" and v < 0:
                raise InputError(f"expected an extinction coefficient k >= 0, got {value!r}", f"{key}.{field}")
            if field == "refractive_index":
                values["optical_constants"] = None      # a scalar replaces a base material's table
            values[field] = v
    return values


def _optical_table(rows, key):
    """[[wavelength, n, k], ...] -> ((λ m, n, k), ...) sorted, k >= 0, n > 0, distinct wavelengths."""
    if not rows:
        raise InputError("expected rows [wavelength, n, k]", key)
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != 3:
            raise InputError(f'expected a row [wavelength, n, k] like ["442 nm", 1.97, 0.08], got {row!r}', f"{key}[{i}]")
        lam = units.parse(row[0], "m", f"{key}[{i}][0]")
        n, k = _number(row[1], f"{key}[{i}][1]"), _number(row[2], f"{key}[{i}][2]")
        if not (0 < lam < 1e-3) or not (0 < n < 100) or not (0 <= k < 100):
            raise InputError(f"expected a wavelength > 0, n > 0 and k >= 0, got {row!r}", f"{key}[{i}]")
        out.append((lam, n, k))
    out.sort()
    if any(a[0] == b[0] for a, b in zip(out, out[1:])):
        raise InputError("expected one row per wavelength", key)
    return tuple(out)


def _number(value, key):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"expected a number, got {value!r}", key)
    try:
        v = float(value)
    except OverflowError:
        v = math.inf
    if not math.isfinite(v):
        raise InputError(f"expected a finite number, got {value!r}", key)
    return v


@functools.lru_cache(maxsize=1)
def _shipped():
    """The shipped library, parsed once per process (Materials are frozen; a case copies the dict)."""
    text = resources.files("cqdfem.data").joinpath("materials.toml").read_text()
    return {name: Material(name=name, **_parse_fields(name, table, name)) for name, table in tomllib.loads(text).items()}


class Library:
    """Named materials: the shipped library plus a case's additions and overrides."""

    def __init__(self, materials=None):
        self.materials = dict(materials or {})

    @classmethod
    def default(cls):
        return cls(_shipped())

    def names(self):
        return sorted(self.materials)

    def get(self, name, key=None):
        try:
            return self.materials[name]
        except KeyError:
            raise InputError(f"unknown material {name!r} (known: {', '.join(self.names())})", key) from None

    def resolve(self, spec, key, name=None):
        """A material from a library name or an inline table (optionally ``base = "name"``)."""
        if isinstance(spec, str):
            return self.get(spec, key)
        if not isinstance(spec, dict):
            raise InputError("expected a material name or an inline table of properties", key)
        base = spec.get("base")
        if base is not None and not isinstance(base, str):
            raise InputError("expected the name of a library material", f"{key}.base")
        parent = self.get(base, f"{key}.base") if base else Material(name=name or key)
        fields = _parse_fields(name or key, spec, key)
        return dataclasses.replace(parent, name=name or parent.name, **fields)

    def with_overrides(self, table, key="materials"):
        """A new library with the case's ``[materials]`` entries added or overriding by name."""
        lib = Library(self.materials)
        for name, spec in table.items():
            if not isinstance(spec, dict):
                raise InputError("expected a table of material properties", f"{key}.{name}")
            if "base" not in spec and name in lib.materials:
                spec = {"base": name, **spec}
            lib.materials[name] = lib.resolve(spec, f"{key}.{name}", name=name)
        return lib


def effective_medium(fill_fraction, inclusion, host, name):
    """Homogenised layer of cylinders (``inclusion``, volume fraction f) in ``host``.

    Heat: parallel mixing across the layer (cross-plane, columns conduct side by side) and series-
    parallel bounds' mean in-plane; ρc volume-weighted. Optics: volume-weighted permittivity (the
    zeroth-order effective medium of a sub-wavelength grating, valid for E parallel to the pillars'
    walls); n = sqrt(ε). Used where a patterned layer cannot be resolved (1D stacks).
    """
    f = fill_fraction
    def mix(a, b):
        return None if a is None or b is None else f * a + (1 - f) * b
    k = None
    if inclusion.conductivity and host.conductivity:
        kc = f * inclusion.conductivity[1] + (1 - f) * host.conductivity[1]
        k_par = f * inclusion.conductivity[0] + (1 - f) * host.conductivity[0]
        k_ser = 1.0 / (f / inclusion.conductivity[0] + (1 - f) / host.conductivity[0])
        k = (0.5 * (k_par + k_ser), kc)
    rc = None
    if None not in (inclusion.density, inclusion.heat_capacity, host.density, host.heat_capacity):
        rc = mix(inclusion.volumetric_heat_capacity, host.volumetric_heat_capacity)
    n = None
    if inclusion.refractive_index and host.refractive_index:
        n = mix(inclusion.refractive_index ** 2, host.refractive_index ** 2) ** 0.5
    return Material(name=name, conductivity=k, density=None if rc is None else 1.0,
                    heat_capacity=rc, refractive_index=n, wavelength=host.wavelength,
                    dn_dT=mix(inclusion.dn_dT, host.dn_dT),
                    description=f"effective medium: {f:.4f} {inclusion.name} in {host.name}",
                    source="volume-weighted mixing (cqdfem.materials.effective_medium)")
