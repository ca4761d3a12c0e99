"""Container-side entry points, at module scope so Modal can import them by name.

Modal refuses functions and classes that are not defined at module scope (unless pickled),
and in the container it imports the *defining module* — this one — not the user's deploy
script. So ``build_app`` registers these objects with the user's app, and the configuration
reaches the container as data: the plan's JSON in the ``MODAL_LLM_DEPLOY_PLAN`` env var.

Each body only adds what Modal needs around a plain step function from ``steps``: volume
reload/commit and secrets read from the environment. Imports are lazy so each image needs
only the packages its own steps use (the SGLang image has no hf_xet requirement, the
download image no SGLang); ``tests/test_container_imports.py`` proves it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import modal

from modal_llm_deploy.base.envvars import PLAN_ENV

# The plan's models (pydantic) are imported where a container uses them, not here: building an
# app imports this module for its function objects only (modal_adapter/plan_cache.py, bench_import.py).
if TYPE_CHECKING:
    from modal_llm_deploy.base.layout import KernelExpectation
    from modal_llm_deploy.plan.models import DeploymentPlan
    from modal_llm_deploy.steps.serve import SGLangSupervisor
    from modal_llm_deploy.steps.verify import Fixes


def current_plan() -> DeploymentPlan:
    raw = os.environ.get(PLAN_ENV)
    if not raw:
        raise RuntimeError(
            f"{PLAN_ENV} is not set: this function must be registered by modal_llm_deploy.build_app"
        )
    from modal_llm_deploy.plan.models import DeploymentPlan

    return DeploymentPlan.model_validate_json(raw)


def kernel_expectation(plan: DeploymentPlan) -> "KernelExpectation":
    """plan_steps.kernel_expectation (shared with the local CLI steps), imported when used."""
    from modal_llm_deploy.plan.step_args import kernel_expectation as expectation

    return expectation(plan)


def _volume(name: str) -> modal.Volume:
    return modal.Volume.from_name(name)


# (function, volume) pairs this container has already served a call with.
_SEEN: set[tuple[str, str]] = set()


def _refresh(fn: str, *names: str) -> None:
    """Make other containers' commits visible — only where a reload can show anything new.

    modal 1.6 ``volume.py`` (``_Volume`` docstring, ``reload``): a container sees a volume as
    it was *when mounted*, and ``reload()`` makes later commits visible; it "will fail if
    there are open files". The mount happens at container start, so on the first call a
    container runs, the mount already shows the latest commit and a reload is a needless RPC
    that can only fail. A function container can serve further calls later (Modal keeps it
    warm), and by then another container (the download, the compile) may have committed: so
    from the second call on, we reload. Read-only mounts included — ``with_mount_options(
    read_only=True)`` only makes the mount read-only (same file), it does not make it live.
    """
    for n in names:
        if (fn, n) in _SEEN:
            _volume(n).reload()
        else:
            _SEEN.add((fn, n))


def fixes_for(plan: DeploymentPlan) -> "Fixes":
    from modal_llm_deploy.steps.verify import Fixes

    return Fixes(download=plan.commands["download"], compile=plan.commands["compile"], repair=plan.commands["repair"])


def pinned_plan(plan: DeploymentPlan, weights_dir: Path, *, required: bool = False) -> DeploymentPlan:
    """The plan pinned to the commit the download recorded in the volume (plan/pinning.py)."""
    from modal_llm_deploy.plan.pinning import resolve_pinned_plan

    return resolve_pinned_plan(plan, weights_dir, fix=fixes_for(plan).download, required=required)


def volume_paths(plan: DeploymentPlan) -> tuple[Path, Path]:
    """(model directory in the weights volume, kernel-cache volume root) inside the container."""
    return Path(plan.weights.dir), Path(plan.kernel_cache.mount)


def _fail(err: Exception) -> None:
    """Turn a StepError into one clear line in the Modal log and a failed call."""
    from modal_llm_deploy.base.errors import StepError

    if isinstance(err, StepError):
        print(f"ERROR: {err}", file=sys.stderr, flush=True)
        raise SystemExit(err.exit_code) from None
    raise err


# --- 1. download (CPU) ------------------------------------------------------------------------


def download_model(update: bool = False, repair: bool = False) -> None:
    """Pull the profile's revision into the weights volume and record its commit; idempotent and
    resumable. ``--update``: the ref moved upstream and you want the new commit (swapped in once
    complete). ``--repair``: re-hash every file and re-fetch what differs (verify --deep's fix)."""
    from modal_llm_deploy.base.errors import StepError
    from modal_llm_deploy.steps.download import RetryPolicy, download_weights

    plan = current_plan()
    w = plan.weights
    vol = _volume(w.volume)
    vol.reload()
    try:
        download_weights(
            w.repo_id,
            w.revision,
            Path(w.dir),
            allow_patterns=w.allow_patterns,
            token=os.environ.get(w.token_env) or None,
            retry=RetryPolicy(attempts=w.attempts, delays_s=tuple(w.backoff_s)),
            max_workers=w.max_workers,
            # No mid-run vol.commit(): Modal's commit reloads afterwards, which fails while
            # partial files are open. Modal's background commits already persist finished
            # shards; we commit once below, after every file (and the lease) is closed.
            checkpoint=None,
            # A container killed mid-run leaves its lease behind (published by background
            # commits) and its successor runs on another host: take it over after 2 minutes
            # without a heartbeat instead of 30. max_containers=1 on the function already
            # stops Modal from running two downloads at once.
            lock_stale_after_s=120,
            update=update,
            repair=repair,
        )
    except StepError as err:
        vol.commit()  # keep finished shards; the missing COMPLETE marker says "not done"
        _fail(err)
    vol.commit()


# --- preflight (CPU, the HF secret; issue 16) ---------------------------------------------------


def preflight_hub() -> dict:
    """Preflight's Hub check with the profile's HF secret, for a user without a local token:
    the same plain function the CLI runs locally (operate/preflight/hub.py hub_probe). Returns
    JSON-able data; the token stays in this container."""
    from modal_llm_deploy.operate.preflight.hub import hub_probe

    w = current_plan().weights
    return hub_probe(w.repo_id, w.revision, os.environ.get(w.token_env) or None)


# --- 2. DeepGEMM kernels (profile's GPUs) ------------------------------------------------------


def compile_deepgemm(force: bool = False) -> None:
    """Pre-compile DeepGEMM kernels into the cache volume under this profile's kernel key."""
    from modal_llm_deploy.base.errors import StepError
    from modal_llm_deploy.steps.deepgemm import compile_deepgemm as compile_step

    plan = current_plan()
    if not plan.kernel_cache.enabled or plan.compile_argv is None:
        print("kernel_cache.deepgemm is off for this profile: nothing to compile", flush=True)
        return
    cache = _volume(plan.kernel_cache.volume)
    _refresh("compile_deepgemm", plan.weights.volume, plan.kernel_cache.volume)
    weights_dir, cache_root = volume_paths(plan)
    try:
        plan = pinned_plan(plan, weights_dir, required=True)  # the kernel key holds the recorded commit
    except StepError as err:
        _fail(err)
    argv = plan.compile_argv
    info = cluster_info(plan)
    if info is not None:  # multi-node: every rank runs the compile with its rank's arguments
        from modal_llm_deploy.steps.cluster import compile_worker, rank_argv

        argv = rank_argv(argv, plan.topology.rank_args, info, nodes=plan.topology.nodes,
                         port=_compile_port(argv))
        if info.rank > 0:
            try:
                from modal_llm_deploy.engine import caches
                from modal_llm_deploy.steps.serve import hold_work_dir, release_work_dir

                work = Path(plan.kernel_cache.work_dir)
                hold_work_dir(work)  # released after: a warm container may run the next compile
                try:
                    compile_worker(argv, env={**os.environ, **dict(caches.cache_env(work)), "HF_HUB_OFFLINE": "1"},
                                   marker_path=plan.kernel_cache.marker_path,
                                   timeout_s=plan.kernel_cache.compile_timeout_s + 600, force=force)
                finally:
                    release_work_dir(work)
            except StepError as err:
                _fail(err)
            return  # rank 0 publishes; see steps/cluster.py compile_worker
    try:
        kernel = kernel_expectation(plan)
        compile_step(
            argv=argv,
            weights_dir=weights_dir,
            cache_root=cache_root,
            kernel=kernel,
            revision=plan.weights.revision,
            fixes=fixes_for(plan),
            force=force,
            # the fixed container path the server restores the tree to (steps/caches.py)
            work_dir=Path(plan.kernel_cache.work_dir),
        )
    except StepError as err:
        # Keep what was compiled so far (no marker: verify still says "not compiled"), so a
        # re-run after fixing the cause compiles only what is missing.
        cache.commit()
        _fail(err)
    cache.commit()


def _compile_port(argv: list[str]) -> int:
    return int(argv[argv.index("--port") + 1])


def cluster_info(plan: DeploymentPlan):
    """This container's rank and the cluster's IPs for a multi-node plan, None for one node.

    modal 1.6.4 ``_cluster.py``: ``Cluster.from_context()`` (raises outside a clustered
    container), ``container_rank()``, ``container_ips(family=...)`` ordered by rank."""
    t = plan.topology
    if not t.cluster_size:
        return None
    from modal_llm_deploy.steps.cluster import ClusterInfo

    c = modal.Cluster.from_context()
    return ClusterInfo(rank=c.container_rank(), ips=tuple(c.container_ips(family=t.rank_args.address_family)))


# --- 3. verify (CPU) ---------------------------------------------------------------------------


def verify_setup(deep: bool = False) -> None:
    """Prove both volumes are complete before anyone pays for GPUs. ``--deep`` hashes every file."""
    from modal_llm_deploy.steps.verify import verify_setup as verify_step

    plan = current_plan()
    _refresh("verify_setup", plan.weights.volume, plan.kernel_cache.volume)
    plan = pinned_plan(plan, volume_paths(plan)[0])
    report = verify_step(
        *volume_paths(plan),
        revision=plan.weights.revision,
        # kernels are keyed by the recorded commit: with none recorded yet, the weights problems say what to run
        kernel=kernel_expectation(plan) if plan.weights.pinned else None,
        fixes=fixes_for(plan),
        deep=deep,
    )
    if not report.ok:  # verify_step already logged each problem with its fix command
        raise SystemExit(1)
    from modal_llm_deploy.steps.model_config import attention_heads_line

    a = plan.topology.attention  # issue 14: the stated head count the plan's padding figures rest on
    line = attention_heads_line(volume_paths(plan)[0], a.heads if a else None)
    if line:
        print(line, flush=True)


# --- 4. the server -----------------------------------------------------------------------------


WARMUP_RESERVE_S = 180


def _child_exited(code: int, last_lines: list[str]) -> None:
    # SGLang died: fail the whole container so Modal replaces it, instead of leaving a
    # container that answers every request with 502.
    from modal_llm_deploy.steps.serve import exit_status

    print(f"ERROR: SGLang exited with code {code}; last lines:", file=sys.stderr, flush=True)
    for line in last_lines[-20:]:  # already redacted by the supervisor
        print(f"  {line}", file=sys.stderr, flush=True)
    os._exit(exit_status(code) or 1)


def _worker_exited(code: int, last_lines: list[str]) -> None:
    # A rank ≥ 1's SGLang exits 0 when rank 0 broadcast its shutdown; anything else is a crash.
    if code == 0:
        print("SGLang on this rank stopped: rank 0 shut the cluster down", flush=True)
        os._exit(0)
    _child_exited(code, last_lines)


def _server_api_key(s) -> str | None:
    """The server's API key from its Modal secret (None without auth); a missing one is a StepError."""
    from modal_llm_deploy.base.errors import StepError

    api_key = None
    if s.auth == "api_key":
        api_key = os.environ.get(s.api_key_env)
        if not api_key:
            from modal_llm_deploy.plan.commands import extend, secret_create  # the printer, on this error path only

            raise StepError(
                f"Modal secret {s.api_key_secret!r} has no {s.api_key_env}: "
                f"{extend(secret_create(s.api_key_secret, [s.api_key_env]), '--force')}"
            )
    return api_key


def _serve_env(plan: DeploymentPlan, weights_dir: Path, cache_root: Path) -> dict[str, str]:
    """prepare_serve with the plan's arguments: the environment SGLang is started with."""
    from modal_llm_deploy.steps.serve import prepare_serve

    # Verifies the weights, refuses a missing kernel marker unless cold JIT is allowed,
    # and restores the key's tree from the read-only mount to the fixed work directory
    # the compile run built it at.
    return prepare_serve(
        weights_dir,
        cache_root,
        revision=plan.weights.revision,
        kernel=kernel_expectation(plan),
        fixes=fixes_for(plan),
        deepgemm=plan.kernel_cache.enabled,
        allow_cold_jit=plan.kernel_cache.allow_cold_jit,
        work_dir=Path(plan.kernel_cache.work_dir),
        # the image's SGLang must be the plan's release (engine/release.py: a digest or custom
        # image names none, so this is where it is checked)
        sglang=(plan.sglang_argv[0], plan.sglang_version),
    )


def _rank_argv(plan: DeploymentPlan, info) -> tuple[list[str], int, int]:
    """(argv, port, rank) of this container: the plan's own for one node, this rank's in a cluster."""
    s = plan.server
    argv, port, rank = plan.sglang_argv, s.port, 0
    if info is not None:
        from modal_llm_deploy.steps.cluster import rank_argv

        rank, port = info.rank, info.port(info.rank, s.port)
        argv = rank_argv(argv, plan.topology.rank_args, info, nodes=plan.topology.nodes, port=s.port)
    return argv, port, rank


def _new_supervisor(plan: DeploymentPlan, argv: list[str], env: dict[str, str], port: int, rank: int,
                    api_key: str | None, t0: float, budget: float) -> "SGLangSupervisor":
    """The (not yet started) supervisor for this rank's SGLang; ``budget`` seconds from ``t0`` to be warm."""
    from modal_llm_deploy.steps.serve import SGLangSupervisor, _flag_value

    s = plan.server
    return SGLangSupervisor(
        argv,
        env=env,
        port=port,
        # One budget for restore + load + warmup, inside Modal's startup_timeout, so our
        # error (with SGLang's last lines) is reported before Modal's own timeout.
        ready_timeout_s=max(60, budget - WARMUP_RESERVE_S - (time.monotonic() - t0)),
        warmup_timeout_s=WARMUP_RESERVE_S,
        # Modal hard-kills at exit_grace_period; keep a few seconds for our SIGKILL
        # of leftover SGLang workers (which would otherwise hold GPU memory).
        grace_s=max(5, s.exit_grace_period_s - 5),
        # ranks ≥ 1 serve only SGLang's dummy /health: no key to check there
        api_key=api_key if rank == 0 else None,
        served_model_name=s.served_name,
        on_child_exit=_child_exited if rank == 0 else _worker_exited,
        # our readiness probes dial where SGLang's --host is reached from inside (engine/bind.py)
        host=bind if (bind := _flag_value(argv, "--host")) is not None else "127.0.0.1",
    )


class SGLangServer:
    """SGLang's OpenAI-compatible server on the profile's port, supervised.

    Registered with ``app.server(...)``: Modal routes traffic to the port once ``start``
    returns, scales on concurrency, and calls ``stop`` on scale-down (graceful drain).
    """

    supervisor: "SGLangSupervisor"

    @modal.enter()
    def start(self) -> None:
        self.boot()

    @modal.exit()
    def stop(self) -> None:
        self.shutdown()

    def boot(self) -> None:
        """Verify the volumes, start SGLang, wait for /health, warm up, then watch it."""
        from modal_llm_deploy.base.errors import StepError
        from modal_llm_deploy.steps.phases import PhaseClock

        t0 = time.monotonic()
        plan = current_plan()
        s = plan.server
        budget = s.startup_timeout_s - 30
        phases = PhaseClock()  # issue 9: one structured line of cold-start phase timings
        try:
            # A missing key is a configuration error: say so before touching the volumes.
            api_key = _server_api_key(s)
            # No volume reload: @modal.enter runs once, right after the container mounted both
            # volumes, so the mounts already show the latest commits (see _refresh).
            weights_dir, cache_root = volume_paths(plan)
            plan = pinned_plan(plan, weights_dir, required=True)  # serve the recorded commit's kernels
            phases.mark("volume_check")
            env = _serve_env(plan, weights_dir, cache_root)
            phases.mark("kernel_cache_restore")
            # Multi-node (profile/topology.py, steps/cluster.py): this container's rank from Modal; rank 0
            # serves HTTP (Modal routes only to it), the others run SGLang's worker side.
            info = cluster_info(plan)
            argv, port, rank = _rank_argv(plan, info)
            self.supervisor = _new_supervisor(plan, argv, env, port, rank, api_key, t0, budget)
            self.supervisor.start()
            phases.attach(self.supervisor.child)  # times SGLang's own boot lines (steps/phases.py)
            self.supervisor.wait_ready()  # a crash while loading raises with the last lines
            if info is not None:
                self._wait_peers(info, s.port, rank, t0, budget)
            self.supervisor.monitor()  # from now on a crash ends the container
            if rank == 0:
                self.supervisor.warmup()
            phases.mark("warm")
            print(phases.line(), flush=True)
            for warning in phases.over_budget(plan.cold_start, plan.commands["logs_triage_cli"]) if plan.cold_start else []:
                print(warning, flush=True)
            if info is not None:
                self.peers.start()
        except StepError as err:
            sup = getattr(self, "supervisor", None)
            if sup is not None:
                sup.stop()  # e.g. after a ready timeout the child still holds the GPUs
            _fail(err)

    def _wait_peers(self, info, port: int, rank: int, t0: float, budget: float) -> None:
        """Multi-node: set up the heartbeat to the other ranks (``port``: the server's) and wait for them."""
        from modal_llm_deploy.steps.cluster import PeerWatch, peers_of

        self.peers = PeerWatch(peers_of(info, port), on_lost=self._peer_lost)
        left = max(30.0, budget - WARMUP_RESERVE_S - (time.monotonic() - t0))
        # rank 0: ready only when every rank is. rank ≥ 1: up once rank 0's HTTP port
        # answers at all, so that from then on the heartbeat can tell rank 0 died.
        self.peers.wait_up(left, self.supervisor.cancel, any_answer=rank > 0)

    def _peer_lost(self, rank: int, reason: str) -> None:
        # Another rank of this cluster is gone: SGLang here would hang in a collective (NCCL)
        # until its watchdog; end this container now so no half cluster stays up and Modal
        # replaces the group (steps/cluster.py module docstring).
        print(f"ERROR: cluster rank {rank} is gone ({reason}); ending this container", file=sys.stderr, flush=True)
        sup = getattr(self, "supervisor", None)
        if sup is not None:
            sup.kill()
        os._exit(1)

    def shutdown(self) -> None:
        """Graceful drain: SIGTERM, in-flight requests finish within the grace, then SIGKILL.

        Multi-node: the heartbeat stops first (a peer draining is not a peer lost). Rank 0's
        SGLang drains and broadcasts ShutdownReq to the other ranks; a rank ≥ 1 ignores SIGTERM
        (sglang 0.5.23 engine.py) and exits on that broadcast, within the grace."""
        peers = getattr(self, "peers", None)
        if peers is not None:
            peers.stop()
        sup = getattr(self, "supervisor", None)
        if sup is not None:
            sup.stop()


# --- 5. keep-warm schedule (CPU, issue 9) -------------------------------------------------------


def keep_warm() -> None:
    """Scheduled by ``modal.Cron``: set the server's min_containers to what the warm windows say
    now (``schedules.apply_schedule``). Each tick sets the whole truth, so a missed tick or a
    redeploy (which resets the autoscaler) is corrected by the next one."""
    from modal_llm_deploy.operate.keep_warm import apply_schedule

    plan = current_plan()
    # modal 1.6: Server.from_name(app, name).autoscaler.update(min_containers=...) (modal/_server.py)
    server = modal.Server.from_name(plan.app_name, plan.server.unit)
    target = apply_schedule(plan, server.autoscaler)
    print(f"keep-warm: {plan.app_name}/{plan.server.unit} min_containers={target}", flush=True)


# --- 6. in-region benchmark (CPU, SGLang image, issue 9) --------------------------------------


def _masked(text: str, hidden: list[str]) -> str:
    for h in hidden:
        text = text.replace(h, "***")
    return text


def _run_masked(argv: list[str], env: dict[str, str], hidden: list[str]) -> int:
    """Run ``argv``; its output goes to ours with each of ``hidden`` replaced by ***, because
    sglang/benchmark/serving.py prints its parsed args, --header values included (run_benchmark:
    ``print(f"benchmark_args={args}")`` and ``print(f"{args}\\n")``)."""
    import subprocess

    if not hidden:
        return subprocess.run(argv, env=env).returncode
    with subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace") as proc:
        for line in proc.stdout:
            sys.stdout.write(_masked(line, hidden))
            sys.stdout.flush()
        return proc.wait()


def bench(base_url: str, concurrency: list[int], input_len: int, output_len: int) -> list[dict]:
    """Run SGLang's serving benchmark against the server once per concurrency; append each
    JSONL record to the bench volume and return them (operate/bench.py builds the argv)."""
    import json

    from modal_llm_deploy.base.envvars import (
        PROXY_HEADERS,
        PROXY_KEY_ENV,
        PROXY_SECRET_ENV,
        PROXY_TOKEN_HELP,
        proxy_auth_headers,
    )
    from modal_llm_deploy.operate.bench import bench_argv, key_refused, proxy_refused

    plan = current_plan()
    s = plan.server
    env = dict(os.environ)
    proxy = None
    if s.modal_proxy_auth:  # Modal's proxy wants Modal-Key/Modal-Secret: from the proxy-token secret
        proxy = proxy_auth_headers(os.environ)
        if proxy is None:
            missing = "/".join(v for v in PROXY_HEADERS if not os.environ.get(v))
            from modal_llm_deploy.plan.commands import extend, secret_create  # the printer, on this error path only

            fix = (f"{extend(secret_create(s.proxy_auth_secret, [PROXY_KEY_ENV, PROXY_SECRET_ENV]), '--force')} "
                   f"({PROXY_TOKEN_HELP})" if s.proxy_auth_secret else
                   "the app was deployed without serving.proxy_auth_secret: set it and redeploy")
            where = f"Modal secret {s.proxy_auth_secret!r}" if s.proxy_auth_secret else "the bench container"
            print(f"ERROR: {where} has no {missing}: {fix}", file=sys.stderr, flush=True)
            raise SystemExit(2)
        refused = proxy_refused(base_url, proxy)
        if refused:
            print(f"ERROR: {refused}: {PROXY_KEY_ENV}/{PROXY_SECRET_ENV} in Modal secret {s.proxy_auth_secret!r} must "
                  f"be the ID and secret of a Proxy Auth Token of the server's workspace", file=sys.stderr, flush=True)
            raise SystemExit(2)
    if s.auth == "api_key":
        key = _unit_api_key(s)
        env["OPENAI_API_KEY"] = key  # sglang/benchmark/serving.py sends it as Bearer
        refused = key_refused(base_url, key, proxy=proxy)
        if refused:
            print(f"ERROR: {refused}: {s.api_key_env} in Modal secret {s.api_key_secret!r} must be the key the "
                  f"server was deployed with", file=sys.stderr, flush=True)
            raise SystemExit(2)
    _refresh("bench", plan.weights.volume)  # the tokenizer files
    # the results volume: the bench unit's one writable mount (plan._operate_units), where the plan mounts it
    mount = next(m for m in plan.unit("bench").volumes if not m.read_only)
    results = mount.volume
    out = Path(mount.path) / plan.app_name / f"{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    records = []
    hidden = list(proxy.values()) if proxy else []  # in argv (bench_argv's --header): never in a log line
    for c in concurrency:
        argv = bench_argv(plan, base_url, c, input_len, output_len, str(out), headers=proxy)
        print(f"bench: concurrency {c}: {_masked(' '.join(argv), hidden)}", flush=True)
        before = out.read_text().count("\n") if out.exists() else 0
        rc = _run_masked(argv, env, hidden)
        lines = out.read_text().splitlines() if out.exists() else []
        if rc != 0 or len(lines) <= before:
            print(f"ERROR: bench_serving failed at concurrency {c} (exit {rc})", file=sys.stderr, flush=True)
            raise SystemExit(1)
        records.append(json.loads(lines[-1]))
    _volume(results).commit()
    print(f"bench: results in volume {results}:{out.relative_to(mount.path)}", flush=True)
    return records


# --- 7. in-region accuracy gate (CPU, SGLang image, issue 17) ----------------------------------


def _unit_api_key(s) -> str:
    """The server's API key from the unit's Modal secret (bench, eval); exit 2 with the printer's
    line that creates the secret when the variable is missing (never a score or a benchmark)."""
    key = os.environ.get(s.api_key_env)
    if not key:
        from modal_llm_deploy.plan.commands import secret_create  # the printer, on this error path only

        print(f"ERROR: Modal secret {s.api_key_secret!r} has no {s.api_key_env}: "
              f"{secret_create(s.api_key_secret, [s.api_key_env], force=True)}", file=sys.stderr, flush=True)
        raise SystemExit(2)
    return key


def _eval_credentials(plan: DeploymentPlan) -> tuple[str | None, dict[str, str] | None]:
    """The API key and the Modal proxy headers from the eval unit's secrets; exit 2 naming the
    secret when one is missing (never a score)."""
    from modal_llm_deploy.base.envvars import PROXY_HEADERS, proxy_auth_headers

    s = plan.server
    proxy = None
    if s.modal_proxy_auth:
        proxy = proxy_auth_headers(os.environ)
        if proxy is None:
            missing = "/".join(v for v in PROXY_HEADERS if not os.environ.get(v))
            where = f"Modal secret {s.proxy_auth_secret!r}" if s.proxy_auth_secret else "the eval container"
            print(f"ERROR: {where} has no {missing}: set serving.proxy_auth_secret to a secret holding the "
                  "proxy token and redeploy", file=sys.stderr, flush=True)
            raise SystemExit(2)
    key = None
    if s.auth == "api_key":
        key = _unit_api_key(s)
    return key, proxy


EVAL_DATA_DIR = "eval-data"  # on the bench volume: <eval>.jsonl, used instead of the harness's download


def eval_accuracy(base_url: str, tier: str = "quick") -> dict:
    """Run the accuracy gate's ``tier`` against the server (operate/evalgate.py ``run_gate``:
    SGLang's own run_eval through the counting relay); write the record next to the bench
    results on the bench volume and return it. The verdict is in the record; the CLI exits on it."""
    import json

    from modal_llm_deploy.operate.evalgate import python_of, run_gate
    from modal_llm_deploy.plan.cost import replica_usd_per_hour

    plan = current_plan()
    t = getattr(plan.accuracy, tier, None) if plan.accuracy is not None else None
    if t is None:
        print(f"ERROR: the profile has no accuracy.{tier} tier", file=sys.stderr, flush=True)
        raise SystemExit(2)
    key, proxy = _eval_credentials(plan)
    mount = next(m for m in plan.unit("eval").volumes if not m.read_only)
    _refresh("eval_accuracy", mount.volume)
    # Pinned data, when the user put it on the volume (docs/accuracy.md); else run_eval fetches
    # GSM8K's test file itself (sglang/test/simple_eval_mixed_prefix_gsm8k.py GSM8K_URL).
    data = Path(mount.path) / EVAL_DATA_DIR / f"{t.eval}.jsonl"
    rec = run_gate(profile=plan.profile, tier_name=tier, tier=t, base_url=base_url, model=plan.server.served_name,
                   python=python_of(plan.sglang_argv), key=key, target_concurrency=plan.server.target_concurrency,
                   proxy=proxy, data_path=str(data) if data.is_file() else None,
                   usd_per_hour=replica_usd_per_hour(plan))
    out = Path(mount.path) / plan.app_name / "eval" / f"{time.strftime('%Y%m%d-%H%M%S')}-{tier}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rec.as_dict(), indent=2))
    _volume(mount.volume).commit()
    print(f"eval: {rec.verdict}: record in volume {mount.volume}:{out.relative_to(mount.path)}", flush=True)
    return rec.as_dict()
