"""rev17m's gateway slips (/work/wt/rev17m-report.md, issue #17) caught by ``gateway-https-only`` on shipped stacks'
plans (or the benchmark's config variant of one), with the boundary cases on either side:

- 17: the gateway Certificate asks an ECDSA key of 2048 bits, which cert-manager's webhook refuses;
- 16: the gateway Certificate is issued by the SelfSigned ClusterIssuer (on an ACME stack);
- 11: Standard mode's Gateway API HTTPS listener in Passthrough, which the Gateway API refuses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from policy.rules import Resource, StackSettings, run_rules
from support import ROOT, cover_plan, mutated_resources, rules_named, rules_plan, shared_cache, without_knative_only

CERT = "kubernetes:cert-manager.io/v1:Certificate"
GATEWAY_API = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
RULE = "gateway-https-only"


@shared_cache
def _variant(stack: str, platform: str) -> tuple[tuple[Resource, ...], StackSettings]:
    """``stack`` planned with its ``mlplatform:platform`` updated by the JSON ``platform`` (the benchmark's
    ``platform=`` variants: AWS_DNS, STANDARD_GCP), Knative-only model fields dropped in Standard mode."""
    from components.plan.engine import run_program
    from components.plan.project import load_project, read_stack_file
    from policy.rules import resources_from_plan

    project = load_project(ROOT)
    cfg = read_stack_file(project, stack)
    merged = {**json.loads(cfg.config.get("mlplatform:platform", "{}")), **json.loads(platform)}
    config = without_knative_only({**cfg.config, "mlplatform:platform": json.dumps(merged)})
    result = run_program(project.root, stack, config, cfg.secret_keys, main=project.main, project=project.name)
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


AWS_DNS = (
    "aws-dev",
    '{"dns": {"zone": "dev.example.com", "id": "Z0123456789ABCDEFGHIJ"}, "tls": {"issuer": "acme", '
    '"acmeEmail": "platform@mlplatform-dev.dev"}}',
)
"""benchmarks/policy_mutations.py AWS_DNS: aws-dev with a Route 53 zone and the ACME ClusterIssuer."""
STANDARD_GCP = ("gcp-prod", '{"deploymentMode": "Standard"}')
"""benchmarks/policy_mutations.py STANDARD_GCP (with STANDARD_GCP_MODELS: qwen-chat's scaleDownDelay dropped)."""


def _failures(resources: Any, settings: StackSettings) -> list[str]:
    entries = run_rules(list(resources), settings, rules=rules_named(RULE))
    return [e["message"] for e in entries if not e["passed"]]


def _gateway_cert(r: Resource) -> bool:
    return r.type == CERT and r.k8s_name == "mlplatform-gateway-tls"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        *head, last = path.split(".")
        node = props
        for key in head:
            node = node[key]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value

    return change


@pytest.mark.parametrize("stack", ["aws-dev", "gcp-prod", "azure-staging", "local"])
def test_shipped_stacks_pass(stack: str) -> None:
    assert _failures(*rules_plan(stack)) == []


def test_variants_pass() -> None:
    assert _failures(*_variant(*AWS_DNS)) == []
    assert _failures(*_variant(*STANDARD_GCP)) == []


# ------------------------------------------------------------------------------------------------ 17: key size

SERVED = "Certificate istio-system/mlplatform-gateway-tls (served by KnativeServing knative-serving/knative-serving "
SERVED += "knative-ingress-gateway)"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (
            {"algorithm": "ECDSA", "size": 2048, "rotationPolicy": "Always"},
            "an ECDSA privateKey.size must be 256, 384 or 521, not 2048",
        ),
        ({"algorithm": "ECDSA", "size": 255}, "an ECDSA privateKey.size must be 256, 384 or 521, not 255"),
        ({"algorithm": "RSA", "size": 1024}, "an RSA privateKey.size must be between 2048 and 8192, not 1024"),
        ({"size": 8193}, "an RSA privateKey.size must be between 2048 and 8192, not 8193"),
        ({"algorithm": "DSA"}, "privateKey.algorithm 'DSA' is none of RSA, ECDSA, Ed25519"),
        ({"algorithm": "ECDSA", "size": 256}, None),  # the shipped key
        ({"algorithm": "ECDSA", "size": 384}, None),
        ({"algorithm": "ECDSA", "size": 521}, None),
        ({"algorithm": "ECDSA"}, None),  # size defaults to 256
        ({"algorithm": "RSA", "size": 2048}, None),
        ({"algorithm": "RSA", "size": 8192}, None),
        ({"size": 4096}, None),  # algorithm defaults to RSA
        ({"algorithm": "Ed25519", "size": 2048}, None),  # size ignored for Ed25519
        (None, None),  # no privateKey: RSA 2048
    ],
)
def test_gateway_certificate_key_cert_manager_admits(key: dict[str, Any] | None, problem: str | None) -> None:
    """rev17m 17: cert-manager's webhook refuses an ECDSA key of 2048 bits (policy/rules/mesh.py ECDSA_KEY_SIZES)."""
    resources, settings = rules_plan("aws-dev")
    mutated = mutated_resources(resources, _gateway_cert, _set("spec.privateKey", key), exactly=1)
    expected = (
        []
        if problem is None
        else [
            f"{SERVED}: cert-manager's webhook refuses it ({problem}): the Certificate is never created and the "
            "gateway has no TLS Secret to serve"
        ]
    )
    assert _failures(mutated, settings) == expected


# ------------------------------------------------------------------------------------------------ 16: issuer

SELF_SIGNED = (
    f"{SERVED} is issued by ClusterIssuer 'mlplatform-selfsigned', a SelfSigned issuer: the certificate signs "
    "itself and no client can trust it; name the stack's issuer (the CA or ACME ClusterIssuer)"
)


def test_gateway_certificate_self_signed_on_acme_stack_fails() -> None:
    """rev17m 16 as the benchmark plans it (AWS_DNS: ACME with a Route 53 zone). An ACME stack creates no
    SelfSigned ClusterIssuer (components/platform/certmanager.py creates mlplatform-selfsigned and mlplatform-ca only
    without ACME), so the slip's Certificate names an issuer that does not exist: cert-manager never issues it (worse
    than the self-signed certificate the slip describes; on a self-signed stack the SelfSigned finding below)."""
    resources, settings = _variant(*AWS_DNS)
    cert = next(r for r in resources if _gateway_cert(r))
    assert cert.props["spec"]["issuerRef"]["name"] == "mlplatform-acme"
    mutated = mutated_resources(resources, _gateway_cert, _set("spec.issuerRef.name", "mlplatform-selfsigned"))
    assert _failures(mutated, settings) == [
        f"{SERVED} names ClusterIssuer 'mlplatform-selfsigned', which the plan does not create: cert-manager never "
        "issues it and the gateway has no TLS Secret to serve"
    ]
    assert not any(r.type.endswith(":ClusterIssuer") and r.k8s_name == "mlplatform-selfsigned" for r in resources)


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("mlplatform-ca", "ClusterIssuer", None),  # the shipped CA issuer
        ("mlplatform-selfsigned", "ClusterIssuer", SELF_SIGNED),
        (
            "mlplatform-acme",
            "ClusterIssuer",
            f"{SERVED} names ClusterIssuer 'mlplatform-acme', which the plan does not create: cert-manager never "
            "issues it and the gateway has no TLS Secret to serve",
        ),
        (  # a namespaced Issuer of that name does not exist in istio-system
            "mlplatform-ca",
            "Issuer",
            f"{SERVED} names Issuer 'mlplatform-ca', which the plan does not create: cert-manager never issues it "
            "and the gateway has no TLS Secret to serve",
        ),
    ],
)
def test_gateway_certificate_issuer_boundaries(name: str, kind: str, expected: str | None) -> None:
    resources, settings = rules_plan("aws-dev")

    def change(props: dict[str, Any]) -> None:
        props["spec"]["issuerRef"].update(name=name, kind=kind)

    mutated = mutated_resources(resources, _gateway_cert, change, exactly=1)
    assert _failures(mutated, settings) == ([] if expected is None else [expected])


def test_gateway_certificate_external_issuer_not_judged() -> None:
    """An issuerRef of another API group (an external issuer) is not one the plan can resolve: not judged."""
    resources, settings = rules_plan("aws-dev")

    def change(props: dict[str, Any]) -> None:
        props["spec"]["issuerRef"] = {"name": "pca", "kind": "AWSPCAClusterIssuer", "group": "awspca.cert-manager.io"}

    assert _failures(mutated_resources(resources, _gateway_cert, change, exactly=1), settings) == []


def test_self_signed_issuer_of_a_certificate_no_gateway_serves_passes() -> None:
    """The CA certificate (cert-manager/mlplatform-ca, served by no gateway) is signed by the SelfSigned issuer by
    design: only the certificates a gateway serves are judged."""
    resources, settings = rules_plan("aws-dev")
    ca = next(r for r in resources if r.type == CERT and r.k8s_name == "mlplatform-ca")
    assert ca.props["spec"]["issuerRef"]["name"] == "mlplatform-selfsigned"
    assert _failures(resources, settings) == []


# ------------------------------------------------------------------------------------------------ 11: passthrough


def _listener_tls(tls: dict[str, Any] | None) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        listener = props["spec"]["listeners"][0]
        assert listener["protocol"] == "HTTPS"
        if tls is None:
            listener.pop("tls")
        else:
            listener["tls"] = tls

    return change


REFS = [{"kind": "Secret", "name": "mlplatform-gateway-tls"}]


@pytest.mark.parametrize(
    ("tls", "mode"),
    [
        ({"mode": "Passthrough", "certificateRefs": REFS}, "Passthrough"),
        ({"mode": "terminate", "certificateRefs": REFS}, "terminate"),  # the enum is case-sensitive
        ({"mode": "Terminate", "certificateRefs": REFS}, None),  # the shipped listener
        ({"certificateRefs": REFS}, None),  # mode defaults to Terminate
    ],
)
def test_standard_https_listener_terminates(tls: dict[str, Any], mode: str | None) -> None:
    """rev17m 11 (STANDARD_GCP): the Gateway API refuses an HTTPS listener whose tls.mode is not Terminate."""
    resources, settings = _variant(*STANDARD_GCP)
    mutated = mutated_resources(resources, lambda r: r.type == GATEWAY_API, _listener_tls(tls), exactly=1)
    expected = (
        []
        if mode is None
        else [
            f"Gateway istio-system/mlplatform-gateway listener https (port 443, HTTPS) has tls.mode {mode!r}: the "
            'Gateway API refuses an HTTPS listener that does not terminate TLS ("tls mode must be Terminate for '
            'protocol HTTPS"), so the Gateway is rejected and no model is served; set tls.mode: Terminate'
        ]
    )
    assert _failures(mutated, settings) == expected


# ------------------------------------------------------------------------------------------------ 28: Prometheus URL

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
PROMETHEUS = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"


def _llm_failures(resources: Any, settings: StackSettings) -> list[str]:
    entries = run_rules(list(resources), settings, rules=rules_named("llm-query-scoped"))
    return [e["message"] for e in entries if not e["passed"]]


def _server(address: str) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        metric = props["spec"]["predictor"]["autoScaling"]["metrics"][0]["external"]["metric"]
        assert metric["serverAddress"] == PROMETHEUS
        metric["serverAddress"] = address

    return change


def test_llm_cover_stack_asks_the_platform_prometheus() -> None:
    """The plan the tests below mutate: cover-gcp-standard's two KEDA-scaled LLMs ask the shipped URL."""
    resources, settings = cover_plan("cover-gcp-standard")
    chat = next(r for r in resources if r.type == ISVC and r.k8s_name == "chat")
    assert chat.props["spec"]["predictor"]["autoScaling"]["metrics"][0]["external"]["metric"]["serverAddress"] == (
        PROMETHEUS
    )
    assert _llm_failures(resources, settings) == []


WHERE = "InferenceService models/chat spec.predictor.autoScaling (KEDA): serverAddress "


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (
            "https://kube-prometheus-stack-prometheus.monitoring.svc:9090",
            f"{WHERE}'https://kube-prometheus-stack-prometheus.monitoring.svc:9090' asks https of the platform's "
            f"Prometheus, which serves http ({PROMETHEUS}): every query fails and the model stays at minReplicas",
        ),
        (
            "http://kube-prometheus-stack-prometheus.monitoring.svc:9091",
            f"{WHERE}'http://kube-prometheus-stack-prometheus.monitoring.svc:9091' is not the platform's Prometheus "
            f"({PROMETHEUS}): every query fails and the model stays at minReplicas",
        ),
        (
            "http://prometheus.monitoring.svc:9090",
            f"{WHERE}'http://prometheus.monitoring.svc:9090' is not the platform's Prometheus ({PROMETHEUS}): every "
            "query fails and the model stays at minReplicas",
        ),
        (
            "http://kube-prometheus-stack-prometheus.monitoring.svc",  # port 80
            f"{WHERE}'http://kube-prometheus-stack-prometheus.monitoring.svc' is not the platform's Prometheus "
            f"({PROMETHEUS}): every query fails and the model stays at minReplicas",
        ),
        (PROMETHEUS, None),
        ("http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090", None),  # the full name
        ("HTTP://Kube-Prometheus-Stack-Prometheus.monitoring.svc:9090", None),  # scheme and host are case-insensitive
    ],
)
def test_llm_server_address_is_the_platform_prometheus(address: str, expected: str | None) -> None:
    """rev17m 28: KEDA asking the platform's Prometheus over https (it serves plain HTTP on 9090)."""
    resources, settings = cover_plan("cover-gcp-standard")
    mutated = mutated_resources(resources, lambda r: r.type == ISVC and r.k8s_name == "chat", _server(address))
    assert _llm_failures(mutated, settings) == ([] if expected is None else [expected])


def test_llm_https_passes_when_prometheus_serves_tls() -> None:
    """The other side: a release that gives prometheusSpec.web.tlsConfig serves HTTPS, and https is then the one."""
    resources, settings = cover_plan("cover-gcp-standard")

    def tls(props: dict[str, Any]) -> None:
        props["values"]["prometheus"]["prometheusSpec"]["web"] = {"tlsConfig": {"cert": {}}}

    def monitoring(r: Resource) -> bool:
        return r.type == "kubernetes:helm.sh/v3:Release" and r.props.get("chart") == "kube-prometheus-stack"

    served = mutated_resources(resources, monitoring, tls, exactly=1)
    https = "https://kube-prometheus-stack-prometheus.monitoring.svc:9090"
    isvc = lambda r: r.type == ISVC and r.k8s_name in ("chat", "chat-kv")  # noqa: E731
    assert _llm_failures(mutated_resources(served, isvc, _server(https), exactly=2), settings) == []
    assert len(_llm_failures(served, settings)) == 2  # both still asking http of an HTTPS server


# ------------------------------------------------------------------------------------------------ 09: gateway selector


def _knative(r: Resource) -> bool:
    return r.type.endswith(":KnativeServing")


def _gateway_release(r: Resource) -> bool:
    return r.type == "kubernetes:helm.sh/v3:Release" and r.props.get("chart") == "gateway"


def _selector(selector: dict[str, str]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        gateway = props["spec"]["ingress"]["istio"]["knative-ingress-gateway"]
        assert gateway["selector"] == {"istio": "ingressgateway"}
        gateway["selector"] = selector

    return change


def _unselected(selector: dict[str, str], pods: str) -> str:
    return (
        f"KnativeServing knative-serving/knative-serving knative-ingress-gateway selects pods {selector}, which no "
        f"gateway pod carries ({pods}): no server binds, every model behind it is unreachable; select the gateway "
        "release's labels (istio: ingressgateway)"
    )


SHIPPED_PODS = "istio-ingressgateway (app: istio-ingressgateway, istio: ingressgateway)"


@pytest.mark.parametrize(
    ("selector", "fails"),
    [
        ({"istio": "ingress-gateway"}, True),  # rev17m 09
        ({"istio": "ingressgateway", "app": "gateway"}, True),  # every label must match
        ({"app": "ingressgateway"}, True),
        ({"istio": "ingressgateway"}, False),  # the shipped selector
        ({"app": "istio-ingressgateway"}, False),  # the chart's other selector label
        ({"istio": "ingressgateway", "app": "istio-ingressgateway"}, False),
    ],
)
def test_knative_gateway_selector_selects_the_gateway_pods(selector: dict[str, str], fails: bool) -> None:
    """rev17m 09 on gcp-prod: Knative's public Gateway selecting pods no gateway release labels binds no server."""
    resources, settings = rules_plan("gcp-prod")
    mutated = mutated_resources(resources, _knative, _selector(selector), exactly=1)
    assert _failures(mutated, settings) == ([_unselected(selector, SHIPPED_PODS)] if fails else [])


def test_knative_gateway_selector_follows_the_release_labels() -> None:
    """The gateway release's own ``labels.istio`` (or ``name``) moves its pods' labels: a selector following it
    passes, the shipped one then fails."""
    resources, settings = rules_plan("gcp-prod")

    def labels(props: dict[str, Any]) -> None:
        props["values"]["labels"] = {"istio": "ingress-gateway"}

    relabelled = mutated_resources(resources, _gateway_release, labels, exactly=1)
    pods = "istio-ingressgateway (app: istio-ingressgateway, istio: ingress-gateway)"
    assert _failures(relabelled, settings) == [_unselected({"istio": "ingressgateway"}, pods)]
    both = mutated_resources(relabelled, _knative, _selector({"istio": "ingress-gateway"}), exactly=1)
    assert _failures(both, settings) == []

    def named(props: dict[str, Any]) -> None:
        props["values"]["name"] = "istio-public"

    renamed = mutated_resources(resources, _gateway_release, named, exactly=1)
    assert _failures(mutated_resources(renamed, _knative, _selector({"istio": "public"}), exactly=1), settings) == []


# ------------------------------------------------------------------------------------------------ 10: KServe's gateway


def _kserve(r: Resource) -> bool:
    return r.type == "kubernetes:helm.sh/v3:Release" and str(r.props.get("chart")).endswith("/kserve-resources")


def _ingress_gateway(gateway: str | None) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        ingress = props["values"]["kserve"]["controller"]["gateway"]["ingressGateway"]
        if gateway is None:
            ingress.pop("gateway")
        else:
            ingress["gateway"] = gateway

    return change


@pytest.mark.parametrize(
    ("gateway", "fails"),
    [
        ("knative-serving/knative-local-gateway", True),  # rev17m 10
        ("istio-system/knative-ingress-gateway", True),  # the Gateway lives in the KnativeServing's namespace
        ("knative-serving/knative-ingress-gateway", False),  # shipped
        (None, False),  # the chart's default is knative-serving/knative-ingress-gateway
    ],
)
def test_kserve_binds_public_models_to_the_public_gateway(gateway: str | None, fails: bool) -> None:
    """rev17m 10 on gcp-prod (Knative mode): KServe's ingressGateway.gateway names the HTTPS gateway."""
    resources, settings = rules_plan("gcp-prod")
    mutated = mutated_resources(resources, _kserve, _ingress_gateway(gateway), exactly=1)
    expected = [
        f"KServe release mlplatform-kserve-resources: kserve.controller.gateway.ingressGateway.gateway is {gateway!r}, "
        "not the public HTTPS gateway (knative-serving/knative-ingress-gateway): KServe binds every public model's "
        "URL there, so no public model answers on its published URL; name the public gateway"
    ]
    assert _failures(mutated, settings) == (expected if fails else [])


def test_kserve_gateway_in_standard_mode_not_judged_here() -> None:
    """Standard mode publishes through Gateway API (kserveGateway, judged by standard-gateway-api): the Knative
    ingressGateway.gateway is not read."""
    resources, settings = _variant(*STANDARD_GCP)
    release = next(r for r in resources if _kserve(r))
    assert release.props["values"]["kserve"]["controller"]["deploymentMode"] == "Standard"
    mutated = mutated_resources(resources, _kserve, _ingress_gateway("knative-serving/knative-local-gateway"))
    assert _failures(mutated, settings) == []
