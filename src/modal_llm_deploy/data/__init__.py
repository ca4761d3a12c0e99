"""Data shipped with the library (Python modules, so Modal's add_local_python_source mounts them)."""
