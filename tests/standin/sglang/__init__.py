"""Stand-in for SGLang (tests only): stdlib-only fakes of ``python3 -m sglang.launch_server`` and
``python3 -m sglang.compile_deep_gemm`` with the same endpoints, auth rules, log lines and
signal behaviour as SGLang 0.5.23, so the step code runs the same argv the plan produces.

Put ``tests/standin`` on PYTHONPATH *of the child only* (never of the test process).
"""

__version__ = "0.5.23"
