"""Guided modes of film stacks: n_eff, confinement Γ, cutoff, Bragg wavelength (slab, 1D).

The stack (``cqdfem.geometry.Geometry``: layers bottom to top, ``cover`` above) is a planar waveguide;
its bottom layer is taken as a semi-infinite substrate when it is thicker than ``semi_infinite``
(1 mm substrates are), the cover is semi-infinite. Fields depend on y (normal to the layers):

    TE (E_x):  E'' + k0² n² E = β² E
    TM (H_x):  (H'/n²)' + k0² H/n² · n² ... i.e.  −∫ H'v'/n² + k0² ∫ H v = β² ∫ H v / n²

solved as a symmetric generalized eigenproblem with quadratic Lagrange elements on an interval mesh
graded like the thermal meshes (fine in thin layers, growing geometrically into the claddings),
Dirichlet at the ends of windows long enough for the evanescent tails (checked: a tail that has
not decayed is reported, and the window grown). Shift-and-invert near (k0 n_max)² finds the
modes; only n_eff above both claddings' indices is guided — below cutoff no mode is reported.

Γ per layer is reported two ways, named: ``field`` — the paper's ``∫_layer |E|² / ∫ |E|²`` (TE: E_x;
TM: E_y ∝ H/n²) — and ``power`` — the share of the Poynting flux (TE: same as field; TM: ∫ H²/n²).
"""

import dataclasses
import math

import numpy as np

from cqdfem.constants import EMISSION_WAVELENGTH, ROOM_TEMPERATURE

SEMI_INFINITE = 10e-6      # a bottom layer thicker than this is a semi-infinite substrate


class CutoffError(ValueError):
    """No guided mode of the requested polarization at this wavelength."""


@dataclasses.dataclass(frozen=True)
class Slab:
    """Layers bottom to top: (name, thickness m, index); substrate and cover indices semi-infinite."""
    substrate: float
    layers: tuple                 # ((name, thickness, n), ...)
    cover: float = 1.0
    substrate_name: str = "substrate"
    cover_name: str = "cover"
    dn_dT: tuple = ()             # ((region name, dn/dT 1/K), ...) for temperature fields

    @classmethod
    def from_geometry(cls, geometry, wavelength=None, temperature=None, T_ref=ROOM_TEMPERATURE):
        """The slab of a geometry; ``temperature`` (K, uniform or {layer: K}) shifts n by dn/dT."""
        def index(mat, name):
            if mat.refractive_index is None:
                raise ValueError(f"material {mat.name!r} of {name!r} has no refractive_index")
            n = mat.refractive_index
            if temperature is not None:
                T = temperature.get(name, T_ref) if isinstance(temperature, dict) else temperature
                n += (mat.dn_dT or 0.0) * (T - T_ref)
            return n

        layers = list(geometry.layers)
        sub = layers[0]
        if sub.thickness < SEMI_INFINITE:
            raise ValueError(f"the bottom layer {sub.name!r} ({sub.thickness:g} m) is too thin to be a "
                             "semi-infinite substrate")
        mats = {sub.name: sub.material, **{l.name: l.homogenised() for l in layers[1:]}, "cover": geometry.cover}
        finite = tuple((l.name, l.thickness, index(mats[l.name], l.name)) for l in layers[1:])
        return cls(substrate=index(sub.material, sub.name), layers=finite,
                   cover=index(geometry.cover, "cover"), substrate_name=sub.name,
                   dn_dT=tuple((name, m.dn_dT or 0.0) for name, m in mats.items()))

    def with_layer(self, name, thickness=None, index=None):
        layers = tuple((n, thickness if (n == name and thickness is not None) else t,
                        index if (n == name and index is not None) else k) for n, t, k in self.layers)
        return dataclasses.replace(self, layers=layers)

    @property
    def n_max(self):
        return max([self.substrate, self.cover] + [n for _, _, n in self.layers])

    @property
    def n_clad(self):
        return max(self.substrate, self.cover)


@dataclasses.dataclass
class Mode:
    polarization: str
    order: int
    n_eff: float
    wavelength: float
    confinement: dict             # layer -> Γ (field definition)
    power_confinement: dict       # layer -> power fraction
    y: np.ndarray                 # node positions (m), 0 at the top of the substrate
    field: np.ndarray             # E_x (TE) or H_x (TM), max |.| = 1

    def describe(self):
        return {"polarization": self.polarization, "order": self.order, "n_eff": self.n_eff,
                "confinement": self.confinement, "power_confinement": self.power_confinement,
                "confinement_definition": "field: integral of |E|^2 over the layer / over all (TE: E_x, TM: E_y)"}


def stack_nodes(slab, wavelength, window, cells_per_layer=8, growth=1.3, h_max=None):
    """Graded nodes through the windows and layers (y = 0 on the substrate) and per element its
    (region, index); shared by the slab solver and the 2D section.

    ``h_max``: the largest element within 4 wavelengths of the stack (default: refined together with
    the layers, λ / (1.5 cells_per_layer n_max)).
    """
    h_max = h_max or wavelength / (1.5 * cells_per_layer * slab.n_max)
    bounds, regions, sizes = [], [], []
    y = 0.0
    for name, t, n in slab.layers:
        bounds.append((y, y + t))
        regions.append((name, n))
        sizes.append(min(t / cells_per_layer, h_max))
        y += t
    h0 = min(sizes) if sizes else h_max
    nodes = [0.0]
    # the windows: sizes grow geometrically away from the stack; the evanescent tails need no
    # wavelength-scale resolution far out, so the cap there is a fraction of the window
    def window_nodes(length):
        out, h, y_ = [], h0, 0.0
        cap = max(h_max, length / 100)
        while y_ < length:
            y_ = min(y_ + h, length)
            out.append(y_)
            h = min(h * growth, cap if y_ > 4 * wavelength else h_max)
        return np.array(out)

    sub = -window_nodes(window[0])[::-1]
    nodes = sub.tolist() + [0.0]
    reg = [(slab.substrate_name, slab.substrate)] * len(sub)
    for (a, b), (name, n), hs in zip(bounds, regions, sizes):
        k = max(cells_per_layer, int(math.ceil((b - a) / hs)))
        pts = np.linspace(a, b, k + 1)[1:]
        nodes.extend(pts.tolist())
        reg.extend([(name, n)] * k)
    top = nodes[-1]
    cov = top + window_nodes(window[1])
    nodes.extend(cov.tolist())
    reg.extend([(slab.cover_name, slab.cover)] * len(cov))
    return np.array(nodes), reg


def _assemble(nodes, reg, k0, polarization):
    """P2 matrices (A, B) with A x = β² B x; Dirichlet at both ends (rows/cols removed)."""
    from scipy import sparse

    ne = len(nodes) - 1
    ndof = 2 * ne + 1
    Ke = np.array([[7, -8, 1], [-8, 16, -8], [1, -8, 7]]) / 3.0
    Me = np.array([[4, 2, -1], [2, 16, 2], [-1, 2, 4]]) / 30.0
    h = np.diff(nodes)[:, None, None]
    n2 = np.array([r[1] for r in reg])[:, None, None] ** 2
    if polarization == "TE":
        Ae, Be = k0 * k0 * n2 * Me * h - Ke / h, Me * h + 0 * n2
    else:
        Ae, Be = k0 * k0 * Me * h - Ke / h / n2, Me * h / n2
    dofs = 2 * np.arange(ne)[:, None] + np.arange(3)[None, :]
    rows = np.repeat(dofs, 3, axis=1).ravel()
    cols = np.tile(dofs, (1, 3)).ravel()
    a_vals, b_vals = Ae.ravel(), Be.ravel()
    A = sparse.csr_matrix((a_vals, (rows, cols)), shape=(ndof, ndof))
    B = sparse.csr_matrix((b_vals, (rows, cols)), shape=(ndof, ndof))
    inner = np.arange(1, ndof - 1)
    return A[inner][:, inner], B[inner][:, inner], ndof


def _layer_integrals(nodes, reg, u, weight):
    """∫ weight(n) u² per region name, exact for the P2 field (Simpson-exact per element)."""
    out = {}
    Me = np.array([[4, 2, -1], [2, 16, 2], [-1, 2, 4]]) / 30.0
    for e in range(len(nodes) - 1):
        h = nodes[e + 1] - nodes[e]
        ue = u[2 * e: 2 * e + 3]
        val = weight(reg[e][1]) * h * float(ue @ Me @ ue)
        out[reg[e][0]] = out.get(reg[e][0], 0.0) + val
    return out


def slab_modes(slab, wavelength, polarization="TE", n_modes=4, window=None, cells_per_layer=16):
    """Guided modes (highest n_eff first); raises :class:`CutoffError` if there are none.

    ``window`` (m, m): substrate and cover lengths kept; grown until each holds 20 decay lengths of
    the least confined returned mode (capped at 500 wavelengths).
    """
    if polarization not in ("TE", "TM"):
        raise ValueError("polarization must be 'TE' or 'TM'")
    k0 = 2 * math.pi / wavelength
    if window is None:
        window = (4 * wavelength, 4 * wavelength)
    for _ in range(12):
        modes = _solve(slab, wavelength, polarization, n_modes, window, cells_per_layer, k0)
        if not modes:
            if window[0] >= 64 * wavelength:
                break
            window = (64 * wavelength, 64 * wavelength)  # near cutoff the tails are long: look further
            continue
        # each window must hold ~20 decay lengths of the least confined mode (|E| < 1e-8 at its end)
        n_min = min(m.n_eff for m in modes)
        need = tuple(20 / (k0 * math.sqrt(max(n_min ** 2 - n ** 2, 1e-30))) for n in (slab.substrate, slab.cover))
        cap = 500 * wavelength          # a mode this close to cutoff is not worth following further
        if all(w >= min(nd, cap) for w, nd in zip(window, need)):
            break
        window = tuple(min(max(w, nd * 1.2), cap) for w, nd in zip(window, need))
    if not modes:
        raise CutoffError(f"no guided {polarization} mode at {wavelength * 1e9:.4g} nm: the stack is below "
                          f"cutoff (no n_eff above the claddings' {slab.n_clad:.4g})")
    return modes


def _solve(slab, wavelength, polarization, n_modes, window, cells_per_layer, k0):
    from scipy.sparse.linalg import eigsh

    nodes, reg = stack_nodes(slab, wavelength, window, cells_per_layer)
    A, B, ndof = _assemble(nodes, reg, k0, polarization)
    sigma = (k0 * slab.n_max) ** 2 * 1.0001
    k = min(n_modes + 2, A.shape[0] - 2)
    vals, vecs = eigsh(A, k=k, M=B, sigma=sigma, which="LM")
    w_field = (lambda n: 1.0) if polarization == "TE" else (lambda n: n ** -4)
    w_power = (lambda n: 1.0) if polarization == "TE" else (lambda n: n ** -2)
    modes = []
    for idx in np.argsort(-vals):
        beta2 = vals[idx]
        if beta2 <= (k0 * slab.n_clad) ** 2 * (1 + 1e-9):
            continue                      # radiating into a cladding: not guided
        u = np.zeros(ndof)
        u[1:-1] = vecs[:, idx]
        u /= u[np.argmax(np.abs(u))]
        f = _layer_integrals(nodes, reg, u, w_field)
        p = _layer_integrals(nodes, reg, u, w_power)
        ft, pt = sum(f.values()), sum(p.values())
        modes.append(Mode(polarization, len(modes), math.sqrt(beta2) / k0, wavelength,
                          {k_: v / ft for k_, v in f.items()}, {k_: v / pt for k_, v in p.items()},
                          _dof_coordinates(nodes), u))
        if len(modes) == n_modes:
            break
    return modes


def _dof_coordinates(nodes):
    y = np.empty(2 * len(nodes) - 1)
    y[0::2] = nodes
    y[1::2] = 0.5 * (nodes[1:] + nodes[:-1])
    return y


# --- closed forms (three-layer slab) for verification ---------------------------------------------

def te_dispersion(n_sub, n_film, n_cover, d, wavelength, order=0):
    """n_eff of TE_m of a symmetric or asymmetric three-layer slab (exact, root of the dispersion
    relation κd = mπ + atan(γ_s/κ) + atan(γ_c/κ)); None below cutoff."""
    from scipy.optimize import brentq

    k0 = 2 * math.pi / wavelength
    lo, hi = max(n_sub, n_cover), n_film

    def f(n):
        kappa = k0 * math.sqrt(max(n_film ** 2 - n ** 2, 0))
        gs = k0 * math.sqrt(max(n ** 2 - n_sub ** 2, 0))
        gc = k0 * math.sqrt(max(n ** 2 - n_cover ** 2, 0))
        return kappa * d - order * math.pi - math.atan(gs / kappa) - math.atan(gc / kappa)

    a, b = lo * (1 + 1e-12), hi * (1 - 1e-12)
    if f(a) * f(b) > 0:
        return None
    return brentq(f, a, b, xtol=1e-15, rtol=1e-15)


def tm_dispersion(n_sub, n_film, n_cover, d, wavelength, order=0):
    """n_eff of TM_m: κd = mπ + atan((n_f/n_s)² γ_s/κ) + atan((n_f/n_c)² γ_c/κ); None below cutoff."""
    from scipy.optimize import brentq

    k0 = 2 * math.pi / wavelength

    def f(n):
        kappa = k0 * math.sqrt(max(n_film ** 2 - n ** 2, 0))
        gs = k0 * math.sqrt(max(n ** 2 - n_sub ** 2, 0))
        gc = k0 * math.sqrt(max(n ** 2 - n_cover ** 2, 0))
        return (kappa * d - order * math.pi - math.atan((n_film / n_sub) ** 2 * gs / kappa)
                - math.atan((n_film / n_cover) ** 2 * gc / kappa))

    a, b = max(n_sub, n_cover) * (1 + 1e-12), n_film * (1 - 1e-12)
    if f(a) * f(b) > 0:
        return None
    return brentq(f, a, b, xtol=1e-15, rtol=1e-15)


def te_confinement(n_sub, n_film, n_cover, d, wavelength, n_eff):
    """Γ_TE = [d + γs/(κ²+γs²) + γc/(κ²+γc²)] / [d + 1/γs + 1/γc] (closed form)."""
    k0 = 2 * math.pi / wavelength
    kappa2 = k0 ** 2 * (n_film ** 2 - n_eff ** 2)
    gs = k0 * math.sqrt(n_eff ** 2 - n_sub ** 2)
    gc = k0 * math.sqrt(n_eff ** 2 - n_cover ** 2)
    return (d + gs / (kappa2 + gs ** 2) + gc / (kappa2 + gc ** 2)) / (d + 1 / gs + 1 / gc)


def te_cutoff_thickness(n_sub, n_film, n_cover, wavelength, order=0):
    """Film thickness below which TE_m is not guided (asymmetric slab)."""
    k0 = 2 * math.pi / wavelength
    V = k0 * math.sqrt(n_film ** 2 - n_sub ** 2)
    return (order * math.pi + math.atan(math.sqrt((n_sub ** 2 - n_cover ** 2) / (n_film ** 2 - n_sub ** 2)))) / V


# --- derived questions ---------------------------------------------------------------------------

def confinement_sweep(slab, layer, thicknesses, wavelength, polarization="TE"):
    """(thickness, n_eff or nan, Γ_layer or 0) over thicknesses; below cutoff Γ = 0."""
    return _sweep([(slab.with_layer(layer, thickness=t), wavelength, t) for t in thicknesses], layer, polarization)


def wavelength_sweep(slab, layer, wavelengths, polarization="TE"):
    """(wavelength, n_eff or nan, Γ_layer or 0) of the fundamental mode over wavelengths."""
    return _sweep([(slab, lam, lam) for lam in wavelengths], layer, polarization)


def _sweep(points, layer, polarization):
    """Warm-started: each solve starts from the window the previous *mode* needed (20 of its decay
    lengths each side, at least 4 wavelengths), not from the largest window any point used: one
    point near cutoff would otherwise make every later, well-confined point pay for a 200 µm window."""
    out, window = [], None
    for s, lam, x in points:
        try:
            m = slab_modes(s, lam, polarization, n_modes=1, window=window)[0]
            k0 = 2 * math.pi / lam
            window = tuple(min(max(20 / (k0 * math.sqrt(max(m.n_eff ** 2 - n ** 2, 1e-30))), 4 * lam), 500 * lam)
                           for n in (s.substrate, s.cover))
            out.append((x, m.n_eff, m.confinement.get(layer, 0.0)))
        except CutoffError:
            out.append((x, float("nan"), 0.0))
    return out


def minimum_thickness_for_ase(slab, layer, wavelength, material_gain, loss, t_max=2e-6):
    """The thickness where Γ·g_material − α_i = 0 (thinner: no net modal gain); None if never."""
    from scipy.optimize import brentq

    def margin(t):
        try:
            m = slab_modes(slab.with_layer(layer, thickness=t), wavelength, "TE", n_modes=1)[0]
            return m.confinement.get(layer, 0.0) * material_gain - loss
        except CutoffError:
            return -loss

    if margin(t_max) <= 0:
        return None
    lo = t_max
    while margin(lo) > 0:                 # halve until there is no net gain (a few solves)
        lo /= 2
        if lo < 1e-9:
            return lo
    return brentq(margin, lo, 2 * lo, xtol=1e-11)


def bragg_wavelength(slab, period, order=2, guess=EMISSION_WAVELENGTH, polarization="TE", tol=1e-12):
    """λ = 2 n_eff(λ) Λ / m, solved self-consistently (n_eff depends on λ through k0)."""
    lam = guess
    for _ in range(50):
        n = slab_modes(slab, lam, polarization, n_modes=1)[0].n_eff
        new = 2 * n * period / order
        if abs(new - lam) < tol:
            return new, n
        lam = new
    raise RuntimeError("the Bragg iteration did not converge")


def bragg_shift(delta_n_eff, period, order=2):
    """First-order shift of the Bragg line λ_B = 2 n_eff Λ / m at a fixed period: 2 Δn_eff Λ / m."""
    return 2 * delta_n_eff * period / order


def thickness_for_wavelength(slab, layer, period, target, order=2, bounds=(20e-9, 1e-6)):
    """The ``layer`` thickness whose Bragg wavelength is ``target`` (m); None if outside ``bounds``."""
    from scipy.optimize import brentq

    def f(t):
        try:
            return bragg_wavelength(slab.with_layer(layer, thickness=t), period, order, guess=target)[0] - target
        except CutoffError:
            return -target

    a, b = bounds
    if f(a) * f(b) > 0:
        return None
    return brentq(f, a, b, xtol=1e-12)


def fill_for_wavelength(slab_of, target, period, order=2):
    """The fraction x in [0, 1] for which ``slab_of(x)`` has its Bragg line at ``target``, or
    (None, why): for a grating whose gaps hold a share x of CQD and the rest a low-index medium."""
    from scipy.optimize import brentq

    def line(x):
        try:
            return bragg_wavelength(slab_of(x), period, order, guess=target)[0]
        except CutoffError:
            return 0.0
    lo, hi = line(0.0), line(1.0)
    if (lo - target) * (hi - target) > 0:
        return None, (f"the line runs from {lo * 1e9:.1f} nm (no CQD in the gaps) to {hi * 1e9:.1f} nm (full): "
                      f"{target * 1e9:.1f} nm is outside; change the film thickness instead")
    return brentq(lambda x: line(x) - target, 0.0, 1.0, xtol=1e-10), None


def why_no_thickness(slab, layer, period, target, order=2, bounds=(20e-9, 1e-6)):
    """Why :func:`thickness_for_wavelength` found nothing: the Bragg lines at the two bounds."""
    def line(t):
        try:
            return bragg_wavelength(slab.with_layer(layer, thickness=t), period, order, guess=target)[0]
        except CutoffError:
            return None
    lo, hi = (line(t) for t in bounds)
    if lo is not None and lo > target:
        return (f"even a {bounds[0] * 1e9:.0f} nm {layer} gives a Bragg line at {lo * 1e9:.1f} nm, above "
                f"{target * 1e9:.1f} nm: the rest of the stack guides too strongly by itself (n_eff >= "
                f"{lo * order / (2 * period):.4f} > {target * order / (2 * period):.4f} needed); thicker only raises it")
    if hi is not None and hi < target:
        return (f"even a {bounds[1] * 1e9:.0f} nm {layer} gives a Bragg line at only {hi * 1e9:.1f} nm, below "
                f"{target * 1e9:.1f} nm: the stack cannot reach n_eff = {target * order / (2 * period):.4f}")
    return f"no thickness between {bounds[0] * 1e9:.0f} nm and {bounds[1] * 1e6:.0f} um (a mode is cut off there)"


def line_check(slab, period, order, wavelength, tolerance):
    """(Bragg line, n_eff, message or None): whether the stack lases at its stated ``wavelength``."""
    try:
        lam, n = bragg_wavelength(slab, period, order, guess=wavelength)
    except CutoffError as e:
        return None, None, f"no guided mode, so no Bragg line: {e}"
    off = lam - wavelength
    if abs(off) <= tolerance:
        return lam, n, None
    return lam, n, (f"the stack's Bragg line (order {order}, period {period * 1e9:.4g} nm) is at {lam * 1e9:.1f} nm, "
                    f"{off * 1e9:+.1f} nm from the stated {wavelength * 1e9:.1f} nm (tolerance {tolerance * 1e9:g} nm): "
                    f"this structure does not lase at its line (n_eff {n:.4f}, needed "
                    f"{wavelength * order / (2 * period):.4f})")
