"""The library's version, one place (pyproject.toml must agree: tests/test_cli.py)."""

__version__ = "0.1.0"
