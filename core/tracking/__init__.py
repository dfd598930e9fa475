"""What the bot accumulates: performance snapshots and Parquet market history."""
