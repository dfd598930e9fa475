"""Text that leaves botstore: control characters escaped, secrets redacted."""
