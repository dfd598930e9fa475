"""The storage standard's vocabulary, one source each: layout (paths, ``.bak``, ``botstore.toml``),
permission policy, finding codes, timestamps, durations and sizes, frequencies, format version."""
