"""``request-log-write-only`` over real plans that log requests (the coverage stacks, an Azure variant), mutated the
way a one-line slip would widen the collector's grant; and ``storage-read-least-privilege`` still judging every model
grant of those plans."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import yaml

from components.plan.engine import OutputsMode
from policy.rules import Resource, StackSettings, resources_from_plan
from support import ROOT, cover_plan, mutated_resources, plan_config, rule_entries, shared_cache

RULE = "request-log-write-only"


coverage = cover_plan
"""A cover stack's plan (tests/golden_stacks) as the rules see it (tests/support.py)."""


@shared_cache
def azure_logging(outputs: OutputsMode = "unknown") -> tuple[tuple[Resource, ...], StackSettings]:
    raw = yaml.safe_load((ROOT / "stacks" / "Pulumi.azure-staging.yaml").read_text())["config"]
    cfg = {k.removeprefix("mlplatform:"): v for k, v in raw.items()}
    first = next(iter(cfg["models"]))
    cfg["models"][first]["logger"] = {"mode": "response"}
    cfg["platform"] = {**cfg.get("platform", {}), "requestLogs": {"retentionDays": 60}}
    result = plan_config(cfg, stack="azure-staging", outputs=outputs)
    return tuple(resources_from_plan(result)), StackSettings.from_config({f"mlplatform:{k}": v for k, v in cfg.items()})


def verdicts(resources: list[Resource] | tuple[Resource, ...], settings: StackSettings) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in rule_entries(resources, settings):
        if not e["passed"] and e["enforcement"] == "mandatory":
            out.setdefault(e["policy"], []).append(e["message"])
    return out


mutated = mutated_resources
"""The resources with ``change`` applied to every one ``pick`` selects, at least one (tests/support.py)."""


def named(suffix: str) -> Callable[[Resource], bool]:
    return lambda r: r.name.endswith(suffix)


def edit_policy(fn: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        doc = json.loads(props["policy"])
        fn(doc)
        props["policy"] = json.dumps(doc)

    return change


def test_the_logging_plans_pass_and_the_rule_judges_the_writer() -> None:
    for resources, settings in (coverage("cover-aws-node-groups"), coverage("cover-gcp-standard"), azure_logging()):
        assert verdicts(resources, settings) == {}
        entries = [e for e in rule_entries(resources, settings) if e["policy"] == RULE]
        assert entries and all(e["passed"] for e in entries)
        assert any(r.name.endswith("-request-logs-write") for r in resources)


def _caught(
    base: tuple[tuple[Resource, ...], StackSettings],
    resources: list[Resource],
    fragment: str,
    also: tuple[str, ...] = (),
) -> None:
    found = verdicts(resources, base[1])
    assert sorted(found) == sorted([RULE, *also]), found
    assert any(fragment in m for m in found[RULE]), found[RULE]


def test_s3_read_added_to_the_writer_is_caught() -> None:
    base = coverage("cover-aws-node-groups")

    def reads(doc: dict[str, Any]) -> None:
        doc["Statement"][0]["Action"] = ["s3:PutObject", "s3:GetObject"]

    _caught(base, mutated(base[0], named("-request-logs-write"), edit_policy(reads)), "may only s3:PutObject")


def test_s3_write_on_the_whole_bucket_is_caught() -> None:
    base = coverage("cover-aws-node-groups")

    def whole(doc: dict[str, Any]) -> None:
        doc["Statement"][0]["Resource"] = doc["Statement"][0]["Resource"].split("/")[0] + "/*"

    _caught(base, mutated(base[0], named("-request-logs-write"), edit_policy(whole)), "<bucket>/<prefix>/*")


def test_s3_prefix_without_a_boundary_is_caught() -> None:
    base = coverage("cover-aws-node-groups")

    def sibling(doc: dict[str, Any]) -> None:
        doc["Statement"][0]["Resource"] = doc["Statement"][0]["Resource"].removesuffix("/*") + "*"

    _caught(base, mutated(base[0], named("-request-logs-write"), edit_policy(sibling)), "<bucket>/<prefix>/*")


def test_gcs_grant_without_its_prefix_condition_is_caught() -> None:
    base = coverage("cover-gcp-standard")

    def unconditioned(props: dict[str, Any]) -> None:
        del props["condition"]

    _caught(base, mutated(base[0], named("-request-logs-write"), unconditioned), "every object of the bucket")


def test_gcs_admin_role_is_caught() -> None:
    base = coverage("cover-gcp-standard")

    def admin(props: dict[str, Any]) -> None:
        props["role"] = "roles/storage.objectAdmin"

    # fix17l: iam-least-privilege refuses a bucket role the platform does not grant there (rev17k 07)
    writer = mutated(base[0], named("-request-logs-write"), admin)
    _caught(base, writer, "may only create objects", ("iam-least-privilege",))


def test_azure_role_with_reads_is_caught() -> None:
    base = azure_logging()

    def reads(props: dict[str, Any]) -> None:
        props["permissions"][0]["dataActions"].append(
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
        )

    _caught(base, mutated(base[0], named("-request-logs-writer-role"), reads), "may only write blobs")


def test_a_model_grant_named_like_the_writer_is_still_held_to_write_only() -> None:
    # The exemption from the read-only rule is by name; a model grant given that name is judged by this rule instead,
    # which refuses its reads.
    base = coverage("cover-aws-node-groups")
    renamed = [
        replace(r, name="resnet50-request-logs-write") if r.name == "resnet50-storage-read" else r for r in base[0]
    ]
    found = verdicts(renamed, base[1])
    assert RULE in found and any("may only s3:PutObject" in m for m in found[RULE])


def test_the_azure_logging_plan_passes_with_placeholders_too() -> None:
    """Review rev17c finding B: with ``--placeholders`` the writer's RoleAssignment scope must name the storage
    account the plan creates (its ``accountName``), not the resource group's name, or the rule fails a correct plan."""
    assert RULE not in verdicts(*azure_logging("fake"))
