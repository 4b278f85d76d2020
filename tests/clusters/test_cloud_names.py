"""Cloud naming and tagging rules as sourced data, checked when the stack is read (issue #11).

Sources (also on the rules in components/clusters/spec.py):
- AWS: https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/allocation-tag-restrictions.html (key <= 128,
  value <= 256, 50 per resource, ``aws:`` reserved) and the tagging APIs' pattern
  ``^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$``.
- Azure: MicrosoftDocs/azure-docs articles/azure-resource-manager/management/tag-resources.md (names <= 512 without
  ``< > % & \\ ? /``, values <= 256, 50 per resource) and resource-name-rules.md (resource groups: 1-90 of
  letters, digits, ``_ - . ( )``, not ending with ``.``).
- GCP: https://cloud.google.com/resource-manager/docs/labels-overview#requirements (keys 1-63 starting with a
  lowercase letter, keys and values only lowercase letters, digits, ``_`` and ``-``, values <= 63, 64 per resource)
  and https://cloud.google.com/resource-manager/reference/rest/v1/projects (project ids).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cluster_support import stack_plan
from hypothesis import given, settings
from hypothesis import strategies as st

from components.clusters.gke import gcp_labels
from components.clusters.spec import CLUSTER_TAG, TAG_RULES, tags_problem
from components.errors import SpecError
from components.naming import merge_tags
from infra.config import load

FILE = "stacks/Pulumi.t.yaml"
REACH = {"publicCidrs": ["203.0.113.0/24"], "deployFrom": ["203.0.113.0/24"]}
REGION = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}
GCP_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
GCP_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
AWS_TEXT = re.compile(r"^[\w\s.:/=+\-@]*$")
AZURE_FORBIDDEN = set("<>%&\\?/")


def stack(cloud: str, **extra: Any) -> dict[str, str]:
    cluster: dict[str, Any] = {"apiAccess": REACH}
    if cloud == "gcp":
        cluster["gcp"] = {"project": "mlp-project"}
    cluster.update(extra.pop("cluster", {}))
    cfg = {"cloud": cloud, "region": REGION[cloud], "cluster": cluster, **extra}
    return {f"mlplatform:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}


def error(raw: dict[str, str]) -> str:
    with pytest.raises(SpecError) as e:
        load(raw, frozenset(), FILE)
    return str(e.value)


AZ_TAGS = "https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations"
AWS_TAGS = "https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/allocation-tag-restrictions.html"
GCP_LABELS = "https://cloud.google.com/resource-manager/docs/labels-overview#requirements"
CASES = [
    (
        "azure tag name with /",
        stack("azure", tags={"team/name": "ml"}),
        f"{FILE}: mlplatform:tags: team/name is not allowed; azure tag names may not contain / ({AZ_TAGS})",
    ),
    (
        "azure tag name with % and ?",
        stack("azure", tags={"cost%center?": "1"}),
        f"{FILE}: mlplatform:tags: cost%center? is not allowed; azure tag names may not contain % ? ({AZ_TAGS})",
    ),
    (
        "azure: too many tags with the program's own",
        stack("azure", tags={f"k{i}": "v" for i in range(50)}),
        f"{FILE}: mlplatform:tags: 50 tags is not allowed; give at most 49 on azure ({AZ_TAGS})",
    ),
    (
        "azure: tag names equal but for case (Azure tag names are case-insensitive, review 10)",
        stack("azure", tags={"Owner": "a", "owner": "b"}),
        f"{FILE}: mlplatform:tags: owner is not allowed; Azure tag names are case-insensitive: it is the same tag as "
        f"Owner; rename one ({AZ_TAGS})",
    ),
    (
        "azure: a tag name that is the program's cluster tag but for case",
        stack("azure", tags={"MLPlatform.io_Cluster": "x"}),
        f"{FILE}: mlplatform:tags: MLPlatform.io_Cluster is not allowed; Azure tag names are case-insensitive: it is "
        f"the same tag as mlplatform.io_cluster; rename one ({AZ_TAGS})",
    ),
    (
        "aws: reserved prefix in a value",
        stack("aws", tags={"owner": "AWS:team"}),
        f"{FILE}: mlplatform:tags.owner: AWS:team is not allowed; values starting with aws: are reserved by AWS "
        f"({AWS_TAGS})",
    ),
    (
        "aws: a character the tagging APIs refuse",
        stack("aws", tags={"cost#center": "1"}),
        f"{FILE}: mlplatform:tags: cost#center is not allowed; aws tags hold letters, digits, spaces and _.:/=+-@ "
        f"only, not # ({AWS_TAGS})",
    ),
    (
        "gcp: key starting with a digit",
        stack("gcp", tags={"1team": "ml"}),
        f"{FILE}: mlplatform:tags: 1team is not allowed; GCP label keys must start with a letter ({GCP_LABELS})",
    ),
    (
        "gcp: keys that collide after lower-casing",
        stack("gcp", tags={"Owner": "a", "owner": "b"}),
        f"{FILE}: mlplatform:tags: owner is not allowed; it becomes the GCP label owner, as Owner does; rename one "
        f"({GCP_LABELS})",
    ),
    (
        "gcp: a key that becomes the program's own label",
        stack("gcp", tags={"mlplatform_io_cluster": "x"}),
        f"{FILE}: mlplatform:tags: mlplatform_io_cluster is not allowed; it becomes the GCP label "
        f"mlplatform_io_cluster, as mlplatform.io/cluster does; rename one ({GCP_LABELS})",
    ),
    (
        "gcp project id with upper case",
        stack("gcp", cluster={"gcp": {"project": "My_Project"}}),
        f"{FILE}: mlplatform:cluster.gcp.project: My_Project is not allowed; give a project id: 6-30 lowercase "
        "letters, digits and '-', starting with a letter, not ending with '-' "
        "(https://cloud.google.com/resource-manager/reference/rest/v1/projects)",
    ),
    (
        "gcp project id too short",
        stack("gcp", cluster={"gcp": {"project": "abc"}}),
        f"{FILE}: mlplatform:cluster.gcp.project: abc is not allowed; give a project id: 6-30 lowercase "
        "letters, digits and '-', starting with a letter, not ending with '-' "
        "(https://cloud.google.com/resource-manager/reference/rest/v1/projects)",
    ),
    (
        "azure resource group ending with a period",
        stack("azure", cluster={"azure": {"resourceGroup": "ml-rg."}}),
        f"{FILE}: mlplatform:cluster.azure.resourceGroup: ml-rg. is not allowed; give 1-90 letters, digits, '_', "
        "'-', '.', '(' or ')', not ending with '.' (Azure's resource group rule, "
        "learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules)",
    ),
    (
        "azure blob model without the storage account's group",
        stack(
            "azure",
            models={
                "bert": {
                    "format": "onnx",
                    "storageUri": "https://acct.blob.core.windows.net/models/bert",
                    "access": {"mode": "public", "allowAnonymous": True},
                }
            },
        ),
        f"{FILE}: mlplatform:cluster.azure.storageResourceGroup: not set is not allowed; models.bert.storageUri "
        "reads Azure blob storage (https://acct.blob.core.windows.net/models/bert); give the resource group of that "
        "storage account (this stack creates its own resource group, which holds no storage account)",
    ),
]


@pytest.mark.parametrize(("case", "raw", "line"), CASES, ids=[c[0] for c in CASES])
def test_names_and_tags_a_cloud_refuses_are_refused_in_one_line(case: str, raw: dict[str, str], line: str) -> None:
    assert error(raw) == line


def test_names_the_clouds_accept_pass() -> None:
    load(stack("azure", tags={"cost-center": "ML (EU)", "Team.Name": "x&y"}), frozenset(), FILE)
    load(stack("aws", tags={"kubernetes.io/team": "ml team", "cost:center": "a=b+c@d"}), frozenset(), FILE)
    load(stack("gcp", tags={"CostCenter": "ML-EU", "team": "Platform Team"}), frozenset(), FILE)
    load(stack("azure", cluster={"azure": {"resourceGroup": "rg_(ml).prod-1"}}), frozenset(), FILE)


# ---------------------------------------------------------------------------------------------- accepted => rendered ok

tag_text = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), max_size=70)


@settings(max_examples=300, deadline=None)
@given(tags=st.dictionaries(tag_text, tag_text, max_size=6))
def test_gcp_tags_that_pass_become_valid_distinct_labels(tags: dict[str, str]) -> None:
    """Whatever the config accepts on gcp turns (through gcp_labels, with the cluster's own label) into labels GCP
    accepts, one per tag: no key lost to a collision, none invalid."""
    if tags_problem("gcp", tags) is not None:
        return
    labels = gcp_labels(merge_tags(tags, {CLUSTER_TAG["gcp"]: "mlp-prod"}))
    assert len(labels) == len(tags) + 1
    for key, value in labels.items():
        assert GCP_KEY.match(key), key
        assert GCP_VALUE.match(value), value


@settings(max_examples=300, deadline=None)
@given(tags=st.dictionaries(tag_text, tag_text, max_size=6))
def test_azure_and_aws_tags_that_pass_meet_each_clouds_rule(tags: dict[str, str]) -> None:
    if tags_problem("azure", tags) is None:
        merged = merge_tags(tags, {CLUSTER_TAG["azure"]: "mlp"})
        assert len({k.casefold() for k in merged}) == len(merged)  # one Azure tag per name (case-insensitive)
        for key, value in merged.items():
            assert key and not set(key) & AZURE_FORBIDDEN and len(key) <= 512 and len(value) <= 256
    if tags_problem("aws", tags) is None:
        for key, value in merge_tags(tags, {CLUSTER_TAG["aws"]: "mlp"}).items():
            assert 1 <= len(key) <= 128 and len(value) <= 256
            assert AWS_TEXT.match(key) and AWS_TEXT.match(value), (key, value)
            assert not key.lower().startswith("aws:") and not value.lower().startswith("aws:")


def test_the_rules_cite_their_sources() -> None:
    for cloud, rule in TAG_RULES.items():
        assert rule.source.startswith("https://"), cloud


# ------------------------------------------------------------------------------------------------ the shipped stacks


def _maps(value: Any, key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key and isinstance(v, dict):
                found.append(v)
            else:
                found.extend(_maps(v, key))
    elif isinstance(value, list):
        for v in value:
            found.extend(_maps(v, key))
    return found


def test_every_tag_on_an_azure_resource_of_azure_staging_is_an_azure_tag() -> None:
    """Defect 4 over the rendered azure-staging plan: every ``tags`` map of every azure-native resource."""
    seen = 0
    for reg in stack_plan("azure-staging").resources:
        if not reg.type.startswith("azure-native:"):
            continue
        for tags in _maps(reg.plain_inputs(), "tags"):
            seen += 1
            assert len(tags) <= 50, reg.name
            for key, value in tags.items():
                assert not set(key) & AZURE_FORBIDDEN, f"{reg.type} {reg.name}: tag name {key}"
                assert 1 <= len(key) <= 512 and len(str(value)) <= 256, f"{reg.name}: {key}"
    assert seen >= 6


def test_every_label_on_a_gcp_resource_of_gcp_prod_is_a_gcp_label() -> None:
    """GCP labels (``labels`` of a resource, ``resourceLabels`` of the cluster and node configs; ``nodeConfig.labels``
    are Kubernetes node labels, not GCP labels) in the rendered gcp-prod plan."""
    seen = 0
    for reg in stack_plan("gcp-prod").resources:
        if not reg.type.startswith("gcp:"):
            continue
        inputs = reg.plain_inputs()
        maps = _maps(inputs, "resourceLabels")
        if isinstance(inputs.get("labels"), dict):
            maps.append(inputs["labels"])
        for labels in maps:
            seen += 1
            assert len(labels) <= 64, reg.name
            for key, value in labels.items():
                assert GCP_KEY.match(key), f"{reg.type} {reg.name}: label key {key}"
                assert GCP_VALUE.match(str(value)), f"{reg.type} {reg.name}: label {key}={value}"
    assert seen >= 3


def test_every_tag_on_an_aws_resource_of_aws_dev_is_an_aws_tag() -> None:
    seen = 0
    for reg in stack_plan("aws-dev").resources:
        if not reg.type.startswith(("aws:", "eks:", "awsx:")):
            continue
        for tags in _maps(reg.plain_inputs(), "tags"):
            seen += 1
            for key, value in tags.items():
                assert 1 <= len(key) <= 128 and len(str(value)) <= 256, f"{reg.name}: {key}"
                assert AWS_TEXT.match(key) and AWS_TEXT.match(str(value)), f"{reg.type} {reg.name}: {key}={value}"
                assert not key.lower().startswith("aws:"), f"{reg.name}: {key}"
    assert seen >= 5
