"""The bounded content probe of a Parquet history file: does its last row group decode?

A footer can be intact while the pages behind it are garbage. The probe decodes
the last non-empty row group, verifying page checksums where the writer stored
them, and never more than :data:`PROBE_MAX_ROWS` rows, batch by batch, so the
allocation never follows the footer's claims. The health scan
(``core.health.checks_parquet``) and the cloud sync/restore validation
(``core.cloud.restore``) use the same probe; it sits in the tracking layer so
both may.
"""

from __future__ import annotations

import os
import stat
from typing import IO, Final

from core.tracking.history import PRICE_COLUMNS, time_column

#: Probe bounds: at most this many rows of the last row group are decoded, in batches —
#: a footer claiming 2**40 rows is never read blindly.
PROBE_MAX_ROWS: Final = 1 << 20
PROBE_BATCH_ROWS: Final = 1 << 16


def probe_content(abs_path: str, claimed_rows: int | None) -> str | None:
    """Decode the last non-empty row group (bounded); a problem string or None when it reads.

    Page CRCs are verified when the writer stored them. At most
    :data:`PROBE_MAX_ROWS` rows are decoded, batch by batch, so the allocation
    never follows the footer's claims.
    """
    if not claimed_rows:
        return None
    try:
        fd = os.open(abs_path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError as exc:
        return f"cannot open: {exc.strerror or exc}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return probe_handle(handle, claimed_rows)
    finally:
        os.close(fd)


def probe_handle(handle: IO[bytes], claimed_rows: int | None) -> str | None:
    """:func:`probe_content` on an open binary file (bytes in memory, a file being synced)."""
    if not claimed_rows:
        return None
    try:
        import pyarrow.parquet as pq  # lazy: only trees with history files pay for pyarrow

        pf = pq.ParquetFile(handle, page_checksum_verification=True)
        meta = pf.metadata
        groups = [g for g in range(meta.num_row_groups) if meta.row_group(g).num_rows]
        if not groups:
            return None
        last = groups[-1]
        columns = [time_column(meta), *PRICE_COLUMNS]
        present = {meta.schema.column(i).path for i in range(meta.num_columns)}
        wanted = [c for c in columns if c in present]
        read = 0
        for batch in pf.iter_batches(
            batch_size=PROBE_BATCH_ROWS,
            row_groups=[last],
            columns=wanted,
            use_pandas_metadata=False,
        ):
            read += batch.num_rows
            if read >= PROBE_MAX_ROWS:
                break
        claimed = meta.row_group(last).num_rows
        if read == 0 or (read < PROBE_MAX_ROWS and read != claimed):
            return f"last row group decodes {read} of the {claimed} rows its footer claims"
    except Exception as exc:  # noqa: BLE001 - pyarrow raises OSError/ArrowInvalid/...
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


__all__ = ["PROBE_BATCH_ROWS", "PROBE_MAX_ROWS", "probe_content", "probe_handle"]
