"""The HTTP API and the web page: ``create_app(collection_dir)`` returns a FastAPI application."""

from sleuth.server.app import create_app

__all__ = ["create_app"]
