"""Pure checks of IAM documents, for every AWS stack: ARN grammar per service, actions against an upstream policy,
and the parliament linter.

- ARN grammar: ``arn:partition:service:region:account-id:resource`` (AWS IAM User Guide, "IAM identifiers",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html). Which fields a resource type leaves empty is
  in the "Resource types defined by <service>" tables of the Service Authorization Reference
  (https://docs.aws.amazon.com/service-authorization/latest/reference/): ``arn:${Partition}:s3:::${BucketName}``
  (no region, no account), ``arn:${Partition}:iam::${Account}:role/...`` (no region),
  ``arn:${Partition}:ec2:${Region}::image/${ImageId}`` (no account). parliament 1.6.4 ships those tables as
  ``parliament/iam_definition.json``; the check reads them from there.
- Upstream actions: every action an upstream reference policy grants must be granted by ours.
- parliament (duo-labs/parliament 1.6.4, ``analyze_policy_string``): findings with their configured severity.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import parliament
import yaml

from components.clusters._aws_iam import PARTITIONS
from components.plan.engine import PlanResult

DOCUMENT_INPUTS: Mapping[str, tuple[str, ...]] = {
    "aws:iam/role:Role": ("assumeRolePolicy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy",),
}
"""Where IAM documents (JSON text) sit in the inputs of the AWS resources the stacks register."""

ARN_INPUTS: Mapping[str, tuple[str, ...]] = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn",),
    "aws:eks/addon:Addon": ("serviceAccountRoleArn",),
    "aws:eks/accessEntry:AccessEntry": ("principalArn",),
}
"""Inputs that hold one ARN."""

REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
ACCOUNT = re.compile(r"^\d{12}$")

PUBLIC_SSM_PARAMETERS = re.compile(r"^parameter/aws/service/")
"""AWS's public SSM parameters (``/aws/service/...``) are addressed with an empty account field, as Karpenter's v1.14
template writes them (``arn:${AWS::Partition}:ssm:${AWS::Region}::parameter/aws/service/*``); the Service
Authorization Reference lists the parameter type with ``${Account}`` only."""

AWS_OWNED = {("iam", "policy/")}
"""Resource types whose account field is ``aws`` for what AWS owns: AWS managed policies
(``arn:aws:iam::aws:policy/...``, IAM User Guide, "AWS managed policies")."""


@dataclass(frozen=True)
class Document:
    """One IAM document of a plan: where it is, its JSON text, and whether it is a role's trust policy."""

    where: str
    text: str
    trust: bool = False

    @property
    def body(self) -> dict[str, Any]:
        """The parsed document."""
        parsed: dict[str, Any] = json.loads(self.text)
        return parsed


def documents(result: PlanResult) -> list[Document]:
    """Every IAM document in a plan's inputs (the plan must run with fake outputs, so none is unknown)."""
    found: list[Document] = []
    for r in result.resources:
        for key in DOCUMENT_INPUTS.get(r.type, ()):
            value = r.plain_inputs().get(key)
            if value is not None:
                assert isinstance(value, str), f"{r.name}.{key} is not JSON text: {value!r}"
                found.append(Document(f"{r.name}.{key}", value, trust=key == "assumeRolePolicy"))
    return found


def standalone_arns(result: PlanResult) -> list[tuple[str, str]]:
    """(where, ARN) for every input that is one ARN, and each pulumi-eks access entry's principal."""
    found: list[tuple[str, str]] = []
    for r in result.resources:
        inputs = r.plain_inputs()
        for key in ARN_INPUTS.get(r.type, ()):
            if key in inputs:
                found.append((f"{r.name}.{key}", inputs[key]))
        if r.type == "eks:index:Cluster":
            for entry, value in (inputs.get("accessEntries") or {}).items():
                found.append((f"{r.name}.accessEntries.{entry}", value["principalArn"]))
    return found


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)


def statements(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A document's statements as a list (IAM allows one statement object too)."""
    raw = doc["Statement"]
    return list(raw) if isinstance(raw, list) else [raw]


def arns_in(doc: Mapping[str, Any]) -> list[str]:
    """Every ARN a document names: resources, principals, and condition values that are ARNs."""
    found: list[str] = []
    for st in statements(doc):
        for key in ("Resource", "NotResource", "Principal", "NotPrincipal", "Condition"):
            found += [v for v in _strings(st.get(key)) if v.startswith("arn:")]
    return found


@cache
def arn_formats() -> dict[str, list[tuple[str, str, str]]]:
    """Per service (the ARN's third field): (region, account, resource) of every resource type's ARN format in the
    Service Authorization Reference, as parliament ships it."""
    path = Path(parliament.__file__).parent / "iam_definition.json"
    formats: dict[str, list[tuple[str, str, str]]] = {}
    for service in json.loads(path.read_text()):
        for resource in service["resources"]:
            parts = resource["arn"].split(":", 5)
            if len(parts) == 6 and parts[0] == "arn":
                formats.setdefault(parts[2], []).append((parts[3], parts[4], parts[5]))
    return formats


def _resource_regex(pattern: str) -> re.Pattern[str]:
    """A resource format (``instance/${InstanceId}``) as a regex: variables match any non-empty text."""
    out = ""
    for piece in re.split(r"(\$\{[^}]+\})", pattern):
        out += ".+" if piece.startswith("${") else re.escape(piece)
    return re.compile(f"^{out}$")


def _field_ok(value: str, pattern: str) -> bool:
    if not pattern:
        return value == ""
    if pattern == "${Region}":
        return value == "*" or bool(REGION.match(value))
    if pattern == "${Account}":
        return value == "*" or bool(ACCOUNT.match(value))
    return value == pattern


def region_partition(region: str) -> str | None:
    """The partition holding ``region`` by botocore's rule (the first ``regionRegex`` that matches, the table in
    ``components/clusters/_aws_iam.py``), whether or not the stacks support it; None when none matches."""
    return next((p.name for p in PARTITIONS if re.match(p.region_regex, region)), None)


def arn_problems(value: str) -> list[str]:
    """What is wrong with ``value`` as an ARN: its shape, its partition (known, and the one its region is in when the
    region is neither empty nor ``*``: a region belongs to exactly one partition, botocore ``endpoints.json``), and
    whether its region, account and resource fields fit one of the service's ARN formats (empty []: nothing)."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return [f"{value}: not arn:partition:service:region:account:resource"]
    _, partition, service, region, account, resource = parts
    problems: list[str] = []
    if partition not in {p.name for p in PARTITIONS}:
        problems.append(f"{value}: unknown partition {partition!r}")
    elif region not in ("", "*") and region_partition(region) != partition:
        problems.append(f"{value}: region {region!r} is in partition {region_partition(region)!r}, not {partition!r}")
    formats = arn_formats().get(service)
    if not formats:
        return [*problems, f"{value}: unknown service {service!r}"]
    for f_region, f_account, f_resource in formats:
        if not _resource_regex(f_resource).match(resource):
            continue
        region_ok = _field_ok(region, f_region)
        owned = any(service == s and resource.startswith(p) for s, p in AWS_OWNED) and account == "aws"
        public = service == "ssm" and account == "" and bool(PUBLIC_SSM_PARAMETERS.match(resource))
        account_ok = _field_ok(account, f_account) or owned or public
        if region_ok and account_ok:
            return problems
    shapes = sorted({f"{service}:{r}:{a}:{res}" for r, a, res in formats if _resource_regex(res).match(resource)})
    hint = f"; formats for this resource: {', '.join(shapes)}" if shapes else "; no resource type matches"
    return [*problems, f"{value}: region {region!r} / account {account!r} fit no {service} ARN format{hint}"]


def document_arn_problems(docs: Iterable[Document], arns: Iterable[tuple[str, str]] = ()) -> list[str]:
    """Every ARN problem in ``docs`` and in the standalone ``arns``, each prefixed with where it is."""
    problems: list[str] = []
    for doc in docs:
        problems += [f"{doc.where}: {p}" for value in arns_in(doc.body) for p in arn_problems(value)]
    problems += [f"{where}: {p}" for where, value in arns for p in arn_problems(value)]
    return problems


def trust_problems(doc: Mapping[str, Any]) -> list[str]:
    """What is wrong with a role trust policy: each statement must let in EC2 (``sts:AssumeRole`` from the
    ``ec2.amazonaws.com`` service) or exactly one Kubernetes ServiceAccount through the cluster's OIDC provider
    (``sts:AssumeRoleWithWebIdentity``, ``StringEquals`` on ``<issuer>:sub`` = ``system:serviceaccount:<ns>:<sa>``
    and ``<issuer>:aud`` = ``sts.amazonaws.com``, the issuer being the provider's; EKS User Guide,
    ``associate-service-account-role.adoc``). parliament does not read trust policies: it treats every document as
    an identity policy and stops at the missing Resource (a role trust policy names principals, not resources: IAM
    User Guide, "AWS JSON policy elements: Principal")."""
    problems: list[str] = []
    for i, st in enumerate(statements(doc)):
        principal, action = st.get("Principal", {}), st.get("Action")
        if st.get("Effect") != "Allow" or "Resource" in st or "NotPrincipal" in st:
            problems.append(f"statement {i}: not a plain Allow of principals")
        elif principal == {"Service": "ec2.amazonaws.com"} and action == "sts:AssumeRole":
            if "Condition" in st:
                problems.append(f"statement {i}: unexpected condition on EC2 trust")
        elif principal == {"Service": ["eks.amazonaws.com"]} and action == ["sts:AssumeRole", "sts:TagSession"]:
            # the cluster role pulumi-eks creates (pulumi/pulumi-eks v4.3.0 nodejs/eks/cluster/cluster.ts, eksRole)
            if "Condition" in st:
                problems.append(f"statement {i}: unexpected condition on the EKS service trust")
        elif set(principal) == {"Federated"} and action == "sts:AssumeRoleWithWebIdentity":
            provider = principal["Federated"]
            host = provider.split(":oidc-provider/", 1)[-1]
            cond = st.get("Condition", {})
            sub = cond.get("StringEquals", {}).get(f"{host}:sub", "")
            if ":oidc-provider/" not in provider or arn_problems(provider):
                problems.append(f"statement {i}: {provider} is not an OIDC provider ARN")
            elif set(cond) != {"StringEquals"} or set(cond["StringEquals"]) != {f"{host}:sub", f"{host}:aud"}:
                problems.append(f"statement {i}: conditions must be StringEquals on {host}:sub and :aud only")
            elif cond["StringEquals"][f"{host}:aud"] != "sts.amazonaws.com":
                problems.append(f"statement {i}: audience is not sts.amazonaws.com")
            elif not re.fullmatch(r"system:serviceaccount:[a-z0-9-]+:[a-z0-9.-]+", sub):
                problems.append(f"statement {i}: {sub!r} is not one ServiceAccount")
        else:
            problems.append(f"statement {i}: trusts {principal} for {action}")
    return problems


def actions(doc: Mapping[str, Any]) -> set[str]:
    """The actions a document allows (Allow statements only)."""
    granted: set[str] = set()
    for st in statements(doc):
        if st.get("Effect") == "Allow":
            raw = st.get("Action", [])
            granted |= {raw} if isinstance(raw, str) else set(raw)
    return granted


def missing_actions(ours: Mapping[str, Any], upstream: Iterable[Mapping[str, Any]]) -> set[str]:
    """Actions an upstream policy allows that ours does not."""
    wanted: set[str] = set()
    for doc in upstream:
        wanted |= actions(doc)
    return wanted - actions(ours)


@dataclass(frozen=True)
class Finding:
    """One parliament finding."""

    issue: str
    severity: str
    detail: str


SERIOUS = ("CRITICAL", "HIGH", "MEDIUM")
"""parliament severities a check treats as failures unless accepted (its ``config.yaml``: MALFORMED and
DUPLICATE_SID are HIGH, JSON errors CRITICAL, INVALID_ARN / RESOURCE_MISMATCH / UNKNOWN_* conditions MEDIUM)."""


def lint(text: str) -> list[Finding]:
    """parliament's findings on one document (built-in auditors, no community ones)."""
    policy = parliament.analyze_policy_string(text)
    found = []
    for f in policy.findings:
        enhanced = parliament.enhance_finding(f)
        found.append(Finding(f.issue, enhanced.severity, json.dumps(f.detail, sort_keys=True, default=str)))
    return found


class _CfnLoader(yaml.SafeLoader):
    """A safe loader that reads CloudFormation's short tags (``!Sub``, ``!GetAtt``, ``!Ref``) as plain values."""


for _tag in ("!Sub", "!GetAtt", "!Ref"):
    _CfnLoader.add_constructor(_tag, lambda loader, node: loader.construct_scalar(node))  # type: ignore[arg-type]


UPSTREAM_CONTROLLER_POLICIES = (
    "NodeLifecyclePolicy",
    "IAMIntegrationPolicy",
    "EKSIntegrationPolicy",
    "InterruptionPolicy",
    "ZonalShiftPolicy",
    "ResourceDiscoveryPolicy",
)
"""The managed policies Karpenter's v1.14 template gives the controller (``KarpenterControllerRole`` in the
getting-started guide attaches these six)."""


def upstream_karpenter_policies(path: Path, values: Mapping[str, str]) -> list[dict[str, Any]]:
    """The controller's policy documents from Karpenter's template at ``path``, with ``${...}`` substituted from
    ``values`` (``AWS::Partition``, ``AWS::Region``, ``AWS::AccountId``, ``ClusterName``,
    ``KarpenterNodeRole.Arn``, ``KarpenterInterruptionQueue.Arn``); an unknown variable is an error."""
    template = yaml.load(path.read_text(), Loader=_CfnLoader)  # a SafeLoader subclass: safe
    docs = []
    for name in UPSTREAM_CONTROLLER_POLICIES:
        text = template["Resources"][name]["Properties"]["PolicyDocument"]

        def fill(m: re.Match[str]) -> str:
            return values[m.group(1)]

        docs.append(json.loads(re.sub(r"\$\{([^}]+)\}", fill, text)))
    return docs


def normalized(statement: Mapping[str, Any]) -> dict[str, Any]:
    """A statement with one-element lists and lists in any order made comparable."""

    def norm(value: Any) -> Any:
        if isinstance(value, list):
            items = sorted((norm(v) for v in value), key=json.dumps)
            return items[0] if len(items) == 1 else items
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        return value

    result: dict[str, Any] = norm(dict(statement))
    return result
