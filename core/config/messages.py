"""A pydantic ``ValidationError`` of ``botstore.toml`` as the one sentence an operator reads.

The sentences are botstore's, not pydantic's (they are the CLI's messages, and tests
check them): ``<file>: unknown section 'snapshot' (did you mean 'snapshots'?); known:
…``, ``<file>: thresholds.size_max_mb: warning must be >= 0 (0 turns that level off)``,
``<file>: unknown [cloud] key(s) ['bukket'] (did you mean 'bucket'?); known: […]``.
Threshold pairs are addressed by their dotted path (``overrides.'logs/*'.size_max_mb``),
other tables' keys inside the sentence (``snapshots.gap_factor must be …``). The words
come from each model's class variables (:class:`core.config.models.Table`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.config.models import TABLES, BotstoreToml, Pair, Table, Thresholds
from core.config.resolved import ConfigError, did_you_mean

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from pydantic import ValidationError
    from pydantic_core import ErrorDetails

#: Error types that mean "this value has the wrong type" (not "a wrong value").
_TYPE_ERRORS = frozenset({"float_type", "int_type", "bool_type", "string_type", "list_type"})


def _unknown(kind: str, found: Iterable[str], known: Iterable[str]) -> str:
    """``unknown <kind> 'x' (did you mean 'y'?); known: ...`` for the first unknown key."""
    names = sorted(known)
    key = sorted(found)[0]
    return f"unknown {kind} {key!r}{did_you_mean(key, names)}; known: {', '.join(names)}"


def _unknown_listed(kind: str, found: Iterable[str], known: Iterable[str]) -> str:
    """``unknown [cloud] key(s) ['a', 'b'] (did you mean 'x'?); known: [...]``."""
    keys, names = sorted(found), sorted(known)
    return f"unknown {kind} {keys}{did_you_mean(keys[0], names)}; known: {names}"


def _dotted(loc: Sequence[int | str]) -> str:
    """``thresholds.size_max_mb``, ``overrides.'logs/*'.stale_seconds``."""
    parts = [str(part) for part in loc]
    if loc and loc[0] == "overrides" and len(loc) > 1:
        parts[1] = repr(loc[1])
    return ".".join(parts)


def _phrase(model: type[Table], key: str, error: ErrorDetails) -> str:
    """What ``key`` of ``model`` must be, for this error (``{got}``: the given value's type)."""
    typed = model.must_type if error["type"] in _TYPE_ERRORS else {}
    phrase = typed.get(key) or typed.get("*") or model.must.get(key) or model.must.get("*", "valid")
    return phrase.format(got=type(error.get("input")).__name__)


def _pair_error(source: str, loc: Sequence[int | str], error: ErrorDetails) -> ConfigError:
    """An error inside ``[thresholds]`` or ``[overrides."glob"]``."""
    kind = error["type"]
    depth = 2 if loc[0] == "overrides" else 1  # where the Thresholds table sits
    if loc[0] == "overrides" and len(loc) == 1:
        return ConfigError(source, "[overrides] must be a table of glob -> thresholds")
    rel = loc[depth:]
    where = f"{source}: {_dotted(loc)}"
    if len(rel) == 0:
        return ConfigError(where, Thresholds.not_a_table)
    if len(rel) == 1:
        if kind == "extra_forbidden":
            return ConfigError(
                where, _unknown(Thresholds.kind, [str(rel[0])], Thresholds.model_fields)
            )
        return ConfigError(where, Pair.not_a_table)
    where = f"{source}: {_dotted(loc[:-1])}"
    level = str(rel[1])
    if kind == "extra_forbidden":
        return ConfigError(where, _unknown(Pair.kind, [level], Pair.model_fields))
    return ConfigError(where, f"{level} must be {_phrase(Pair, level, error)}")


def _table_error(
    source: str, loc: Sequence[int | str], error: ErrorDetails, errors: list[ErrorDetails]
) -> ConfigError:
    """An error in ``ignore`` or in a table whose keys are named in the sentence."""
    name = str(loc[0])
    if name == "ignore":
        return ConfigError(source, "ignore must be a list of glob strings")
    model = TABLES[name]
    if len(loc) == 1:
        return ConfigError(source, model.not_a_table)
    key = str(loc[1])
    if error["type"] == "extra_forbidden":
        if model.kind.startswith("["):  # [cloud]/[exchange]: every unknown key listed
            found = [
                str(e["loc"][1])
                for e in errors
                if e["type"] == "extra_forbidden" and e["loc"][:1] == (name,)
            ]
            return ConfigError(source, _unknown_listed(model.kind, found, model.model_fields))
        return ConfigError(source, _unknown(model.kind, [key], model.model_fields))
    return ConfigError(source, f"{name}.{key} must be {_phrase(model, key, error)}")


def config_error(exc: ValidationError, source: str, table: str | None = None) -> ConfigError:
    """The :class:`ConfigError` for the first problem of ``exc`` (unknown keys first: they
    are the usual typo); ``table`` names the table validated on its own, if any."""
    prefix: tuple[str, ...] = () if table is None else (table,)
    errors: list[ErrorDetails] = []
    for error in exc.errors(include_url=False):
        error["loc"] = (*prefix, *error["loc"])
        errors.append(error)
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    error = errors[0]
    loc = error["loc"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if error["type"] == "inverted":
        return ConfigError(f"{source}: {_dotted(ctx['at'])}", str(ctx["reason"]))
    if not loc:
        return ConfigError(source, "must be a table of sections")
    if len(loc) == 1 and error["type"] == "extra_forbidden":
        return ConfigError(
            source, _unknown(BotstoreToml.kind, [str(loc[0])], BotstoreToml.model_fields)
        )
    if loc[0] in ("thresholds", "overrides"):
        return _pair_error(source, loc, error)
    return _table_error(source, loc, error, errors)


__all__ = ["config_error"]
