"""Test helpers (owned by tests/test_container_imports.py and tests/test_third_party_plugin.py)."""
