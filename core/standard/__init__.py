"""The storage standard's vocabulary: layout, permission policy, finding codes."""
