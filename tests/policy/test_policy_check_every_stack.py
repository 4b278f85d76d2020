"""rev17c finding A: ``mlplatform check`` accepts a fresh ``plan --json`` of every shipped stack (stacks/) and every
coverage stack (tests/golden_stacks): the placeholder rendering the plan saves (``judgedResources``) gives a value
wherever the plain plan says "known after deploy", so check judges the same documents the plan judged.

Before the fix a placeholder plan of cover-aws-node-groups rendered the cluster-autoscaler ASG tags'
``autoscalingGroupName``
(from ``eks:index:ManagedNodeGroup``'s output ``nodeGroup``) and the request-log collector's S3 sink ``bucket`` (from
``aws:s3/bucket:Bucket``'s output ``bucket``) as nothing, and check exited 2 on the plan."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from components.plan.cli import EXIT_OK, main
from components.plan.project import load_project
from components.plan.report import plan_json
from support import ROOT, stack_plan

PROJECTS = {"shipped": None, "cover": "tests/golden_stacks"}


@pytest.mark.parametrize("which", sorted(PROJECTS))
def test_check_accepts_a_fresh_plan_of_every_stack(
    which: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = load_project(ROOT)
    if (folder := PROJECTS[which]) is not None:
        project = dataclasses.replace(project, stack_config_dir=folder)
    stacks = project.stacks()
    assert stacks, which
    plans = [stack_plan(folder, s) for s in stacks]  # planned once per process (tests/support.py)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan_json(project.name, plans)))
    capsys.readouterr()
    code = main(["check", str(path)])
    err = capsys.readouterr().err
    assert code == EXIT_OK, err
    assert "known only after deploy" not in err


def test_placeholder_plan_gives_the_asg_tags_and_the_log_bucket_a_value() -> None:
    project = dataclasses.replace(load_project(ROOT), stack_config_dir="tests/golden_stacks")
    plan = stack_plan(project.stack_config_dir, "cover-aws-node-groups")
    doc = plan_json(project.name, [plan])["stacks"][0]
    judged = {r["urn"]: r for r in doc["judgedResources"]}
    tags = [r for r in judged.values() if r["type"] == "aws:autoscaling/tag:Tag"]
    assert tags
    groups = {r["urn"]: r for r in doc["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup"}
    assert groups
    for t in tags:
        assert isinstance(t["inputs"].get("autoscalingGroupName"), str), t["urn"]
        assert t["inputs"]["autoscalingGroupName"].startswith("eks-"), t["urn"]
    logs = next(r for r in judged.values() if r["name"].endswith("-request-logs") and "helm" in r["type"])
    bucket = logs["inputs"]["values"]["customConfig"]["sinks"]["store"]["bucket"]
    made = next(r for r in doc["resources"] if r["type"] == "aws:s3/bucket:Bucket")
    assert isinstance(bucket, str) and bucket.startswith(made["inputs"]["bucketPrefix"])
