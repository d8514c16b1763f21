"""Where a collection lives: the embedded directory (default) or, for scale-out, Milvus (see docs/scale-out.md).

Importing this package loads neither pymilvus nor ray: :mod:`sleuth.backends.milvus` and
:mod:`sleuth.backends.ray_ingest` are imported only when a Milvus collection or Ray ingestion is asked for.
"""
