"""What a user writes: the ``Profile`` model and everything that produces one.

The sections and the profile with its cross-field rules (``sections``, ``model``), the
topology a profile implies (``topology``: its validation needs it), keep-warm windows as
written (``windows``), overrides from ``--set``/TOML/environment (``overrides``), plugin
discovery with pluggy (``hookspecs``, ``plugins``) and ``load_profile`` (``loader``). Imports
``engine`` and ``base`` only; no Modal, no plan.
"""
