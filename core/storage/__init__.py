"""Durable files: the write protocol, locks, reads, and the descriptor-based containment layer."""
