"""Tokenisation shared by the lexical index, query parsing and snippet highlighting."""

from sleuth.text.analyzer import Analyzer, Token

__all__ = ["Analyzer", "Token"]
