"""A collection in Milvus (a server, or Milvus Lite in a local file); imported only when one is asked for."""
