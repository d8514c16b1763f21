"""The document store: documents, passages and their metadata in one SQLite file, checksummed row by row.

Everything else is derived from it: the indexes (sleuth.index) are rebuilt from these rows, and a collection
(sleuth.store) binds one docstore to its indexes.
"""
