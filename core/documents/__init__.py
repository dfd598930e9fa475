"""JSON documents: schemas, migrations, the one validation path, recovery, the cache."""
