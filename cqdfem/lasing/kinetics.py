"""Multiexciton kinetics in a dot film under a pump: rate equations and a kinetic Monte Carlo.

Every dot holds N = 0, 1, 2, ... excitons (seed 000 Supp. Note 1):

- absorption: Poisson, rate G per dot (G = σ I / hν), N → N + 1;
- Auger: N → N − 1 at k_A(N) = (1/τ_XX)·s(N), s(2) = 1; the supplement scales the rate with the
  multiplicity (``auger_scaling="linear"``: s = N/2); "pairs" (N(N−1)/2) and "cubic" (N²(N−1)/4)
  are the other common choices;
- radiative: N → N − 1 at N·k_r, traps: N·k_t, with k_r + k_t = 1/τ_PL and k_r/(k_r + k_t) = PLQY of
  a single exciton (the PL lifetime 37 ns organic / 7 ns inorganic; traps from the PLQY);
- optional dissociation: N → N − 1 at N·k_d (an exciton lost to charge separation, counted apart);
- doped dots (``doping`` extra electrons, negative: holes): Auger counts carriers (the statistical
  scaling, Klimov et al. 2007): a dot with e electrons and h holes recombines through C(e,2)·h
  electron-electron-hole and e·C(h,2) electron-hole-hole triplets at 1/τ_eeh and 1/τ_ehh each, with
  1/τ_XX = 2/τ_eeh + 2/τ_ehh (the biexciton has two of each). A negative trion has one eeh triplet, so
  τ_X− = τ_eeh; without a measured ``trion_auger_lifetime`` both channels are equal (τ_X± = 4 τ_XX).

:func:`rate_equations` integrates dP_N/dt for the ensemble (P_N: fraction of dots with N), with the
steady state and the share of decay through each channel; :func:`monte_carlo` follows an
N×N×N lattice of dots with a fixed time step (absorption probability per dot and step < 1), in
numpy, seeded. Both return the same :class:`Kinetics` record, so they can be compared directly.
"""

import dataclasses
import math

import numpy as np

CHANNELS = ("auger", "radiative", "trap", "dissociation")


@dataclasses.dataclass(frozen=True)
class Dots:
    """Per-dot rates (SI)."""
    generation: float                  # G, absorptions per dot per second
    auger_lifetime: float = 700e-12    # biexciton Auger lifetime τ_XX
    pl_lifetime: float = 37e-9         # single-exciton lifetime τ_PL (radiative + trap)
    plqy: float = 0.5                  # single-exciton PLQY: k_r τ_PL
    dissociation_rate: float = 0.0     # k_d per exciton
    auger_scaling: str = "linear"
    n_max: int = 12                    # largest N followed by the rate equations
    doping: int = 0                    # extra electrons per dot (negative: holes)
    trion_auger_lifetime: float | None = None   # Auger lifetime of the trion the doping makes (X− or X+)

    def __post_init__(self):
        if self.generation < 0 or self.auger_lifetime <= 0 or self.pl_lifetime <= 0:
            raise ValueError("generation must be >= 0 and lifetimes > 0")
        if not 0 <= self.plqy <= 1:
            raise ValueError("plqy must be within [0, 1]")
        if self.auger_scaling not in ("linear", "pairs", "cubic"):
            raise ValueError(f"unknown auger_scaling {self.auger_scaling!r} (linear, pairs, cubic)")
        if self.trion_auger_lifetime is not None and not self.trion_auger_lifetime > 2 * self.auger_lifetime:
            # 1/τ_XX = 2/τ_X− + 2/τ_X+ leaves the other channel a positive rate only if τ_trion > 2 τ_XX
            raise ValueError(f"trion_auger_lifetime must exceed twice the biexciton Auger lifetime "
                             f"({2 * self.auger_lifetime:g} s), got {self.trion_auger_lifetime:g} s")

    def triplet_rates(self):
        """(1/τ_eeh, 1/τ_ehh) of the statistical Auger scaling, oriented by the doping's sign."""
        k_xx = 1 / self.auger_lifetime
        if self.trion_auger_lifetime is None:
            return k_xx / 4, k_xx / 4
        own = 1 / self.trion_auger_lifetime
        other = k_xx / 2 - own
        return (own, other) if self.doping >= 0 else (other, own)

    def rates(self, N):
        """Rates out of state N per channel: dict channel -> array."""
        N = np.asarray(N, dtype=float)
        if self.doping:
            e, h = N + max(self.doping, 0), N + max(-self.doping, 0)
            k_eeh, k_ehh = self.triplet_rates()
            auger = np.where(N >= 1, k_eeh * e * (e - 1) / 2 * h + k_ehh * e * h * (h - 1) / 2, 0.0)
        else:
            s = {"linear": N / 2, "pairs": N * (N - 1) / 2, "cubic": N * N * (N - 1) / 4}[self.auger_scaling]
            auger = np.where(N >= 2, s, 0.0) / self.auger_lifetime
        k_r, k_t = self.plqy / self.pl_lifetime, (1 - self.plqy) / self.pl_lifetime
        return {"auger": auger, "radiative": N * k_r, "trap": N * k_t,
                "dissociation": N * self.dissociation_rate}


@dataclasses.dataclass
class Kinetics:
    time_s: np.ndarray                 # sample times
    populations: np.ndarray            # [time, N]: fraction of dots with N excitons
    decay_shares: dict                 # channel -> share of all decays (over the run, or at steady state)
    mean_excitons: np.ndarray          # ⟨N⟩(t)

    def population(self, n_min, n_max=None):
        """Fraction of dots with n_min <= N <= n_max excitons, vs time."""
        hi = self.populations.shape[1] if n_max is None else n_max + 1
        return self.populations[:, n_min:hi].sum(axis=1)


def _generator(dots):
    """The (n_max+1)² rate matrix Q with dP/dt = Q P."""
    n = dots.n_max + 1
    N = np.arange(n)
    out = sum(dots.rates(N).values())
    Q = np.zeros((n, n))
    Q[N[1:] - 1, N[1:]] += out[1:]                     # decay N -> N-1
    Q[N, N] -= out
    up = np.full(n, dots.generation)
    up[-1] = 0.0                                        # absorption stops at n_max (kept small)
    Q[N[1:], N[:-1]] += up[:-1]
    Q[N, N] -= up
    return Q


def _shares(dots, P):
    N = np.arange(len(P))
    rates = {c: float(P @ r) for c, r in dots.rates(N).items()}
    total = sum(rates.values())
    return {c: (r / total if total > 0 else 0.0) for c, r in rates.items()}


def steady_state(dots):
    """The stationary distribution P_N and the decay shares under a constant pump.

    Every process moves a dot one state up (absorption, rate G) or one down (all decays), so the
    chain is birth-death and the flux across each cut balances: G P_N = out(N+1) P_{N+1}. The
    product is exact and stays accurate where a linear solve of Q P = 0 does not (cubic Auger rates
    make Q span twenty orders of magnitude at a few hundred states)."""
    N = np.arange(dots.n_max + 1)
    out = sum(dots.rates(N).values())
    if dots.generation <= 0:
        P = np.zeros(len(N))
        P[0] = 1.0
        return P, _shares(dots, P)
    with np.errstate(divide="ignore"):
        steps = math.log(dots.generation) - np.log(out[1:])
    logP = np.concatenate([[0.0], np.cumsum(steps)])
    P = np.exp(logP - logP.max())
    P /= P.sum()
    return P, _shares(dots, P)


def relaxation_time(dots):
    """The slowest time constant of the approach to the steady state (s)."""
    ev = np.sort(np.abs(np.linalg.eigvals(_generator(dots)).real))
    return 1.0 / ev[1]


def rate_equations(dots, times, initial=None):
    """P_N(t) from ``initial`` (default: all dots empty) at ``times`` (exact: matrix exponential)."""
    from scipy.linalg import expm

    Q = _generator(dots)
    P0 = np.zeros(len(Q))
    if initial is None:
        P0[0] = 1.0
    else:
        initial = np.asarray(initial, float)
        P0[:len(initial)] = initial
    times = np.asarray(times, float)
    out = np.array([expm(Q * t) @ P0 for t in times])
    # decay shares over the run: ∫ rates dt, by the trapezoid rule on the samples
    N = np.arange(len(Q))
    integrals = {c: float(np.trapezoid(out @ r, times)) if len(times) > 1 else 0.0
                 for c, r in dots.rates(N).items()}
    total = sum(integrals.values())
    shares = {c: (v / total if total > 0 else 0.0) for c, v in integrals.items()}
    return Kinetics(time_s=times, populations=out, decay_shares=shares, mean_excitons=out @ N)


def monte_carlo(dots, end_time, time_step, size=20, samples=200, seed=0, initial_mean=0.0):
    """Kinetic Monte Carlo of size³ independent dots with a fixed ``time_step``.

    Per step each dot absorbs with probability G·dt and decays by one channel with probability
    rate·dt (both must be < 1: the first-order splitting error is O(dt)). ``initial_mean``: start
    from a Poisson occupation (a short pulse). Returns a :class:`Kinetics` sampled at ``samples``
    evenly spaced times, with event counts per channel as the decay shares.
    """
    rng = np.random.default_rng(seed)
    n_dots = size ** 3
    N = rng.poisson(initial_mean, n_dots) if initial_mean > 0 else np.zeros(n_dots, dtype=np.int64)
    steps = int(round(end_time / time_step))
    if dots.generation * time_step >= 1:
        raise ValueError(f"absorption probability per step {dots.generation * time_step:.3g} must be < 1")
    n_probe = np.arange(dots.n_max + 20)
    probe_total = sum(dots.rates(n_probe).values()) * time_step
    top = int(min(N.max(initial=0) + 20, n_probe[-1]))
    if probe_total[top] >= 1:
        raise ValueError(f"decay probability per step reaches {probe_total[top]:.3g} at N = {top}: "
                         "shorten the time step")
    sample_every = max(1, steps // samples)
    times, pops, counts = [0.0], [np.bincount(N, minlength=dots.n_max + 1)[:dots.n_max + 1] / n_dots], dict.fromkeys(CHANNELS, 0)
    channel_order = list(CHANNELS)
    for step in range(1, steps + 1):
        rates = dots.rates(N)
        p = np.stack([rates[c] for c in channel_order]) * time_step     # [channel, dot]
        cum = np.cumsum(p, axis=0)
        u = rng.random(n_dots)
        event = (u[None, :] >= cum).sum(axis=0)      # the channel that fired; len(channels): none
        decayed = event < len(channel_order)
        for i, c in enumerate(channel_order):
            counts[c] += int(np.count_nonzero(event == i))
        N = N - decayed
        N = N + (rng.random(n_dots) < dots.generation * time_step)
        if step % sample_every == 0:
            times.append(step * time_step)
            pops.append(np.bincount(np.minimum(N, dots.n_max), minlength=dots.n_max + 1) / n_dots)
    total = sum(counts.values())
    shares = {c: (v / total if total else 0.0) for c, v in counts.items()}
    pops = np.array(pops)
    return Kinetics(time_s=np.array(times), populations=pops, decay_shares=shares,
                    mean_excitons=pops @ np.arange(pops.shape[1]))
