"""Finding -> fix: which recovery actions fit a finding, best first, defined once.

Every face reads this table: the TUI's ``a`` menu, footer hint, palette and
detail view, and the ``hint`` of ``check``, ``check --json`` and ``watch
--jsonl`` (the CLI command of the best fix, e.g. ``botstore restore
data/portfolio.json``). Adding an action is one :class:`ActionSpec` entry in
:data:`ACTIONS`; its position there is its priority.

A spec's ``fits`` looks at the finding and, when it must, at the tree (a
restore fits only when the ``.bak`` is a usable source): the predicates are in
:mod:`core.actions.fits`; this module pairs each with the :class:`Fix` it offers.
"""

from __future__ import annotations

import importlib
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from core.actions import fits
from core.actions.base import ActionError, Plan
from core.standard import layout
from core.standard.findings import Finding
from core.standard.layout import BACKUP_SUFFIX

if TYPE_CHECKING:
    from core.config import Config
    from core.health.grouping import FindingGroup

#: ``action``: a plan/apply action; ``log``: read the last lines of a log (nothing changes).
FixKind = Literal["action", "log"]
#: The log a file's writer appends to (the bot's supervisor writes every data file).
WRITER_LOG: Final = layout.SUPERVISOR_LOG


@dataclass(frozen=True, slots=True)
class Fix:
    """One concrete fix: what to show, the equivalent CLI command, how to build its plan."""

    action: str  # the spec's name (= the CLI subcommand for ``kind == "action"``)
    label: str
    command: str  # shell-quoted, ready to paste
    kind: FixKind = "action"
    path: str | None = None  # the file it works on (``log``: the log to show)
    planner: Callable[[], Plan] | None = field(default=None, repr=False, compare=False)
    destructive: bool = True
    remote: bool = False  # planning asks a server (the exchange): plan it off the UI thread

    def plan(self) -> Plan:
        if self.planner is None:
            raise ActionError(f"{self.action} has no plan: it only shows {self.path}")
        return self.planner()


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One action of the catalog.

    ``fits(root, finding)`` decides whether it repairs ``finding``; ``make(root,
    path, config)`` builds the :class:`Fix` (``path`` None: the tree-wide form, offered
    without a finding when ``tree_wide``), planned with ``config`` — the resolved
    configuration the scan used, so an action sees what the scan saw.
    """

    name: str
    title: str
    fits: Callable[[Path, Finding], bool]
    make: Callable[[Path, str | None, Config | None], Fix]
    tree_wide: bool = True


def _planner(name: str) -> Callable[..., Plan]:
    """``core.actions.<name>.plan``, imported on first use (``check`` needs no action module)."""

    def call(*args: object, **kwargs: object) -> Plan:
        plan: Plan = importlib.import_module(f"core.actions.{name}").plan(*args, **kwargs)
        return plan

    return call


def _cmd(*words: str) -> str:
    return " ".join(shlex.quote(w) for w in ("botstore", *words))


# ---------------------------------------------------------------- the entries


def _restore(root: Path, path: str | None, _config: Config | None = None) -> Fix:
    if path is None:
        raise ActionError("restore needs a file")
    return Fix(
        "restore",
        f"Restore {path} from its .bak",
        _cmd("restore", path),
        path=path,
        planner=lambda: _planner("restore")(root, path),
    )


def _refresh_backup(root: Path, path: str | None, _config: Config | None = None) -> Fix:
    if path is None:
        raise ActionError("refresh-backup needs a file")
    primary = fits.primary(path)
    return Fix(
        "refresh-backup",
        f"Write a fresh {primary}{BACKUP_SUFFIX} from the valid primary",
        _cmd("refresh-backup", primary),
        path=primary,
        planner=lambda: _planner("backup")(root, primary),
    )


def _fix_permissions(root: Path, path: str | None, config: Config | None = None) -> Fix:
    if path is None:
        return Fix(
            "fix-permissions",
            "Fix permissions (whole tree)",
            _cmd("fix-permissions"),
            planner=lambda: _planner("permissions")(root, config=config),
        )
    return Fix(
        "fix-permissions",
        f"Fix the mode of {path}",
        _cmd("fix-permissions"),
        path=path,
        planner=lambda: _planner("permissions")(root, only=[path], config=config),
    )


def _tree(
    name: str,
    label: str,
    planner: Callable[..., Plan],
    destructive: bool = True,
    configured: bool = True,
) -> Callable[[Path, str | None, Config | None], Fix]:
    """A tree-wide action; ``configured``: its planner takes the scan's ``config=``."""

    def make(root: Path, path: str | None, config: Config | None = None) -> Fix:
        def plan() -> Plan:
            return planner(root, config=config) if configured else planner(root)

        return Fix(name, label, _cmd(name), path=path, planner=plan, destructive=destructive)

    return make


def _config_file(config: Config | None) -> str | None:
    """The file the exchange actions read ``[exchange]`` from (the one the scan used)."""
    return None if config is None else config.source


def _rebuild_portfolio(root: Path, path: str | None, config: Config | None = None) -> Fix:
    return Fix(
        "rebuild-portfolio",
        "Rebuild the portfolio from the exchange",
        _cmd("rebuild-portfolio", "--from-exchange"),
        path=path or layout.PORTFOLIO,
        planner=lambda: _planner("rebuild_portfolio")(root, config=_config_file(config)),
        remote=True,
    )


def _refetch_history(root: Path, path: str | None, config: Config | None = None) -> Fix:
    if path is None:
        raise ActionError("refetch-history needs a history file")
    series = path.rpartition("/")[2].removesuffix(".parquet")
    return Fix(
        "refetch-history",
        f"Re-download {series} from the exchange",
        _cmd("refetch-history", series),
        path=path,
        planner=lambda: _planner("refetch_history")(root, [series], config=_config_file(config)),
        remote=True,
    )


def _show_log(root: Path, path: str | None, _config: Config | None = None) -> Fix:
    """A stale log: its own last lines; a stale data file: its writer's log."""
    del root
    log = path if path is not None and fits.is_log(path) else WRITER_LOG
    what = f" (writer of {path})" if path and log != path else ""
    return Fix(
        "show-log",
        f"Show the last lines of {log}{what}",
        f"tail -n 50 {shlex.quote(log)}",
        kind="log",
        path=log,
        destructive=False,
    )


ACTIONS: Final[tuple[ActionSpec, ...]] = (
    ActionSpec(
        "restore",
        "Restore a file from its .bak",
        fits.restorable,
        _restore,
        tree_wide=False,
    ),
    ActionSpec(
        "rebuild-portfolio",
        "Rebuild the portfolio from the exchange",
        fits.no_valid_portfolio_bak,
        _rebuild_portfolio,
        tree_wide=False,
    ),
    ActionSpec(
        "refetch-history",
        "Re-download market history from the exchange",
        fits.refetchable,
        _refetch_history,
        tree_wide=False,
    ),
    ActionSpec(
        "refresh-backup",
        "Write a fresh .bak from the valid primary",
        fits.backup_refreshable,
        _refresh_backup,
        tree_wide=False,
    ),
    ActionSpec(
        "fix-permissions",
        "Fix permissions",
        lambda _root, f: f.code == "permissions",
        _fix_permissions,
    ),
    ActionSpec(
        "clean-temp",
        "Remove leftover temp files",
        lambda _root, f: f.code == "temp_leftover",
        _tree("clean-temp", "Remove leftover temp files", _planner("temp")),
    ),
    ActionSpec(
        "migrate",
        "Migrate old versions",
        lambda _root, f: f.code == "version",
        _tree("migrate", "Migrate old versions", _planner("migrate")),
    ),
    ActionSpec(
        "cleanup",
        "Retention cleanup",
        lambda _root, f: f.code in {"retention", "disk"},
        _tree("cleanup", "Retention cleanup", _planner("cleanup")),
    ),
    ActionSpec(
        "snapshot",
        "Take a snapshot now",
        fits.stale_snapshots,
        _tree("snapshot", "Take a snapshot now", _planner("snapshot"), configured=False),
    ),
    ActionSpec(
        "reset-tracking",
        "Reinitialize performance tracking",
        lambda _root, f: f.path in fits.TRACKING and f.code in fits.RESTORABLE,
        _tree(
            "reset-tracking",
            "Reinitialize performance tracking",
            _planner("reset"),
            configured=False,
        ),
    ),
    ActionSpec(
        "show-log",
        "Show the writer's last log lines",
        fits.stale_json_or_log,
        _show_log,
        tree_wide=False,
    ),
    ActionSpec(
        "verify-backups",
        "Verify backups",
        lambda _root, f: f.code == "backup",
        _tree(
            "verify-backups", "Verify backups (read-only)", _planner("verify"), destructive=False
        ),
    ),
)
SPECS: Final = {spec.name: spec for spec in ACTIONS}


def fixes_for(root: Path | str, finding: Finding, config: Config | None = None) -> list[Fix]:
    """Every action that repairs ``finding``, best first (planned with ``config``)."""
    base = Path(root)
    path = None if finding.path in {"", "."} else finding.path
    return [spec.make(base, path, config) for spec in ACTIONS if spec.fits(base, finding)]


def best_fix(root: Path | str, finding: Finding, config: Config | None = None) -> Fix | None:
    fixes = fixes_for(root, finding, config)
    return fixes[0] if fixes else None


def group_fix(root: Path | str, group: FindingGroup, config: Config | None = None) -> Fix | None:
    """One fix for every path of a group of alike findings (``1,143 files at 644``): modes
    are fixed for exactly those paths; otherwise the best fix of its first finding."""
    base = Path(root)
    if group.code == "permissions":
        paths = list(group.paths)
        return Fix(
            "fix-permissions",
            f"Fix the mode of these {group.count:,} files",
            _cmd("fix-permissions"),
            planner=lambda: _planner("permissions")(base, only=paths, config=config),
        )
    members = group.findings()
    return best_fix(base, members[0], config) if members else None


def fixes_for_path(
    root: Path | str, path: str, findings: Iterable[Finding], config: Config | None = None
) -> list[Fix]:
    """The fixes of every finding on ``path`` (worst finding first), each action once."""
    seen: set[str] = set()
    out: list[Fix] = []
    for finding in sorted((f for f in findings if f.path == path), key=lambda f: -f.severity.rank):
        for fix in fixes_for(root, finding, config):
            if fix.action not in seen:
                seen.add(fix.action)
                out.append(fix)
    return out


def tree_actions(root: Path | str, config: Config | None = None) -> list[Fix]:
    """The actions offered without a finding (the whole tree), in catalog order."""
    base = Path(root)
    return [spec.make(base, None, config) for spec in ACTIONS if spec.tree_wide]


def hints(root: Path | str, findings: Iterable[Finding]) -> dict[tuple[str, str], str]:
    """``finding.key -> command`` of each finding's best fix (findings without one omitted)."""
    out: dict[tuple[str, str], str] = {}
    for finding in findings:
        fix = best_fix(root, finding)
        if fix is not None:
            out[finding.key] = fix.command
    return out


__all__ = [
    "ACTIONS",
    "SPECS",
    "WRITER_LOG",
    "ActionSpec",
    "Fix",
    "best_fix",
    "fixes_for",
    "fixes_for_path",
    "group_fix",
    "hints",
    "tree_actions",
]
