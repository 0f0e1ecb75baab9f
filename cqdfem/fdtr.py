"""Frequency-domain thermoreflectance (FDTR): the multilayer analytic model, its fit, and the seed's
uncertainty procedure (physics.md §13; seed 001 Methods, 000 Supp. Table 1).

A pump of power A, modulated at ω and Gaussian with 1/e² radius w0, heats the top of a layered stack;
a probe of 1/e² radius w1 reads the surface temperature weighted by its own Gaussian. In the order-0
Hankel transform (θ̂(k) = ∫ θ(r) J0(kr) r dr) every layer is one 2×2 transfer matrix, and the probe's
reading is (Cahill 2004; Schmidt et al. 2008)

    H(ω) = (1/2π) ∫ Z(k, ω) exp(−k² (w0² + w1²)/8) k dk    (K per W absorbed)

with Z = θ̂/f̂ the stack's surface impedance. Z is carried from the bottom up through each layer with
q² = (k_r k² + iωρc)/k_z as Z_top = (Z_b + tanh(qd)/(k_z q)) / (1 + k_z q tanh(qd) Z_b), and through
an interface conductance G as Z + 1/G: tanh keeps a millimetre substrate finite where cosh and sinh
overflow. The bottom is a half-space, adiabatic or isothermal. The phase of H (degrees, negative: the
surface lags the pump) is what the lock-in measures and what the fit matches.

Everything is SI. Layers are listed bottom first, as in a geometry file (Si, CQD film, Au).
"""

import dataclasses
import math

import numpy as np

# Gauss-Legendre nodes on x = k·w/(2√2) ∈ [0, X_MAX]: the Gaussian factor is exp(−x²) < 1e-18 beyond.
X_MAX = 6.5
NODES = 400


@dataclasses.dataclass(frozen=True)
class Layer:
    """One layer of the FDTR stack; ``conductance`` is the interface conductance to the layer below
    (W/m²/K; ``math.inf``: perfect contact)."""
    name: str
    thickness: float                 # m
    conductivity: float              # W/m/K, cross-plane
    heat_capacity: float             # ρc, J/m³/K
    conductivity_in_plane: float = None
    conductance: float = math.inf

    @property
    def k_in(self):
        return self.conductivity if self.conductivity_in_plane is None else self.conductivity_in_plane


def _nodes():
    x, w = np.polynomial.legendre.leggauss(NODES)
    return 0.5 * X_MAX * (x + 1), 0.5 * X_MAX * w


def surface_impedance(layers, k, omega, bottom="half-space"):
    """Z(k, ω) = θ̂/f̂ at the top of ``layers`` (bottom first), arrays broadcast over k and ω."""
    if bottom not in ("half-space", "adiabatic", "isothermal"):
        raise ValueError(f"bottom must be half-space, adiabatic or isothermal, not {bottom!r}")
    k, omega = np.broadcast_arrays(np.asarray(k, float), np.asarray(omega, float))
    Z = None
    for i, layer in enumerate(layers):
        q = np.sqrt((layer.k_in * k**2 + 1j * omega * layer.heat_capacity) / layer.conductivity)
        kq = layer.conductivity * q
        if i == 0 and bottom == "half-space":
            Z = 1 / kq
        else:
            t = np.tanh(q * layer.thickness)
            if Z is None:            # the bottom layer over an adiabatic (f = 0) or isothermal (θ = 0) back
                Z = 1 / (kq * t) if bottom == "adiabatic" else t / kq
            else:
                Z = (Z + t / kq) / (1 + kq * t * Z)
        if i + 1 < len(layers) and math.isfinite(layers[i + 1].conductance):
            Z = Z + 1 / layers[i + 1].conductance
    return Z


def response(layers, frequency, pump_radius, probe_radius, bottom="half-space"):
    """H(f) (K/W, complex): the probe-weighted surface temperature per watt absorbed at frequencies
    ``frequency`` (Hz)."""
    f = np.atleast_1d(np.asarray(frequency, float))
    w = math.sqrt(pump_radius**2 + probe_radius**2)
    x, wx = _nodes()
    k = x * 2 * math.sqrt(2) / w
    Z = surface_impedance(layers, k[None, :], 2 * math.pi * f[:, None], bottom)
    # (1/2π) ∫ Z e^{−k²w²/8} k dk with k = x·2√2/w: dk k = (8/w²) x dx
    return (Z * np.exp(-x**2) * x * wx).sum(axis=1) * 8 / w**2 / (2 * math.pi)


def phase(layers, frequency, pump_radius, probe_radius, bottom="half-space"):
    """Phase of the surface temperature relative to the pump (degrees; negative = lag)."""
    return np.degrees(np.angle(response(layers, frequency, pump_radius, probe_radius, bottom)))


# --- the fit ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Fit:
    layer: str
    conductivity: float              # W/m/K, the fitted layer's (isotropic)
    conductance: float               # W/m²/K, the fitted interface (math.inf if not fitted)
    residual_deg: float              # rms of measured − model phase
    uncertainty: float = math.nan    # W/m/K, the seed's procedure (quadrature of refits) + the fit's own
    contributions: dict = dataclasses.field(default_factory=dict)   # input -> |Δk| of its refit
    model: object = None             # the stack with the fitted values

    def summary(self):
        out = {"layer": self.layer, "conductivity_W_mK": self.conductivity,
               "uncertainty_W_mK": self.uncertainty, "contributions": dict(self.contributions),
               "residual_deg": self.residual_deg}
        if math.isfinite(self.conductance):
            out["conductance_W_m2K"] = self.conductance
        return out


def _with(layers, name, **changes):
    found = [l.name for l in layers]
    if name not in found:
        raise KeyError(f"no layer named {name!r} (layers: {', '.join(found)})")
    return [dataclasses.replace(l, **changes) if l.name == name else l for l in layers]


def fit(layers, frequency, phase_deg, pump_radius, probe_radius, layer, conductance=False,
        bottom="half-space", guess=None):
    """Fit the conductivity of ``layer`` (isotropic) — and, with ``conductance=True``, the interface
    conductance at its top — to measured phases (degrees). Least squares in log k."""
    from scipy.optimize import least_squares

    frequency, phase_deg = np.asarray(frequency, float), np.asarray(phase_deg, float)
    _with(layers, layer)                                 # KeyError naming the layers if absent
    names = [l.name for l in layers]
    above = names.index(layer) + 1
    if conductance and above >= len(layers):
        raise ValueError(f"{layer!r} is the top layer: no interface above it to fit")

    def stack(p):
        out = _with(layers, layer, conductivity=math.exp(p[0]), conductivity_in_plane=None)
        if conductance:
            out[above] = dataclasses.replace(out[above], conductance=math.exp(p[1]))
        return out

    def residual(p):
        return phase(stack(p), frequency, pump_radius, probe_radius, bottom) - phase_deg

    k0 = guess or layers[names.index(layer)].conductivity
    p0 = [math.log(k0)] + ([math.log(1e8)] if conductance else [])
    sol = least_squares(residual, p0, x_scale=1.0, xtol=1e-14, ftol=1e-14, gtol=1e-14)
    model = stack(sol.x)
    return Fit(layer=layer, conductivity=math.exp(sol.x[0]),
               conductance=math.exp(sol.x[1]) if conductance else math.inf,
               residual_deg=float(np.sqrt(np.mean(sol.fun**2))), model=model)


def fit_with_uncertainty(layers, frequency, phase_deg, pump_radius, probe_radius, layer, uncertainties,
                         conductance=False, bottom="half-space"):
    """The fit, then the seed's procedure (000, FDTR): perturb each input by its uncertainty, refit,
    and add the changes of k in quadrature, together with the fit's own standard error.

    ``uncertainties`` maps "LAYER.thickness" / "LAYER.conductivity" / "LAYER.heat_capacity" /
    "pump_radius" / "probe_radius" to a relative uncertainty (0.05 = ± 5 %).
    """
    best = fit(layers, frequency, phase_deg, pump_radius, probe_radius, layer, conductance, bottom)
    contributions = {}
    for name, rel in uncertainties.items():
        stack, w0, w1 = layers, pump_radius, probe_radius
        if name == "pump_radius":
            w0 = pump_radius * (1 + rel)
        elif name == "probe_radius":
            w1 = probe_radius * (1 + rel)
        else:
            lname, _, prop = name.rpartition(".")
            if prop not in ("thickness", "conductivity", "heat_capacity") or not lname:
                raise KeyError(f"{name!r}: expected LAYER.thickness, LAYER.conductivity, "
                               "LAYER.heat_capacity, pump_radius or probe_radius")
            if lname == layer and prop == "conductivity":
                raise KeyError(f"{name!r} is the fitted quantity")
            old = next(l for l in layers if l.name == lname) if lname in [l.name for l in layers] else None
            if old is None:
                raise KeyError(f"{name!r}: no layer named {lname!r}")
            change = {prop: getattr(old, prop) * (1 + rel)}
            if prop == "conductivity" and old.conductivity_in_plane is not None:
                change["conductivity_in_plane"] = old.conductivity_in_plane * (1 + rel)
            stack = _with(layers, lname, **change)
        refit = fit(stack, frequency, phase_deg, w0, w1, layer, conductance, bottom, guess=best.conductivity)
        contributions[name] = abs(refit.conductivity - best.conductivity)
    # the fit's own standard error from the residual and the sensitivity dφ/d ln k
    h = 1e-4
    up = _with(best.model, layer, conductivity=best.conductivity * (1 + h))
    J = (phase(up, frequency, pump_radius, probe_radius, bottom)
         - phase(best.model, frequency, pump_radius, probe_radius, bottom)) / math.log1p(h)
    dof = max(len(frequency) - (2 if conductance else 1), 1)
    s2 = float(np.sum((phase(best.model, frequency, pump_radius, probe_radius, bottom) - phase_deg) ** 2)) / dof
    contributions["fit"] = best.conductivity * math.sqrt(s2 / float(J @ J)) if J @ J > 0 else math.inf
    best.contributions = contributions
    best.uncertainty = math.sqrt(sum(v**2 for v in contributions.values()))
    return best


# --- the same problem by finite elements ------------------------------------------------------------


def graded(lo, hi, h_lo, growth, min_cells=1):
    """Nodes on [lo, hi] starting at spacing h_lo and growing by ``growth`` per cell (capped so the
    last cell ends at hi)."""
    nodes, h = [lo], h_lo
    while nodes[-1] + h < hi - 1e-12 * (hi - lo):
        nodes.append(nodes[-1] + h)
        h *= growth
    nodes.append(hi)
    nodes = np.asarray(nodes)
    if len(nodes) - 1 < min_cells:
        nodes = np.linspace(lo, hi, min_cells + 1)
    return nodes


def fe_response(layers, frequency, pump_radius, probe_radius, *, radius=None, film_cells=6,
                lateral_cells=8, growth=1.2, degree=2, comm=None):
    """H(f) (K/W) from DOLFINx: iωρcT − ∇·k∇T = 0 on the axisymmetric r-z stack (``layers`` bottom
    first, perfect contacts), the pump's Gaussian flux on the top, T = 0 on the bottom (the bottom
    layer's thickness down) and on the side at ``radius`` (default: the bottom layer's thickness).

    PETSc here is real, so T = u + iv is solved as the pair (u, v): K u − ωC v = F, ωC u + K v = 0,
    one MUMPS factorisation per frequency. The mesh is a graded tensor grid: ``lateral_cells`` per
    beam radius out to 4 radii, then growing; in every layer the first cell is its thickness over
    ``film_cells`` and cells grow by ``growth`` away from the layers above. Runs under MPI.
    """
    import ufl
    from dolfinx import fem
    from dolfinx import mesh as dmesh
    from mpi4py import MPI

    from cqdfem import compat

    comm = comm or MPI.COMM_WORLD
    if any(math.isfinite(l.conductance) for l in layers[1:]):
        raise ValueError("fe_response models perfect contacts only (interface conductance: use response)")
    w = min(pump_radius, probe_radius)
    R = radius or layers[0].thickness
    r_nodes = np.concatenate([np.linspace(0, 4 * w, 4 * lateral_cells + 1)[:-1],
                              graded(4 * w, R, w / lateral_cells, growth)])
    # z: the thin layers above the substrate in equal cells (film_cells each), the substrate graded
    # from the cell above it downward by ``growth``
    tops = np.cumsum([l.thickness for l in layers])
    z_nodes = [tops[-1]]
    for i in reversed(range(len(layers))):
        lo, hi = tops[i] - layers[i].thickness, tops[i]
        if i > 0:
            part = np.linspace(hi, lo, film_cells + 1)
        else:
            h0 = (layers[1].thickness if len(layers) > 1 else layers[0].thickness) / film_cells
            part = hi - graded(0.0, hi - lo, h0, growth)
        z_nodes.extend(part[1:])
    z_nodes = np.sort(np.asarray(z_nodes))
    msh = dmesh.create_rectangle(comm, [np.array([0.0, 0.0]), np.array([1.0, 1.0])],
                                 [len(r_nodes) - 1, len(z_nodes) - 1], dmesh.CellType.triangle,
                                 diagonal=dmesh.DiagonalType.crossed)
    g = msh.geometry.x
    g[:, 0] = np.interp(g[:, 0], np.linspace(0, 1, len(r_nodes)), r_nodes)
    g[:, 1] = np.interp(g[:, 1], np.linspace(0, 1, len(z_nodes)), z_nodes)
    # per-cell properties from the cell's height
    tdim = msh.topology.dim
    n_cells = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
    mid = dmesh.compute_midpoints(msh, tdim, np.arange(n_cells, dtype=np.int32))[:, 1]
    which = np.minimum(np.searchsorted(tops, mid), len(layers) - 1)
    Q = fem.functionspace(msh, ("DG", 0))
    kr, kz, C = fem.Function(Q), fem.Function(Q), fem.Function(Q)
    for f_, values in ((kr, [l.k_in for l in layers]), (kz, [l.conductivity for l in layers]),
                       (C, [l.heat_capacity for l in layers])):
        f_.x.array[:n_cells] = np.asarray(values)[which]
        f_.x.scatter_forward()

    V = fem.functionspace(msh, ("Lagrange", degree, (2,)))
    U, Phi = ufl.TrialFunction(V), ufl.TestFunction(V)
    r, z = ufl.SpatialCoordinate(msh)
    omega = fem.Constant(msh, 0.0)

    def flux(a, b):                   # ∫ ∇a·K∇b r
        return (kr * a.dx(0) * b.dx(0) + kz * a.dx(1) * b.dx(1)) * r

    top = tops[-1]
    facets = dmesh.locate_entities_boundary(msh, tdim - 1, lambda x: np.isclose(x[1], top, rtol=0, atol=1e-9 * top))
    ft = dmesh.meshtags(msh, tdim - 1, np.sort(facets).astype(np.int32), np.ones(len(facets), np.int32))
    ds = ufl.Measure("ds", domain=msh, subdomain_data=ft, metadata={"quadrature_degree": 2 * degree + 6})
    dx = ufl.Measure("dx", domain=msh, metadata={"quadrature_degree": 2 * degree + 2})
    a = (flux(U[0], Phi[0]) - omega * C * U[1] * Phi[0] * r
         + flux(U[1], Phi[1]) + omega * C * U[0] * Phi[1] * r) * dx
    pump = 2 / (math.pi * pump_radius**2) * ufl.exp(-2 * r**2 / pump_radius**2)   # W/m² per W
    L = pump * Phi[0] * r * ds(1)
    held = dmesh.locate_entities_boundary(msh, tdim - 1, lambda x: np.isclose(x[1], 0.0) | np.isclose(x[0], R))
    dofs = fem.locate_dofs_topological(V, tdim - 1, held)
    bc = fem.dirichletbc(np.zeros(2), dofs, V)
    problem = compat.linear_problem(a, L, bcs=[bc], prefix="cqdfem_fdtr_",
                                    petsc_options={"ksp_type": "preonly", "pc_type": "lu",
                                                   "pc_factor_mat_solver_type": "mumps"})
    probe = 2 / (math.pi * probe_radius**2) * ufl.exp(-2 * r**2 / probe_radius**2) * 2 * math.pi * r
    T = problem.u                      # the solution solve() overwrites: the readings compile once
    readings = [fem.form(T[j] * probe * ds(1)) for j in (0, 1)]
    out = []
    for f in np.atleast_1d(np.asarray(frequency, float)):
        omega.value = 2 * math.pi * f
        problem.solve()
        parts = [comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM) for form in readings]
        out.append(complex(parts[0], parts[1]))
    return np.array(out)
