"""The Python API refuses what the stack path refuses, in one line spelled as the stack file spells it (issue #13)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.clusters.spec import GpuPoolSpec, GpuSharing
from components.errors import SpecError
from components.platform.settings import PlatformSettings
from components.serving.kcomponents import ArtExplainerSpec, BatcherSpec, ExplainerSpec, TransformerSpec
from components.serving.kspec import (
    ContainerSpec,
    PortSpec,
    RolloutSpec,
    SecretKeySpec,
    StorageUriSpec,
    TolerationSpec,
)
from components.serving.spec import ModelSpec
from components.serving.stack_runtime import RuntimeFormatSpec, RuntimeSpec

ACCESS = {"mode": "public", "allow_anonymous": True}
APPARMOR = "container.apparmor.security.beta.kubernetes.io/kserve-container"
MODEL_JSON = (
    '{"storageUri": "gs://my-bucket/x", "format": "sklearn", "access": {"mode": "public", "allowAnonymous": true}, '
    '"resources": {"cpu": "0.0001"}}'
)

RT_CONTAINER = {"image": "ghcr.io/acme/s:1"}
MIG_7G_80GB = {"strategy": "mig", "migProfile": "7g.80gb"}
HF = {"format": "huggingface", "storage_uri": "hf://Qwen/Qwen2.5-0.5B-Instruct", "access": ACCESS,
      "resources": {"gpus": 1, "accelerator": "nvidia-l4"}}  # fmt: skip
STRINGS = {"storageUri": "gs://my-bucket/x", "format": "sklearn", "scaling": {"maxReplicas": "x"}}


def refused(make: Callable[[], Any]) -> str:
    with pytest.raises(SpecError) as e:
        make()
    line = str(e.value)
    assert "\n" not in line
    return line


@pytest.mark.parametrize(
    ("make", "line"),
    [
        (lambda: GpuSharing(strategy="mig", mig_profile="1g.10gb\n"),
         'GpuSharing.migProfile: "1g.10gb\\n" is not allowed; give a MIG profile such as 1g.10gb or 1g.10gb+me'),
        (lambda: GpuSharing(strategy="mig", mig_profile="1g\uff0e10gb"),
         'GpuSharing.migProfile: "1g\\uff0e10gb" is not allowed; give a MIG profile such as 1g.10gb or 1g.10gb+me'),
        (lambda: GpuPoolSpec(accelerator="nvidia-a100-40gb", max_nodes=1, sharing=MIG_7G_80GB),
         "GpuPoolSpec.sharing.migProfile: 7g.80gb is not allowed; nvidia-a100-40gb has the MIG profiles 1g.5gb, "
         "1g.5gb+me, 1g.10gb, 2g.10gb, 3g.20gb, 4g.20gb, 7g.40gb (NVIDIA MIG user guide); give one of them"),
        (lambda: ModelSpec.model_validate_json(MODEL_JSON),
         "ModelSpec.resources.cpu: 0.0001 is not allowed; give whole millicores (1m = 0.001): Kubernetes refuses "
         "finer"),
        (lambda: ModelSpec.model_validate_strings(STRINGS),
         "ModelSpec.scaling.maxReplicas: x is not allowed; give an integer (+1 more)"),
        (lambda: ModelSpec(storage_uri="gs://my-bucket/x", storageUri="gs://c/y", format="sklearn", access=ACCESS),
         "ModelSpec.storageUri: given twice (as storage_uri and storageUri); give it once (+1 more)"),
        # issue #14: the KServe fields, refused from Python as from a stack file
        (lambda: ModelSpec(container=ContainerSpec(image="ghcr.io/acme/server:1"), format="sklearn", access=ACCESS),
         "ModelSpec.format: sklearn is not allowed; a custom container is its own model server; remove it"),
        (lambda: PortSpec(number=9091),
         "PortSpec.number: 9091 is not allowed; Knative's queue-proxy (request metrics) uses it in the model's pod; "
         "give another port, such as 8080"),
        (lambda: SecretKeySpec(secret="keys", key="a/b"),
         "SecretKeySpec.key: a/b is not allowed; give a Secret key of letters, digits, '-', '_' and '.' (at most "
         "253), not . and not starting with .."),
        # red team of #14: apimachinery IsConfigMapKey refuses these (hasChDirPrefix)
        (lambda: SecretKeySpec(secret="keys", key="..data"),
         "SecretKeySpec.key: ..data is not allowed; give a Secret key of letters, digits, '-', '_' and '.' (at most "
         "253), not . and not starting with .."),
        (lambda: ContainerSpec(image="ghcr.io/acme/server:1.2", command=[""]),
         "ContainerSpec.command: [\"\"] is not allowed; give the executable first (an empty name runs nothing: the "
         "container fails to start)"),
        (lambda: ModelSpec(format="sklearn", storage_uri="gs://kfserving-examples/models/sklearn/1.0/model",
                           public_storage=True, access=ACCESS,
                           annotations={APPARMOR: "unconfined"}),
         "ModelSpec.annotations: container.apparmor.security.beta.kubernetes.io/kserve-container is not allowed; "
         "container.apparmor.security.beta.kubernetes.io/* keys are the containers' AppArmor profile, which the model "
         "namespace's Pod Security level bounds (kubernetes.io/docs/concepts/security/pod-security-standards, "
         "Baseline: AppArmor); remove it"),
        (lambda: ModelSpec(format="sklearn", storage_uri="gs://kfserving-examples/models/sklearn/1.0/model",
                           public_storage=True, access=ACCESS, annotations={"example.com/big": "a" * 300_000}),
         "ModelSpec.annotations: 300015 bytes is not allowed; give annotations of at most 262144 bytes in all "
         "(Kubernetes' limit, keys and values)"),
        (lambda: ContainerSpec(image="ghcr.io/acme/s:1", port={"number": 9000, "protocol": "grpc"},
                               readiness_probe={"path": "/ready"}),
         "ContainerSpec.readinessProbe.path: /ready is not allowed; the port speaks gRPC, so an HTTP GET probe fails "
         "on it; leave path out (the gRPC health check is used)"),
        (lambda: ModelSpec(storage_uris=[{"uri": "hf://org/a", "mount_path": "/mnt/models/a"},
                                         {"uri": "hf://org/b", "mount_path": "/mnt/models/a/."}],
                           container={"image": "ghcr.io/acme/s:1"}, access=ACCESS),
         "ModelSpec.storageUris.1.mountPath: /mnt/models/a/. is not allowed; give each model its own mountPath"),
        (lambda: RolloutSpec(max_surge=True, max_unavailable=0),
         "RolloutSpec.maxSurge: true is not allowed; give a whole number from 0 to 2147483647 or a percent from 0% to "
         "100%"),
        (lambda: RolloutSpec(max_surge=2**32, max_unavailable=0),
         "RolloutSpec.maxSurge: 4294967296 is not allowed; give a whole number from 0 to 2147483647 or a percent from "
         "0% to 100%"),
        (lambda: StorageUriSpec(uri="hf://org/model", mount_path="/var/run/secrets/kubernetes.io/serviceaccount"),
         "StorageUriSpec.mountPath: /var/run/secrets/kubernetes.io/serviceaccount is not allowed; give a folder of "
         "your own such as /mnt/models/extra: this one would cover the container's own files or its ServiceAccount "
         "token"),
        (lambda: StorageUriSpec(uri="hf://org/model", mount_path="/"),
         "StorageUriSpec.mountPath: / is not allowed; give a folder of your own such as /mnt/models/extra: this one "
         "would cover the container's own files or its ServiceAccount token"),
        (lambda: TolerationSpec(operator="Exists", effect="NoExecute", toleration_seconds=2**63),
         "TolerationSpec.tolerationSeconds: 9223372036854775808 is not allowed; give at most 9007199254740992 "
         "(2^53): Pulumi carries numbers as doubles, which change a larger whole number"),
        (lambda: TolerationSpec(value="x"),
         "TolerationSpec.operator: Equal is not allowed; give operator: Exists when key is left out"),
        (lambda: ModelSpec(format="sklearn", storage_uri="hf://a/b", access=ACCESS,
                           labels={"sidecar.istio.io/inject": "false"}),
         "ModelSpec.labels: sidecar.istio.io/inject is not allowed; sidecar.istio.io/* keys are the Istio sidecar, "
         "which enforces the model's access rules; remove it"),
        (lambda: ModelSpec(format="sklearn", storage_uri="hf://a/b", access=ACCESS, env={"TOKEN": "x"}),
         "ModelSpec.env.TOKEN: [plain text] is not allowed; a credential in env would be stored in plain text in the "
         "manifests and the state; reference a Secret with secretEnv (a Hugging Face token: "
         "llm.huggingfaceTokenKey), and read storage with the model's cloud identity or storageSecret"),
        (lambda: ModelSpec(format="pmml", storage_uri="hf://a/b", storage_uris=[{"uri": "hf://a/c"}], access=ACCESS),
         "ModelSpec.storageUris: {storageUri: hf://a/b, storageUris: [{uri: hf://a/c}]} is not allowed; give "
         "storageUri or storageUris, not both (KServe's rule)"),
        (lambda: PlatformSettings(warm_capacity={"l4": -1}),
         "PlatformSettings.warmCapacity.l4: -1 is not allowed; give the GPU nodes to keep warm, an integer from 0 to "
         "the pool's maxNodes"),
        (lambda: PlatformSettings(warm_capacity={"l4": True}),
         "PlatformSettings.warmCapacity.l4: true is not allowed; give an integer"),
        (lambda: PlatformSettings(warm_capacity={"l4": 1.5}),
         "PlatformSettings.warmCapacity.l4: 1.5 is not allowed; give a whole number"),
        # issue #14: transformer, explainer, batcher
        (lambda: TransformerSpec(container=ContainerSpec(image="kserve/t:1", port=PortSpec(number=9000))),
         "TransformerSpec.container.port.number: 9000 is not allowed; give 8080, the port the transformer serves on "
         "(KServe's --http_port 8080); or pass --http_port=<port> in args"),
        (lambda: ExplainerSpec(art=ArtExplainerSpec(), container=ContainerSpec(image="ghcr.io/acme/e:1")),
         "ExplainerSpec.art: {} is not allowed; give art or container (exactly one, KServe's rule)"),
        (lambda: BatcherSpec(max_latency=0),
         "BatcherSpec.maxLatency: 0 is not allowed; give an integer >= 1"),
        (lambda: BatcherSpec(timeout=5),
         "BatcherSpec.timeout: 5 is not allowed; KServe v0.20.0 passes only maxBatchSize and maxLatency to its batcher "
         "(component.go addBatcherAnnotations), so a timeout would do nothing; remove it"),
        (lambda: TransformerSpec(container=ContainerSpec(image="kserve/image-transformer:1"), env={"K_SERVICE": "x"}),
         "TransformerSpec.env: K_SERVICE is not allowed; Knative sets K_SERVICE; remove it"),
        (lambda: ModelSpec(storage_uri="gs://kfserving-examples/models/sklearn/1.0/model",
                           public_storage=True, access=ACCESS, batcher=BatcherSpec(),
                           container=ContainerSpec(image="ghcr.io/acme/server:1", port=PortSpec(number=9081))),
         "ModelSpec.container.port.number: 9081 is not allowed; KServe's agent (batcher, logger) serves on 9081; give "
         "another"),
        # issue #14, LLM autoscaling: the target is required, and the Python API spells the keys as the stack does
        (lambda: ModelSpec(format="huggingface", storage_uri="hf://Qwen/Qwen2.5-0.5B-Instruct", access=ACCESS,
                           resources={"gpus": 1, "accelerator": "nvidia-l4"},
                           scaling={"metric": "llm-queue", "max_replicas": 3}),
         "ModelSpec.scaling.target: null is not allowed; give the target with metric llm-queue: the "
         "vllm:num_requests_waiting requests per replica KEDA keeps (KServe's KEDA webhook requires a value)"),
        (lambda: PlatformSettings(keda="sometimes"),
         "PlatformSettings.keda: sometimes is not allowed; give true or false"),
        # red team #17c B1: a number Python cannot print (past 4300 digits) is refused, never converted
        (lambda: ModelSpec(**HF, model_size_gb=10**5000),
         "ModelSpec.modelSizeGb: a number of 5001 digits is not allowed (number too long); give at most 4300 digits"),
        (lambda: ModelSpec(**HF, scaling={"metric": "llm-queue", "max_replicas": 3, "target": -(10**5000)}),
         "ModelSpec.scaling.target: a number of 5001 digits is not allowed (number too long); give at most 4300 "
         "digits"),
        (lambda: ModelSpec(**HF, timeout=10**5000),
         "ModelSpec.timeout: a number of 5001 digits is not allowed (number too long); give at most 4300 digits"),
        # the bound the stack path enforces (Knative's max-revision-timeout), from Python too
        (lambda: ModelSpec(**HF, timeout=1801),
         "ModelSpec.timeout: 1801 is not allowed; give at most 1800 (the platform's max-revision-timeout)"),
        # red team #17c B2: a lone surrogate as a map key or list item, escaped in the line
        (lambda: ModelSpec(**HF, secret_env={"\ud800": {"secret": "hf", "key": "t"}}),
         'ModelSpec.secretEnv: "\\ud800" is not allowed; give environment variable names of letters, digits, \'_\', '
         "'-' and '.'"),
        (lambda: ModelSpec(**HF, image_pull_secrets=["\ud800"]),
         'ModelSpec.imagePullSecrets.0: "\\ud800" is not allowed; give a Secret name (a DNS-1123 subdomain)'),
        (lambda: TransformerSpec(container=ContainerSpec(image="ghcr.io/a/b:1"), secret_env={"\ud800": {"secret": "a",
                                                                                                 "key": "b"}}),
         'TransformerSpec.secretEnv: "\\ud800" is not allowed; give environment variable names of letters, digits, '
         "'_', '-' and '.'"),
        # issue #14: a runtime the stack brings itself (mlplatform:runtimes), from Python as from a stack file
        (lambda: RuntimeSpec(formats=[], container=ContainerSpec(image="ghcr.io/acme/s:1")),
         "RuntimeSpec.formats: [] is not allowed; give at least one format the runtime serves (KServe's "
         "supportedModelFormats), such as {name: sklearn, autoSelect: true}"),
        (lambda: RuntimeSpec(formats=[RuntimeFormatSpec(name="sklearn", priority=2)],
                             container=ContainerSpec(image="ghcr.io/acme/s:1")),
         "RuntimeFormatSpec.priority: 2 is not allowed; KServe reads a priority only when autoSelect is true "
         "(SupportedModelFormat.Priority); set autoSelect: true or remove it"),
        (lambda: RuntimeSpec(formats=[{"name": "sklearn", "version": "1", "auto_select": True, "priority": 2},
                                      {"name": "sklearn", "version": "2", "autoSelect": True, "priority": 3}],
                             container={"image": "ghcr.io/acme/s:1"}),
         "RuntimeSpec.formats.1.priority: 3 is not allowed; give format sklearn the priority its other entry has, 2 "
         "(KServe's admission refuses different priorities for one format in one runtime)"),
        (lambda: RuntimeFormatSpec(name="sklearn", version="v1"),
         'RuntimeFormatSpec.version: v1 is not allowed; give "major", "major.minor" or "major.minor.patch", such as '
         "1 or 2.1"),
        (lambda: RuntimeSpec(formats=[{"name": "sklearn"}], protocols=["v3"], container={"image": "ghcr.io/a/s:1"}),
         "RuntimeSpec.protocols.0: v3 is not allowed; give one of v1, v2, grpc-v1, grpc-v2"),
        # red team #17d N1, E1, T1: a stack runtime's namespace and container text get a model's rules
        (lambda: RuntimeSpec(namespace="kube-system", formats=[{"name": "sklearn"}], container=RT_CONTAINER),
         "RuntimeSpec.namespace: kube-system is not allowed; a platform or Kubernetes system namespace is not a "
         "runtime's (the runtime would declare it, and removing the runtime would delete it); give a namespace of your "
         "own, e.g. models"),
        (lambda: RuntimeSpec(formats=[{"name": "sklearn"}], env={"A": "\ud800"}, container=RT_CONTAINER),
         'RuntimeSpec.env.A: "\\ud800" is not allowed; give UTF-8 text: a lone surrogate such as \\ud800 cannot be '
         "sent to Kubernetes (JSON in UTF-8)"),
        (lambda: RuntimeSpec(formats=[{"name": "sklearn"}], args=["\ud800"], container=RT_CONTAINER),
         'RuntimeSpec.args.0: "\\ud800" is not allowed; give UTF-8 text: a lone surrogate such as \\ud800 cannot be '
         "sent to Kubernetes (JSON in UTF-8)"),
        (lambda: RuntimeSpec(formats=[{"name": "sklearn"}], env={"K_SERVICE": "x"}, container=RT_CONTAINER),
         "RuntimeSpec.env: K_SERVICE is not allowed; Knative sets K_SERVICE; remove it"),
        (lambda: RuntimeSpec(formats=[{"name": "sklearn"}], env={"HF_TOKEN": "hf_" + "a" * 34}, container=RT_CONTAINER),
         "RuntimeSpec.env.HF_TOKEN: [plain text] is not allowed; a credential in env would be stored in plain text in "
         "the manifests and the state; reference a Secret with secretEnv (a Hugging Face token: "
         "llm.huggingfaceTokenKey), and read storage with the model's cloud identity or storageSecret"),
        (lambda: RuntimeSpec(formats=[{"name": "sklearn"}], args=["{{.Name"], container=RT_CONTAINER),
         "RuntimeSpec.args.0: {{.Name is not allowed; KServe fills a runtime container's placeholders from the "
         "InferenceService's metadata (ReplacePlaceholders, a Go template) and fails on '{{' that opens no {{.Field}} "
         "placeholder; give {{.Name}}, {{.Namespace}} or another ObjectMeta field, or no '{{'"),
        (lambda: ModelSpec(format="sklearn", storage_uri="gs://my-bucket/x", access=ACCESS, args=["\ud800"]),
         'ModelSpec.args.0: "\\ud800" is not allowed; give UTF-8 text: a lone surrogate such as \\ud800 cannot be '
         "sent to Kubernetes (JSON in UTF-8)"),
    ],
)  # fmt: skip
def test_python_api_lines(make: Callable[[], Any], line: str) -> None:
    assert refused(make) == line
