"""The DNS identities cert-manager and external-dns act as are platform identities: protected on a prod stack like
the cluster's own (policy ``prod-protect-stateful``: GCP service accounts and Azure managed identities are stateful,
policy/clouds/gcp.py and azure.py ``stateful``). Found by the session 9 verifier (ver15): gcp-prod with a valid
``platform.dns`` failed its own mandatory policy on the two service accounts."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from support import ROOT, plan_config

DNS = {
    "gcp-prod": {"zone": "models.example.com", "id": "models-zone"},
    "azure-staging": {"zone": "models.staging.example.com", "resourceGroup": "dns-rg"},
}
IDENTITY = {
    "gcp-prod": "gcp:serviceaccount/account:Account",
    "azure-staging": "azure-native:managedidentity:UserAssignedIdentity",
}


def _config(stack: str) -> dict[str, Any]:
    raw = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    cfg = {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("mlplatform:") and k != "mlplatform:hfToken"}
    cfg["environment"] = "prod"
    cfg["platform"] = {**cfg.get("platform", {}), "dns": DNS[stack]}
    return cfg


@pytest.mark.parametrize("stack", sorted(DNS))
def test_dns_identities_are_protected_on_prod(stack: str) -> None:
    result = plan_config(
        _config(stack), stack=stack, outputs="fake", secrets={"hfToken": "hf_test"} if stack == "gcp-prod" else None
    )
    dns = [r for r in result.of_type(IDENTITY[stack]) if "-dns-" in r.name]
    assert dns, [r.name for r in result.of_type(IDENTITY[stack])]
    assert {r.name: r.protect for r in dns} == {r.name: True for r in dns}
