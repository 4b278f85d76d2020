"""fix17q: four one-line slips of rev17l (issue #17) the plan's policies did not catch, caught on shipped stacks' plans.

- rev17l 03, ``kms-key-rotation``: the EKS secrets key's ``deletionWindowInDays`` 30 -> 7;
- rev17l 04, ``request-log-retention`` (new): the request-log store's expiry rule disabled, on S3, GCS and Azure;
- rev17l 05, ``workload-identity-trust``: the EBS CSI add-on's role trusted by the node DaemonSet's ServiceAccount;
- rev17l 06, ``aws-dns-records-scoped``: Route 53 zone reads on ``*`` instead of the stack's zone.

Each test mutates the plan of a shipped stack (with the benchmark's platform settings where the slip's code renders
only with them: benchmarks/policy_mutations.py ``RL_AWS``, ``RL_GCP``, ``AWS_DNS``) the way the slip renders it, and
the boundary cases on either side. The plain plan (values known after deploy unknown) and the placeholder rendering
are both judged where the slip's value is a literal in both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from components.errors import SpecError
from components.plan.engine import OutputsMode
from policy.rules import Resource, StackSettings, run_rules
from support import ROOT, mutated_resources, rules_named, rules_plan, shared_cache

KMS, RETENTION = "kms-key-rotation", "request-log-retention"
TRUST, DNS = "workload-identity-trust", "aws-dns-records-scoped"
LOGS = json.dumps({"requestLogs": {"retentionDays": 14}})
"""The benchmark's RL_AWS / RL_GCP / RL_AZURE platform settings: the collector and its store (no shipped stack
installs it as shipped)."""
ZONE = "Z0123456789ABCDEFGHIJ"
AWS_DNS = json.dumps(
    {
        "dns": {"zone": "dev.example.com", "id": ZONE},
        "tls": {"issuer": "acme", "acmeEmail": "platform@mlplatform-dev.dev"},
    }
)
"""The benchmark's AWS_DNS platform settings for aws-dev: a Route 53 zone with external-dns and ACME DNS-01."""
BOTH: tuple[OutputsMode, ...] = ("unknown", "fake")
"""The plain plan (``mlplatform plan``) and the placeholder rendering (``--placeholders``)."""


@shared_cache
def overlay_plan(
    stack: str, platform: str, outputs: OutputsMode = "fake"
) -> tuple[tuple[Resource, ...], StackSettings]:
    """A shipped stack's plan with ``platform`` (JSON) merged into its ``mlplatform:platform``, as the benchmark's
    ``platform=`` settings do (benchmarks/policy_mutations.py ``_overlay``): its resources and settings."""
    from components.plan.engine import run_program
    from components.plan.project import load_project, read_stack_file
    from policy.rules import resources_from_plan

    project = load_project(ROOT)
    cfg = read_stack_file(project, stack)
    config = dict(cfg.config)
    own: Any = config.get("mlplatform:platform") or {}
    own = json.loads(own) if isinstance(own, str) else own
    config["mlplatform:platform"] = json.dumps({**own, **json.loads(platform)})
    result = run_program(
        project.root, stack, config, cfg.secret_keys, main=project.main, project=project.name, outputs=outputs
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


def failures(resources: Any, settings: StackSettings, rule: str) -> list[str]:
    return [e["message"] for e in run_rules(list(resources), settings, rules=rules_named(rule)) if not e["passed"]]


def named(suffix: str) -> Callable[[Resource], bool]:
    return lambda r: r.name.endswith(suffix)


# ------------------------------------------------------------------------------------------------ rev17l 03: KMS


@pytest.mark.parametrize("outputs", BOTH)
@pytest.mark.parametrize(
    ("days", "fails"),
    [(7, True), (29, True), (30, False), (None, False)],
    ids=["7-the-slip", "29", "30-shipped", "unset-aws-default-30"],
)
def test_the_eks_secrets_key_keeps_a_30_day_deletion_window(
    outputs: OutputsMode, days: int | None, fails: bool
) -> None:
    resources, settings = rules_plan("aws-dev", outputs)
    key = [r for r in resources if r.type == "aws:kms/key:Key"]
    assert [(r.name, r.props["deletionWindowInDays"]) for r in key] == [("mlplatform-secrets-key", 30)]

    def window(p: dict[str, Any]) -> None:
        if days is None:
            del p["deletionWindowInDays"]
        else:
            p["deletionWindowInDays"] = days

    mutated = mutated_resources(resources, named("secrets-key"), window, exactly=1)
    assert failures(mutated, settings, KMS) == (
        [
            f"KMS key mlplatform-secrets-key deletionWindowInDays is {days}: keep 30 (AWS's longest and default), so a "
            "deletion scheduled by mistake can be noticed and cancelled before the cluster's Secrets are lost"
        ]
        if fails
        else []
    )


# ------------------------------------------------------------------------------------------------ rev17l 04: retention


@pytest.mark.parametrize("stack", ["aws-dev", "gcp-prod", "azure-staging"])
@pytest.mark.parametrize("outputs", BOTH)
def test_the_request_log_stores_pass_and_the_settings_carry_prefix_and_retention(
    stack: str, outputs: OutputsMode
) -> None:
    resources, settings = overlay_plan(stack, LOGS, outputs)
    assert settings.facts.request_log_store == ("request-logs", 14)
    assert failures(resources, settings, RETENTION) == []
    entry = run_rules(list(resources), settings, rules=rules_named(RETENTION))[0]
    assert not entry.get("unchecked"), entry


def test_the_fact_is_the_default_retention_and_none_where_the_platform_creates_no_store() -> None:
    assert rules_plan("aws-dev")[1].facts.request_log_store == ("request-logs", 30)  # no requestLogs: the defaults
    assert rules_plan("local")[1].facts.request_log_store is None  # an existing cluster: records on a volume
    own = overlay_plan("gcp-prod", json.dumps({"requestLogs": {"bucket": "team-logs"}}))
    assert own[1].facts.request_log_store is None  # the stack's own bucket: its retention is its owner's
    assert not [r for r in own[0] if r.name.endswith("-request-logs-bucket")]


def test_the_settings_carry_the_store_to_the_saved_plan_and_back() -> None:
    _, settings = overlay_plan("aws-dev", LOGS)
    doc = settings.to_json()
    assert doc["requestLogStore"] == {"prefix": "request-logs", "retentionDays": 14}
    assert StackSettings.from_json(doc).facts.request_log_store == ("request-logs", 14)
    older = {k: v for k, v in doc.items() if k != "requestLogStore"}
    assert StackSettings.from_json(older).facts.request_log_store is None
    for wrong in ({"prefix": "request-logs", "retentionDays": 0}, {"prefix": "", "retentionDays": 14}, [14]):
        with pytest.raises(SpecError, match=r"settings\.requestLogStore"):
            StackSettings.from_json({**doc, "requestLogStore": wrong})


def _s3(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda p: change(p["rules"][0])


S3_LINE = (
    "S3 lifecycle configuration mlplatform-request-logs-bucket-retention of request-log bucket "
    "mlplatform-request-logs-bucket expires no record after retentionDays: rules[0] "
)
S3_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str | None]] = {
    "disabled-the-slip": (
        lambda r: r.update(status="Disabled"),
        "status is 'Disabled', not 'Enabled': the rule is not applied",
    ),
    "enabled": (lambda r: r.update(status="Enabled"), None),
    "days-15": (lambda r: r["expiration"].update(days=15), "expiration.days is 15, not the stack's retentionDays 14"),
    "days-13": (lambda r: r["expiration"].update(days=13), "expiration.days is 13, not the stack's retentionDays 14"),
    "on-a-date": (
        lambda r: r.update(expiration={"date": "2030-01-01"}),
        "has no expiration.days: it deletes no record after a number of days",
    ),
    "sibling-prefix": (
        lambda r: r.update(filter={"prefix": "request-logs-archive/"}),
        "filter prefix 'request-logs-archive/' does not cover the records under request-logs/",
    ),
    "tag-filter": (
        lambda r: r.update(filter={"tag": {"key": "keep", "value": "no"}}),
        "filter narrows it by tag: records the filter does not match are never deleted",
    ),
    "whole-bucket": (lambda r: r.update(filter={}), None),
    "wider-prefix": (lambda r: r.update(filter={"prefix": "request"}), None),
}


@pytest.mark.parametrize("outputs", BOTH)
@pytest.mark.parametrize("case", list(S3_CASES))
def test_the_s3_request_log_bucket_expires_its_records(outputs: OutputsMode, case: str) -> None:
    change, line = S3_CASES[case]
    resources, settings = overlay_plan("aws-dev", LOGS, outputs)
    mutated = mutated_resources(resources, named("-request-logs-bucket-retention"), _s3(change), exactly=1)
    assert failures(mutated, settings, RETENTION) == ([] if line is None else [S3_LINE + line])


def test_an_s3_request_log_bucket_without_its_lifecycle_configuration_fails() -> None:
    resources, settings = overlay_plan("aws-dev", LOGS, "unknown")
    without = [r for r in resources if not r.name.endswith("-request-logs-bucket-retention")]
    assert len(without) == len(resources) - 1
    assert failures(without, settings, RETENTION) == [
        "S3 bucket mlplatform-request-logs-bucket holds the request logs but has no BucketLifecycleConfiguration: "
        "every record (request and response bodies) is kept forever, not retentionDays"
    ]


def test_a_second_enabled_rule_keeps_a_disabled_one_from_failing_and_an_older_plan_still_judges_the_status() -> None:
    resources, settings = overlay_plan("aws-dev", LOGS)

    def two(p: dict[str, Any]) -> None:
        p["rules"] = [{**p["rules"][0], "status": "Disabled"}, p["rules"][0]]

    assert failures(mutated_resources(resources, named("-bucket-retention"), two, exactly=1), settings, RETENTION) == []
    older = StackSettings.from_json({k: v for k, v in settings.to_json().items() if k != "requestLogStore"})
    days = mutated_resources(resources, named("-bucket-retention"), _s3(lambda r: r["expiration"].update(days=99)))
    assert failures(days, older, RETENTION) == []  # the retention is not known to an older plan
    off = mutated_resources(resources, named("-bucket-retention"), _s3(lambda r: r.update(status="Disabled")))
    assert failures(off, older, RETENTION) == [S3_LINE + "status is 'Disabled', not 'Enabled': the rule is not applied"]


GCS_LINE = (
    "GCS bucket mlplatform-request-logs-bucket holds the request logs but deletes no record after retentionDays: "
    "lifecycleRules[0] {} (records are kept forever)"
)
GCS_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str | None]] = {
    "set-storage-class": (
        lambda r: r["action"].update(type="SetStorageClass", storageClass="COLDLINE"),
        "action is 'SetStorageClass', not 'Delete': it deletes no record",
    ),
    "age-15": (lambda r: r["condition"].update(age=15), "condition.age is 15, not the stack's retentionDays 14"),
    "no-age": (
        lambda r: r["condition"].pop("age"),
        "has no condition.age: it deletes no record after a number of days",
    ),
    "archived-only": (
        lambda r: r["condition"].update(withState="ARCHIVED"),
        "condition.withState is 'ARCHIVED': it matches no live record",
    ),
    "live": (lambda r: r["condition"].update(withState="LIVE"), None),
    "suffix": (
        lambda r: r["condition"].update(matchesSuffixes=[".gz"]),
        "condition narrows it by matchesSuffixes: records it does not match are never deleted",
    ),
    "sibling-prefix": (
        lambda r: r["condition"].update(matchesPrefixes=["request-logs-archive/"]),
        "condition.matchesPrefixes ['request-logs-archive/'] do not cover the records under request-logs/",
    ),
    "every-object": (lambda r: r["condition"].pop("matchesPrefixes"), None),
}


@pytest.mark.parametrize("outputs", BOTH)
@pytest.mark.parametrize("case", list(GCS_CASES))
def test_the_gcs_request_log_bucket_deletes_its_records(outputs: OutputsMode, case: str) -> None:
    change, line = GCS_CASES[case]
    resources, settings = overlay_plan("gcp-prod", LOGS, outputs)
    mutated = mutated_resources(
        resources, named("-request-logs-bucket"), lambda p: change(p["lifecycleRules"][0]), exactly=1
    )
    assert failures(mutated, settings, RETENTION) == ([] if line is None else [GCS_LINE.format(line)])


def test_a_gcs_request_log_bucket_without_lifecycle_rules_fails() -> None:
    resources, settings = overlay_plan("gcp-prod", LOGS, "unknown")
    mutated = mutated_resources(resources, named("-request-logs-bucket"), lambda p: p.pop("lifecycleRules"), exactly=1)
    assert failures(mutated, settings, RETENTION) == [
        "GCS bucket mlplatform-request-logs-bucket holds the request logs but deletes no record after retentionDays: "
        "it has no lifecycle rule (records are kept forever)"
    ]


AZ_LINE = (
    "lifecycle management policy mlplatform-request-logs-retention of request-log storage account "
    "mlplatform-request-logs-account deletes no record after retentionDays: rules[0] "
)
AZ_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str | None]] = {
    "disabled": (lambda r: r.update(enabled=False), "enabled is False: the rule is not applied"),
    "enabled-unset-defaults-true": (lambda r: r.pop("enabled"), None),
    "days-15": (
        lambda r: r["definition"]["actions"]["baseBlob"]["delete"].update(daysAfterModificationGreaterThan=15),
        "actions.baseBlob.delete.daysAfterModificationGreaterThan is 15, not the stack's retentionDays 14",
    ),
    "after-last-access": (
        lambda r: r["definition"]["actions"]["baseBlob"].update(delete={"daysAfterLastAccessTimeGreaterThan": 14}),
        "deletes after daysAfterLastAccessTimeGreaterThan: each read of a record restarts its count",
    ),
    "after-creation": (
        lambda r: r["definition"]["actions"]["baseBlob"].update(delete={"daysAfterCreationGreaterThan": 14}),
        None,
    ),
    "tier-not-delete": (
        lambda r: r["definition"]["actions"].update(baseBlob={"tierToCool": {"daysAfterModificationGreaterThan": 14}}),
        "has no actions.baseBlob.delete.daysAfterModificationGreaterThan: it deletes no record after a number of days",
    ),
    "append-blobs-only": (
        lambda r: r["definition"]["filters"].update(blobTypes=["appendBlob"]),
        "filters.blobTypes ['appendBlob'] leave out blockBlob, the records' type",
    ),
    "other-folder": (
        lambda r: r["definition"]["filters"].update(prefixMatch=["request-logs/archive/"]),
        "filters.prefixMatch ['request-logs/archive/'] do not cover the records under request-logs/request-logs/",
    ),
    "whole-container": (lambda r: r["definition"]["filters"].update(prefixMatch=["request-logs/"]), None),
}


@pytest.mark.parametrize("outputs", BOTH)
@pytest.mark.parametrize("case", list(AZ_CASES))
def test_the_azure_request_log_account_deletes_its_records(outputs: OutputsMode, case: str) -> None:
    change, line = AZ_CASES[case]
    resources, settings = overlay_plan("azure-staging", LOGS, outputs)
    mutated = mutated_resources(
        resources, named("-request-logs-retention"), lambda p: change(p["policy"]["rules"][0]), exactly=1
    )
    assert failures(mutated, settings, RETENTION) == ([] if line is None else [AZ_LINE + line])


def test_an_azure_request_log_account_without_its_management_policy_fails() -> None:
    resources, settings = overlay_plan("azure-staging", LOGS, "unknown")
    without = [r for r in resources if not r.name.endswith("-request-logs-retention")]
    assert len(without) == len(resources) - 1
    assert failures(without, settings, RETENTION) == [
        "storage account mlplatform-request-logs-account holds the request logs but has no lifecycle management "
        "policy: every record (request and response bodies) is kept forever, not retentionDays"
    ]


# ------------------------------------------------------------------------------------------------ rev17l 05: EBS CSI


def _trusting(subject: str) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        assert "system:serviceaccount:kube-system:ebs-csi-controller-sa" in p["assumeRolePolicy"]
        p["assumeRolePolicy"] = p["assumeRolePolicy"].replace(
            "system:serviceaccount:kube-system:ebs-csi-controller-sa", subject
        )

    return change


@pytest.mark.parametrize(
    ("subject", "fails"),
    [
        ("system:serviceaccount:kube-system:ebs-csi-node-sa", True),  # the slip
        ("system:serviceaccount:default:ebs-csi-controller-sa", True),
        ("system:serviceaccount:kube-system:ebs-csi-controller-sa", False),
    ],
    ids=["node-sa", "other-namespace", "controller-sa"],
)
def test_the_ebs_csi_role_trusts_the_controllers_service_account(subject: str, fails: bool) -> None:
    """Judged over the placeholder rendering: the trust policy names the OIDC provider, known only after deploy in
    the plain plan, which reports the rule unchecked and has it judged there (policy/judged.py)."""
    resources, settings = rules_plan("aws-dev")
    mutated = mutated_resources(resources, named("mlplatform-ebs-csi"), _trusting(subject), exactly=1)
    assert failures(mutated, settings, TRUST) == (
        [
            f"IAM role mlplatform-ebs-csi of EKS add-on aws-ebs-csi-driver trusts {subject}, not "
            "system:serviceaccount:kube-system:ebs-csi-controller-sa, the ServiceAccount the add-on runs its "
            "controller as"
        ]
        if fails
        else []
    )


def test_an_ebs_csi_trust_without_a_subject_fails_once() -> None:
    """No single ``sub``: the role's own IRSA check fails it; the add-on check adds no second line."""
    resources, settings = rules_plan("aws-dev")

    def no_sub(p: dict[str, Any]) -> None:
        doc = json.loads(p["assumeRolePolicy"])
        equals = doc["Statement"][0]["Condition"]["StringEquals"]
        (sub,) = [k for k in equals if k.endswith(":sub")]
        del equals[sub]
        p["assumeRolePolicy"] = json.dumps(doc)

    found = failures(mutated_resources(resources, named("mlplatform-ebs-csi"), no_sub, exactly=1), settings, TRUST)
    assert len(found) == 1 and found[0].startswith("IAM role mlplatform-ebs-csi trust policy: Statement[0] has no "), (
        found
    )


def test_the_plain_plan_leaves_the_ebs_csi_trust_to_the_placeholder_rendering() -> None:
    resources, settings = rules_plan("aws-dev", "unknown")
    entries = run_rules(list(resources), settings, rules=rules_named(TRUST))
    assert [e["passed"] for e in entries] == [True]
    assert "trust policy of role mlplatform-ebs-csi" in entries[0]["unchecked"]


def test_an_eks_add_on_role_the_rule_cannot_place_fails_and_add_ons_without_a_role_pass() -> None:
    resources, settings = rules_plan("aws-dev")
    addons = {r.props["addonName"]: r for r in resources if r.type == "aws:eks/addon:Addon"}
    assert "serviceAccountRoleArn" not in addons["vpc-cni"].props  # no role: nothing to judge
    mutated = mutated_resources(
        resources, named("mlplatform-ebs-csi-addon"), lambda p: p.update(addonName="aws-efs-csi-driver"), exactly=1
    )
    assert failures(mutated, settings, TRUST) == [
        "EKS add-on mlplatform-ebs-csi-addon ('aws-efs-csi-driver') runs as an IAM role, but the rule does not know "
        "the ServiceAccount that add-on gives it (known: aws-ebs-csi-driver): its trust cannot be judged"
    ]


def test_the_rules_add_on_table_is_the_components_constant() -> None:
    """The rule keeps its own copy (a slip in the component's constant must not move it); a deliberate change
    touches both."""
    from components.clusters import eks
    from policy.clouds import aws

    assert aws.ADDON_SERVICE_ACCOUNTS == {eks.EBS_CSI_ADDON: eks.EBS_CSI_SA}


# ------------------------------------------------------------------------------------------------ rev17l 06: Route 53


def _read_statement(resource: Any, actions: Any = None) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        doc = json.loads(p["policy"])
        reads = [st for st in doc["Statement"] if "route53:ListResourceRecordSets" in st["Action"]]
        assert len(reads) == 1
        reads[0]["Resource"] = resource
        if actions is not None:
            reads[0]["Action"] = actions
        p["policy"] = json.dumps(doc)

    return change


READS = "route53:ListResourceRecordSets, route53:ListTagsForResources"
WIDE = "these reads take a hosted zone; only ListHostedZones and ListHostedZonesByName need '*'"


@pytest.mark.parametrize("outputs", BOTH)
@pytest.mark.parametrize(
    ("resource", "actions", "line"),
    [
        ("*", None, f"Statement[2] grants {READS} on '*': name the stack's hosted zone by its id ({WIDE})"),
        (
            "arn:aws:route53:::hostedzone/*",
            None,
            f"Statement[2] grants {READS} on 'arn:aws:route53:::hostedzone/*': name the stack's hosted zone by its "
            f"id ({WIDE})",
        ),
        (
            "arn:aws:route53:::hostedzone/ZOTHERZONE",
            None,
            f"Statement[2] grants {READS} on hosted zone ZOTHERZONE, not the stack's ({ZONE})",
        ),
        (
            "*",
            ["route53:List*"],
            "Statement[2] grants route53:ListResourceRecordSets, route53:ListTagsForResources, "
            f"route53:ListTagsForResource on '*': name the stack's hosted zone by its id ({WIDE})",
        ),
        (f"arn:aws:route53:::hostedzone/{ZONE}", None, None),
        (f"arn:aws-us-gov:route53:::hostedzone/{ZONE}", None, None),
    ],
    ids=["star-the-slip", "every-zone", "another-zone", "list-star", "the-stacks-zone", "gov-partition"],
)
def test_route53_zone_reads_name_the_stacks_zone(
    outputs: OutputsMode, resource: str, actions: list[str] | None, line: str | None
) -> None:
    resources, settings = overlay_plan("aws-dev", AWS_DNS, outputs)
    assert failures(resources, settings, DNS) == []
    for policy in ("mlplatform-cert-manager-dns-records", "mlplatform-external-dns-dns-records"):
        mutated = mutated_resources(resources, named(policy), _read_statement(resource, actions), exactly=1)
        assert failures(mutated, settings, DNS) == ([] if line is None else [f"{policy}: {line}"])


def test_listing_the_hosted_zones_stays_on_every_resource() -> None:
    """external-dns's ListHostedZones and ListHostedZonesByName take no resource type: on '*' in the shipped plan."""
    resources, settings = overlay_plan("aws-dev", AWS_DNS)
    (policy,) = [r for r in resources if r.name == "mlplatform-external-dns-dns-records"]
    listing = [st for st in json.loads(policy.props["policy"])["Statement"] if st["Resource"] == "*"]
    assert listing == [
        {"Action": ["route53:ListHostedZones", "route53:ListHostedZonesByName"], "Effect": "Allow", "Resource": "*"}
    ]
    assert failures(resources, settings, DNS) == []
