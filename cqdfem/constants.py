"""Reference values used as defaults across the package, each once, with where it comes from."""

ROOM_TEMPERATURE = 295.0        # K: ambient, reference of threshold laws and of dn/dT (seed 001 Methods)
PUMP_WAVELENGTH = 442e-9        # m: the diode pump of seed 001
EMISSION_WAVELENGTH = 640e-9    # m: the CQD emission of seed 001 (lasing at 643 nm)
