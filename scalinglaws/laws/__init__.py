"""The registry of laws: look a law up by name, list them, add one."""

from __future__ import annotations

from .._law import Law
from .chinchilla import CHINCHILLA
from .kaplan import KAPLAN
from .lr_schedule import MULTIPOWER, MULTIPOWER_EXACT, TISSUE, TISSUE_LAMBDA
from .power import POWER_C, POWER_D, POWER_N

__all__ = ["UnknownLawError", "get_law", "available_laws", "register"]

_REGISTRY: dict[str, Law] = {}


class UnknownLawError(KeyError, ValueError):
    def __str__(self) -> str:
        return str(self.args[0])


def register(law: Law) -> Law:
    """Add ``law`` to the registry (a second law of the same name is an error)."""
    if law.name in _REGISTRY and _REGISTRY[law.name] is not law:
        raise ValueError(f"a law named {law.name!r} is already registered")
    _REGISTRY[law.name] = law
    return law


def get_law(law: str | Law) -> Law:
    """The registered law of that name (a ``Law`` is returned as is)."""
    if isinstance(law, Law):
        return law
    try:
        return _REGISTRY[law]
    except KeyError:
        raise UnknownLawError(f"unknown law {law!r}; known laws: {', '.join(sorted(_REGISTRY))}") from None


def available_laws() -> dict[str, Law]:
    return dict(sorted(_REGISTRY.items()))


for _law in (CHINCHILLA, KAPLAN, POWER_N, POWER_D, POWER_C, TISSUE, TISSUE_LAMBDA, MULTIPOWER, MULTIPOWER_EXACT):
    register(_law)
