"""``platform.tls.acmeDns01`` is checked against the ClusterIssuer CRD of cert-manager v1.21.1 (the pinned schema,
/work/shared/upstream/crd-schemas/cert-manager.io/clusterissuer_v1.json, ``spec.acme.solvers[].dns01``) before
anything is registered: rev15e defect 2 (``{route53: "yes"}`` and ``cnameStrategy: Sometimes`` planned and rendered a
ClusterIssuer the API server refuses). The one-line messages of the stack-file cases are in tests/bad_inputs/cases
(``acme-dns01-*``).

The schemas the check reads (each registered cloud's ``Cloud.dns01_schema`` and the non-cloud providers of
components/platform/settings.py) are compared here with the pinned CRD, and our verdict on each value is compared
with the CRD's own (jsonschema over a ClusterIssuer carrying the value).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from platform_support import obj_named, plan_platform

from components import clouds
from components.errors import SpecError
from components.platform.settings import PlatformSettings, acme_dns01_schema
from support import upstream_dir, validate_custom_resource

CRD = Path("crd-schemas/cert-manager.io/clusterissuer_v1.json")
"""Under the upstream data folder (tests/support.py ``upstream_dir``: MLPLATFORM_UPSTREAM, else ../shared/upstream)."""
ACME = {"issuer": "acme", "acmeEmail": "ops@mycorp.io"}


def _dns01_schema() -> dict[str, Any]:
    schema = json.loads((upstream_dir() / CRD).read_text())
    solver = schema["properties"]["spec"]["properties"]["acme"]["properties"]["solvers"]["items"]["properties"]
    return dict(solver["dns01"]["properties"])


def _structural(node: Any) -> Any:
    """A CRD schema without its documentation (``description``) and list semantics (``x-kubernetes-list-type``, which
    decides how a server-side apply merges a list, not what is valid)."""
    if isinstance(node, dict):
        return {k: _structural(v) for k, v in node.items() if k not in ("description", "x-kubernetes-list-type")}
    if isinstance(node, list):
        return [_structural(v) for v in node]
    return node


def test_the_checked_schemas_are_the_pinned_crds() -> None:
    crd = {k: _structural(v) for k, v in _dns01_schema().items()}
    ours = {k: json.loads(json.dumps(v)) for k, v in acme_dns01_schema().items()}
    assert ours == crd
    # each cloud's solver schema is its registry entry's
    for cloud in clouds.all_clouds():
        if cloud.dns01_solver:
            assert json.loads(json.dumps(cloud.dns01_schema)) == crd[cloud.dns01_solver], cloud.name


def _issuer(dns01: Any) -> dict[str, Any]:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": "mlplatform-acme"},
        "spec": {
            "acme": {
                "email": "ops@mycorp.io",
                "server": "https://acme-v02.api.letsencrypt.org/directory",
                "privateKeySecretRef": {"name": "mlplatform-acme-account"},
                "solvers": [{"dns01": dns01}],
            }
        },
    }


REF = {"name": "creds", "key": "token"}
VALUES: list[tuple[Any, str | None]] = [
    # (acmeDns01 as given without platform.dns, the line's key path and value, or None when accepted)
    ({"route53": {"region": "us-east-1"}}, None),
    ({"route53": {"region": "us-east-1", "hostedZoneID": "Z1", "role": "arn:aws:iam::1:role/r"}}, None),
    ({"route53": {"accessKeyIDSecretRef": REF, "secretAccessKeySecretRef": REF}, "cnameStrategy": "Follow"}, None),
    ({"route53": {"auth": {"kubernetes": {"serviceAccountRef": {"name": "cm", "audiences": ["sts"]}}}}}, None),
    ({"cloudDNS": {"project": "p", "hostedZoneName": "z", "serviceAccountSecretRef": REF}}, None),
    ({"azureDNS": {"subscriptionID": "s", "resourceGroupName": "rg", "environment": "AzureChinaCloud"}}, None),
    ({"cloudflare": {"apiTokenSecretRef": REF, "email": "ops@mycorp.io"}}, None),
    ({"rfc2136": {"nameserver": "10.0.0.53", "protocol": "TCP"}}, None),
    ({"webhook": {"groupName": "acme.mycorp.io", "solverName": "x", "config": {"any": [1, {"thing": True}]}}}, None),
    ({"route53": {}, "cnameStrategy": "None"}, None),
    ({"route53": "yes"}, "acmeDns01.route53: yes"),
    ({"route53": {"region": "us-east-1"}, "cnameStrategy": "Sometimes"}, "acmeDns01.cnameStrategy: Sometimes"),
    ({"route53": {"regoin": "us-east-1"}}, "acmeDns01.route53.regoin: us-east-1"),
    ({"route53": {"region": 1}}, "acmeDns01.route53.region: 1"),
    ({"route53": ["us-east-1"]}, 'acmeDns01.route53: ["us-east-1"]'),
    ({"cloudflare": {"apiTokenSecretRef": {"key": "token"}}}, "acmeDns01.cloudflare.apiTokenSecretRef.name: missing"),
    # a string where a Secret reference goes may be the token itself: never echoed (components/credentials.py)
    ({"cloudflare": {"apiTokenSecretRef": "creds"}}, "acmeDns01.cloudflare.apiTokenSecretRef: [plain text]"),
    (
        {"azureDNS": {"subscriptionID": "s", "resourceGroupName": "rg", "zoneType": "Public"}},
        "acmeDns01.azureDNS.zoneType: Public",
    ),
    ({"rfc2136": {"nameserver": "10.0.0.53", "protocol": "SCTP"}}, "acmeDns01.rfc2136.protocol: SCTP"),
    (
        {"route53": {"auth": {"kubernetes": {"serviceAccountRef": {"name": "cm", "audiences": "sts"}}}}},
        "acmeDns01.route53.auth.kubernetes.serviceAccountRef.audiences: sts",
    ),
    ({"route53": {"auth": {"kubernetes": {}}}}, "acmeDns01.route53.auth.kubernetes.serviceAccountRef: missing"),
]


@pytest.mark.parametrize(("dns01", "line"), VALUES, ids=[str(i) for i in range(len(VALUES))])
def test_a_value_is_refused_in_one_line_exactly_when_the_crd_refuses_it(dns01: Any, line: str | None) -> None:
    crd_problems = validate_custom_resource(_issuer(dns01))
    if line is None:
        PlatformSettings.model_validate({"tls": {**ACME, "acmeDns01": dns01}})
        # a provider's own required fields come from platform.dns or the stack (infra/config.py) and are not in these
        assert [p for p in crd_problems if "is a required property" not in p] == []
        return
    with pytest.raises(SpecError) as err:
        PlatformSettings.model_validate({"tls": {**ACME, "acmeDns01": dns01}})
    message = str(err.value)
    assert "\n" not in message and f"PlatformSettings.tls.{line}" in message, message
    assert crd_problems, f"the CRD accepts {dns01}"


def test_the_rendered_issuer_with_a_checked_solver_passes_the_crd() -> None:
    """A solver that passes the check renders a ClusterIssuer the pinned CRD accepts (the derived Route 53 solver
    with the stack's fields laid over it)."""
    dns01 = {"route53": {"region": "us-east-1", "role": "arn:aws:iam::1:role/dns"}, "cnameStrategy": "Follow"}
    tls = {**ACME, "acmeDns01": dns01}
    result = plan_platform({"domain": "models.example.com", "dns": {"zone": "example.com", "id": "ZONE1"}, "tls": tls})
    issuer = obj_named(result, "ClusterIssuer", "mlplatform-acme")
    assert issuer["spec"]["acme"]["solvers"] == [
        {
            "dns01": {
                "route53": {"region": "us-east-1", "hostedZoneID": "ZONE1", "role": "arn:aws:iam::1:role/dns"},
                "cnameStrategy": "Follow",
            }
        }
    ]
    assert validate_custom_resource(issuer) == []
