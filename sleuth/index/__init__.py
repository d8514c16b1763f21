"""Indexes derived from the docstore (lexical now; vectors later)."""
