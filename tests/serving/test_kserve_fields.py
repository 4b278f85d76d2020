"""The KServe fields a model may set (issue #14, the model spec part): every format the installed runtimes serve with
KServe v0.20.0's runtime selection, custom containers, serving knobs, placement, pod metadata and storage. Each
feature: the exact predictor of the InferenceService, strict against the upstream CRD schema, and the request-path
promise still holding (who reaches the model, on which port, which paths)."""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import AUTHZ, ISVC, L4X4_POOL, SA, model, plan
from test_requestpath import INTERNAL, INTERNAL_CALLERS, _check_model

from components.errors import SpecError
from components.serving import _auth, _netpol, runtimes
from components.serving import requestpath as rp
from components.serving.spec import FORMATS, ModelSpec
from components.spec import SpecInvalid
from support import validate_custom_resource

ANON = {"allowAnonymous": True}
SERVER = {"image": "ghcr.io/acme/server:1.2", "command": ["python", "-m", "server"]}
GPU = {"cpu": "8", "memory": "32Gi", "gpus": 1, "accelerator": "nvidia-l4"}
SKLEARN_URI = "gs://kfserving-examples/models/sklearn/1.0/model"


def _isvc(p: Any) -> dict[str, Any]:
    return next(o for o in p.revealed() if o["kind"] == "InferenceService")


def _strict(p: Any) -> None:
    for obj in p.revealed():
        if obj["apiVersion"].startswith(("serving.kserve.io", "security.istio.io")):
            assert validate_custom_resource(obj) == [], obj["kind"]


def _error(**overrides: Any) -> str:
    with pytest.raises((SpecInvalid, SpecError)) as e:
        plan(model(**overrides))
    return str(e.value)


# ------------------------------------------------------------------------------------------------ formats


def test_formats_are_every_format_the_installed_runtimes_list_but_vllm() -> None:
    assert set(FORMATS) == set(runtimes.FORMATS) - {"vLLM"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_gets_a_runtime_over_its_default_protocol(fmt: str) -> None:
    spec = ModelSpec.model_validate(model(format=fmt))
    protocol = None if spec.effective_protocol == "openai" else spec.effective_protocol
    chosen, why = runtimes.select(fmt, protocol)
    assert why is None and chosen in runtimes.BY_NAME


@pytest.mark.parametrize(
    ("fmt", "version", "protocol", "runtime"),
    [
        # mt:sklearn:0 is listed (autoSelect) by kserve-mlserver only, which serves v2 only
        ("sklearn", "0", "v2", "kserve-mlserver"),
        ("sklearn", "1", "v1", "kserve-sklearnserver"),
        # priority 2 (mlserver) beats priority 1 (xgbserver) at v2; xgboost 1 only on mlserver
        ("xgboost", "2", "v2", "kserve-mlserver"),
        ("lightgbm", "3", "v2", "kserve-mlserver"),
        ("tensorflow", "2", "v1", "kserve-tensorflow-serving"),
        ("tensorrt", "8", "v2", "kserve-tritonserver"),
        ("pmml", "4", "v1", "kserve-pmmlserver"),
        ("mlflow", "2", "v2", "kserve-mlserver"),
    ],
)
def test_format_version_selects_like_kserve(fmt: str, version: str, protocol: str, runtime: str) -> None:
    # getModelFormatLabel / getServingRuntimeSupportedModelFormatLabelSet (predictor_model.go v0.20.0): a model
    # with a version matches mt:<name>:<version> of an autoSelect format only.
    assert runtimes.select(fmt, protocol, version=version) == (runtime, None)


def test_format_version_no_runtime_auto_selects_is_one_line() -> None:
    assert _error(formatVersion="0", protocol="v1") == (
        "formatVersion: 0 is not allowed; no KServe v0.20.0 runtime auto-selects format sklearn version 0 "
        "over protocol v1; give formatVersion 1, or leave it out"
    )


def test_format_version_only_a_v2_runtime_serves_defaults_to_v2() -> None:
    # sklearn 0 is listed by kserve-mlserver only (v2): the protocol in effect follows, as for onnx
    p = plan(model(formatVersion="0"))
    assert _isvc(p)["spec"]["predictor"]["model"]["protocolVersion"] == "v2"


def test_explicit_runtime_must_list_the_version() -> None:
    assert runtimes.select("sklearn", "v1", "kserve-sklearnserver", "0") == (
        None,
        "runtime kserve-sklearnserver serves sklearn version 1",
    )


def test_a_format_only_a_non_autoselect_runtime_lists_names_it() -> None:
    # kserve-predictiveserver lists sklearn/xgboost/lightgbm with autoSelect false; pytorch on triton likewise.
    assert runtimes.select("pytorch", "v2", version=None)[0] == "kserve-torchserve"
    assert runtimes.select("pytorch", "v2", "kserve-tritonserver") == ("kserve-tritonserver", None)


def test_format_runtime_and_versions_rendered() -> None:
    p = plan(model(format="xgboost", formatVersion="2", protocol="v2", runtimeVersion="1.7.1"))
    assert _isvc(p)["spec"]["predictor"]["model"] == {
        "modelFormat": {"name": "xgboost", "version": "2"},
        "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
        "runtimeVersion": "1.7.1",
        "protocolVersion": "v2",
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
            "runAsNonRoot": True,
        },
    }
    _strict(p)


@pytest.mark.parametrize("fmt", ["tensorrt", "mlflow", "pmml", "paddle", "autogluon"])
def test_new_formats_keep_their_access_promise(fmt: str) -> None:
    objs = tuple(plan(model(format=fmt, access=INTERNAL)).revealed())
    isvc = next(o for o in objs if o["kind"] == "InferenceService")
    assert _check_model(objs, isvc, INTERNAL_CALLERS) == []


# ------------------------------------------------------------------------------------------------ custom containers


def test_custom_container_rendered_with_storage_initializer_env_and_our_security_context() -> None:
    p = plan(
        model(
            format=None,
            container={**SERVER, "port": {"number": 9000}, "readinessProbe": {"path": "/ready", "periodSeconds": 5}},
            args=["--workers=2"],
            env={"LOG_LEVEL": "info"},
            secretEnv={"API_KEY": {"secret": "server-keys", "key": "api"}},
        )
    )
    predictor = _isvc(p)["spec"]["predictor"]
    assert "model" not in predictor
    assert predictor["containers"] == [
        {
            "name": "kserve-container",
            "image": "ghcr.io/acme/server:1.2",
            "command": ["python", "-m", "server"],
            "args": ["--workers=2"],
            "ports": [{"name": "http1", "containerPort": 9000, "protocol": "TCP"}],
            "env": [
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "server-keys", "key": "api"}}},
                # KServe's CustomPredictor.GetStorageUri reads STORAGE_URI on kserve-container: the storage
                # initializer is added for it (predictor_custom.go, components/predictor.go v0.20.0)
                {"name": "STORAGE_URI", "value": "gs://kfserving-examples/models/sklearn/1.0/model"},
                {"name": "PROTOCOL", "value": "v1"},
            ],
            "readinessProbe": {
                "httpGet": {"path": "/ready", "port": 9000},
                "initialDelaySeconds": 0,
                "periodSeconds": 5,
                "timeoutSeconds": 1,
                "failureThreshold": 3,
            },
            "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
                "runAsNonRoot": True,
            },
        }
    ]
    _strict(p)


def test_grpc_container_probe_and_port_name() -> None:
    p = plan(model(format=None, protocol="v2", container={**SERVER, "port": {"number": 9000, "protocol": "grpc"},
                                                          "livenessProbe": {}}))  # fmt: skip
    c = _isvc(p)["spec"]["predictor"]["containers"][0]
    assert c["ports"] == [{"name": "h2c", "containerPort": 9000, "protocol": "TCP"}]
    assert c["livenessProbe"]["grpc"] == {"port": 9000}
    _strict(p)


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_custom_container_port_is_covered_by_network_and_authorization_policy(mode: str, protocol: str) -> None:
    spec = model(
        format=None,
        access=INTERNAL,
        container={**SERVER, "port": {"number": 9000, "protocol": protocol}},
        **({"protocol": "v2"} if protocol == "grpc" else {}),
    )
    objs = tuple(plan(spec, deployment_mode=mode).revealed())
    isvc = next(o for o in objs if o["kind"] == "InferenceService")
    # callers allowed reach it on its port, nobody reaches admin paths, the NetworkPolicy keeps the serving path
    assert _check_model(objs, isvc, INTERNAL_CALLERS) == []
    want = ["8012", "8013"] if mode == "Knative" else ["9000"]
    authz = next(o for o in objs if o["kind"] == "AuthorizationPolicy")
    assert authz["spec"]["rules"][0]["to"][0]["operation"]["ports"] == want
    netpol = next(o for o in objs if o["kind"] == "NetworkPolicy")
    opened = {p["port"] for p in netpol["spec"]["ingress"][0]["ports"]}
    assert (9000 in opened) == (mode == "Standard")
    assert rp.model_of(isvc).port == (9000 if mode == "Standard" else 8012)


def test_grpc_v2_container_callers_reach_the_inference_methods_only() -> None:
    spec = ModelSpec.model_validate(
        model(format=None, protocol="v2", container={**SERVER, "port": {"number": 9000, "protocol": "grpc"}})
    )
    post = _auth.inference_operations(spec, ["9000"])[1]["operation"]["paths"]
    assert "/inference.GRPCInferenceService/ModelInfer" in post
    assert not any("Repository" in path for path in post)


def test_extra_paths_are_allowed_and_nothing_else() -> None:
    objs = tuple(
        plan(
            model(format=None, container=SERVER, access={**INTERNAL, "extraPaths": ["/predict", "/items/{*}/score"]}),
            deployment_mode="Standard",
        ).revealed()
    )
    isvc = next(o for o in objs if o["kind"] == "InferenceService")
    m = rp.model_of(isvc)
    caller = rp.in_namespace("apps")

    def reached(method: str, path: str) -> bool:
        return rp.reaches(rp.routes(objs, isvc, caller, at_zero=False, method=method, path=path))

    assert reached("POST", "/predict") and reached("POST", "/items/7/score")
    assert not reached("POST", "/items/7/delete") and not reached("GET", "/admin")
    assert m.port == 8080


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("predict", "give an absolute path other than /"),
        ("/a/../b", "without empty, . or .. segments"),
        ("/a//b", "without empty, . or .. segments"),
        ("/a%2Fb", "encoded slashes"),
        ("/x*", "wildcards only as {*}"),
        ("/{**}", "wildcards only as {*}"),
    ],
)
def test_extra_paths_refused(path: str, why: str) -> None:
    assert why in _error(access={**ANON, "extraPaths": [path]})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"container": SERVER}, "ModelSpec.format: sklearn is not allowed; a custom container is its own model"),
        ({"format": None, "container": {**SERVER, "port": {"number": 8012}}}, "Knative's queue-proxy (HTTP/1) uses"),
        ({"format": None, "container": {**SERVER, "port": {"number": 15006}}}, "the Istio sidecar (inbound) uses"),
        ({"format": None, "container": {"image": "Acme/Server"}}, "give an image reference"),
        ({"format": None, "container": SERVER, "protocol": "openai"}, "a custom container speaks v1 or v2"),
        ({"format": None, "storageUri": None}, "give the model format"),
    ],
)
def test_custom_container_errors(overrides: dict[str, Any], expected: str) -> None:
    assert expected in _error(**overrides)


# ------------------------------------------------------------------------------------------------ serving knobs


def test_container_concurrency_and_timeout_knative() -> None:
    p = plan(model(containerConcurrency=4, timeout=900, scaling={"metric": "rps", "target": 20}))
    predictor = _isvc(p)["spec"]["predictor"]
    assert (predictor["containerConcurrency"], predictor["timeout"]) == (4, 900)
    assert (predictor["scaleMetric"], predictor["scaleTarget"]) == ("rps", 20)
    _strict(p)


def test_memory_scaling_standard() -> None:
    p = plan(model(scaling={"metric": "memory", "target": 70}), deployment_mode="Standard")
    isvc = _isvc(p)
    assert (isvc["spec"]["predictor"]["scaleMetric"], isvc["spec"]["predictor"]["scaleTarget"]) == ("memory", 70)
    assert isvc["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "hpa"
    _strict(p)


def test_rollout_in_standard_mode() -> None:
    p = plan(model(rollout={"maxSurge": "25%", "maxUnavailable": 0}, scaling={"minReplicas": 2}),
             deployment_mode="Standard")  # fmt: skip
    predictor = _isvc(p)["spec"]["predictor"]
    assert predictor["deploymentStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0},
    }
    # KServe's HTTPRoute reads the predictor's timeout in Standard mode too (60 s without it): rendered, as in
    # Knative mode (rev14h defect 1); containerConcurrency is Knative's alone
    assert predictor["timeout"] == 900 and "containerConcurrency" not in predictor
    _strict(p)


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_a_public_model_has_the_same_timeout_in_both_modes(mode: str) -> None:
    """rev14h defect 1: in Standard mode KServe v0.20.0's Gateway API reconciler gives each HTTPRoute rule the
    component's ``timeout`` as its request timeout, else 60 s (pkg/controller/v1beta1/inferenceservice/reconcilers/
    ingress/httproute_reconciler.go resolveTimeout, DefaultTimeout): a long generation through the gateway was cut at
    60 s, and ``timeout`` was refused in Standard mode. Now the default (cold-start budget + 300 s) is rendered in both
    modes, and a given timeout (also a transformer's) is kept."""
    p = plan(model(), deployment_mode=mode)
    assert _isvc(p)["spec"]["predictor"]["timeout"] == 900
    p = plan(
        model(timeout=1200, transformer={"container": {"image": "ghcr.io/acme/t:1"}, "timeout": 1500}),
        deployment_mode=mode,
    )
    spec = _isvc(p)["spec"]
    assert (spec["predictor"]["timeout"], spec["transformer"]["timeout"]) == (1200, 1500)
    _strict(p)
    # a transformer without its own: the predictor's in Standard mode (its route carries the top-level host)
    p = plan(model(timeout=1200, transformer={"container": {"image": "ghcr.io/acme/t:1"}}), deployment_mode="Standard")
    assert _isvc(p)["spec"]["transformer"]["timeout"] == 1200


@pytest.mark.parametrize(
    ("overrides", "mode", "expected"),
    [
        ({"rollout": {"maxSurge": 1}}, "Knative", "rollout: {maxSurge: 1} is not allowed; rollout applies to platform"),
        ({"timeout": 1801}, "Standard", "give at most 1800"),
        ({"containerConcurrency": 2}, "Standard", "containerConcurrency: 2 is not allowed; Knative mode only"),
        ({"scaling": {"metric": "memory"}}, "Standard", "give the target with metric memory"),
        ({"scaling": {"metric": "memory", "target": 80, "minReplicas": 0}}, "Knative", "cannot scale to zero"),
        ({"scaling": {"metric": "memory", "target": 80}}, "Knative", "memory scaling needs platform.deploymentMode"),
        ({"scaling": {"metric": "memory", "target": 512}}, "Standard", "give a memory utilisation percent from 1"),
        ({"timeout": 1801}, "Knative", "give at most 1800"),
        ({"rollout": {"maxSurge": 0, "maxUnavailable": "0%"}}, "Standard", "give >= 1 when maxSurge is 0"),
        ({"timeout": 10, "scaling": {"minReplicas": 0}}, "Knative", "needs at least its cold-start budget, 600 s"),
    ],
)
def test_serving_knob_errors(overrides: dict[str, Any], mode: str, expected: str) -> None:
    with pytest.raises((SpecInvalid, SpecError)) as e:
        plan(model(**overrides), deployment_mode=mode)
    assert expected in str(e.value)


# ------------------------------------------------------------------------------------------------ placement, metadata


def test_node_selector_and_tolerations_merge_with_the_gpu_ones() -> None:
    p = plan(
        model(
            format="pytorch",
            resources=GPU,
            nodeSelector={"topology.kubernetes.io/zone": "us-east-1a"},
            tolerations=[{"key": "dedicated", "value": "ml", "effect": "NoSchedule"}, {"operator": "Exists"}],
        ),
        pools={"l4x4": L4X4_POOL},
    )
    predictor = _isvc(p)["spec"]["predictor"]
    assert predictor["nodeSelector"] == {
        "topology.kubernetes.io/zone": "us-east-1a",
        "mlplatform.io/accelerator": "nvidia-l4",
    }
    assert p.cluster is not None
    gpu = list(p.cluster.gpu.tolerations())
    assert gpu and predictor["tolerations"][: len(gpu)] == gpu
    assert predictor["tolerations"][len(gpu) :] == [
        {"operator": "Equal", "key": "dedicated", "value": "ml", "effect": "NoSchedule"},
        {"operator": "Exists"},
    ]
    _strict(p)


def test_a_node_selector_against_the_gpu_pool_is_refused() -> None:
    with pytest.raises((SpecInvalid, SpecError), match=r"nodeSelector: mlplatform\.io/accelerator is not allowed"):
        plan(model(format="pytorch", resources=GPU, nodeSelector={"mlplatform.io/accelerator": "nvidia-t4"}),
             pools={"l4x4": L4X4_POOL})  # fmt: skip


def test_pod_labels_and_annotations_rendered_ours_kept() -> None:
    p = plan(model(labels={"team": "fraud"}, annotations={"example.com/owner": "fraud-team"}))
    predictor = _isvc(p)["spec"]["predictor"]
    assert predictor["labels"]["team"] == "fraud"
    assert predictor["labels"]["app.kubernetes.io/instance"] == "iris"
    assert predictor["annotations"] == {"example.com/owner": "fraud-team"}
    _strict(p)


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("annotations", "serving.kserve.io/deploymentMode"),
        ("labels", "networking.knative.dev/visibility"),
        ("labels", "networking.kserve.io/visibility"),
        ("annotations", "sidecar.istio.io/inject"),
        ("labels", "sidecar.istio.io/inject"),
        ("annotations", "traffic.sidecar.istio.io/excludeInboundPorts"),
        ("annotations", "autoscaling.knative.dev/min-scale"),
        ("labels", "serving.kserve.io/inferenceservice"),
        ("labels", "app.kubernetes.io/instance"),
    ],
)
def test_platform_keys_refused(kind: str, key: str) -> None:
    line = _error(**{kind: {key: "x"}})
    assert line.startswith(f"ModelSpec.{kind}: {key} is not allowed;"), line


# ------------------------------------------------------------------------------------------------ storage


def test_plain_https_storage() -> None:
    p = plan(model(storageUri="https://example.com/models/iris.tar.gz", publicStorage=False))
    assert _isvc(p)["spec"]["predictor"]["model"]["storageUri"] == "https://example.com/models/iris.tar.gz"
    assert p.cluster is not None and p.cluster.grants == []


def test_s3_compatible_storage_reads_with_the_secret_not_a_cloud_identity() -> None:
    p = plan(model(storageUri="s3://models/iris", publicStorage=False, storageSecret="minio-creds"))
    assert p.cluster is not None and p.cluster.grants == []
    assert p.inputs(SA)["secrets"] == [{"name": "minio-creds"}]
    _strict(p)


def test_oci_model_with_pull_secret() -> None:
    p = plan(model(storageUri="oci://ghcr.io/acme/iris:1", imagePullSecrets=["ghcr-pull"]))
    assert _isvc(p)["spec"]["predictor"]["imagePullSecrets"] == [{"name": "ghcr-pull"}]
    _strict(p)


def test_storage_uris() -> None:
    uris = [{"uri": "hf://Qwen/Qwen2.5-0.5B"}, {"uri": "pvc://adapters/lora", "mountPath": "/mnt/models/lora"}]
    p = plan(model(format="huggingface", storageUri=None, storageUris=uris))
    predictor = _isvc(p)["spec"]["predictor"]
    assert "storageUri" not in predictor["model"]
    assert predictor["storageUris"] == [
        {"uri": "hf://Qwen/Qwen2.5-0.5B", "mountPath": "/mnt/models"},
        {"uri": "pvc://adapters/lora", "mountPath": "/mnt/models/lora"},
    ]
    _strict(p)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"storageUris": [{"uri": "hf://a/b"}]}, "give storageUri or storageUris, not both"),
        (
            {"storageUri": None, "storageUris": [{"uri": "s3://acme-models/x"}], "publicStorage": False},
            "storageUris get no cloud identity; give storageSecret",
        ),
        (
            {"storageUri": None, "storageUris": [{"uri": "hf://a/b"}, {"uri": "hf://a/c"}]},
            "give each model its own mountPath",
        ),
        ({"storageSecret": "creds"}, "a public bucket needs no credentials"),
        ({"imagePullSecrets": ["Bad_Name"]}, "give a Secret name"),
        ({"secretEnv": {"X": {"secret": "s", "key": "a b"}}}, "give a Secret key"),
    ],
)
def test_storage_errors(overrides: dict[str, Any], expected: str) -> None:
    assert expected in _error(**overrides)


SKLEARN_JOBLIB = "https://github.com/kserve/kserve/raw/master/docs/samples/v1beta1/sklearn/v1/model/model.joblib"


def test_storage_uris_with_no_common_parent_are_refused_in_one_line() -> None:
    """rev14h defect 4: KServe v0.20.0's webhook refuses non-pvc:// storageUris whose mount paths share no parent
    below / (pkg/apis/serving/v1beta1/inference_service_validation.go validateMultipleStorageURIsSpec,
    pkg/utils/storage.go FindCommonParentPath); they planned, and `pulumi up` failed at admission."""
    uris = [{"uri": SKLEARN_URI}, {"uri": SKLEARN_JOBLIB, "mountPath": "/data/extra"}]
    assert _error(storageUri=None, storageUris=uris).splitlines() == [
        "ModelSpec.storageUris.1.mountPath: /data/extra is not allowed; has no parent directory in common with "
        "/mnt/models below /, which KServe refuses (validateMultipleStorageURIsSpec: storage paths must have a common "
        "parent directory); mount every storageUris entry but pvc:// under one directory, e.g. /mnt/models and "
        "/mnt/extra"
    ]


@pytest.mark.parametrize(
    "uris",
    [
        [{"uri": SKLEARN_URI, "mountPath": "/mnt/a/model"}, {"uri": SKLEARN_JOBLIB, "mountPath": "/mnt/b/model"}],
        # a pvc:// path is not counted (validateMultipleStorageURIsSpec keeps PVC paths apart)
        [{"uri": SKLEARN_URI}, {"uri": "pvc://adapters/lora", "mountPath": "/data"}],
    ],
)
def test_storage_uris_under_one_parent_or_on_a_pvc_plan(uris: list[dict[str, str]]) -> None:
    p = plan(model(storageUri=None, storageUris=uris))
    assert [u["mountPath"] for u in _isvc(p)["spec"]["predictor"]["storageUris"]] == [
        u.get("mountPath", "/mnt/models") for u in uris
    ]
    _strict(p)


def test_authz_unchanged_for_a_plain_model() -> None:
    # the default allow-list stays the protocol's own (no extraPaths, no gRPC methods)
    p = plan(model(access=INTERNAL), deployment_mode="Standard")
    assert p.inputs(AUTHZ)["spec"]["rules"][0]["to"][1]["operation"]["paths"] == ["/v1/models/{*}"]
    assert _netpol.open_ports("Standard") == [8080, 15008, 15021]
    assert ISVC in p.types()


# ------------------------------------------------------------------------------------------------ the docs' examples


def _doc_examples() -> dict[str, dict[str, Any]]:
    import yaml

    from support import ROOT

    text = (ROOT / "docs" / "components" / "model-service.md").read_text()
    section = text[text.index("#### Runtimes") : text.index("## Outputs")]
    out: dict[str, dict[str, Any]] = {}
    for block in section.split("```yaml\n")[1:]:
        models = yaml.safe_load(block.split("```", 1)[0])
        out.update({k: v for k, v in models.items() if ":" not in k})  # model entries, not stack-file keys
    return out


@pytest.mark.parametrize("name", sorted(_doc_examples()))
def test_every_kserve_field_example_in_the_docs_plans_strict(name: str) -> None:
    spec = _doc_examples()[name]
    p = plan(spec, name=name)
    _strict(p)


def test_a_gpu_custom_container_keeps_its_cold_start_chain() -> None:
    # The cold-start estimate, the timeout chain and the plan's model table read the custom container (there is no
    # predictor.model): its GPUs, its STORAGE_URI, and the largest image class for an image we do not know.
    from components import coldstart
    from components.serving import timeouts

    p = plan(model(format=None, container=SERVER, resources=GPU, scaling={"minReplicas": 0}), pools={"l4x4": L4X4_POOL})
    isvc = _isvc(p)
    facts = coldstart.facts_from_isvc(isvc)
    assert (facts.format, facts.gpus, facts.storage_uri) == ("custom", 1, SKLEARN_URI)
    need = timeouts.budget(isvc)
    assert need == int(isvc["metadata"]["annotations"]["mlplatform.io/cold-start-seconds"]) > 600
    assert isvc["spec"]["predictor"]["timeout"] == min(need + 300, 1800)
    assert timeouts.problems(isvc) == []


# ------------------------------------------------------------------------------------------------ gRPC on a runtime


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_triton_over_grpc_v2(mode: str) -> None:
    p = plan(model(format="triton", protocol="grpc-v2", access=INTERNAL), deployment_mode=mode)
    objs = tuple(p.revealed())
    isvc = _isvc(p)
    m = isvc["spec"]["predictor"]["model"]
    assert m["protocolVersion"] == "grpc-v2"
    # kserve-tritonserver's --grpc-port=9000, as the pod's one port, h2c
    assert m["ports"] == [{"name": "h2c", "containerPort": 9000, "protocol": "TCP"}]
    assert _check_model(objs, isvc, INTERNAL_CALLERS) == []
    authz = next(o for o in objs if o["kind"] == "AuthorizationPolicy")
    to = authz["spec"]["rules"][0]["to"]
    assert to[0]["operation"]["ports"] == (["8012", "8013"] if mode == "Knative" else ["9000"])
    assert to[1]["operation"]["paths"] == [
        f"/inference.GRPCInferenceService/{method}"
        for method in ("ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata", "ModelInfer")
    ]
    _strict(p)


def test_a_named_runtime_serving_v2_only_defaults_the_protocol_to_v2() -> None:
    # kserve/website versioned_docs/version-0.20/concepts/resources/servingruntime.md: sklearn on runtime
    # kserve-mlserver (protocolVersions [v2]) without protocolVersion. KServe checks a named runtime's protocols only
    # when protocolVersion is given (components/predictor.go v0.20.0), and MLServer speaks v2: mlplatform renders v2
    # (it refused the model as v1 before) and opens the v2 paths
    spec = ModelSpec.model_validate(model(runtime="kserve-mlserver", access=INTERNAL))
    assert spec.effective_protocol == "v2"
    p = plan(model(runtime="kserve-mlserver", access=INTERNAL))
    objs = tuple(p.revealed())
    isvc = _isvc(p)
    assert isvc["spec"]["predictor"]["model"]["protocolVersion"] == "v2"
    assert _check_model(objs, isvc, INTERNAL_CALLERS) == []
    _strict(p)
    # a runtime that serves v1 keeps v1
    assert ModelSpec.model_validate(model(runtime="kserve-sklearnserver")).effective_protocol == "v1"


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
@pytest.mark.parametrize(
    ("fmt", "runtime", "port"),
    [
        ("sklearn", "kserve-sklearnserver", 8081),
        ("lightgbm", "kserve-lgbserver", 8081),
        ("xgboost", "kserve-xgbserver", 8081),
        ("pmml", "kserve-pmmlserver", 8081),
        ("paddle", "kserve-paddleserver", 8081),
        ("sklearn", "kserve-mlserver", 9000),
    ],
)
def test_grpc_v2_on_a_runtime_serving_grpc_beside_http(mode: str, fmt: str, runtime: str, port: int) -> None:
    # KServe's documented gRPC examples (kserve/website versioned_docs/version-0.20/model-serving/predictive-inference/
    # frameworks/sklearn/sklearn.md, lightgbm, xgboost, pmml, paddle): protocolVersion v2 and the kserve Python
    # server's gRPC port, 8081 (python/kserve/kserve/model_server.py --grpc_port, constants.py DEFAULT_GRPC_PORT),
    # named h2c; kserve-mlserver's MLSERVER_GRPC_PORT is 9000. protocolVersion stays v2: KServe refuses a named
    # runtime that does not list the protocol (components/predictor.go), and these list v1 and v2 only.
    p = plan(model(format=fmt, runtime=runtime, protocol="grpc-v2", access=INTERNAL), deployment_mode=mode)
    objs = tuple(p.revealed())
    isvc = _isvc(p)
    m = isvc["spec"]["predictor"]["model"]
    assert (m["protocolVersion"], m["runtime"]) == ("v2", runtime)
    assert m["ports"] == [{"name": "h2c", "containerPort": port, "protocol": "TCP"}]
    assert _check_model(objs, isvc, INTERNAL_CALLERS) == []
    authz = next(o for o in objs if o["kind"] == "AuthorizationPolicy")
    to = authz["spec"]["rules"][0]["to"]
    assert to[0]["operation"]["ports"] == (["8012", "8013"] if mode == "Knative" else [str(port)])
    assert "/inference.GRPCInferenceService/ModelInfer" in to[1]["operation"]["paths"]
    _strict(p)


def test_grpc_v2_without_a_runtime_picks_the_v2_runtime_and_its_grpc_port() -> None:
    # sklearn at grpc-v2 alone: no runtime lists grpc-v2 for sklearn, so KServe picks the v2 runtime
    p = plan(model(format="sklearn", protocol="grpc-v2", access=INTERNAL))
    m = _isvc(p)["spec"]["predictor"]["model"]
    chosen, _ = runtimes.select("sklearn", "v2")
    assert m["protocolVersion"] == "v2" and "runtime" not in m
    assert m["ports"] == [{"name": "h2c", "containerPort": runtimes.V2_GRPC_PORTS[chosen or ""], "protocol": "TCP"}]
    _strict(p)


def test_grpc_v2_on_a_runtime_without_a_known_grpc_port_is_refused() -> None:
    # pytorch at grpc-v2 selects kserve-torchserve, whose ClusterServingRuntime names no gRPC port
    assert _error(format="pytorch", protocol="grpc-v2") == (
        "protocol: grpc-v2 is not allowed; grpc-v2 is served here by the runtimes whose gRPC port is known only, "
        "kserve-tritonserver (9000), kserve-autogluonserver (8081), kserve-lgbserver (8081), kserve-paddleserver "
        "(8081), kserve-pmmlserver (8081), kserve-predictiveserver (8081), kserve-sklearnserver (8081), "
        "kserve-xgbserver (8081), kserve-mlserver (9000); kserve-torchserve would be picked: give v2, or a custom "
        "container with a grpc port"
    )
    # a runtime that lists neither grpc-v2 nor a gRPC port beside v2
    assert _error(format="tensorflow", runtime="kserve-tensorflow-serving", protocol="grpc-v2") == (
        "runtime: kserve-tensorflow-serving is not allowed; runtime kserve-tensorflow-serving serves protocol v1, "
        "grpc-v1, not grpc-v2"
    )


# ------------------------------------------------------------------------------------------------ canary host


def test_a_canary_models_previous_revision_host_must_fit_a_dns_label() -> None:
    # Regression: KServe tags the previous revision "prev" while a canary takes < 100 percent, and Knative refuses a
    # route whose host label prev-<name>-predictor-<namespace> exceeds 63 characters: the second rollout failed.
    name = "m" + "x" * 44  # <name>-predictor-models = 62 characters: fits; prev-... = 67: does not
    assert len(f"{name}-predictor-models") == 62
    plan(model(), name=name)  # no canary: no tagged host
    with pytest.raises(SpecError) as e:
        plan(model(canaryTrafficPercent=10), name=name)
    assert str(e.value) == (
        f"name: {name} is not allowed; with canaryTrafficPercent the previous revision is served at "
        f"'prev-{name}-predictor-models', 67 characters; keep prev-<name>-predictor-<namespace> within 63 (Knative's "
        "host label limit)"
    )
    plan(model(canaryTrafficPercent=100), name=name)  # all traffic to the latest: no prev target


def test_runtime_version_of_a_gpu_model_names_the_gpu_image() -> None:
    # KServe appends -gpu to kserve-huggingfaceserver's tag for a GPU pod only without runtimeVersion (UpdateImageTag)
    llm = {"format": "huggingface", "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct", "resources": GPU}
    assert _error(**llm, runtimeVersion="v0.20.0") == (
        "ModelSpec.runtimeVersion: v0.20.0 is not allowed; kserve-huggingfaceserver runs GPUs from its -gpu image, "
        "and KServe appends -gpu only when runtimeVersion is not given (UpdateImageTag); give the GPU tag, such as "
        "v0.20.0-gpu"
    )
    p = plan(model(**llm, runtimeVersion="v0.20.0-gpu"), pools={"l4x4": L4X4_POOL})
    assert _isvc(p)["spec"]["predictor"]["model"]["runtimeVersion"] == "v0.20.0-gpu"
    # a runtime without a -gpu build (triton) takes the tag as given
    plan(model(format="triton", resources=GPU, runtimeVersion="24.08-py3"), pools={"l4x4": L4X4_POOL})
