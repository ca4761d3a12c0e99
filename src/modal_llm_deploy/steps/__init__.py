"""Container steps: plain functions over paths.

Each step (download, compile, verify, serve) runs the same way inside a Modal container (where
the paths are volume mounts) and on a local machine through the CLI (where they are ordinary
directories). Nothing in this package imports ``modal``.
"""
