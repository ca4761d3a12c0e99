"""Every environment variable the library reads, by name, in a module that imports nothing:
the deploy-script path (``plan_cache``, ``modal_app``, ``runtime``) needs the names without
loading pydantic."""

# The plan (JSON) in every container: the container imports the library, not the deploy script.
PLAN_ENV = "MODAL_LLM_DEPLOY_PLAN"

# Overrides for `modal run` / `modal deploy` of an unedited deploy script (profile/overrides.py).
SET_ENV = "MODAL_LLM_DEPLOY_SET"
FILE_ENV = "MODAL_LLM_DEPLOY_FILE"

# The plan cache (modal_adapter/plan_cache.py): "off" turns it off; the directory defaults to
# $XDG_CACHE_HOME/modal-llm-deploy (~/.cache/modal-llm-deploy).
PLAN_CACHE_ENV = "MODAL_LLM_DEPLOY_PLAN_CACHE"
CACHE_DIR_ENV = "MODAL_LLM_DEPLOY_CACHE_DIR"

# An audit trail of the printer (plan/commands.py): when set to a file path, every command the
# printer renders is appended to it, one JSON string per line, so a test (or a user who wants to
# know where a printed line came from) can check each printed command came from the one printer.
RECORD_COMMANDS_ENV = "MODAL_LLM_DEPLOY_RECORD_COMMANDS"

# Modal proxy auth (serving.modal_proxy_auth): a Proxy Auth Token's ID (wk-…) and secret (ws-…),
# sent as the Modal-Key / Modal-Secret headers (modal 1.6 _partial_function.py requires_proxy_auth:
# "Require Modal-Key and Modal-Secret HTTP Headers on requests"; modal/cli/workspace.py
# PROXY_TOKENS_HELP_TEXT). `smoke` reads them from the local environment, the bench container
# from the Modal secret serving.proxy_auth_secret. Never in argv shown to the user, a plan or a log.
PROXY_KEY_ENV = "MODAL_LLM_DEPLOY_PROXY_KEY"
PROXY_SECRET_ENV = "MODAL_LLM_DEPLOY_PROXY_SECRET"
PROXY_HEADERS = {PROXY_KEY_ENV: "Modal-Key", PROXY_SECRET_ENV: "Modal-Secret"}
# modal docs, guide/webhook-proxy-auth: "You can create a Proxy Auth Token for your workspace
# [here](/settings/proxy-auth-tokens)"; modal 1.6 also has `modal workspace proxy-tokens create`.
PROXY_TOKEN_HELP = ("create one at https://modal.com/settings/proxy-auth-tokens "
                    "or with `modal workspace proxy-tokens create`")


def proxy_auth_headers(environ) -> dict[str, str] | None:
    """{"Modal-Key": …, "Modal-Secret": …} from PROXY_KEY_ENV / PROXY_SECRET_ENV in ``environ``,
    or None when either is unset or empty."""
    values = {header: environ.get(var) or "" for var, header in PROXY_HEADERS.items()}
    return values if all(values.values()) else None


def proxy_auth_missing(environ) -> str:
    """One line: which of the two variables is unset, what they hold and where to get a token."""
    missing = [v for v in PROXY_HEADERS if not environ.get(v)]
    return (f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: serving.modal_proxy_auth=true "
            f"needs a Modal Proxy Auth Token in {PROXY_KEY_ENV} (its ID, wk-…) and {PROXY_SECRET_ENV} "
            f"(its secret, ws-…), sent as the Modal-Key/Modal-Secret headers; {PROXY_TOKEN_HELP}")
