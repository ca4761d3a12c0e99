"""No silent plan fields (issue 19): a serve-unit field that ``@app.server`` has no option for
(timeout, retries, region, schedule, max containers) is refused by the plan model and by the
renderer (which also renders stored plan JSON without pydantic), naming the field; the server's
region is rendered from ``ServerPlan.compute_region`` (compared on the wire in
tests/test_modalbox_both_ways.py)."""

from __future__ import annotations

import inspect
import json

import modal
import pydantic
import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.base.serve_unit import SERVE_UNIT_UNSET
from modal_llm_deploy.modal_adapter.render import render_json
from modal_llm_deploy.plan.models import UnitPlan

VALUES = {"timeout_s": 600, "retries": 2, "max_containers": 4, "region": "us-east",
          "schedule": {"cron": "0 * * * *", "timezone": "UTC"}}


def test_app_server_really_has_none_of_these_options():
    """The list is what modal 1.6.4's App.server lacks (its max and region go by other names)."""
    params = set(inspect.signature(modal.App.server).parameters)
    assert {"timeout", "retries", "region", "schedule"}.isdisjoint(params)
    assert {"max_containers", "compute_region"} <= params  # where ServerPlan's values go
    assert set(SERVE_UNIT_UNSET) == set(VALUES)


@pytest.fixture(scope="module")
def plan():
    return build_plan(load_profile("glm51_fp8", {"serving.compute_region": "us-east"}))


@pytest.mark.parametrize("field", sorted(VALUES))
def test_plan_model_refuses_a_serve_unit_field_it_cannot_render(plan, field):
    data = {**plan.unit("serve").model_dump(), field: VALUES[field]}
    with pytest.raises(pydantic.ValidationError) as ei:
        UnitPlan.model_validate(data)
    assert f"{field}=" in str(ei.value) and "would never reach Modal" in str(ei.value)


@pytest.mark.parametrize("field", sorted(VALUES))
def test_renderer_refuses_it_in_stored_plan_json(plan, field):
    data = json.loads(plan.model_dump_json())
    next(u for u in data["units"] if u["role"] == "serve")[field] = VALUES[field]
    with pytest.raises(ValueError) as ei:
        render_json(json.dumps(data))
    msg = str(ei.value)
    assert "\n" not in msg and f"{field}=" in msg and plan.app_name in msg


def test_functions_keep_their_own_region(plan):
    """Only the serve unit is constrained: the bench function runs next to the pinned server."""
    assert plan.unit("bench").region == "us-east" and plan.unit("serve").region is None
    assert plan.server.compute_region == "us-east"
