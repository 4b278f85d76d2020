"""A prod stack that logs requests passes ``prod-protect-stateful`` on every cloud (rev14 defect 7).

The request-log collector's cloud identity (a Google service account on GKE, a user-assigned managed identity on
AKS; an IAM role on EKS) is the platform's, one per stack, and outlives every model: the rule treats
``gcp:serviceaccount/account:Account`` and ``azure-native:managedidentity:UserAssignedIdentity`` as stateful
(policy/clouds/gcp.py, policy/clouds/azure.py ``stateful``) outside a ModelService. It was registered without
``protect`` (components/clusters/gke.py ``_workload_identity``, aks.py ``_federated_identity``), so
``gcp-prod`` with ``platform.requestLogs`` and ``azure-staging`` with ``environment: prod`` failed the mandatory rule.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from policy.rules import StackSettings, resources_from_plan
from support import ROOT, plan_config, rule_entries, shared_cache

RULE = "prod-protect-stateful"
IDENTITY = {
    "gcp-prod": ("gcp:serviceaccount/account:Account", "mlplatform-request-logs-gsa"),
    "azure-staging": ("azure-native:managedidentity:UserAssignedIdentity", "mlplatform-request-logs-identity"),
    "aws-dev": ("aws:iam/role:Role", "mlplatform-request-logs-role"),
}


@shared_cache
def prod_logging(stack: str) -> tuple[Any, ...]:
    """``stack`` as a prod stack with ``platform.requestLogs`` and its first model logging: (resources, settings)."""
    raw = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    cfg = {k.removeprefix("mlplatform:"): v for k, v in raw.items()}
    cfg["environment"] = "prod"
    first = next(iter(cfg["models"]))
    cfg["models"][first]["logger"] = {"mode": "all"}
    cfg["platform"] = {**cfg.get("platform", {}), "requestLogs": {"retentionDays": 7}}
    secrets = {k: "placeholder" for k, v in list(cfg.items()) if isinstance(v, dict) and "secure" in v}
    for key in secrets:
        del cfg[key]
    result = plan_config(cfg, stack=stack, secrets=secrets)
    settings = StackSettings.from_config({f"mlplatform:{k}": v for k, v in cfg.items()})
    return tuple(resources_from_plan(result)), settings


@pytest.mark.parametrize("stack", ["gcp-prod", "azure-staging", "aws-dev"])
def test_a_prod_stack_with_request_logs_passes_prod_protect_stateful(stack: str) -> None:
    resources, settings = prod_logging(stack)
    assert settings.facts.environment == "prod"
    type_, name = IDENTITY[stack]
    identity = [r for r in resources if r.type == type_ and r.name == name]
    assert len(identity) == 1, sorted(r.name for r in resources if "request-logs" in r.name)
    entries = [e for e in rule_entries(resources, settings) if e["policy"] == RULE]
    assert entries
    assert [e["message"] for e in entries if not e["passed"]] == []
    if stack != "aws-dev":  # an IAM role is not stateful to the rule (policy/clouds/aws.py: KMS key, OIDC provider)
        assert identity[0].protect is True
