"""Content verdicts of the health scan: JSON documents and history Parquet files.

:class:`ContentChecks` gives the content result of one file: reused while its
content key ``(mtime_ns, size, ino)`` is unchanged (in-process, across scans of
one scanner), else taken from the verdicts kept between processes
(``core.health.verdicts``, when the scanner has a state directory), else read
and judged (``checks_json`` / ``checks_parquet``). A JSON file over its cap is
never parsed, so the scan's memory stays bounded.
"""

from __future__ import annotations

import os

from core.health.checks_json import check_json, reuse_json
from core.health.checks_parquet import check_parquet, reuse_parquet
from core.health.limits import over_cap_finding, parse_cap
from core.health.scan_base import ScanBase
from core.health.state import CleanFile, ContentKey, ContentResult, Entry, clean_result
from core.health.walk import display_path
from core.standard.findings import Severity


class ContentChecks(ScanBase):
    """The content result of one JSON or Parquet file (see the module docstring)."""

    def _content_for(
        self,
        rel: str,
        st: os.stat_result,
        cache: dict[str, ContentResult],
        prev: Entry | None,
        *,
        json: bool,
        role: str | None,
    ) -> ContentResult:
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        cached = cache.get(rel)
        if cached is None and isinstance(prev, CleanFile) and prev == key:
            cached = clean_result(key)  # checked clean before and unchanged since
        if cached is not None and cached.key == key:
            if self._verdicts is not None:
                self._verdicts.keep(rel, st)
        else:
            cached = self._judge(rel, st, key, json=json, role=role)
        self._content[rel] = cached
        return cached

    def _judge(
        self, rel: str, st: os.stat_result, key: ContentKey, *, json: bool, role: str | None
    ) -> ContentResult:
        """Read and judge ``rel``, or reuse the verdict kept between processes for it."""
        display = display_path(rel)
        abs_path = f"{self.root}/{rel}"
        limit = min(parse_cap(rel), self._max_json_bytes)
        if json and st.st_size > limit:
            # never parsed: the scan's memory stays bounded whatever the tree holds
            over = over_cap_finding(display, st.st_size, limit, critical=role == "critical")
            return ContentResult(key, (over,), ok=False)
        verdicts = self._verdicts
        if verdicts is not None:
            kept = verdicts.get(rel, st)
            if kept is not None:
                reused = (
                    reuse_json(abs_path, rel, display, kept, st, max_bytes=self._max_json_bytes)
                    if json
                    else reuse_parquet(kept)
                )
                if reused is not None:
                    return reused
        if json:
            severity = Severity.CRITICAL if role == "critical" else Severity.WARNING
            # read at most the cap the size was checked against (a file may grow meanwhile)
            result = check_json(
                abs_path, rel, display, key, severity=severity, max_bytes=limit, expect=st
            )
        else:
            result = check_parquet(abs_path, rel, display, key, expect=st)
        if verdicts is not None:
            verdicts.put(rel, st, result)
        return result


__all__ = ["ContentChecks"]
