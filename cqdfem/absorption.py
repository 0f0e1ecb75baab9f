"""Where the pump is absorbed: transfer-matrix optics of the film stack at the pump wavelength.

A plane wave comes from the cover (air) onto the stack; the thin layers are coherent (thin-film
interference), a thick substrate is incoherent (its back surface returns light whose phase is lost
over a millimetre, so intensities add). The result gives reflectance R, transmittance T, the
absorptance of every layer (R + T + Σ A = 1) and the absorbed power density profile q(z)/I₀ inside
each layer — the heat source of the thermal model (physics.md §9).

Coherent part: the characteristic-matrix method with forward/backward amplitudes per layer (as in
S. J. Byrnes, "Multilayer optical calculations", arXiv:1603.02720), s or p polarization, any angle.
Layer absorptance is the drop of the Poynting flux across the layer; the profile is
Im(ε)|E|²·k₀ / Re(n₀ cos θ₀) for s (and its p analogue), so it integrates to the same number::

    from cqdfem import absorption
    res = absorption.stack_absorption([("film", 120e-9, 1.97 + 0.078j)], cover=1.0,
                                      substrate=("MgF2", 1e-3, 1.38), wavelength=442e-9)
    res.reflectance, res.transmittance, res.absorptance["film"], res.profile("film", z)
"""

import cmath
import dataclasses
import math

import numpy as np


def _cos(n, n0_sin):
    """cos θ in a medium of index n for the invariant n₀ sin θ₀, on the branch of a forward wave
    (decaying or outgoing)."""
    c = cmath.sqrt(1 - (n0_sin / n) ** 2)
    # forward: Im(n cos θ) > 0 (decays along +z); for lossless evanescent and propagating, Re(n cos θ) > 0
    ncos = n * c
    if abs(ncos.imag) > 100 * np.finfo(float).eps * abs(ncos):
        return c if ncos.imag > 0 else -c
    return c if ncos.real > 0 else -c


def _fresnel(pol, n1, n2, c1, c2):
    if pol == "s":
        den = n1 * c1 + n2 * c2
        return (n1 * c1 - n2 * c2) / den, 2 * n1 * c1 / den
    den = n2 * c1 + n1 * c2
    return (n2 * c1 - n1 * c2) / den, 2 * n1 * c1 / den


@dataclasses.dataclass(frozen=True)
class Coherent:
    """A coherent stack between two semi-infinite media; amplitudes per layer for the profile."""
    indices: tuple          # complex n: incidence medium, layers..., exit medium
    thicknesses: tuple      # m, the layers only
    wavelength: float
    angle: float
    polarization: str
    r: complex
    t: complex
    amplitudes: tuple       # (v, w): forward/backward amplitude at the start of each layer
    cosines: tuple

    def _factor(self, j):
        n, c = self.indices[j], self.cosines[j]
        return n * c if self.polarization == "s" else n * c.conjugate()

    @property
    def reflectance(self):
        return abs(self.r) ** 2

    @property
    def transmittance(self):
        return abs(self.t) ** 2 * self._factor(-1).real / self._factor(0).real

    def flux(self, j, z):
        """Poynting flux (fraction of the incident) at depth z (m) into layer j (1-based), forward."""
        v, w = self.amplitudes[j]
        kz = 2 * math.pi / self.wavelength * self.indices[j] * self.cosines[j]
        ef, eb = v * np.exp(1j * kz * z), w * np.exp(-1j * kz * z)
        n, c = self.indices[j], self.cosines[j]
        if self.polarization == "s":
            val = n * c * np.conj(ef + eb) * (ef - eb)
        else:
            val = n * np.conj(c) * (ef + eb) * np.conj(ef - eb)
        return np.real(val) / self._factor(0).real

    def layer_absorptance(self, j):
        if self.indices[j].imag == 0:       # lossless: exactly nothing (not a difference of roundoff)
            return 0.0
        return float(self.flux(j, 0.0) - self.flux(j, self.thicknesses[j - 1]))

    def density(self, j, z):
        """Absorbed power per volume over the incident intensity (1/m) at depth z in layer j."""
        z = np.asarray(z, dtype=float)
        v, w = self.amplitudes[j]
        n, c = self.indices[j], self.cosines[j]
        kz = 2 * math.pi / self.wavelength * n * c
        ef, eb = v * np.exp(1j * kz * z), w * np.exp(-1j * kz * z)
        if self.polarization == "s":
            e2 = np.abs(ef + eb) ** 2
        else:       # E in the plane of incidence: (cos θ (E_f − E_b), −sin θ (E_f + E_b))
            s = self.indices[0] * math.sin(self.angle) / n
            e2 = np.abs((ef - eb) * c) ** 2 + np.abs((ef + eb) * s) ** 2
        # (ω ε₀/2) Im(ε)|E|² over the incident flux (n₀ cos θ₀/2Z₀)|E₀|²
        return 2 * math.pi / self.wavelength * (n * n).imag * e2 / self._factor(0).real


def coherent(indices, thicknesses, wavelength, angle=0.0, polarization="s"):
    """The coherent stack: ``indices`` = (incidence medium, layers..., exit medium), complex n with
    k ≥ 0; ``thicknesses`` of the layers (m); ``angle`` of incidence (rad) in the first medium."""
    if polarization not in ("s", "p"):
        raise ValueError(f"polarization must be 's' or 'p', got {polarization!r}")
    n = [complex(x) for x in indices]
    if len(thicknesses) != len(n) - 2:
        raise ValueError("give one thickness per layer between the two outer media")
    if any(x.imag < 0 for x in n):
        raise ValueError("extinction coefficients k must be >= 0 (absorbing, not amplifying)")
    if n[0].imag != 0:
        raise ValueError("the incidence medium must be lossless")
    n0_sin = n[0] * math.sin(angle)
    cos = [cmath.cos(angle)] + [_cos(x, n0_sin) for x in n[1:]]
    k0 = 2 * math.pi / wavelength
    delta = [k0 * n[j] * cos[j] * thicknesses[j - 1] for j in range(1, len(n) - 1)]
    rt = [_fresnel(polarization, n[j], n[j + 1], cos[j], cos[j + 1]) for j in range(len(n) - 1)]
    mats = []
    for j in range(1, len(n) - 1):
        r, t = rt[j]
        # thick absorbers: exp(-i δ) overflows; cap the phase (the wave is gone long before)
        d = complex(delta[j - 1].real, min(delta[j - 1].imag, 300.0))
        mats.append(np.array([[cmath.exp(-1j * d), 0], [0, cmath.exp(1j * d)]])
                    @ np.array([[1, r], [r, 1]]) / t)
    r01, t01 = rt[0]
    total = np.array([[1, r01], [r01, 1]]) / t01
    for m in mats:
        total = total @ m
    r = total[1, 0] / total[0, 0]
    t = 1 / total[0, 0]
    vw = [None] * len(n)
    vw[-1] = np.array([t, 0j])
    for j in range(len(n) - 2, 0, -1):
        vw[j] = mats[j - 1] @ vw[j + 1]
    vw[0] = np.array([1 + 0j, r])
    return Coherent(tuple(n), tuple(thicknesses), wavelength, angle, polarization, complex(r), complex(t),
                    tuple(tuple(a) for a in vw), tuple(cos))


@dataclasses.dataclass(frozen=True)
class Absorption:
    """R, T and per-layer absorptance of a stack lit from its cover, and the absorbed profile."""
    wavelength: float
    reflectance: float
    transmittance: float
    absorptance: dict                   # layer name -> fraction of the incident power absorbed there
    layers: tuple                       # ((name, thickness), ...) top to bottom, the coherent ones
    _down: Coherent = None              # the coherent stack lit from above
    _up: Coherent = None                # ... from the substrate side (for the incoherent returns)
    _returning: float = 0.0             # intensity coming back up from the substrate, per incident
    substrate_alpha: float = 0.0        # 1/m: intensity decay in an incoherent substrate

    def profile(self, name, depth):
        """Absorbed power per volume over the incident intensity (1/m) at ``depth`` (m, measured
        down from the layer's top) in a coherent layer."""
        names = [n for n, _ in self.layers]
        j = names.index(name) + 1
        depth = np.asarray(depth, dtype=float)
        q = self._down.density(j, depth)
        if self._returning and self._up is not None:
            # light returning from the substrate lights the layer from below (reversed stack)
            ju = len(names) - names.index(name)
            q = q + self._returning * self._up.density(ju, self.layers[j - 1][1] - depth)
        return q

    def summary(self):
        return {"wavelength_m": self.wavelength, "reflectance": self.reflectance,
                "transmittance": self.transmittance, "absorptance": dict(self.absorptance)}


def stack_absorption(layers, cover, substrate, wavelength, exit=1.0, angle=0.0, polarization="s",
                     coherent_substrate=False):
    """The stack ``layers`` = [(name, thickness m, complex n), ...] from the top (just under the
    cover) down, on ``substrate`` = (name, thickness m or None for semi-infinite, complex n), with
    ``exit`` below it. The substrate is incoherent unless ``coherent_substrate``. Normal incidence
    by default (``angle`` in rad in the cover)."""
    names = [l[0] for l in layers]
    sub_name, sub_d, n_sub = substrate
    n_layers = [complex(l[2]) for l in layers]
    d_layers = [float(l[1]) for l in layers]
    if coherent_substrate and sub_d is not None:
        c = coherent([cover, *n_layers, n_sub, exit], [*d_layers, sub_d], wavelength, angle, polarization)
        A = {name: c.layer_absorptance(j + 1) for j, name in enumerate(names + [sub_name])}
        return Absorption(wavelength, c.reflectance, c.transmittance, A, tuple(zip(names, d_layers)), c)
    down = coherent([cover, *n_layers, n_sub], d_layers, wavelength, angle, polarization)
    A = {name: down.layer_absorptance(j + 1) for j, name in enumerate(names)}
    R_f, T_f = down.reflectance, down.transmittance
    if sub_d is None:                      # semi-infinite: what enters the substrate is absorbed there
        A[sub_name] = T_f if n_sub.imag > 0 else 0.0
        return Absorption(wavelength, R_f, 0.0 if n_sub.imag > 0 else T_f, A, tuple(zip(names, d_layers)), down)
    # The thick substrate: intensities bounce between the stack above and its back surface.
    # The lateral invariant n sin θ carries the angle into the substrate and out through the stack.
    n0_sin = complex(cover) * math.sin(angle)
    c_sub = _cos(n_sub, n0_sin)
    tau = math.exp(-2 * (2 * math.pi / wavelength * n_sub * c_sub).imag * sub_d)   # one pass, intensity
    back = coherent([n_sub.real, exit], [], wavelength, cmath.asin(n0_sin / n_sub.real).real
                    if n_sub.real > abs(n0_sin) else 0.0, polarization)
    R_b = back.reflectance
    up = coherent([n_sub.real, *reversed(n_layers), cover], list(reversed(d_layers)), wavelength,
                  back.angle, polarization)
    R_up = up.reflectance
    A_up = {name: up.layer_absorptance(len(names) - j) for j, name in enumerate(names)}
    down_sum = T_f / (1 - tau * tau * R_b * R_up)          # all downward passes at the substrate top
    returning = down_sum * tau * tau * R_b                   # all upward arrivals at the stack
    R = R_f + returning * up.transmittance
    T = down_sum * tau * (1 - R_b)
    for name in names:
        A[name] += returning * A_up[name]
    A[sub_name] = down_sum * (1 - tau) * (1 + tau * R_b)
    alpha = 2 * (2 * math.pi / wavelength * n_sub * c_sub).imag
    return Absorption(wavelength, R, T, A, tuple(zip(names, d_layers)), down, up, returning, alpha)


SEMI_INFINITE = 10e-6     # m: a substrate thicker than this is incoherent (its phase is lost)


def of_geometry(geometry, wavelength, exit=1.0, angle=0.0, polarization="s"):
    """The pump absorption of a stack (``cqdfem.geometry.Geometry``: bottom layer the substrate,
    lit from the cover at ``angle`` (rad), ``exit`` medium below the substrate). A patterned layer
    is its effective medium (volume-weighted permittivity). ValueError naming a material that has no
    optical constants at ``wavelength``."""
    def index(material, where):
        n = material.index(wavelength)
        if n is None:
            raise ValueError(f"material {material.name!r} ({where}) has no optical constants at "
                             f"{wavelength * 1e9:.4g} nm (give refractive_index = [[wavelength, n, k], ...], "
                             "or absorption_cross_section and dot_density for dots)")
        return n

    def layer_index(layer):
        n = index(layer.material, layer.name)
        if layer.pillars is None:
            return n
        f = layer.pillars.fill_fraction
        # the pillars are layer.material in the fill's host (cqdfem.materials.effective_medium)
        return cmath.sqrt(f * n * n + (1 - f) * index(layer.pillars.fill, f"{layer.name} fill") ** 2)

    sub = geometry.layers[0]
    top_down = [(l.name, l.thickness, layer_index(l)) for l in reversed(geometry.layers[1:])]
    cover = index(geometry.cover, "cover")
    if abs(cover.imag) > 0:
        raise ValueError(f"the cover {geometry.cover.name!r} absorbs at {wavelength * 1e9:.4g} nm: "
                         "the pump must arrive through a lossless medium")
    thick = sub.thickness > SEMI_INFINITE
    return stack_absorption(top_down, cover.real, (sub.name, sub.thickness, layer_index(sub)), wavelength,
                            exit=exit, angle=angle, polarization=polarization, coherent_substrate=not thick)


def depth_shape(result, layer, z_top, dimension):
    """The absorbed density in ``layer`` as a function of model coordinates (numpy (3, n) arrays,
    z the last mesh coordinate; the layer's top at ``z_top``): relative values for
    :meth:`cqdfem.thermal.HeatSolver.add_source`. An incoherent substrate decays as exp(−α depth)."""
    names = [n for n, _ in result.layers]
    if layer in names:
        return lambda x: result.profile(layer, np.clip(z_top - x[dimension - 1], 0.0, None))
    alpha = result.substrate_alpha
    return lambda x: np.exp(-alpha * np.clip(z_top - x[dimension - 1], 0.0, None))
