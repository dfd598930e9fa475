"""Durable files: names, locks, the JSON codec, the write protocol, reads, and containment.

Import-light on purpose (no module is imported here); import from the module:

- :mod:`core.storage.names` — temp/lock/backup names and suffixes (``BACKUP_SUFFIX``,
  ``is_temp_name``, ``is_lock_name``, ``backup_path``, ``lock_path``, ``PathLike``);
- :mod:`core.storage.lock` — ``file_lock`` (``flock`` on ``.<name>.lock``, reentrant per
  thread), ``flock_exclusive`` (the one lock wait), the lock file's dirty mark;
- :mod:`core.storage.codec` — ``dumps`` and ``parse_json``, the one JSON encoder/decoder;
- :mod:`core.storage.fsops` — ``fsync_dir`` (the one directory fsync), ``write_all``,
  ``ensure_dir``;
- :mod:`core.storage.write` — the write protocol: ``atomic_write``, ``atomic_write_bytes``,
  ``write_json`` (temp, link old, commit, rotate ``.bak``, sync dir);
- :mod:`core.storage.read` — ``read_bytes``, ``read_json`` (never blocks, typed errors);
- :mod:`core.storage.rootfs` — the descriptor-based containment layer every action
  change goes through (package: ``dirfd``, ``locks``, ``paths``).

Layering inside: names < fsops < lock < codec < read < write; rootfs uses names,
fsops and lock. The bot's old path ``core.atomic`` re-exports the public names.
"""
