"""Re-download market history from the exchange (the standard's procedure 3).

A series ``data/historical/{ASSET}-{BASE}_{granularity}_{period}.parquet`` that
is missing or unreadable is downloaded for its whole period (up to the last
closed candle); one with gaps gets exactly the missing candles. The new
candles are merged with the readable old ones (dedup by timestamp, sorted,
the OHLCV schema, snappy) in memory during ``plan``; ``apply`` writes those
bytes through the transaction (old bytes quarantined first, atomic replace
under the series lock and the file lock the bot's writer takes). A failed or
interrupted download raises before any plan exists, so nothing is replaced.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.actions.base import Change, Plan, Result
from core.actions.locks import path_lock
from core.actions.planning import replace_step
from core.actions.protocol import execute
from core.actions.safety import fingerprint, lstat_beneath, real_root
from core.actions.txn import Transaction
from core.exchange.candles import Progress, Span, fetch_span, full_span, to_table
from core.exchange.client import ExchangeFailed, ExchangeUnavailable, call, open_client
from core.exchange.settings import (
    ExchangeSettings,
    load_credentials,
    load_settings,
    series_filename,
)
from core.standard.layout import HISTORICAL_DIR, QUARANTINE_DIR
from core.standard.policy import expected_file_mode
from core.tracking.history import (
    HistoryName,
    encode_ohlcv,
    merge_tables,
    parse_history_name,
    read_layout,
    scan_series,
    series_lock_path,
)

ACTION = "refetch-history"
#: Findings of a history file this action fits.
FITS_CODES = frozenset({"gap", "parquet", "missing"})


def fits(rel: str, codes: set[str]) -> bool:
    """Offer this action for ``rel``'s findings? (a standard history file with a gap,
    corrupt or missing)."""
    if not rel.startswith(HISTORICAL_DIR + "/") or not codes & FITS_CODES:
        return False
    try:
        parse_history_name(rel.rpartition("/")[2])
    except ValueError:
        return False
    return True


@dataclass(slots=True)
class _Target:
    name: HistoryName
    rel: str
    state: str  # "missing", "corrupt", "gaps", "ok"
    existing: Any = None  # pa.Table when readable
    layout: Any = None  # the readable file's pa.Schema: a merge is written back in it
    spans: list[Span] = field(default_factory=list)
    detail: str = ""


def _known_series(root: Any, cfg: ExchangeSettings) -> list[str]:
    """Existing files, ``exchange.series`` and history files seen in the quarantine."""
    names = set(cfg.series)
    with contextlib.suppress(OSError), os.scandir(root / HISTORICAL_DIR) as it:
        names |= {e.name for e in it if e.name.endswith(".parquet") and not e.name.startswith(".")}
    with contextlib.suppress(OSError), os.scandir(root / QUARANTINE_DIR) as it:
        for entry in it:
            with (
                contextlib.suppress(OSError),
                os.scandir(Path(entry.path) / HISTORICAL_DIR) as inner,
            ):
                names |= {e.name for e in inner if e.name.endswith(".parquet")}
    out = []
    for name in sorted(names):
        with contextlib.suppress(ValueError):
            out.append(parse_history_name(name).filename)
    return out


def _inspect(root: Any, filename: str, now: _dt.datetime) -> _Target:
    import pyarrow as pa

    from core.tracking.history import read_ohlcv

    name = parse_history_name(filename)
    rel = f"{HISTORICAL_DIR}/{name.filename}"
    st = lstat_beneath(root, rel)
    if st is None:
        return _Target(
            name,
            rel,
            "missing",
            spans=[full_span(name, now)],
            detail="missing: whole period downloaded",
        )
    try:
        table = read_ohlcv(root / rel)
    except (OSError, ValueError, pa.ArrowException) as exc:
        return _Target(
            name,
            rel,
            "corrupt",
            spans=[full_span(name, now)],
            detail=f"unreadable ({type(exc).__name__}): whole period downloaded",
        )
    try:
        layout = read_layout(root / rel)
    except (OSError, pa.ArrowException):
        layout = None  # then our own layout (the file was readable a moment ago)
    check = scan_series(table, name.granularity)
    if not check.gaps:
        return _Target(name, rel, "ok", existing=table, layout=layout)
    step = name.step_seconds * 1000
    spans = [
        Span(int(a.timestamp() * 1000), int(b.timestamp() * 1000) + step) for a, b in check.gaps
    ]
    return _Target(
        name,
        rel,
        "gaps",
        existing=table,
        layout=layout,
        spans=spans,
        detail=f"{len(spans)} gap(s), {check.missing} candle(s) missing",
    )


def _download(
    client: Any,
    cfg: ExchangeSettings,
    targets: list[_Target],
    result: Plan,
    *,
    payloads: dict[str, bytes],
    secrets: list[str],
    progress: Progress | None,
) -> int:
    """Fetch every target's spans, merge, add one step per series; returns candles fetched."""
    call(client, "loading markets", client.load_markets, secrets=secrets)
    fetched_total = 0
    for target in targets:
        step_ms = target.name.step_seconds * 1000
        total = sum(s.candles(step_ms) for s in target.spans)
        rows: list[list[float]] = []
        done = 0
        for span in target.spans:
            rows += fetch_span(
                client,
                target.name,
                span,
                done=done,
                total=total,
                progress=progress,
                secrets=secrets,
            )
            done += span.candles(step_ms)
        fetched_total += len(rows)
        new = to_table(rows)
        merged = new if target.existing is None else merge_tables(target.existing, new)
        payload = encode_ohlcv(merged, layout=target.layout)  # the bot's pandas layout kept
        left = scan_series(merged, target.name.granularity)
        before = fingerprint(result.root, target.rel)
        if before.kind not in {"file", "missing"}:
            result.errors.append(f"{target.rel} is a {before.kind}; refusing to replace it")
        if not rows:
            message = (
                f"{target.rel}: {cfg.id} returned no candles for "
                f"{target.name.asset}/{target.name.base} in the requested range"
            )
            if target.state == "gaps":
                result.notes.append(message + "; the gap stays")
                continue
            result.errors.append(message)
        elif left.missing:
            result.notes.append(
                f"{target.rel}: the exchange lacks {left.missing} candle(s) "
                "inside the series too; they stay a gap"
            )
        old_rows = target.existing.num_rows if target.existing is not None else 0
        result.diff.append(Change(f"{target.rel}: rows", str(old_rows), str(merged.num_rows)))
        payloads[target.rel] = payload
        mode = before.mode if before.exists else expected_file_mode(target.rel)
        result.steps.append(
            replace_step(
                target.rel,
                before,
                payload,
                mode,
                detail=f"{target.detail}; {len(rows)} candle(s) from {cfg.id}",
            )
        )
    return fetched_total


def plan(
    root: str | os.PathLike[str],
    series: list[str] | None = None,
    *,
    missing: bool = True,
    gaps: bool = True,
    settings: ExchangeSettings | None = None,
    config: str | os.PathLike[str] | None = None,
    now: _dt.datetime | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Download what the selected series lack and preview the merged files.

    ``series``: file names (``BTC-EUR_hour_180d[.parquet]``); default every known
    series. ``missing``/``gaps`` select which problems are fixed (missing also
    covers unreadable files). Raises :class:`ExchangeFailed` when a download fails.
    """
    base = real_root(root)
    cfg = settings or load_settings(base, config)
    moment = (now or _dt.datetime.now(_dt.UTC)).astimezone(_dt.UTC)
    names = [series_filename(s) for s in series] if series else _known_series(base, cfg)
    result = Plan(ACTION, base, params={"exchange": cfg.id, "series": names})
    wanted = ({"missing", "corrupt"} if missing else set()) | ({"gaps"} if gaps else set())
    targets: list[_Target] = []
    for filename in names:
        try:
            target = _inspect(base, filename, moment)
        except ValueError as exc:
            result.errors.append(str(exc))
            continue
        if target.state in wanted:
            targets.append(target)
        elif target.state != "ok":
            result.notes.append(f"{target.rel}: {target.state}; not selected")
    if not targets or result.errors:
        result.summary = "nothing to download" if not result.errors else "bad series name"
        return result
    credentials = load_credentials(cfg)
    secrets = credentials.secrets() if credentials else []
    payloads: dict[str, bytes] = {}
    try:
        with open_client(cfg, credentials) as client:
            fetched_total = _download(
                client, cfg, targets, result, payloads=payloads, secrets=secrets, progress=progress
            )
    except ExchangeUnavailable as exc:
        raise ExchangeFailed(str(exc)) from None
    result.params["_payloads"] = payloads
    result.summary = (
        f"{len(result.steps)} series to rewrite, {fetched_total} candle(s) downloaded from {cfg.id}"
    )
    return result


def apply(plan: Plan) -> Result:
    """Write each merged series (old bytes quarantined first) under the series lock."""
    plan.require(ACTION)
    payloads: dict[str, bytes] = plan.params["_payloads"]
    root = plan.root

    def work(tx: Transaction) -> None:
        for step in plan.steps:
            # The bot's merge_ohlcv holds the series lock across read-modify-write; taken
            # through the containment layer like every other change under the root.
            with path_lock(root, series_lock_path(step.path).as_posix()):
                tx.replace_previewed(step, payloads[step.path], "downloaded", step.mode_after)

    return execute(plan, work, audit_extra={"exchange": plan.params.get("exchange")})


__all__ = ["ACTION", "FITS_CODES", "apply", "fits", "plan"]
