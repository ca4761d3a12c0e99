"""Talking to a live deployment: smoke checks and the serving benchmark over HTTP
(``smoke``, ``bench``), recognising known failures in its logs (``triage``) and the
keep-warm cron's body (``keep_warm``, given Modal's autoscaler by its caller). Imports the
plan, steps and everything below; never Modal itself (the CLI and the adapter pass Modal's
objects in). A new operate command gets a module here and a thin command in ``cli/operate``.
"""
