"""The weights repo, read with the user's token where it lives: access, the revision resolved to
a commit, and the repo's small files (``config.json``, ``model.safetensors.index.json``, the chat
template). Never a weight file.

``hub_probe`` is a plain function returning JSON-able data: the CLI calls it locally when a
Hugging Face token is on this machine, and the ``preflight_hub`` Modal unit calls the same
function in a CPU container with the profile's HF secret otherwise
(modal_adapter/runtime.py ``preflight_hub``). ``hub_rows`` turns its answer into checklist rows.

Client calls (huggingface_hub 2.4): ``HfApi.model_info(repo, revision=ref)`` → ``.sha`` and the
file list (``siblings``); ``hf_hub_download(repo, name, revision=<sha>)`` for each small file.
Errors, most specific first (huggingface_hub/errors.py: ``GatedRepoError`` is a
``RepositoryNotFoundError``, all are ``HfHubHTTPError``).
"""

from __future__ import annotations

import json
import tempfile
from typing import Any

from modal_llm_deploy.operate.preflight.rows import Row, fail, info, ok

CONFIG = "config.json"
INDEX = "model.safetensors.index.json"
TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json")
TOKENIZER_CONFIG = "tokenizer_config.json"
SMALL_FILES = (CONFIG, INDEX, *TEMPLATE_FILES, TOKENIZER_CONFIG)
MAX_SMALL_FILE = 16 * 1024 * 1024  # an index of a 1 TB model is ~2 MB; never read anything larger
# huggingface_hub 2.4 sends requests with no timeout unless given one (HfApi.model_info(timeout=None)
# by default): a network that drops packets would hang preflight. hf_hub_download bounds its
# metadata request with etag_timeout (10 s by default); the small bodies follow.
API_TIMEOUT_S = 20.0


def _access_error(exc: BaseException, repo: str, ref: str, token_given: bool) -> tuple[str, str]:
    """(kind, words) for a failed model_info."""
    from huggingface_hub import errors as e

    resp = getattr(exc, "response", None)
    status = getattr(resp, "status_code", None)
    if isinstance(exc, e.GatedRepoError):
        if not token_given:
            return "gated", f"{repo} is gated and no token was sent (HTTP {status})"
        return "gated", f"{repo} is gated and this token's account has not been granted access (HTTP {status})"
    if isinstance(exc, e.RevisionNotFoundError):
        return "revision_not_found", f"revision '{ref}' does not exist in {repo} (HTTP {status})"
    if isinstance(exc, e.RepositoryNotFoundError):
        if status == 401 and token_given:
            return "token_refused", "the Hub refused the token (HTTP 401): it is invalid, expired or revoked"
        return "not_found", (f"{repo} was not found (HTTP {status}): it does not exist, or it is private and "
                             f"{'this token cannot see it' if token_given else 'no token was sent'}")
    if isinstance(exc, e.HfHubHTTPError) and status is not None:
        if status == 401:
            return "token_refused", "the Hub refused the token (HTTP 401): it is invalid, expired or revoked"
        if status == 403:
            return "no_permission", f"the token has no permission to read {repo} (HTTP 403)"
        if status == 404:
            return "not_found", f"{repo}@{ref} was not found (HTTP 404)"
        return "http", f"the Hub answered HTTP {status} for {repo}"
    return "network", f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def hub_probe(repo_id: str, ref: str, token: str | None, *, endpoint: str | None = None) -> dict[str, Any]:
    """What the Hub says about ``repo_id@ref`` to this token, as JSON-able data (the in-Modal unit
    returns it across the wire). The token is never part of the answer."""
    from huggingface_hub import HfApi, hf_hub_download

    api = HfApi(endpoint=endpoint, token=token or False)
    try:
        info_ = api.model_info(repo_id, revision=ref, files_metadata=True, timeout=API_TIMEOUT_S)
    except Exception as exc:  # every failure is a row, never a traceback
        kind, words = _access_error(exc, repo_id, ref, bool(token))
        return {"ok": False, "kind": kind, "error": words.replace(token, "<HF_TOKEN>") if token else words}
    sizes = {s.rfilename: s.size for s in (info_.siblings or [])}
    out: dict[str, Any] = {"ok": True, "sha": info_.sha, "gated": info_.gated, "files": len(sizes), "small": {},
                           "missing": [], "safetensors_bytes": sum(v or 0 for k, v in sizes.items()
                                                                     if k.endswith(".safetensors"))}
    with tempfile.TemporaryDirectory(prefix="mld-preflight-") as tmp:
        for name in SMALL_FILES:
            if name not in sizes:
                out["missing"].append(name)
                continue
            if (sizes[name] or 0) > MAX_SMALL_FILE:
                out["small"][name] = None
                continue
            try:
                path = hf_hub_download(repo_id, name, revision=info_.sha, token=token or False, endpoint=endpoint,
                                       cache_dir=tmp)
                with open(path, encoding="utf-8") as fh:
                    out["small"][name] = fh.read()
            except Exception as exc:  # listed but unreadable now: a row, never a traceback
                kind, words = _access_error(exc, repo_id, info_.sha, bool(token))
                words = f"{name}: {words}"
                return {"ok": False, "kind": kind, "error": words.replace(token, "<HF_TOKEN>") if token else words}
    return out


def parsed(probe: dict[str, Any], name: str) -> Any:
    """A small file of the probe as JSON, or None (absent or not JSON)."""
    text = (probe.get("small") or {}).get(name)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def has_chat_template(probe: dict[str, Any]) -> bool:
    small = probe.get("small") or {}
    if any(small.get(n) for n in TEMPLATE_FILES):
        return True
    tc = parsed(probe, TOKENIZER_CONFIG)
    return isinstance(tc, dict) and bool(tc.get("chat_template"))


def hub_rows(probe: dict[str, Any], *, repo_id: str, ref: str, where: str, fixes: dict[str, str]) -> list[Row]:
    """Rows for access, the revision and the small files; ``fixes`` are the printed commands
    (plan/commands.py ``preflight_fixes``) by kind."""
    if not probe.get("ok"):
        kind = probe.get("kind", "network")
        fix = {
            "gated": f"request access at https://huggingface.co/{repo_id} with the token's account, then: {fixes['rerun']}",
            "token_refused": f"create a read token at https://huggingface.co/settings/tokens and store it: {fixes['hf_secret']}",
            "no_permission": f"give the token read access to {repo_id} (fine-grained tokens need it per repo), then: "
                             f"{fixes['rerun']}",
            "not_found": f"check model.repo_id: {fixes['set_repo']}",
            "revision_not_found": f"check model.revision: {fixes['set_revision']}",
        }.get(kind, f"check the network or HF_ENDPOINT, then: {fixes['rerun']}")
        return [fail("hub", f"access to {repo_id}", f"{probe.get('error')} [read {where}]", fix)]
    sha = probe["sha"]
    rows = [ok("hub", f"access to {repo_id}", f"readable{' (gated: access granted)' if probe.get('gated') else ''} "
                                               f"[read {where}]"),
            ok("hub", "revision", f"{ref} → {sha}" if ref != sha else f"commit {sha} exists")]
    missing = [n for n in (CONFIG, INDEX) if n in probe.get("missing", [])]
    for name in (CONFIG, INDEX):
        if name in missing:
            rows.append(fail("hub", name, f"not in {repo_id}@{sha[:12]}", f"check model.repo_id: {fixes['set_repo']}")
                        if name == CONFIG else info("hub", name, "absent (a single-file checkpoint): size from the file list"))
        elif parsed(probe, name) is None:
            rows.append(fail("hub", name, "present but not readable JSON", f"check model.repo_id: {fixes['set_repo']}"))
        else:
            rows.append(ok("hub", name, f"read ({len(probe['small'][name])} bytes)"))
    rows.append(ok("hub", "chat template", "present") if has_chat_template(probe) else
                info("hub", "chat template", "none in the repo (chat requests need one: SGLang's --chat-template)"))
    return rows
