"""ModelService under mocks: children, the InferenceService, scheduling, scaling, auth, PDB, monitoring, outputs."""

from __future__ import annotations

import json

import pytest
from serving_support import (
    AUTHZ,
    CONFIGMAP,
    ISVC,
    JWT,
    L4_POOL,
    L4X4_POOL,
    NAMESPACE,
    PDB,
    PEER_AUTHN,
    POD_MONITOR,
    REQ_AUTHN,
    RULES,
    SA,
    SECRET,
    SERVICE,
    model,
    plan,
)

from components.plan.engine import Secret, contains_secret

GPU = {"cpu": "4", "memory": "16Gi", "gpus": 1, "accelerator": "nvidia-l4"}
PRIVATE_S3 = {"storageUri": "s3://acme-models/resnet/v3", "publicStorage": False}
LLM = model(
    format="huggingface",
    storageUri="hf://Qwen/Qwen2.5-1.5B-Instruct",
    publicStorage=False,
    resources=GPU,
    llm={"maxModelLength": 8192},
    access={"jwt": JWT},
)
SECURITY_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
    "runAsNonRoot": True,
}


def test_children_are_named_by_role_parented_on_the_cluster_provider_and_wait_for_the_platform() -> None:
    p = plan(model(scaling={"minReplicas": 2}, slo={"latencyP95Ms": 300}))
    svc = p.one(SERVICE, "iris")
    children = {(r.type, r.name) for r in p.result.children(svc)}
    assert children == {
        (NAMESPACE, "iris-namespace"),
        (PEER_AUTHN, "iris-mtls"),
        (SA, "iris-sa"),
        (ISVC, "iris-isvc"),
        (AUTHZ, "iris-authz"),
        (PDB, "iris-pdb"),
        ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "iris-netpol"),
        (POD_MONITOR, "iris-metrics"),
        (RULES, "iris-alerts"),
        (CONFIGMAP, "iris-dashboard"),
    }
    provider = p.one("pulumi:providers:kubernetes", "fake-k8s")
    for child in p.result.children(svc):
        assert child.provider_urn == provider.urn, child.name
    ns = p.one(NAMESPACE)
    isvc = p.one(ISVC)
    assert ns.urn in isvc.depends_on
    assert p.one(SA).urn in isvc.depends_on


def test_every_child_waits_for_platform_ready() -> None:
    import pulumi
    import pulumi_kubernetes as k8s
    from serving_support import FakeCluster

    from components.platform.handles import PlatformHandles
    from components.serving.model_service import ModelService, ModelServiceArgs
    from components.serving.spec import ModelSpec
    from support import run

    def program() -> None:
        cluster = FakeCluster()
        ready = k8s.core.v1.ConfigMap("kserve-ready", opts=pulumi.ResourceOptions(provider=cluster.provider))
        platform = PlatformHandles(cluster=cluster, domain="example.com", ready=[ready])
        ModelService("iris", ModelServiceArgs(platform=platform, spec=ModelSpec.model_validate(model())))

    result = run(program)
    ready = result.one(CONFIGMAP, "kserve-ready")
    svc = result.one(SERVICE)
    for child in result.children(svc):
        assert ready.urn in child.depends_on, child.name


def test_cpu_model_scaled_to_zero_in_knative_mode() -> None:
    p = plan(model(scaling={"minReplicas": 0, "maxReplicas": 3}, resources={"cpu": "500m", "memory": "1Gi"}))
    assert p.predictor() == {
        "serviceAccountName": "iris-sa",
        "minReplicas": 0,
        "maxReplicas": 3,
        "scaleMetric": "concurrency",
        "scaleTarget": 10,
        "timeout": 900,
        "labels": {
            "app.kubernetes.io/name": "iris",
            "app.kubernetes.io/instance": "iris",
            "app.kubernetes.io/component": "model",
            "app.kubernetes.io/part-of": "mlplatform",
            "app.kubernetes.io/managed-by": "mlplatform",
        },
        "model": {
            "modelFormat": {"name": "sklearn"},
            "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
            "protocolVersion": "v1",
            "resources": {
                "requests": {"cpu": "500m", "memory": "1Gi"},
                "limits": {"cpu": "500m", "memory": "1Gi"},
            },
            "securityContext": SECURITY_CONTEXT,
        },
    }
    assert p.annotations() == {
        "pulumi.com/waitFor": "condition=Ready",
        "pulumi.com/timeoutSeconds": "900",
        "serving.kserve.io/deploymentMode": "Knative",
        "serving.knative.dev/progress-deadline": "600s",
        "autoscaling.knative.dev/scale-down-delay": "5m",
        "mlplatform.io/access": "public",
        "mlplatform.io/allow-anonymous": "true",
        "mlplatform.io/host": "iris-models.models.example.com",
    }
    meta = p.inputs(ISVC)["metadata"]
    assert (meta["name"], meta["namespace"]) == ("iris", "models")


def test_gpu_model_lands_on_its_accelerator_and_tolerates_the_gpu_taint() -> None:
    p = plan(model(resources=GPU), pools={"l4": L4_POOL})
    pred = p.predictor()
    assert pred["nodeSelector"] == {"mlplatform.io/accelerator": "nvidia-l4"}
    assert pred["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]
    assert pred["model"]["resources"] == {
        "requests": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
        "limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
    }


def test_cpu_model_has_no_gpu_scheduling() -> None:
    pred = plan(model()).predictor()
    assert "nodeSelector" not in pred and "tolerations" not in pred


def test_gpu_scale_to_zero_sets_deadline_and_retention_for_node_boot_and_model_load() -> None:
    p = plan(model(resources=GPU, scaling={"minReplicas": 0}), pools={"l4": L4_POOL})
    ann = p.annotations()
    # The cold-start estimate on the fake cluster (aws, Karpenter by default) at the slow end of each step
    # (components/coldstart.yaml): node boot at its slow end 3.0 (rev16f D6: kubernetes/autoscaler#3464's 6 min less
    # the driver step) + GPU allocatable 3 + kserve-sklearnserver image 1 GB at 2 GB/min 0.5 + sklearn model 0.01 GB
    # at the 1 GB/min slow end 0.01 + load 0.1 + readiness 0.25 = 6.86 min = 411.6 s, rounded up.
    assert ann["serving.knative.dev/progress-deadline"] == "412s"
    assert ann["autoscaling.knative.dev/scale-to-zero-pod-retention-period"] == "412s"
    assert ann["mlplatform.io/cold-start-seconds"] == "412"
    assert ann["pulumi.com/timeoutSeconds"] == str(412 + 300)


def test_llm_scale_to_zero_deadline_covers_the_vllm_engine_start() -> None:
    p = plan({**LLM, "scaling": {"minReplicas": 0}}, pools={"l4": L4_POOL}, hf_token="hf_abc")
    ann = p.annotations()
    # node boot at its slow end 3.0 (rev16f D6) + GPU allocatable 3 + kserve-huggingfaceserver image 12 GB at
    # 2 GB/min 6 + Qwen2.5-1.5B 3.1 GB from hf at the 1 GB/min slow end 3.1 + vLLM start at its slow end 2.3 (rev16f
    # D9; 3.1 GB is under vllm#20264's 3.67 GB, so the Run:ai streamer saves nothing) + readiness 0.25 = 17.65 min
    # = 1059 s
    assert ann["serving.knative.dev/progress-deadline"] == "1059s"
    assert ann["autoscaling.knative.dev/scale-to-zero-pod-retention-period"] == "1059s"
    assert ann["pulumi.com/timeoutSeconds"] == str(1059 + 300)


def test_warm_gpu_model_keeps_the_deadline_but_needs_no_retention() -> None:
    ann = plan(model(resources=GPU, scaling={"minReplicas": 1}), pools={"l4": L4_POOL}).annotations()
    assert ann["serving.knative.dev/progress-deadline"] == "412s"
    assert "autoscaling.knative.dev/scale-to-zero-pod-retention-period" not in ann


def test_cpu_scale_to_zero_keeps_knative_default_deadline_and_retention() -> None:
    ann = plan(model(scaling={"minReplicas": 0})).annotations()
    assert ann["serving.knative.dev/progress-deadline"] == "600s"
    assert "autoscaling.knative.dev/scale-to-zero-pod-retention-period" not in ann


def test_standard_mode_uses_hpa_on_cpu() -> None:
    p = plan(model(scaling={"minReplicas": 1, "maxReplicas": 4}), deployment_mode="Standard")
    pred = p.predictor()
    assert (pred["scaleMetric"], pred["scaleTarget"], pred["minReplicas"], pred["maxReplicas"]) == ("cpu", 80, 1, 4)
    assert p.annotations() == {
        "pulumi.com/waitFor": "condition=Ready",
        "pulumi.com/timeoutSeconds": "900",
        "serving.kserve.io/deploymentMode": "Standard",
        "serving.kserve.io/autoscalerClass": "hpa",
        "mlplatform.io/access": "public",
        "mlplatform.io/allow-anonymous": "true",
        "mlplatform.io/host": "iris-models.models.example.com",
    }


def test_knative_cpu_metric_switches_to_the_hpa_class() -> None:
    p = plan(model(scaling={"metric": "cpu", "target": 70, "scaleDownDelay": "10m"}))
    assert p.annotations()["autoscaling.knative.dev/class"] == "hpa.autoscaling.knative.dev"
    assert p.annotations()["autoscaling.knative.dev/scale-down-delay"] == "10m"
    assert (p.predictor()["scaleMetric"], p.predictor()["scaleTarget"]) == ("cpu", 70)


def test_rps_metric_and_canary() -> None:
    p = plan(model(scaling={"metric": "rps"}, canaryTrafficPercent=10))
    pred = p.predictor()
    assert (pred["scaleMetric"], pred["scaleTarget"], pred["canaryTrafficPercent"]) == ("rps", 50, 10)


V1_API = [
    {"operation": {"ports": ["8012", "8013"], "methods": ["GET"], "paths": ["/", "/v1/models", "/v1/models/{*}"]}},
    {"operation": {"ports": ["8012", "8013"], "methods": ["POST"], "paths": ["/v1/models/{*}"]}},
]
"""A v1 model's inference API on the queue-proxy's ports (components/serving/_auth.py)."""


def test_public_jwt_model_gets_request_authentication_and_a_policy_requiring_a_principal() -> None:
    p = plan(model(access={"jwt": {**JWT, "audiences": ["iris-clients"]}}), name="iris")
    assert p.inputs(REQ_AUTHN)["spec"] == {
        "selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "iris"}},
        "jwtRules": [
            {
                "issuer": "https://auth.example.com/",
                "jwksUri": "https://auth.example.com/.well-known/jwks.json",
                "audiences": ["iris-clients"],
            }
        ],
    }
    assert p.inputs(AUTHZ)["spec"]["rules"][0] == {
        "from": [{"source": {"requestPrincipals": ["*"]}}],
        "to": V1_API,
    }  # the other rules: test_requestpath.test_policies_name_knative_principals_and_ports
    ann = p.annotations()
    assert ann["mlplatform.io/access"] == "public"
    assert "mlplatform.io/allow-anonymous" not in ann
    labels = p.inputs(ISVC)["metadata"]["labels"]
    assert "networking.kserve.io/visibility" not in labels
    assert "networking.knative.dev/visibility" not in labels


def test_no_path_is_open_without_a_token() -> None:
    rules = plan(model(access={"jwt": JWT})).inputs(AUTHZ)["spec"]["rules"]
    assert all(rule.get("from") for rule in rules)  # every rule names who may call


def test_anonymous_public_model_is_an_explicit_allow_all_without_request_authentication() -> None:
    p = plan(model(access={"allowAnonymous": True}))
    assert REQ_AUTHN not in p.types()
    assert p.inputs(AUTHZ)["spec"] == {
        "selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "iris"}},
        "action": "ALLOW",
        "rules": [
            {"to": V1_API},
            {
                "from": [{"source": {"principals": ["cluster.local/ns/knative-serving/sa/activator"]}}],
                "to": [{"operation": {"ports": ["8012", "8013"], "methods": ["GET"]}}],
                "when": [{"key": "request.headers[User-Agent]", "values": ["Knative-Activator-Probe"]}],
            },
            {
                "from": [{"source": {"principals": ["cluster.local/ns/istio-system/sa/istio-ingressgateway"]}}],
                "to": [{"operation": {"ports": ["8012", "8013"], "methods": ["GET"]}}],
                "when": [{"key": "request.headers[K-Network-Probe]", "values": ["probe"]}],
            },
            {
                "from": [{"source": {"principals": ["cluster.local/ns/knative-serving/sa/controller"]}}],
                "to": [{"operation": {"ports": ["9090"], "methods": ["GET"], "paths": ["/metrics"]}}],
            },
        ],
    }


def test_internal_model_allows_only_listed_namespaces_and_leaves_the_gateway() -> None:
    p = plan(model(access={"mode": "internal", "allowedNamespaces": ["apps", "batch"]}, scaling={"minReplicas": 1}))
    spec = p.inputs(AUTHZ, "iris-authz")["spec"]
    assert spec["rules"][0] == {
        "from": [{"source": {"namespaces": ["apps", "batch", "models"]}}],
        "to": V1_API,
    }
    assert REQ_AUTHN not in p.types()
    assert p.inputs(ISVC)["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
    # the activator leaves the request path, so Istio sees the caller's namespace
    assert p.annotations()["autoscaling.knative.dev/target-burst-capacity"] == "0"
    assert p.annotations()["mlplatform.io/access"] == "internal"
    outputs = p.one(SERVICE).outputs
    assert outputs["url"] == outputs["internalUrl"] == "http://iris-predictor.models.svc.cluster.local"


def test_internal_model_admits_the_knative_activator_for_probes_only() -> None:
    # The activator's choice of revision cannot be guarded by a policy (components/serving/_auth.py), so an internal
    # model never needs it: minReplicas >= 1 (0 is refused), the activator kept out of the path, probes only.
    p = plan(model(access={"mode": "internal", "allowedNamespaces": ["apps"]}, scaling={"minReplicas": 1}))
    rules = p.inputs(AUTHZ, "iris-authz")["spec"]["rules"]
    assert rules[0]["from"] == [{"source": {"namespaces": ["apps", "models"]}}]
    assert rules[1] == {
        "from": [{"source": {"principals": ["cluster.local/ns/knative-serving/sa/activator"]}}],
        "to": [{"operation": {"ports": ["8012", "8013"], "methods": ["GET"]}}],
        "when": [{"key": "request.headers[User-Agent]", "values": ["Knative-Activator-Probe"]}],
    }
    assert p.annotations()["autoscaling.knative.dev/target-burst-capacity"] == "0"


@pytest.mark.parametrize(("replicas", "has_pdb"), [(0, False), (1, False), (2, True), (5, True)])
def test_pdb_only_from_two_replicas_and_always_allows_one_disruption(replicas: int, has_pdb: bool) -> None:
    p = plan(model(scaling={"minReplicas": replicas, "maxReplicas": 6}))
    assert (PDB in p.types()) is has_pdb
    if has_pdb:
        assert p.inputs(PDB)["spec"] == {
            "maxUnavailable": 1,
            "selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "iris"}},
        }


def test_slo_alerts_from_istio_request_metrics() -> None:
    p = plan(model(slo={"latencyP95Ms": 250, "errorRatePercent": 0.5}), environment="prod")
    spec = p.inputs(RULES)["spec"]
    (group,) = spec["groups"]
    assert group["name"] == "models.iris.slo"
    latency, errors = group["rules"]
    m = (
        'reporter="destination", destination_workload_namespace="models", '
        'destination_workload=~"iris-predictor(-[0-9]+-deployment)?"'
    )
    assert latency["alert"] == "ModelLatencyP95High"
    assert latency["expr"] == (
        f"histogram_quantile(0.95, sum by (le) (rate(istio_request_duration_milliseconds_bucket{{{m}}}[5m]))) > 250"
    )
    assert errors["alert"] == "ModelErrorRateHigh"
    assert errors["expr"] == (
        f'100 * sum(rate(istio_requests_total{{{m}, response_code=~"5.."}}[5m])) '
        f"/ sum(rate(istio_requests_total{{{m}}}[5m])) > 0.5"
    )
    assert latency["labels"] == errors["labels"] == {"severity": "critical", "model": "iris"}
    assert latency["for"] == "10m"


def test_no_slo_no_rule_and_no_monitoring_no_scraping() -> None:
    assert RULES not in plan(model()).types()
    types = plan(model(slo={"latencyP95Ms": 100}), monitoring=False).types()
    assert not {POD_MONITOR, RULES, CONFIGMAP} & set(types)


def test_pod_monitor_scrapes_envoy_and_the_model_server() -> None:
    assert plan(model()).inputs(POD_MONITOR)["spec"] == {
        "selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "iris"}},
        "podMetricsEndpoints": [{"port": "http-envoy-prom", "path": "/stats/prometheus", "interval": "30s"}],
    }


def test_dashboard_config_map_goes_to_the_monitoring_namespace_with_the_sidecar_label() -> None:
    p = plan(model(), monitoring_namespace="observability", dashboards_label="grafana_dashboard")
    cm = p.inputs(CONFIGMAP)
    assert cm["metadata"]["namespace"] == "observability"
    assert cm["metadata"]["name"] == "models-iris-dashboard"
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    board = json.loads(cm["data"]["models-iris.json"])
    assert board["title"] == "Model models/iris"
    assert len(board["uid"]) <= 40
    exprs = [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    assert any('destination_workload=~"iris-predictor(-[0-9]+-deployment)?"' in e for e in exprs)
    assert "__" not in json.dumps(board)


def test_llm_on_vllm_with_the_token_from_a_secret() -> None:
    p = plan(LLM, pools={"l4x4": L4X4_POOL}, hf_token="hf_abc", name="chat")
    mdl = p.predictor()["model"]
    assert mdl["modelFormat"] == {"name": "huggingface"}
    assert "protocolVersion" not in mdl  # openai: the Hugging Face server's OpenAI routes
    assert mdl["args"] == [
        "--backend=vllm",
        "--max-model-len=8192",
        "--tensor-parallel-size=1",
        "--load-format=runai_streamer",
    ]
    assert mdl["env"] == [
        {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "chat-hf-token", "key": "HF_TOKEN"}}}
    ]
    secret = p.one(SECRET, "chat-hf-token")
    assert isinstance(secret.inputs["stringData"], Secret) or contains_secret(secret.inputs["stringData"])
    assert secret.plain_inputs()["stringData"] == {"HF_TOKEN": "hf_abc"}
    assert secret.plain_inputs()["type"] == "Opaque"
    assert secret.urn in p.one(ISVC).depends_on
    # KServe hands the Secrets a ServiceAccount lists to the storage initializer (hf:// downloads of gated models)
    assert p.inputs(SA)["secrets"] == [{"name": "chat-hf-token"}]
    assert secret.urn in p.one(SA).depends_on


def test_tensor_parallelism_follows_gpus_and_user_args_come_last() -> None:
    spec = {**LLM, "resources": {**GPU, "gpus": 4}, "args": ["--dtype=bfloat16"], "env": {"VLLM_LOGGING_LEVEL": "INFO"}}
    mdl = plan(spec, pools={"l4x4": L4X4_POOL}).predictor()["model"]
    assert mdl["args"] == [
        "--backend=vllm",
        "--max-model-len=8192",
        "--tensor-parallel-size=4",
        "--load-format=runai_streamer",
        "--dtype=bfloat16",
    ]
    assert mdl["env"] == [{"name": "VLLM_LOGGING_LEVEL", "value": "INFO"}]


def test_huggingface_on_cpu_uses_the_transformers_backend() -> None:
    spec = model(format="huggingface", storageUri="hf://BAAI/bge-small-en-v1.5", publicStorage=False)
    mdl = plan(spec).predictor()["model"]
    assert "args" not in mdl
    assert "nvidia.com/gpu" not in mdl["resources"]["limits"]


def test_explicit_runtime_keeps_its_own_user_where_the_namespace_allows_root() -> None:
    mdl = plan(model(runtime="kserve-mlserver", protocol="v2"), pod_security="privileged").predictor()["model"]
    assert mdl["runtime"] == "kserve-mlserver"
    assert mdl["securityContext"] == {k: v for k, v in SECURITY_CONTEXT.items() if k != "runAsNonRoot"}


def test_explicit_runtime_runs_as_non_root_in_a_restricted_namespace() -> None:
    mdl = plan(model(runtime="kserve-mlserver", protocol="v2"), pod_security="restricted").predictor()["model"]
    assert mdl["securityContext"] == SECURITY_CONTEXT


def test_triton_defaults_to_v2() -> None:
    assert plan(model(format="triton")).predictor()["model"]["protocolVersion"] == "v2"


def test_namespace_has_pod_security_and_istio_injection() -> None:
    labels = plan(model()).inputs(NAMESPACE)["metadata"]["labels"]
    assert labels["istio-injection"] == "enabled"
    # the platform runs Istio CNI; enforcing restricted waits for KServe's storage-initializer fix (kserve#5373)
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/enforce-version"] == "latest"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"


def test_namespace_is_privileged_when_sidecars_need_net_admin() -> None:
    labels = plan(model(), pod_security="privileged").inputs(NAMESPACE)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"


def test_namespace_is_strict_mtls() -> None:
    p = plan(model())
    pa = p.inputs(PEER_AUTHN)
    assert pa["spec"] == {"mtls": {"mode": "STRICT"}}
    assert (pa["metadata"]["name"], pa["metadata"]["namespace"]) == ("default", "models")
    assert p.one(NAMESPACE).urn in p.one(PEER_AUTHN).depends_on
    assert p.one(PEER_AUTHN).urn in p.one(ISVC).depends_on


def test_existing_namespace_is_not_created() -> None:
    p = plan(model(createNamespace=False, namespace="team-a"))
    assert NAMESPACE not in p.types()
    assert PEER_AUTHN not in p.types()
    assert p.inputs(ISVC)["metadata"]["namespace"] == "team-a"


def test_service_account_mounts_no_token() -> None:
    sa = plan(model()).inputs(SA)
    assert sa["automountServiceAccountToken"] is False
    assert "secrets" not in sa
    assert sa["metadata"]["name"] == "iris-sa"


def test_outputs() -> None:
    out = plan(model(access={"jwt": JWT})).one(SERVICE).outputs
    assert out == {
        "url": "https://iris-models.models.example.com",
        "internalUrl": "http://iris-predictor.models.svc.cluster.local",
        "serviceAccount": "iris-sa",
    }


def test_standard_mode_internal_url_is_the_predictor_service() -> None:
    out = plan(model(), deployment_mode="Standard").one(SERVICE).outputs
    assert out["internalUrl"] == "http://iris-predictor.models.svc.cluster.local"
