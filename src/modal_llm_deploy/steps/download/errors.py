"""Turning the client's exceptions into a retry or a one-line, actionable StepError."""

from __future__ import annotations

import errno

from huggingface_hub import errors as hf_errors

from modal_llm_deploy.base.errors import StepError


class _Transient(Exception):
    """A failure worth retrying; ``str()`` is a short description without URLs or secrets.

    ``always_counts``: uses up an attempt even if bytes arrived (bad content is not progress).
    """

    def __init__(self, desc: str, retry_after: float | None = None, *, always_counts: bool = False):
        super().__init__(desc)
        self.retry_after = retry_after
        self.always_counts = always_counts


class _Cancelled(Exception):
    """The run is stopping (another file failed for good, or the lease was lost)."""


class _FileFailed(Exception):
    def __init__(self, path: str, tries: int, last: str):
        super().__init__(f"{path} failed after {tries} attempts (last error: {last})")
        self.path, self.tries, self.last = path, tries, last


def _is_transport_error(exc: BaseException) -> bool:
    """The client's transport failures (connect/read errors, resets, timeouts, cut bodies).

    Matched by name rather than by importing the HTTP library: huggingface_hub has changed its
    HTTP stack across majors (requests, httpx, now httpx2), and it is huggingface_hub's dependency,
    not ours.
    """
    return any(c.__name__ == "TransportError" and c.__module__.split(".")[0].startswith("httpx")
               for c in type(exc).__mro__)


def _is_timeout(exc: BaseException) -> bool:
    """A connect/read/pool timeout of the client's HTTP library (httpx2 ``TimeoutException``)."""
    return any(c.__name__ == "TimeoutException" and c.__module__.split(".")[0].startswith("httpx")
               for c in type(exc).__mro__)


def _status(exc: BaseException) -> int | None:
    resp = getattr(exc, "response", None)
    return getattr(resp, "status_code", None)


def _retry_after(exc: BaseException) -> float | None:
    resp = getattr(exc, "response", None)
    value = resp.headers.get("Retry-After") if resp is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:  # an HTTP date: rare; fall back to our own backoff
        return None


class _Errors:
    """Turns client exceptions into either a one-line, actionable StepError or a _Transient."""

    def __init__(self, repo_id: str, revision: str, token_given: bool):
        self.repo_id, self.revision, self.token_given = repo_id, revision, token_given

    def classify(self, exc: BaseException, path: str | None) -> StepError | _Transient:
        repo, rev = self.repo_id, self.revision
        what = f" ({path})" if path else ""
        secret = ("create the Modal secret 'huggingface-secret' with HF_TOKEN=<a read token from "
                  "https://huggingface.co/settings/tokens> (or export HF_TOKEN locally)")
        status = _status(exc)
        if isinstance(exc, _Transient):
            return exc
        # Order matters: GatedRepoError is a RepositoryNotFoundError, all of them HfHubHTTPErrors.
        if isinstance(exc, hf_errors.GatedRepoError):
            if not self.token_given:
                return StepError(f"{repo} is gated and no HF_TOKEN was given: accept the licence at "
                                 f"https://huggingface.co/{repo}, then {secret}")
            return StepError(f"token has no access to {repo} (gated, HTTP {status}): accept the licence at "
                             f"https://huggingface.co/{repo} with the account that owns HF_TOKEN (approval may "
                             "take a while), or use a token of an account that has access")
        if isinstance(exc, hf_errors.RevisionNotFoundError):
            return StepError(f"repo or revision not found: revision '{rev}' does not exist in {repo} "
                             "(HTTP 404): check model.revision (a commit sha, branch or tag)")
        if isinstance(exc, hf_errors.RemoteEntryNotFoundError):
            return StepError(f"{path} is listed for {repo}@{rev} but the Hub answers 404: the revision "
                             "changed while downloading; pin model.revision to a commit sha and re-run")
        if isinstance(exc, hf_errors.RepositoryNotFoundError):
            if status == 401 and not self.token_given:
                return StepError(f"repo or revision not found: {repo} is private, gated or does not exist "
                                 f"(HTTP 401 without a token): check model.repo_id; if it needs a token, {secret}")
            return StepError(f"repo or revision not found: {repo} (HTTP {status}): check model.repo_id / "
                             "model.revision (and that HF_TOKEN's account can see it if it is private)")
        if isinstance(exc, hf_errors.DisabledRepoError):
            return StepError(f"{repo} has been disabled on the Hub: choose another model.repo_id")
        if isinstance(exc, hf_errors.HfHubHTTPError) and status is not None:
            if status == 401:
                return StepError(f"HF_TOKEN missing or invalid (HTTP 401 for {repo}{what}): {secret}")
            if status == 403:
                return StepError(f"token has no access to {repo} (HTTP 403{what}): accept the licence at "
                                 f"https://huggingface.co/{repo} with the token's account; a fine-grained "
                                 "token also needs read access to public gated repos")
            if status == 404:
                return StepError(f"repo or revision not found: {repo}@{rev}{what} (HTTP 404): check "
                                 "model.repo_id / model.revision")
            if status in (408, 429) or status >= 500:
                ra = _retry_after(exc)
                return _Transient(f"HTTP {status}" + (f" (Retry-After {ra:g} s)" if ra is not None else ""), ra)
            if status == 416:  # our partial is longer than the file: start it over
                return _Transient("HTTP 416 (range not satisfiable)")
            first = (getattr(exc, "server_message", None) or "").splitlines()[:1]
            return StepError(f"the Hub refused {repo}@{rev}{what} with HTTP {status}"
                             + (f": {first[0][:200]}" if first else ""))
        if isinstance(exc, hf_errors.FileMetadataError):
            return StepError(f"the endpoint does not answer like the Hugging Face Hub for {repo}{what} "
                             "(missing X-Repo-Commit/ETag): check HF_ENDPOINT and proxy settings")
        if isinstance(exc, hf_errors.OfflineModeIsEnabled):
            return StepError("HF_HUB_OFFLINE=1 is set in the download environment: unset it for the download step")
        if _is_transport_error(exc):  # connect/read errors, resets, timeouts, truncated bodies
            return _Transient(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}")
        if type(exc).__module__.split(".")[0].startswith("httpx"):  # e.g. too many redirects
            return StepError(f"HTTP client error for {repo}{what}: {type(exc).__name__}: {str(exc)[:200]}")
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return StepError(f"no space left while writing{what}: the weights volume/disk is full")
        if isinstance(exc, PermissionError):
            return StepError(f"permission denied writing{what}: {exc.filename}")
        if isinstance(exc, OSError):
            return _Transient(f"{type(exc).__name__}: {exc}")
        raise exc  # a bug: let it surface with its traceback
