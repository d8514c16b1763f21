"""Answering questions from retrieved passages: query rewriting, retrieval triggers, passage filters,
a memory of earlier questions, readers that write cited answers, and the text generators they call
(``sleuth.rag.generators``: a local GGUF model or an OpenAI-compatible server).

Importing this package loads no model and no optional dependency; each stage does that on first use.
"""
