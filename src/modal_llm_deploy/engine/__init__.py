"""The pinned SGLang as data: what the engine accepts and does, read from its real source.

Every ``launch_server`` flag of each supported release (``flags``, generated from the real
parser by ``gen_flags``/``check`` into ``data/sglang/``), the caches it compiles into
(``caches``), the log lines that mark its start-up phases (``phases``), its multi-node
arguments (``ranks``), combinations known to fail or lose accuracy (``known_bad``) and the
local install check (``local``). Imports only ``base`` and ``data``; no Modal. A new engine
version starts here: generate its flag data, then move the profiles' ``engine.sglang_version``.
"""
