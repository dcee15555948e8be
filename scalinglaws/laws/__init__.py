"""The registry of laws and of law factories: look a law up by name, list them, add one, rebuild one from JSON.

A *factory* makes laws at run time from arguments (``power_law("my_column")``, ``tissue_law(lam=0.99)``, a law with
fixed or tied parameters). A law it makes carries ``spec = {"factory": name, "args": {...}}``, so a result of
such a law reloads from JSON in a new process without the law ever being registered.
"""

from __future__ import annotations

import json
from typing import Callable, Mapping

from .._errors import InputError
from .._law import Law, constrain, law_reference
from .chinchilla import CHINCHILLA
from .data_constrained import DATA_CONSTRAINED
from .downstream import DOWNSTREAM_LAWS, cod_law
from .hyper import HYPER_LAWS
from .kaplan import KAPLAN
from .lr_schedule import MULTIPOWER, MULTIPOWER_EXACT, TISSUE, TISSUE_LAMBDA, multipower_law, tissue_law
from .power import POWER_C, POWER_D, POWER_N, power_law
from .formula import _formula_law, formula_law
from .sparse import SPARSE

__all__ = ["UnknownLawError", "get_law", "available_laws", "applicable_laws", "register", "unregister",
           "register_factory",
           "law_from_reference", "law_reference"]

_REGISTRY: dict[str, Law] = {}
_FACTORIES: dict[str, Callable[..., Law]] = {}
_BUILT: dict[str, Law] = {}


class UnknownLawError(KeyError, InputError):
    def __str__(self) -> str:
        return str(self.args[0])


def register(law: Law) -> Law:
    """Add ``law`` to the registry (a second law of the same name is an error)."""
    if law.name in _REGISTRY and _REGISTRY[law.name] is not law:
        raise ValueError(f"a law named {law.name!r} is already registered")
    _REGISTRY[law.name] = law
    return law


def unregister(name: str) -> None:
    """Remove a law from the registry (for tests and sessions that registered their own)."""
    _REGISTRY.pop(name, None)


def register_factory(name: str, factory: Callable[..., Law]) -> Callable[..., Law]:
    """Make ``factory(**args)`` available to :func:`law_from_reference` under ``name``."""
    if name in _FACTORIES and _FACTORIES[name] is not factory:
        raise ValueError(f"a law factory named {name!r} is already registered")
    _FACTORIES[name] = factory
    return factory


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


def applicable_laws(table) -> dict[str, Law]:
    """The registered laws that a run table's columns allow: every column a law reads is present, and every
    per-run series it needs is attached (an LR schedule counts as available when the table logs ``step`` and
    ``lr``, from which :func:`scalinglaws.curves.schedules_from_lr` builds it)."""
    out = {}
    for name, law in available_laws().items():
        if not all(c in table for c in law.columns):
            continue
        series_ok = all(table.series.get(s) or (s == "lr" and "lr" in table and "step" in table) for s in law.series)
        if series_ok:
            out[name] = law
    return out


def law_from_reference(ref: Mapping | str) -> Law:
    """The law a result's JSON names: by its factory spec when it has one, else the registered law of that name."""
    if isinstance(ref, str):
        return get_law(ref)
    spec = ref.get("spec")
    name = ref.get("name")
    if spec is None or (name in _REGISTRY and _REGISTRY[name].spec == spec):
        return get_law(name)
    key = json.dumps(spec, sort_keys=True)
    if key in _BUILT:  # one Law object per spec, so that jit does not compile the same law twice
        return _BUILT[key]
    factory = _FACTORIES.get(spec.get("factory"))
    if factory is None:
        raise UnknownLawError(f"law {ref.get('name')!r} was made by factory {spec.get('factory')!r}, which is not "
                              f"registered; known factories: {', '.join(sorted(_FACTORIES))}")
    law = factory(**spec.get("args", {}))
    if law.name != ref.get("name", law.name):
        raise InputError(f"factory {spec['factory']!r} made law {law.name!r}, not {ref['name']!r}")
    _BUILT[key] = law
    return law


def _constrained(base, fixed, tied) -> Law:
    return constrain(law_from_reference(base), fixed=fixed, tied=tied)


register_factory("power", power_law)
register_factory("formula", _formula_law)
register_factory("tissue", tissue_law)
register_factory("multipower", multipower_law)
register_factory("constrained", _constrained)
register_factory("cod", cod_law)
for _law in (CHINCHILLA, DATA_CONSTRAINED, KAPLAN, POWER_N, POWER_D, POWER_C, TISSUE, TISSUE_LAMBDA, MULTIPOWER,
             MULTIPOWER_EXACT, *DOWNSTREAM_LAWS, *HYPER_LAWS, SPARSE):
    register(_law)
