"""MitID simulator: a real OpenID Connect provider that behaves like the MitID broker."""

from .dev import add_identity, set_assurance, set_fault, set_outage
from .factory import create_simulator_app
from .identities import IdentityError, subject_for
from .server import SimulatorServer, serve_simulator
from .store import ID_TOKEN_FAULTS, DuplicateIdentityError

__all__ = [
    "ID_TOKEN_FAULTS",
    "DuplicateIdentityError",
    "IdentityError",
    "SimulatorServer",
    "add_identity",
    "create_simulator_app",
    "serve_simulator",
    "set_assurance",
    "set_fault",
    "set_outage",
    "subject_for",
]
