"""The one place that talks to Modal: the plan rendered into Modal objects, and back.

``render`` turns a plan's JSON into a ``modal.App`` (one option per plan field), ``runtime``
holds the module-level functions Modal runs in the containers (they read the plan from the
environment, reload/commit volumes and call the plain steps) and ``plan_cache`` stores a deploy
script's validated plan. May import every layer below it. Named so it can never shadow the
``modal`` package.
"""
