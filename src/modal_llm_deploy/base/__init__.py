"""The floor: facts and contracts every other layer shares, and nothing else.

The GPU table and prices (``hardware``), the environment variables the library reads and
sets (``envvars``), the on-volume layout the steps write and the plan and verify read
(``layout``: state directory, manifest, completion and kernel markers), the one error a user
can act on (``errors``) and the version. Imports nothing from the library; no Modal.
"""
