"""The embedded collection store: a directory with meta.json, a SQLite docstore and index files."""
