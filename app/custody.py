"""Forældremyndighed: whether an adult has custody of a child, asked through one interface.

`custody_of(guardian_cpr, child_cpr)` answers CONFIRMED, DENIED or UNKNOWN from the source that
CUSTODY_SOURCE names: "simulator" (development and tests: the custodians the personas file lists
for its children) or None (production's default: no source, so every answer is UNKNOWN and a
clinic checks by hand). A real source, the CPR register's custody data, is one more function in
SOURCES that answers the same three words (README.md, "Custody of children (forældremyndighed)").
"""

from functools import cache

from flask import current_app

CONFIRMED, DENIED, UNKNOWN = "confirmed", "denied", "unknown"


def _digits(cpr: str) -> str:
    return cpr.replace("-", "")


@cache
def _simulator_register() -> dict[str, frozenset[str]]:
    # Imported here: the simulator's package is never loaded in production.
    from app.simulator.config import DEFAULT_IDENTITIES_FILE
    from app.simulator.identities import load_custody

    return load_custody(DEFAULT_IDENTITIES_FILE)


def simulator_custody(guardian_cpr: str, child_cpr: str) -> str:
    """The simulator's register: a child it lists has exactly the custodians listed."""
    custodians = _simulator_register().get(_digits(child_cpr))
    if custodians is None:
        return UNKNOWN  # a child the register does not know
    return CONFIRMED if _digits(guardian_cpr) in custodians else DENIED


SOURCES = {"simulator": simulator_custody}


def custody_of(guardian_cpr: str, child_cpr: str) -> str:
    """Whether the adult has custody of the child: CONFIRMED, DENIED or UNKNOWN."""
    source = SOURCES.get(current_app.config.get("CUSTODY_SOURCE") or "")
    return source(guardian_cpr, child_cpr) if source else UNKNOWN
