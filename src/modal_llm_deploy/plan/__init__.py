"""Profile → plan: the whole deployment as pure, JSON-serialisable data; no Modal.

The plan's models (``models``), ``build_plan`` composing one small builder per part
(``build``): container units (``units``), images (``images``), SGLang argv and kernel key
(``argv``), cost and prices (``cost``), the keep-warm cron (``schedules``); the one printer
of every command a user is told to run (``commands``); resolving a ref to its commit
(``pinning``) and what the steps need from a plan (``step_args``). Imports ``profile``,
``engine`` and ``base``. A new container unit is a builder in ``units`` and one line in
``build``.
"""
