"""Mutation run: do the plan's policies catch realistic one-line slips?

Each mutation is one small edit to the source (clusters, platform, serving) or to the rules themselves, the kind of
slip a careless change makes, with the rule that must catch it. For each, the project is copied to a temporary
folder, the edit applied, and:

- source mutations: every shipped stack is planned under the mutated code twice, like ``mlplatform plan`` (values
  known only after deploy unknown; the plan judges unchecked mandatory documents over a placeholder rendering,
  policy/judged.py) and like ``mlplatform plan --placeholders``; the slip is *caught* in a mode when the mutation's
  expected rule fails mandatory on some stack where it does not fail on the unmutated code (another rule failing
  does not count: it is not the guard the slip was aimed at);
- rule mutations: the rule boundary tests run on the mutated rules; the slip is caught when they fail.

A mutation whose text is not in its file (the source moved) fails the run (exit 1): a slip that is never applied
measures nothing. The headline is the plain-plan count (what ``mlplatform plan`` and ``mlplatform check`` gate).

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/policy_mutations.py [--only ID,...] [--jobs N]`` (several minutes;
not part of ``make test``). It prints one line per mutation and the counts; ``--json FILE`` writes the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COPY = (
    "benchmarks", "components", "infra", "policy", "stacks", "tests", "docs", "examples", "tools",
    "Pulumi.yaml", "pyproject.toml", "README.md", "Makefile", "uv.lock",
)  # fmt: skip
"""What each mutation's copy holds: everything the tests read. benchmarks: tests/policy/test_policy_pipeline.py reads
this file; docs/, README.md (tests/policy/test_policy_docs.py, tests/test_docs.py, tests/platform/test_deploy_review.py
...), examples/ (tests/plan/test_stack_loader.py, tests/urns.py), tools/, uv.lock and Makefile (tests/test_setup.py).
Without one of them a test reading it fails in every copy whatever the slip, and the slip would count as caught by it
(rev17i finding 2)."""


@dataclass(frozen=True)
class Mutation:
    """One slip: replace ``old`` by ``new`` (exactly one occurrence) in ``path``. ``rule``: the policy that must
    catch it (source mutations). ``weakens``: security, isolation or availability."""

    id: str
    area: str
    path: str
    old: str
    new: str
    what: str
    rule: str = ""
    weakens: bool = True
    platform: str = ""
    """``STACK:JSON`` (``*`` for every stack): JSON merged into that shipped stack's ``mlplatform:platform`` before
    planning, baseline and mutant alike, for a slip in code no shipped stack renders as shipped (the Standard mode's
    Gateway, warm-capacity pods)."""
    config: str = ""
    """``STACK:JSON``: a map of stack config keys (``mlplatform:pipelines``) set in that shipped stack's file before
    planning, baseline and mutant alike, for code no shipped stack renders at all (pipelines)."""
    bypass: tuple[tuple[str, str, str], ...] = ()
    """``(path, old, new)`` edits made baseline and mutant alike: another guard that refuses the same input before the
    slip's code runs (a slip in one of two equal guards reaches a plan only when the other is gone too; fix17h: the
    stack config's refusal in infra/config.py before ModelService's)."""

    @property
    def settings(self) -> tuple[str, str, tuple[tuple[str, str, str], ...]]:
        """What the mutation adds to the stacks and the code: its baseline is planned with the same."""
        return self.platform, self.config, self.bypass


BASELINE_FIXES: tuple[tuple[str, str, str], ...] = ()
"""Fixes other branches are making, applied to the baseline when their text is still there (one exact occurrence),
so a shipped defect does not hide a slip in the same place. Empty: issue #12 defect 1 is merged (KServe's two
visibility labels are KNATIVE_VISIBILITY_LABEL and STANDARD_VISIBILITY_LABEL in components/serving/_runtime.py);
its old entry replaced ``VISIBILITY_LABEL = "networking.kserve.io/visibility"`` as a substring and so rewrote
STANDARD_VISIBILITY_LABEL by accident."""

TRUST, STORAGE = "workload-identity-trust", "storage-read-least-privilege"
BINDING = "workload-identity-binding"
NETPOL, HARDEN, IAM = "cluster-network-policy", "cluster-hardening", "iam-least-privilege"
SUB = 'f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",'
AKS_MODEL_FIC = '            subject=f"system:serviceaccount:{namespace}:{service_account}",'
"""The federated credential's subject in components/clusters/aks.py (one helper makes the models' and the DNS
identities' credentials, so the slip reaches both)."""
S3_OBJECTS = '[f"{bucket_arn}/{base}", f"{bucket_arn}/{base}/*"] if base else'
HTTP_LISTENER = '"port": 80,\n                "protocol": "HTTP",\n                '
"""The Standard mode Gateway's http listener in components/platform/istio.py ``standard_gateway_spec``."""
PIPELINES = {
    "front": {
        "access": {"jwt": {"issuer": "https://auth.example.com/",
                           "jwksUri": "https://auth.example.com/.well-known/jwks.json"}},
        "nodes": {"root": {"routerType": "Sequence", "steps": [
            {"serviceName": "xgboost-iris"}, {"serviceName": "sklearn-iris", "data": "$response"}]}},
    },
    "inner": {
        "access": {"mode": "internal", "allowedNamespaces": ["default"]},
        "scaling": {"minReplicas": 1},
        "nodes": {"root": {"routerType": "Sequence", "steps": [{"serviceName": "xgboost-iris"}]}},
    },
}  # fmt: skip
"""Two pipelines over the local stack's models (a public jwt one and an internal one), as
tests/policy/test_policy_pipeline.py plans them: no shipped stack declares a pipeline."""
WITH_PIPELINES = "local:" + json.dumps({"mlplatform:pipelines": PIPELINES})
ANONYMOUS_OVER_INTERNAL = "local:" + json.dumps(
    {"mlplatform:pipelines": {"open": {"access": {"allowAnonymous": True}, "nodes": PIPELINES["inner"]["nodes"]}}}
)
"""An anonymous pipeline over the internal xgboost-iris: the program refuses it (pipeline_spec.member_access_problem)
unless a slip removes the refusal; then pipeline-member-access must."""
IG_STEP = 'return f"{model_name}-{component}.{model.namespace}.svc.cluster.local"'
WARM_POD_CONTEXT = (
    '"securityContext": {"runAsNonRoot": True, "runAsUser": 65535, "seccompProfile": {"type": "RuntimeDefault"}},'
)
CUSTOM_EXTRA_PATHS = "local:" + json.dumps({"mlplatform:models": {
    "sklearn-iris": {"format": "sklearn", "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
                     "publicStorage": True, "resources": {"cpu": "500m", "memory": "1Gi"},
                     "scaling": {"minReplicas": 0, "maxReplicas": 3},
                     "access": {"mode": "public", "allowAnonymous": True}},
    "custom-srv": {"container": {"image": "ghcr.io/acme/server:1.2", "command": ["python", "-m", "server"]},
                   "resources": {"cpu": "500m", "memory": "1Gi"}, "scaling": {"minReplicas": 2, "maxReplicas": 3},
                   "access": {"mode": "internal", "allowedNamespaces": ["default"], "extraPaths": ["/predict"]}},
}})  # fmt: skip
"""The local stack with a custom container that declares ``access.extraPaths`` (no shipped stack renders one)."""
RL_AWS = 'aws-dev:{"requestLogs": {"retentionDays": 14}}'
"""aws-dev with the request-log collector (no shipped stack installs it as shipped)."""
KEDA_GCP = 'gcp-prod:{"keda": true}'
"""gcp-prod with KEDA (HA: two replicas of each component, their PDBs; no shipped stack installs it as shipped)."""
GPU_OPERATOR = '*:{"gpuSupport": "gpu-operator"}'
"""Every stack with the NVIDIA GPU operator instead of the device plugin (no shipped stack installs it as shipped)."""
AWS_DNS = 'aws-dev:{"dns": {"zone": "dev.example.com", "id": "Z0123456789ABCDEFGHIJ"}, "tls": {"issuer": "acme", "acmeEmail": "platform@mlplatform-dev.dev"}}'  # noqa: E501
"""aws-dev with a Route 53 zone and ACME (DNS-01): external-dns, cert-manager's Route 53 role and the ClusterIssuer are
rendered (no shipped stack has a DNS zone; tests/golden_stacks/Pulumi.cover-aws-node-groups.yaml's zone id)."""
AZURE_DNS = 'azure-staging:{"dns": {"zone": "staging.example.com", "resourceGroup": "dns-rg"}, "tls": {"issuer": "acme", "acmeEmail": "platform@mlplatform-staging.dev"}}'  # noqa: E501
"""azure-staging with an Azure DNS zone and ACME, as tests/policy/test_policy_rev17d_fixb.py plans it."""
AZURE_PROD = 'azure-staging:{"mlplatform:environment": "prod"}'
"""azure-staging planned as prod (with :data:`AZURE_DNS`: the AKS DNS identity on prod, as
tests/golden_stacks/Pulumi.cover-aks-prod-dns.yaml)."""
AWS_NODE_GROUPS = "aws-dev:" + json.dumps({"mlplatform:cluster": {
    "name": "mlp-aws-dev", "kubernetesVersion": "1.34",
    "apiAccess": {"publicCidrs": ["203.0.113.0/24"], "deployFrom": ["203.0.113.0/24"]},
    "aws": {"vpcCidr": "10.0.0.0/16", "gpuProvisioner": "node-groups"}, "systemPool": {"minNodes": 2, "maxNodes": 3},
    "gpuPools": {"l4": {"accelerator": "nvidia-l4", "gpusPerNode": 1, "minNodes": 0, "maxNodes": 4}}}})  # fmt: skip
"""aws-dev's cluster with managed GPU node groups and the cluster-autoscaler instead of Karpenter (as
tests/golden_stacks/Pulumi.cover-aws-node-groups.yaml)."""
RL_LOGGING_AWS = "aws-dev:" + json.dumps({"mlplatform:models": {
    "sklearn-iris": {"format": "sklearn", "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
                     "publicStorage": True, "resources": {"cpu": "500m", "memory": "1Gi"},
                     "scaling": {"minReplicas": 0, "maxReplicas": 3},
                     "access": {"mode": "public", "allowAnonymous": True}, "logger": {"mode": "all"}},
}})  # fmt: skip
"""aws-dev's sklearn-iris logging its requests (with :data:`RL_AWS`, the collector admits its namespace's model pods):
the collector's NetworkPolicy has peers only where a model logs."""
TRANSFORMER_LOCAL = "local:" + json.dumps({"mlplatform:models": {
    "sklearn-iris": {"format": "sklearn", "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
                     "publicStorage": True, "resources": {"cpu": "500m", "memory": "1Gi"},
                     "scaling": {"minReplicas": 0, "maxReplicas": 3},
                     "access": {"mode": "public", "allowAnonymous": True}},
    "iris-t": {"format": "sklearn", "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
               "publicStorage": True, "resources": {"cpu": "500m", "memory": "1Gi"},
               "scaling": {"minReplicas": 1, "maxReplicas": 2},
               "access": {"mode": "public", "jwt": {"issuer": "https://auth.example.com/",
                                                     "jwksUri": "https://auth.example.com/.well-known/jwks.json"}},
               "transformer": {"container": {"image": "kserve/image-transformer:v0.20.0"},
                               "resources": {"cpu": "500m", "memory": "1Gi"}}},
}})  # fmt: skip
"""The local stack with a public JWT model behind a transformer (as tests/golden_stacks/Pulumi.cover-gcp-standard.yaml's
bert, in Knative mode): no shipped stack renders a transformer."""
WARM_AWS = 'aws-dev:{"warmCapacity": {"l4": 1}}'
"""Warm capacity on aws-dev's l4 pool, which does not share GPUs, so the placeholders pre-pull its models' images
(init containers); gcp-prod's l4 pool time-slices and renders none (components/platform/warm.py)."""
DECLARED_SECRETS = "local:" + json.dumps({"mlplatform:models": {
    "custom-srv": {"container": {"image": "ghcr.io/acme/server:1.2", "command": ["python", "-m", "server"]},
                   "resources": {"cpu": "500m", "memory": "1Gi"}, "scaling": {"minReplicas": 1, "maxReplicas": 2},
                   "secretEnv": {"API_KEY": {"secret": "server-keys", "key": "api"}},
                   "imagePullSecrets": ["ghcr-pull"],
                   "access": {"mode": "internal", "allowedNamespaces": ["default"]}},
}})  # fmt: skip
"""The local stack with a custom container that declares ``imagePullSecrets`` and ``secretEnv`` (no shipped stack
does)."""
CLAIM_URIS = "local:" + json.dumps({"mlplatform:models": {
    "lora": {"format": "sklearn", "publicStorage": True, "resources": {"cpu": "500m", "memory": "1Gi"},
             "storageUris": [{"uri": "gs://kfserving-examples/models/sklearn/1.0/model", "mountPath": "/mnt/models"},
                             {"uri": "pvc://adapters/sql-lora", "mountPath": "/mnt/models/lora"}],
             "access": {"mode": "internal", "allowedNamespaces": ["default"]}},
}})  # fmt: skip
"""The local stack (Knative mode) with a model whose ``storageUris`` has a ``pvc://`` entry (no shipped stack has
``storageUris``): KServe writes the claim's volume into the Knative Service (exp14r F1)."""
LLM_PLATFORM = 'gcp-prod:{"deploymentMode": "Standard", "keda": true}'
"""gcp-prod in KServe's Standard mode with KEDA: LLM metrics scale through KEDA in Standard mode only
(components/serving/llm_scaling.py); no shipped stack renders a KEDA-scaled model."""
LLM_GCP = "gcp-prod:" + json.dumps({"mlplatform:models": {
    "chat": {"format": "huggingface", "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct", "modelSizeGb": 0.98,
             "args": ["--gpu-memory-utilization=0.45"],
             "resources": {"cpu": "3", "memory": "12Gi", "gpus": 1, "accelerator": "nvidia-l4"},
             "scaling": {"minReplicas": 2, "maxReplicas": 3, "metric": "llm-queue", "target": 4},
             "llm": {"huggingfaceTokenKey": "hfToken"},
             "access": {"mode": "public", "jwt": {
                 "issuer": "https://auth.example.com/realms/models",
                 "jwksUri": "https://auth.example.com/realms/models/protocol/openid-connect/certs",
                 "audiences": ["models"]}}},
    "chat-kv": {"format": "huggingface", "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct", "modelSizeGb": 0.98,
                "args": ["--gpu-memory-utilization=0.45"],
                "resources": {"cpu": "3", "memory": "12Gi", "gpus": 1, "accelerator": "nvidia-l4"},
                "scaling": {"minReplicas": 2, "maxReplicas": 3, "metric": "llm-kv-cache", "target": 80},
                "access": {"mode": "internal", "allowedNamespaces": ["apps"]}},
}})  # fmt: skip
"""gcp-prod's models replaced by two LLMs (as tests/golden_stacks/Pulumi.cover-gcp-standard.yaml's chat and chat-kv):
one scales on vLLM's queue, one on its KV-cache share; chat reads the stack's ``hfToken`` secret, as qwen-chat did
(the program refuses a secret key no model names). Each asks --gpu-memory-utilization=0.45, as gcp-prod's
qwen-chat does: the l4 pool time-slices two ways and the program refuses vLLM's default fraction there (gpumem, since
4ae9e65; without it every entry planned with this config was refused by the program, rev17m)."""
PIPELINE_PDB = "local:" + json.dumps(
    {"mlplatform:pipelines": {**PIPELINES, "inner": {**PIPELINES["inner"], "scaling": {"minReplicas": 2}}}}
)
"""The local stack's pipelines with the internal one at two replicas: its router PodDisruptionBudget is rendered."""
WIDER_PIPELINE = "local:" + json.dumps({"mlplatform:pipelines": {"inner": {
    **PIPELINES["inner"], "access": {"mode": "internal", "allowedNamespaces": ["default", "other"]}}}})  # fmt: skip
"""An internal pipeline admitting a namespace its internal member (xgboost-iris, allowedNamespaces [default]) does not:
the program refuses it (pipeline_spec.member_access_problem) unless a slip reverses the check."""


def _stack_config(stack: str) -> dict[str, object]:
    """A shipped stack's config keys (stacks/Pulumi.<stack>.yaml), to extend in a mutation's ``config``."""
    import yaml

    return dict(yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"])


_AWS_DEV = _stack_config("aws-dev")
_MODEL_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/models/resnet50"
OCI_CACHED = "aws-dev:" + json.dumps({
    "mlplatform:cluster": {**_AWS_DEV["mlplatform:cluster"], "gpuPools": {"l4": {
        **_AWS_DEV["mlplatform:cluster"]["gpuPools"]["l4"],
        "imageCache": {"source": "snap-0123456789abcdef0", "images": [_MODEL_IMAGE + ":latest"]}}}},
    "mlplatform:models": {**_AWS_DEV["mlplatform:models"], "resnet50": {
        **_AWS_DEV["mlplatform:models"]["resnet50"], "storageUri": f"oci://{_MODEL_IMAGE}:latest", "modelSizeGb": 16}},
})  # fmt: skip
"""aws-dev whose resnet50 is a 16 GB model image by :latest that the L4 pool's image cache lists (rev17f s03; the
baseline fails images-tagged on the :latest image, the slip must fail cold-start-from-zero-pulls)."""
OCI_WARM = "aws-dev:" + json.dumps(
    {
        "mlplatform:models": {
            **_AWS_DEV["mlplatform:models"],
            "resnet50": {
                **_AWS_DEV["mlplatform:models"]["resnet50"],
                "storageUri": f"oci://{_MODEL_IMAGE}:v1",
                "modelSizeGb": 16,
            },
        }
    }
)
"""aws-dev whose resnet50 is a pinned 16 GB model image, with warm capacity on its pool (rev17f s02, s04)."""
MIXED_L4 = "aws-dev:" + json.dumps({
    "mlplatform:cluster": {**_AWS_DEV["mlplatform:cluster"], "gpuPools": {
        "l4": {**_AWS_DEV["mlplatform:cluster"]["gpuPools"]["l4"],
               "sharing": {"strategy": "time-slicing", "maxClientsPerGpu": 2}},
        "l4x4": {"accelerator": "nvidia-l4", "gpusPerNode": 4, "minNodes": 0, "maxNodes": 2}}},
    "mlplatform:models": {**_AWS_DEV["mlplatform:models"], "resnet50": {
        **_AWS_DEV["mlplatform:models"]["resnet50"],
        "resources": {**_AWS_DEV["mlplatform:models"]["resnet50"]["resources"], "gpus": 2}}},
})  # fmt: skip
"""aws-dev with its l4 pool time-sliced x2 and a whole four-L4 pool beside it, resnet50 asking 2 GPUs (fixshare B):
accepted, its predictor kept off l4 by a required node affinity. No shipped stack renders a multi-GPU model."""
STACK_RUNTIME_GPU = "aws-dev:" + json.dumps({
    "mlplatform:runtimes": {"acme-onnx": {
        "formats": [{"name": "onnx", "autoSelect": True, "priority": 2}], "protocols": ["v1", "v2"],
        "container": {"image": "ghcr.io/acme/onnx-server:1.2", "port": {"number": 8080},
                      "readinessProbe": {"path": "/v2/health/ready"}},
        "args": ["--model_name={{.Name}}", "--model_dir=/mnt/models"]}},
    "mlplatform:models": {**_AWS_DEV["mlplatform:models"], "bert-onnx": {
        "format": "onnx", "storageUri": "s3://mlp-aws-dev-models/bert/v1",
        "resources": {"cpu": "2", "memory": "8Gi", "gpus": 1, "accelerator": "nvidia-l4"},
        "scaling": {"minReplicas": 1, "maxReplicas": 1},
        "access": {"mode": "internal", "allowedNamespaces": ["default"]}}},
})  # fmt: skip
"""aws-dev with a GPU onnx model on the stack's own auto-selected ServingRuntime (tests/golden_stacks
cover-aws-node-groups bert-onnx), planned with warm capacity on its pool (rev17f s05)."""
_LOCAL = _stack_config("local")
_GCP_PROD = _stack_config("gcp-prod")
_AZURE_STAGING = _stack_config("azure-staging")


def _model_changed(stack: str, config: dict[str, object], name: str, **changes: object) -> str:
    """``STACK:JSON`` of a shipped stack whose model ``name`` has ``changes`` merged in (rev17g fit and server-args
    slips: inputs the program refuses unless the slip removes the refusal; then the rule must fail)."""
    models: dict[str, object] = dict(config["mlplatform:models"])  # type: ignore[call-overload]
    models[name] = {**models.get(name, {}), **changes}  # type: ignore[dict-item]
    return f"{stack}:" + json.dumps({"mlplatform:models": models})


def _resources(config: dict[str, object], name: str, **changes: object) -> dict[str, object]:
    return {**config["mlplatform:models"][name]["resources"], **changes}  # type: ignore[index]


STANDARD_GCP = 'gcp-prod:{"deploymentMode": "Standard"}'
"""gcp-prod in KServe's Standard mode (the Gateway API Gateway, its http listener and redirect route)."""
STANDARD_GCP_MODELS = _model_changed(
    "gcp-prod",
    _GCP_PROD,
    "qwen-chat",
    scaling={k: v for k, v in _GCP_PROD["mlplatform:models"]["qwen-chat"]["scaling"].items() if k != "scaleDownDelay"},  # type: ignore[index]
)
"""gcp-prod's models with qwen-chat's scaleDownDelay left out, planned with :data:`STANDARD_GCP`: the program refuses
a Knative-only field in Standard mode (red14h #7, cd5c11a), so without it every Standard-mode gcp-prod entry was
refused by the program (rev17m)."""
FIT_AWS_14000 = _model_changed(
    "aws-dev", _AWS_DEV, "resnet50", resources=_resources(_AWS_DEV, "resnet50", memory="14000Mi")
)
"""aws-dev's resnet50 at 14000Mi: over g6.xlarge's 13686Mi bound (Karpenter 7.5 % VM overhead 1229Mi), under the
14792Mi a 0.75 % overhead gives (rev17g g17)."""
FIT_AWS_13750 = _model_changed(
    "aws-dev", _AWS_DEV, "resnet50", resources=_resources(_AWS_DEV, "resnet50", memory="13750Mi")
)
"""aws-dev's resnet50 at 13750Mi: over the 13686Mi bound, within the istio-proxy's 128Mi (rev17g g20)."""
FIT_AKS_25000 = _model_changed(
    "azure-staging", _AZURE_STAGING, "bert-onnx", resources=_resources(_AZURE_STAGING, "bert-onnx", memory="25000Mi")
)
"""azure-staging's bert-onnx at 25000Mi: over Standard_NC4as_T4_v3's 23166Mi bound (20 x 250 pods + 50), under the
27166Mi of 50 pods (rev17g g18)."""
FIT_GKE_A100 = _model_changed(
    "gcp-prod", _GCP_PROD, "resnet-triton",
    resources=_resources(_GCP_PROD, "resnet-triton", memory="79000Mi", accelerator="nvidia-a100-40gb"),
)  # fmt: skip
"""gcp-prod's resnet-triton on the a2-highgpu-1g pool at 79000Mi: over its 78089Mi bound (GKE's 6 % tier), under the
79502Mi of a 4 % tier (rev17g g19)."""
FIT_AKS_TRANSFORMER_NOEXECUTE = _model_changed(
    "azure-staging", _AZURE_STAGING, "bert-onnx",
    scaling={**_AZURE_STAGING["mlplatform:models"]["bert-onnx"]["scaling"], "minReplicas": 1},  # type: ignore[index]
    transformer={"container": {"image": "kserve/image-transformer:v0.20.0"},
                 "resources": {"cpu": "1", "memory": "20000Mi"},
                 "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}]},
)  # fmt: skip
"""azure-staging's bert-onnx with a 20000Mi transformer tolerating nvidia.com/gpu only for NoExecute: it lands on the
system pool only (15006Mi), though the T4 pool would hold it (rev17g g21)."""
MLSERVER_ENV_LOWER = "local:" + json.dumps({"mlplatform:models": {**_LOCAL["mlplatform:models"], "iris-ml": {
    "format": "sklearn", "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model", "publicStorage": True,
    "runtime": "kserve-mlserver", "env": {"mlserver_http_port": "9000"},
    "access": {"mode": "public", "allowAnonymous": True}}}})  # fmt: skip
"""The local stack with an MLServer model moving its HTTP port by a lower-case env name (rev17g g22)."""
AGENT_GRPC_PORT = "local:" + json.dumps({"mlplatform:models": {**_LOCAL["mlplatform:models"], "iris-c": {
    "container": {"image": "ghcr.io/acme/srv:1.0", "port": {"number": 8080}},
    "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model", "publicStorage": True,
    "args": ["--grpc_port=9081"], "logger": {"mode": "all"},
    "access": {"mode": "public", "allowAnonymous": True}}}})  # fmt: skip
"""The local stack with a logging custom server whose --grpc_port takes KServe's agent port (rev17g g23)."""
GRPC_PORT_ABBREVIATED = "local:" + json.dumps({"mlplatform:models": {**_LOCAL["mlplatform:models"], "iris-g": {
    "format": "sklearn", "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model", "publicStorage": True,
    "runtime": "kserve-sklearnserver", "args": ["--grpc_p=9000"],
    "access": {"mode": "public", "allowAnonymous": True}}}})  # fmt: skip
"""The local stack with a kserve-sklearnserver model moving its gRPC server by an abbreviated flag (rev17g g24)."""
ROUTER_SUM = "local:" + json.dumps({
    "mlplatform:models": {**_LOCAL["mlplatform:models"], "iris-b": {
        **_LOCAL["mlplatform:models"]["sklearn-iris"]}},
    "mlplatform:pipelines": {"chain": {
        "access": PIPELINES["front"]["access"], "scaling": {"minReplicas": 1},
        "nodes": {"root": {"routerType": "Sequence", "steps": [
            {"serviceName": "iris-b"}, {"serviceName": "sklearn-iris", "data": "$response"},
            {"serviceName": "xgboost-iris", "data": "$response"}]}}}, "chain0": {
        "access": PIPELINES["front"]["access"], "scaling": {"minReplicas": 0},
        "nodes": {"root": {"routerType": "Sequence", "steps": [
            {"serviceName": "iris-b"}, {"serviceName": "xgboost-iris", "data": "$response"}]}}}},
})  # fmt: skip
"""The local stack with two public pipelines (tests/golden_stacks cover-aws-node-groups ``chain``, ``chain0``):
``chain``'s warm router calls two models at zero (iris-b, sklearn-iris) in a Sequence before xgboost-iris, so it waits
for both (rev17f s09); ``chain0``'s router at zero calls iris-b at zero, so it waits for its own start too (rev17f
s10). A router at zero before two members at zero would wait 1800 s + the request, which the plan refuses (fix14m)."""

BRANCHING = "local:" + json.dumps({
    "mlplatform:models": {**_LOCAL["mlplatform:models"],
                          "iris-b": {**_LOCAL["mlplatform:models"]["sklearn-iris"]},
                          "iris-w": {**_LOCAL["mlplatform:models"]["sklearn-iris"],
                                     "scaling": {"minReplicas": 1, "maxReplicas": 2}}},
    "mlplatform:pipelines": {"fanout": {
        "access": PIPELINES["front"]["access"], "scaling": {"minReplicas": 1},
        "nodes": {"root": {"routerType": "Sequence", "steps": [
            {"nodeName": "pick"}, {"serviceName": "iris-b", "data": "$response"}]},
                  "pick": {"routerType": "Splitter", "steps": [
            {"serviceName": "sklearn-iris", "weight": 50}, {"serviceName": "iris-b", "weight": 50}]}}}, "both": {
        "access": PIPELINES["front"]["access"], "scaling": {"minReplicas": 1},
        "nodes": {"root": {"routerType": "Ensemble", "steps": [
            {"serviceName": "xgboost-iris"}, {"serviceName": "sklearn-iris"}, {"serviceName": "iris-w"}]}}}},
})  # fmt: skip
"""The local stack with two branching pipelines (tests/golden_stacks cover-aws-node-groups ``fanout``, ``both``):
``fanout`` runs a Splitter over sklearn-iris and iris-b (both at zero) and then iris-b, so after the Splitter picked
sklearn-iris, iris-b is still at zero (KServe v0.20.0 routeStep/pickupRoute: 600 s + 600 s); ``both`` is an Ensemble
whose member at zero (sklearn-iris) sits between two warm ones (it waits for the slowest: 600 s). rev17g g01, g02."""
WARM_GCP = 'gcp-prod:{"warmCapacity": {"l4": 1}}'
"""Warm capacity on gcp-prod's l4 pool, which time-slices its GPUs (GKE ``gpuSharingConfig``): the placeholders
pre-pull nothing there (components/platform/warm.py; rev17g g08)."""
MPS_GCP_13GB = "gcp-prod:" + json.dumps({
    "mlplatform:cluster": {**_GCP_PROD["mlplatform:cluster"], "gpuPools": {
        **_GCP_PROD["mlplatform:cluster"]["gpuPools"],
        "l4": {**_GCP_PROD["mlplatform:cluster"]["gpuPools"]["l4"],
               "sharing": {"strategy": "mps", "maxClientsPerGpu": 2}}}},
    "mlplatform:models": {**_GCP_PROD["mlplatform:models"], "resnet-triton": {
        **_GCP_PROD["mlplatform:models"]["resnet-triton"], "modelSizeGb": 13}},
})  # fmt: skip
"""gcp-prod with its L4 pool shared by MPS two ways (23034 MiB / 2 less a CUDA context = 11.51 GB a client) and
resnet-triton (Triton, not vLLM) at 13 GB: the program refuses it (gpumem) unless a slip forgets the MPS fraction
(rev17h h16; qwen-chat's 0.45 is within 1/2 less a context, 0.47)."""
T4_18GB = _model_changed("azure-staging", _AZURE_STAGING, "bert-onnx", modelSizeGb=18)
"""azure-staging's bert-onnx at 18 GB on a T4 (15360 MiB, 16.1 GB as nvidia-smi reports it): refused unless the T4's
memory is misread (rev17h h05b; the anchors follow fix16e's catalog)."""


def _gcp_disks(disks: dict[str, int], **models: dict[str, object]) -> str:
    """``STACK:JSON`` of gcp-prod whose GPU pools have the ``disks`` (``diskSizeGib``) and whose models have the
    changes merged in (issue #17 P2: a stack the plan-time disk check refuses, so a slip that loosens it plans)."""
    cluster = dict(_GCP_PROD["mlplatform:cluster"])  # type: ignore[call-overload]
    pools = {n: {**p, **({"diskSizeGib": disks[n]} if n in disks else {})} for n, p in cluster["gpuPools"].items()}
    merged: dict[str, object] = dict(_GCP_PROD["mlplatform:models"])  # type: ignore[call-overload]
    for name, changes in models.items():
        merged[name] = {**merged[name], **changes}  # type: ignore[dict-item]
    return "gcp-prod:" + json.dumps({"mlplatform:cluster": {**cluster, "gpuPools": pools}, "mlplatform:models": merged})


_QWEN_RES = _resources(_GCP_PROD, "qwen-chat")
DISK_A100_ONE = _gcp_disks({"a100": 50}, **{"qwen-chat": {
    "modelSizeGb": 36, "resources": {**_QWEN_RES, "accelerator": "nvidia-a100-40gb"}}})  # fmt: skip
"""gcp-prod's qwen-chat (hf://, 36 GB) alone on the a100 pool (one unshared GPU) at 50 GiB: the node holds the
huggingfaceserver image 12 GB + the 36 GB download = 48 GB, over 85 % of 50 GiB (45.6 GB), under 50 GiB itself
(53.7 GB) and under 45.6 GB with either part or the GiB/GB conversion left out (issue #17 P2 d01-d05)."""
DISK_L4_OCI = _gcp_disks({"l4": 50}, **{"qwen-chat": {
    "storageUri": "oci://us-docker.pkg.dev/mlplatform-prod/models/qwen:1.0", "modelSizeGb": 20}})  # fmt: skip
"""gcp-prod's l4 pool (time-slicing, 2 GPU requests a node) at 50 GiB with qwen-chat a 20 GB model image: a node
with both models holds tritonserver 15.5 + huggingfaceserver 12 + the 20 GB model image + resnet-triton's 0.1 GB
download = 47.6 GB > 45.6 GB; one model alone (two replicas: 32 GB) fits (issue #17 P2 d06, d07)."""
DISK_L4_DOWNLOADS = _gcp_disks({"l4": 50}, **{"qwen-chat": {"modelSizeGb": 10}, "resnet-triton": {"modelSizeGb": 10}})
"""gcp-prod's l4 pool at 50 GiB with both models at 10 GB downloads: both on one node hold 15.5 + 12 + 10 + 10 = 47.5
GB > 45.6 GB; with one download counted 37.5 GB (issue #17 P2 d08)."""

AWS_PROD = 'aws-dev:{"mlplatform:environment": "prod"}'
"""aws-dev planned as prod (rev17i i02: awsx's NAT gateways per zone outside dev)."""
_AWS_CLUSTER = _AWS_DEV["mlplatform:cluster"]
AWS_L4_X4 = "aws-dev:" + json.dumps({"mlplatform:cluster": {**_AWS_CLUSTER, "gpuPools": {
    **_AWS_CLUSTER["gpuPools"], "l4": {**_AWS_CLUSTER["gpuPools"]["l4"], "gpusPerNode": 4}}}})  # fmt: skip
"""aws-dev with its l4 pool at four GPUs a node (g6.12xlarge): a Karpenter NodePool's nvidia.com/gpu limit is
maxNodes x 4 (rev17i i11)."""
RL_AZURE = 'azure-staging:{"requestLogs": {"retentionDays": 14}}'
"""azure-staging with the request-log collector: the platform creates its storage account (rev17i i08)."""
RL_GCP = 'gcp-prod:{"requestLogs": {"retentionDays": 14}}'
"""gcp-prod (HA: two collector replicas, their PodDisruptionBudget) with the request-log collector (rev17i i18)."""
STANDARD_PIPELINES_LOCAL = 'local:{"deploymentMode": "Standard"}'
"""The local stack in KServe's Standard mode (with :data:`WITH_PIPELINES`: the routers' own timeouts, rev17i i28)."""
_AWS_MODELS = _AWS_DEV["mlplatform:models"]
TWO_GPU_TIMESLICED = "aws-dev:" + json.dumps({
    "mlplatform:cluster": {**_AWS_CLUSTER, "gpuPools": {**_AWS_CLUSTER["gpuPools"], "l4": {
        **_AWS_CLUSTER["gpuPools"]["l4"], "gpusPerNode": 4,
        "sharing": {"strategy": "time-slicing", "maxClientsPerGpu": 2}}}},
    "mlplatform:models": {**_AWS_MODELS, "resnet50": {
        **_AWS_MODELS["resnet50"], "resources": {**_AWS_MODELS["resnet50"]["resources"], "gpus": 2}}},
})  # fmt: skip
"""aws-dev with its l4 pool at four GPUs a node, time-sliced two ways, and resnet50 asking two GPUs: the NVIDIA device
plugin's sharing config fails any request over one share (failRequestsGreaterThanOne), so the program refuses it
(rev17i i25; GKE's own time-sharing is not judged so, components/serving/model_service.py)."""
CONFIG_ONE_SHARE = (
    "infra/config.py",
    "if res.gpus > 1 and len(sliced) == len(pools):",
    "if False:  # fix17h bypass: ModelService's guard alone",
)
"""The stack config's own refusal of a multi-GPU model where every pool of its accelerator grants one share
(infra/config.py), ModelService's check made again before registration: rev17i i25's slip in ModelService is refused
there first (its baseline and mutant both), so the i25 entries drop it to reach a plan (fix17h)."""
_GCP_CLUSTER = _GCP_PROD["mlplatform:cluster"]
TWO_GPU_TIMESHARED_GKE = "gcp-prod:" + json.dumps({
    "mlplatform:cluster": {**_GCP_CLUSTER, "gpuPools": {**_GCP_CLUSTER["gpuPools"], "l4": {
        **_GCP_CLUSTER["gpuPools"]["l4"], "gpusPerNode": 2}}},
    "mlplatform:models": {**_GCP_PROD["mlplatform:models"], "qwen-chat": {
        **_GCP_PROD["mlplatform:models"]["qwen-chat"], "resources": {**_QWEN_RES, "gpus": 2}}},
})  # fmt: skip
"""gcp-prod with its l4 pool (GKE time-sharing, two clients a GPU: its only nvidia-l4 pool) at two GPUs a node and
qwen-chat asking two L4s: GKE's device plugin refuses more than one share a container
(container-engine-accelerators gpusharing.go ``ValidateRequest``), so the program refuses it (fix17h, the GKE case of
rev17i i25: every pool of the accelerator shares its GPUs)."""
_LOCAL_MODELS = _LOCAL["mlplatform:models"]
_QUICK_IDLE = {"minReplicas": 0, "maxReplicas": 3, "scaleDownDelay": "0s"}
TWICE_CALLED = "local:" + json.dumps({
    "mlplatform:models": {
        **_LOCAL_MODELS,
        "sklearn-iris": {**_LOCAL_MODELS["sklearn-iris"], "scaling": _QUICK_IDLE},
        "iris-b": {**_LOCAL_MODELS["sklearn-iris"], "scaling": _QUICK_IDLE}},
    "mlplatform:pipelines": {"twice": {
        "access": PIPELINES["front"]["access"], "scaling": {"minReplicas": 1},
        "nodes": {"root": {"routerType": "Sequence", "steps": [
            {"serviceName": "iris-b"}, {"serviceName": "sklearn-iris", "data": "$response"},
            {"serviceName": "iris-b", "data": "$response"}]}}}},
})  # fmt: skip
"""The local stack with a pipeline calling iris-b, then sklearn-iris, then iris-b again, both CPU models at zero with
no scale-down delay: iris-b's idle window (0 s + Knative's 60 s stable window + the platform's 10 min retention) is
shorter than sklearn-iris's cold start plus a request, so it may start from zero twice: 1800 s of cold starts, which
with a request exceed max-revision-timeout-seconds (the program refuses it: pipeline.py ``wait_problem``)."""
STANDARD_INNER_PIPELINE = "local:" + json.dumps({
    "mlplatform:pipelines": {"inner": PIPELINES["inner"]},
    "mlplatform:models": {**_LOCAL_MODELS, "sklearn-iris": {**_LOCAL_MODELS["sklearn-iris"], "scaling": {
        **_LOCAL_MODELS["sklearn-iris"]["scaling"], "minReplicas": 1}}},
})  # fmt: skip
"""The local stack's internal pipeline in KServe's Standard mode (with :data:`STANDARD_PIPELINES_LOCAL`; no model at
zero, which Standard mode refuses, and no public pipeline, which it cannot route): its router's own timeouts
(rev17i i28)."""
_QWEN_NO_ARGS = {k: v for k, v in _GCP_PROD["mlplatform:models"]["qwen-chat"].items() if k != "args"}
VLLM_A100_41GB = "gcp-prod:" + json.dumps({"mlplatform:models": {**_GCP_PROD["mlplatform:models"], "qwen-chat": {
    **_QWEN_NO_ARGS, "modelSizeGb": 41, "resources": {**_QWEN_RES, "accelerator": "nvidia-a100-40gb"}}}})  # fmt: skip
"""gcp-prod's qwen-chat (vLLM, no --gpu-memory-utilization) at 41 GB on the unshared a100 pool: over vLLM's 0.92 of
40960 MiB (39.5 GB), under the whole GPU (42.9 GB): refused unless vLLM's default fraction is misread (rev17i i26)."""


_GCP_CLUSTER = _GCP_PROD["mlplatform:cluster"]
TWO_GPU_GKE = "gcp-prod:" + json.dumps({
    "mlplatform:cluster": {**_GCP_CLUSTER, "gpuPools": {
        **_GCP_CLUSTER["gpuPools"],
        "l4x2": {"accelerator": "nvidia-l4", "gpusPerNode": 2, "minNodes": 0, "maxNodes": 2}}},
    "mlplatform:models": {**_GCP_PROD["mlplatform:models"], "resnet-triton": {
        **_GCP_PROD["mlplatform:models"]["resnet-triton"],
        "resources": {**_GCP_PROD["mlplatform:models"]["resnet-triton"]["resources"], "gpus": 2}}},
})  # fmt: skip
"""gcp-prod with a whole two-L4 pool beside its time-sliced l4 pool, resnet-triton asking 2 GPUs (rev17j j22): GKE's
device plugin refuses more than one nvidia.com/gpu on a time-shared node, so the predictor must be kept off l4."""
AWS_ON_DEMAND = "aws-dev:" + json.dumps({"mlplatform:cluster": {**_AWS_CLUSTER, "gpuPools": {
    "l4": {**_AWS_CLUSTER["gpuPools"]["l4"], "spot": False}}}})  # fmt: skip
"""aws-dev with its l4 pool on-demand (rev17j j09): the shipped pool is spot."""


MUTATIONS = (
    Mutation("irsa-no-sub", "clusters", "components/clusters/_aws_iam.py", SUB, "", "IRSA trust without its sub",
             TRUST),
    Mutation("irsa-no-aud", "clusters", "components/clusters/_aws_iam.py", 'f"{host}:aud": STS_AUDIENCE,', "",
             "IRSA trust without its aud", TRUST),
    Mutation("irsa-namespace-wildcard", "clusters", "components/clusters/_aws_iam.py",
             '"system:serviceaccount:{namespace}:{service_account}"', '"system:serviceaccount:{namespace}:*"',
             "IRSA sub for every ServiceAccount of the namespace", TRUST),
    Mutation("s3-every-bucket", "clusters", "components/clusters/_aws_iam.py",
             'bucket_arn = arn(partition, "s3", "", "", bucket)\n    base = prefix.strip("/")',
             'bucket_arn = arn(partition, "s3", "", "", "*")\n    base = prefix.strip("/")',
             "S3 read granted on every bucket", STORAGE),
    Mutation("s3-whole-bucket", "clusters", "components/clusters/_aws_iam.py", S3_OBJECTS,
             '[f"{bucket_arn}/*"] if base else', "S3 read on the whole bucket, not the model's prefix", STORAGE),
    Mutation("s3-no-boundary", "clusters", "components/clusters/_aws_iam.py", 'f"{bucket_arn}/{base}/*"]',
             'f"{bucket_arn}/{base}*"]', "S3 read prefix without its / boundary (v1* reaches v10/)", STORAGE),
    Mutation("s3-write", "clusters", "components/clusters/_aws_iam.py", '"Action": "s3:GetObject", "Resource": objects',
             '"Action": ["s3:GetObject", "s3:PutObject"], "Resource": objects', "S3 grant adds PutObject", STORAGE),
    Mutation("s3-list-unscoped", "clusters", "components/clusters/_aws_iam.py",
             'listing["Condition"] = {"StringLike": {"s3:prefix": [base, f"{base}/*"]}}', "pass",
             "S3 ListBucket without the prefix condition", STORAGE),
    Mutation("gke-wi-namespace", "clusters", "components/clusters/gke.py",
             'f"serviceAccount:{pool}[{namespace}/{service_account}]"', 'f"serviceAccount:{pool}[{namespace}/*]"',
             "GKE Workload Identity member for a whole namespace", TRUST),
    Mutation("gcs-object-admin", "clusters", "components/clusters/gke.py", 'role="roles/storage.objectViewer"',
             'role="roles/storage.objectAdmin"', "GCS grant widened to objectAdmin", STORAGE),
    Mutation("azure-subject-wildcard", "clusters", "components/clusters/aks.py",
             AKS_MODEL_FIC,
             AKS_MODEL_FIC.replace(':{service_account}",', ':*",'), "Azure federated subject for a whole namespace",
             TRUST),
    Mutation("azure-scope-account", "clusters", "components/clusters/aks.py",
             'f"{loc.account}/blobServices/default/containers/{loc.bucket}"', 'f"{loc.account}"',
             "Azure Blob Data Reader on the whole storage account", STORAGE),
    Mutation("gpu-taint-prefer-karpenter", "clusters", "components/naming.py", 'GPU_TAINT_EFFECT = "NoSchedule"',
             'GPU_TAINT_EFFECT = "PreferNoSchedule"', "GPU taint effect PreferNoSchedule (Karpenter, AKS)",
             "gpu-pool-taint-label"),
    Mutation("gpu-taint-prefer-gke", "clusters", "components/clusters/gke.py",
             'key=GPU_TAINT.key, value=GPU_TAINT.value, effect="NO_SCHEDULE"',
             'key=GPU_TAINT.key, value=GPU_TAINT.value, effect="PREFER_NO_SCHEDULE"',
             "GPU taint effect PREFER_NO_SCHEDULE (GKE)", "gpu-pool-taint-label"),
    Mutation("mesh-permissive", "platform", "components/platform/istio.py",
             'spec={"mtls": {"mode": "STRICT"}},\n        depends_on=[base],',
             'spec={"mtls": {"mode": "PERMISSIVE"}},\n        depends_on=[base],', "mesh-wide mTLS PERMISSIVE",
             "mesh-mtls-strict"),
    Mutation("gateway-pdb-blocks", "platform", "components/platform/istio.py",
             '{"minAvailable": ctx.replicas - 1}', '{"minAvailable": ctx.replicas}',
             "gateway PDB (Helm values) minAvailable = replicas: blocks every drain", "pdb-allows-eviction"),
    Mutation("gateway-pdb-max0", "platform", "components/platform/istio.py",
             '{"minAvailable": ctx.replicas - 1}', '{"maxUnavailable": 0}', "gateway PDB maxUnavailable 0",
             "pdb-allows-eviction"),
    Mutation("istiod-pdb-blocks", "platform", "components/platform/istio.py", '"autoscaleMin": ctx.replicas,',
             '"autoscaleMin": ctx.replicas, "pdb": {"minAvailable": ctx.replicas},',
             "istiod PDB (Helm values) minAvailable = replicas", "pdb-allows-eviction"),
    Mutation("kserve-version-short", "platform", "components/versions.py",
             'ChartRef("kserve-resources", f"{_KSERVE_OCI}/kserve-resources", "v0.20.0")',
             'ChartRef("kserve-resources", f"{_KSERVE_OCI}/kserve-resources", "v0.20")',
             "chart version v0.20 (a range)", "helm-version-pinned"),
    Mutation("istio-version-short", "platform", "components/versions.py",
             'ChartRef("istio-gateway", "gateway", "1.30.3", _ISTIO_REPO)',
             'ChartRef("istio-gateway", "gateway", "1.30", _ISTIO_REPO)', "chart version 1.30 (a range)",
             "helm-version-pinned"),
    Mutation("release-version-short", "platform", "components/platform/common.py", "version=ref.version,",
             'version=ref.version.rsplit(".", 1)[0],', "every Helm release pinned to X.Y (a range to Helm)",
             "helm-version-pinned"),
    Mutation("internal-visibility-lost", "serving", "components/serving/_runtime.py",
             "out[visibility_label(deployment_mode)] = CLUSTER_LOCAL", "pass",
             "internal model loses its cluster-local label", "internal-model-cluster-local"),
    Mutation("internal-visibility-wrong-label", "serving", "components/serving/_runtime.py",
             'return KNATIVE_VISIBILITY_LABEL if deployment_mode == "Knative" else STANDARD_VISIBILITY_LABEL',
             "return STANDARD_VISIBILITY_LABEL",
             "internal model labelled for Standard mode on a Knative platform", "internal-model-cluster-local"),
    Mutation("sa-mounts-token", "serving", "components/serving/model_service.py",
             "automount_service_account_token=False,", "automount_service_account_token=True,",
             "model ServiceAccount mounts its token", "model-service-account"),
    Mutation("namespace-permissive", "serving", "components/serving/namespace.py",
             'spec={"mtls": {"mode": "STRICT"}},', 'spec={"mtls": {"mode": "PERMISSIVE"}},',
             "model namespace mTLS PERMISSIVE", "mesh-mtls-strict"),
    Mutation("namespace-no-injection", "serving", "components/serving/namespace.py",
             '"istio-injection": "enabled",', "", "model namespace loses istio-injection: enabled",
             "model-sidecar-injection"),
    Mutation("model-default-sa", "serving", "components/serving/_runtime.py",
             '"serviceAccountName": given.service_account,', "", "model runs as the default ServiceAccount",
             "model-service-account"),
    Mutation("model-pdb-selects-nothing", "serving", "components/serving/model_service.py",
             "match_labels={_runtime.ISVC_LABEL: name}", 'match_labels={"app": name}',
             "model PDB selector matches none of the model's pods", "model-pdb"),
    # issue #17 review gaps: Azure grants and issuer, which ServiceAccount a binding names, Istio request policies
    Mutation("azure-issuer-fixed", "clusters", "components/clusters/aks.py", "issuer=self.oidc_issuer,",
             'issuer="https://kubernetes-oauth.azure.com/",',
             "Azure federated credential trusts a fixed issuer (the PowerShell example's), not the cluster's",
             BINDING),
    Mutation("azure-audience-aws", "clusters", "components/clusters/aks.py",
             'TOKEN_AUDIENCE = "api://AzureADTokenExchange"', 'TOKEN_AUDIENCE = "sts.amazonaws.com"',
             "Azure federated credential audience copied from IRSA", TRUST),
    Mutation("azure-role-contributor", "clusters", "components/clusters/aks.py",
             'ROLE_BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"',
             'ROLE_BLOB_READER = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"',
             "Azure storage grant as Storage Blob Data Contributor (write)", STORAGE),
    Mutation("azure-role-owner", "clusters", "components/clusters/aks.py",
             'ROLE_BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"',
             'ROLE_BLOB_READER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"',
             "Azure storage grant as Owner (account keys, role assignments)", STORAGE),
    Mutation("gke-wi-other-namespace", "clusters", "components/clusters/gke.py",
             'f"serviceAccount:{pool}[{namespace}/{service_account}]"',
             'f"serviceAccount:{pool}[default/{service_account}]"',
             "GKE Workload Identity member for the same name in another namespace", BINDING),
    Mutation("grant-wrong-ksa", "serving", "components/serving/model_service.py",
             "cluster.grant_storage_read(name, ns, sa_name, spec.identity_storage_uri, self)",
             "cluster.grant_storage_read(name, ns, name, spec.identity_storage_uri, self)",
             "cloud identity bound to the model's name, not its ServiceAccount (IRSA, GKE, Azure)", BINDING),
    Mutation("grant-wrong-namespace", "serving", "components/serving/model_service.py",
             "cluster.grant_storage_read(name, ns, sa_name, spec.identity_storage_uri, self)",
             'cluster.grant_storage_read(name, "default", sa_name, spec.identity_storage_uri, self)',
             "cloud identity bound to a ServiceAccount of another namespace", BINDING),
    Mutation("model-runs-as-other-ksa", "serving", "components/serving/model_service.py",
             "service_account=sa_name,", "service_account=name,",
             "InferenceService runs as a ServiceAccount that is not the bound one", BINDING),
    Mutation("authz-action-deny", "serving", "components/serving/_auth.py",
             'return {"selector": selector(name), "action": "ALLOW", "rules": rules}',
             'return {"selector": selector(name), "action": "DENY", "rules": rules}',
             "model AuthorizationPolicy action flipped to DENY (token-less requests then allowed)",
             "model-endpoint-auth"),
    Mutation("internal-callers-open", "serving", "components/serving/_auth.py",
             'rules = [{"from": [{"source": {"namespaces": callers(spec)}}], "to": api}]',
             'rules = [{"to": api}]', "internal model admits every caller of the mesh",
             "internal-model-callers"),
    Mutation("jwt-issuer-is-jwks", "serving", "components/serving/_auth.py",
             'rule: dict[str, Any] = {"issuer": jwt.issuer, "jwksUri": jwt.jwks_uri}',
             'rule: dict[str, Any] = {"issuer": jwt.jwks_uri, "jwksUri": jwt.jwks_uri}',
             "RequestAuthentication issuer set to the JWKS URL (every token refused)", "model-jwt-rules"),
    Mutation("jwt-forward-token", "serving", "components/serving/_auth.py",
             'rule: dict[str, Any] = {"issuer": jwt.issuer, "jwksUri": jwt.jwks_uri}',
             'rule: dict[str, Any] = {"issuer": jwt.issuer, "jwksUri": jwt.jwks_uri, "forwardOriginalToken": True}',
             "RequestAuthentication forwards the caller's token to the model", "model-jwt-rules"),
    Mutation("gateway-hpa-min-1", "platform", "components/platform/istio.py",
             '"autoscaling": {"minReplicas": ctx.replicas},', '"autoscaling": {"minReplicas": 1},',
             "prod gateway HPA may scale to one replica (and the chart then renders no PDB)", "prod-mesh-replicas"),
    Mutation("istiod-floor-1", "platform", "components/platform/istio.py", '"autoscaleMin": ctx.replicas,',
             '"autoscaleMin": 1,', "prod istiod HPA may scale to one replica", "prod-mesh-replicas"),
    Mutation("aks-local-accounts", "clusters", "components/clusters/aks.py", "disable_local_accounts=True,",
             "disable_local_accounts=False,", "AKS keeps its local admin accounts", "aks-entra-only"),
    Mutation("gke-node-metadata", "clusters", "components/clusters/gke.py", 'mode="GKE_METADATA"',
             'mode="GCE_METADATA"', "GKE pool exposes the node's service account to pods", "workload-identity"),
    Mutation("karpenter-imds-hops", "clusters", "components/clusters/_karpenter.py", '"httpPutResponseHopLimit": 1,',
             '"httpPutResponseHopLimit": 2,', "Karpenter nodes let pods reach IMDS (hop limit 2)", "imdsv2-required"),
    Mutation("mesh-mtls-wrong-namespace", "platform", "components/platform/istio.py",
             'namespace=NAMESPACE,\n        spec={"mtls": {"mode": "STRICT"}},',
             'namespace="default",\n        spec={"mtls": {"mode": "STRICT"}},',
             "mesh-wide STRICT PeerAuthentication created in default, not the root namespace", "mesh-mtls-strict"),
    # issue #17, request paths: the models' and the gateway's NetworkPolicies, the inference-API allow-lists and the
    # mesh's path normalization (policy/rules/network.py judges each through components/serving/requestpath.py)
    Mutation("netpol-stats-port-open", "serving", "components/serving/_netpol.py",
             "return sorted([*ports, HBONE_PORT, ISTIO_HEALTH_PORT])",
             "return sorted([*ports, HBONE_PORT, ISTIO_HEALTH_PORT, ENVOY_STATS_PORT])",
             "model NetworkPolicy opens Envoy's stats port 15090 to every source", "model-metrics-prometheus-only"),
    Mutation("netpol-any-namespace", "serving", "components/serving/_netpol.py",
             '"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: monitoring_namespace}},',
             '"namespaceSelector": {"matchLabels": {}},',
             "model metrics admitted to Prometheus-labelled pods of every namespace", "model-metrics-prometheus-only"),
    Mutation("netpol-egress-only", "serving", "components/serving/_netpol.py", '"policyTypes": ["Ingress"]',
             '"policyTypes": ["Egress"]', "model NetworkPolicy isolates egress, not ingress (metrics open)",
             "model-metrics-prometheus-only"),
    # the selector's label became a parameter (pipelines select their router by KServe's inferencegraph label):
    # the same slip on today's text
    Mutation("netpol-selects-nothing", "serving", "components/serving/_netpol.py",
             'return {"podSelector": {"matchLabels": {label: name}}, "policyTypes"',
             'return {"podSelector": {"matchLabels": {"app": name}}, "policyTypes"',
             "model NetworkPolicy selects none of the model's pods", "model-metrics-prometheus-only"),
    # review #17b slips 2, 3, 7, 13 and 14 (tests/policy/test_policy_rev17b_slips.py)
    Mutation("b-istio-cni-default-bin-dir", "platform", "components/platform/istio.py",
             'return {"cniBinDir": bin_dir} if bin_dir else {}', "return {}",
             "istio-cni plugin in /opt/cni/bin on GKE, where the kubelet does not look", "istio-cni-bin-dir"),
    Mutation("b-gke-default-node-sa", "clusters", "components/clusters/gke.py",
             "service_account=self.node_service_account.email,", "",
             "GKE nodes run as the Compute Engine default service account (project Editor)", "iam-least-privilege"),
    Mutation("b-karpenter-entry-standard", "clusters", "components/clusters/eks.py",
             'type="EC2_LINUX",', 'type="STANDARD",',
             "Karpenter node role's access entry STANDARD: the nodes never register", HARDEN),
    Mutation("b-pull-secrets-dropped", "serving", "components/serving/_runtime.py",
             'out["imagePullSecrets"] = [{"name": n} for n in spec.image_pull_secrets]', "pass",
             "a private image never pulls", "model-declared-secrets", config=DECLARED_SECRETS),
    Mutation("b-secret-env-literal", "serving", "components/serving/_runtime.py",
             '{"name": k, "valueFrom": {"secretKeyRef": {"name": ref.secret, "key": ref.key}}}',
             '{"name": k, "value": f"{ref.secret}/{ref.key}"}',
             "a secretEnv entry as literal text, not the secret", "model-declared-secrets", config=DECLARED_SECRETS),
    Mutation("netpol-serving-closed", "serving", "components/serving/_netpol.py",
             "ports = [int(p) for p in serving_ports(deployment_mode, spec)]", "ports = []",
             "model NetworkPolicy closes the serving ports (no caller reaches the model)", "model-inference-api-only"),
    Mutation("authz-no-paths", "serving", "components/serving/_auth.py",
             'operation: dict[str, Any] = {"ports": list(ports), "methods": [method], "paths": paths}',
             'operation: dict[str, Any] = {"ports": list(ports), "methods": [method]}',
             "caller rules lose their path allow-list (admin API and /metrics reachable)", "model-inference-api-only"),
    Mutation("authz-no-not-paths", "serving", "components/serving/_auth.py", "        if excluded:",
             "        if False:", "v2 caller rules lose notPaths (Triton's /v2/models/stats reachable)",
             "model-inference-api-only"),
    Mutation("authz-v2-prefix", "serving", "components/serving/_auth.py",
             'post=("/v2/models/{*}/infer", "/v2/models/{*}/versions/{*}/infer"),', 'post=("/v2/*",),',
             "v2 POST paths widened to a /v2/* prefix (repository load/unload reachable)", "model-inference-api-only"),
    Mutation("mesh-normalization-base", "platform", "components/platform/istio.py",
             'PATH_NORMALIZATION = "DECODE_AND_MERGE_SLASHES"', 'PATH_NORMALIZATION = "BASE"',
             "mesh path normalization BASE (keeps %2F, double slashes)", "mesh-path-normalization"),
    Mutation("mesh-normalization-dropped", "platform", "components/platform/istio.py",
             '"meshConfig": {"pathNormalization": {"normalization": PATH_NORMALIZATION}},', "",
             "istiod values lose meshConfig.pathNormalization (Istio's default BASE)", "mesh-path-normalization"),
    Mutation("gateway-netpol-metrics-open", "platform", "components/platform/istio.py",
             'rules: list[dict[str, Any]] = [{"ports": _tcp(GATEWAY_TRAFFIC_PORTS)}]',
             'rules: list[dict[str, Any]] = [{"ports": _tcp(GATEWAY_TRAFFIC_PORTS + GATEWAY_METRICS_PORTS)}]',
             "gateway NetworkPolicy opens its metrics ports to every source", "gateway-metrics-prometheus-only"),
    Mutation("gateway-netpol-local-closed", "platform", "components/platform/istio.py",
             "GATEWAY_TRAFFIC_PORTS = (80, 443, 8081, 8444, 15021)", "GATEWAY_TRAFFIC_PORTS = (80, 443, 15021)",
             "gateway NetworkPolicy closes knative-local-gateway's ports", "gateway-metrics-prometheus-only"),
    Mutation("gateway-netpol-selects-nothing", "platform", "components/platform/istio.py",
             "pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(GATEWAY_SELECTOR)),",
             'pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": "ingressgateway"}),',
             "gateway NetworkPolicy selects none of the gateway pods", "gateway-metrics-prometheus-only"),
    Mutation("gateway-netpol-any-namespace", "platform", "components/platform/istio.py",
             '"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": monitoring_namespace}},',
             '"namespaceSelector": {"matchLabels": {}},',
             "gateway metrics admitted to Prometheus-labelled pods of every namespace",
             "gateway-metrics-prometheus-only"),
    # issue #17, cluster and IAM slips: NetworkPolicy enforcement read from the cluster, the hardening the cluster
    # components set, IAM outside storage (policy/rules/cluster.py, policy/rules/iam.py)
    Mutation("eks-netpol-off", "clusters", "components/clusters/eks.py",
             "vpc_cni_options=eks.VpcCniOptionsArgs(enable_network_policy=True),",
             "vpc_cni_options=eks.VpcCniOptionsArgs(enable_network_policy=False),",
             "EKS VPC CNI network policy agent off", NETPOL),
    Mutation("gke-legacy-datapath", "clusters", "components/clusters/gke.py",
             'datapath_provider="ADVANCED_DATAPATH",', 'datapath_provider="LEGACY_DATAPATH",',
             "GKE without Dataplane V2 (no NetworkPolicy enforcement)", NETPOL),
    Mutation("aks-netpol-none", "clusters", "components/clusters/aks.py", 'network_policy="cilium",',
             'network_policy="none",', "AKS network policy none", NETPOL),
    Mutation("gke-legacy-abac", "clusters", "components/clusters/gke.py", "enable_legacy_abac=False,",
             "enable_legacy_abac=True,", "GKE legacy ABAC on", HARDEN),
    Mutation("gke-client-cert", "clusters", "components/clusters/gke.py", "issue_client_certificate=False",
             "issue_client_certificate=True", "GKE issues a client certificate", HARDEN),
    Mutation("gke-public-nodes", "clusters", "components/clusters/gke.py", "enable_private_nodes=True,",
             "enable_private_nodes=False,", "GKE nodes with public IPs", HARDEN),
    Mutation("gke-shielded-off", "clusters", "components/clusters/gke.py", "enable_shielded_nodes=True,",
             "enable_shielded_nodes=False,", "GKE Shielded Nodes off", HARDEN),
    Mutation("gke-secure-boot-off", "clusters", "components/clusters/gke.py",
             'SHIELDED_NODES = {"enable_secure_boot": True,', 'SHIELDED_NODES = {"enable_secure_boot": False,',
             "GKE node pools without Secure Boot", HARDEN),
    Mutation("gke-deletion-protection-off", "clusters", "components/clusters/gke.py",
             "deletion_protection=protect,", "deletion_protection=False,",
             "GKE cluster deletionProtection false (prod)", HARDEN),
    Mutation("eks-node-public-ip", "clusters", "components/clusters/eks.py",
             "node_associate_public_ip_address=False,", "node_associate_public_ip_address=True,",
             "EKS nodes get public IPs", HARDEN),
    Mutation("eks-volume-unencrypted", "clusters", "components/clusters/eks.py",
             'encrypted="true",\n                        delete_on_termination="true",',
             'encrypted="false",\n                        delete_on_termination="true",',
             "EKS launch template root volume unencrypted", HARDEN),
    Mutation("karpenter-public-ip", "clusters", "components/clusters/_karpenter.py",
             '"associatePublicIPAddress": False,', '"associatePublicIPAddress": True,',
             "Karpenter nodes get public IPs", HARDEN),
    Mutation("karpenter-volume-unencrypted", "clusters", "components/clusters/_karpenter.py",
             '"iops": GPU_VOLUME_IOPS,\n                    "encrypted": True,',
             '"iops": GPU_VOLUME_IOPS,\n                    "encrypted": False,',
             "Karpenter node volumes unencrypted", HARDEN),
    Mutation("aks-gpu-node-public-ip", "clusters", "components/clusters/aks.py",
             "enable_auto_scaling=True,\n            enable_node_public_ip=False,",
             "enable_auto_scaling=True,\n            enable_node_public_ip=True,",
             "AKS GPU pool nodes get public IPs", HARDEN),
    Mutation("aks-system-node-public-ip", "clusters", "components/clusters/aks.py",
             "os_disk_size_gb=128,\n                    enable_node_public_ip=False,",
             "os_disk_size_gb=128,\n                    enable_node_public_ip=True,",
             "AKS system pool nodes get public IPs", HARDEN),
    Mutation("aks-vault-access-policies", "clusters", "components/clusters/aks.py",
             "enable_rbac_authorization=True,", "enable_rbac_authorization=False,",
             "Key Vault authorizes by access policies, not RBAC", HARDEN),
    Mutation("aks-vault-no-purge-protection", "clusters", "components/clusters/aks.py",
             "enable_purge_protection=True,", "enable_purge_protection=False,", "Key Vault without purge protection",
             HARDEN),
    Mutation("node-trust-everyone", "clusters", "components/clusters/_aws_iam.py",
             '{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}',
             '{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}',
             "node roles trusted by every AWS principal", IAM),
    Mutation("karpenter-passrole-any", "clusters", "components/clusters/_karpenter.py",
             '"Resource": node_role_arn,\n            "Action": "iam:PassRole",',
             '"Resource": "*",\n            "Action": "iam:PassRole",', "Karpenter may pass any role", IAM),
    Mutation("karpenter-ec2-star", "clusters", "components/clusters/_karpenter.py",
             '"ec2:DescribeImages",', '"ec2:*",', "Karpenter's regional read list gains ec2:* on *", IAM),
    Mutation("karpenter-queue-everyone", "clusters", "components/clusters/_karpenter.py",
             '"Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},', '"Principal": "*",',
             "Karpenter's interruption queue writable by everyone", IAM),
    Mutation("gke-node-editor", "clusters", "components/clusters/gke.py", '"roles/logging.logWriter",',
             '"roles/editor",', "GKE node service account gets roles/editor", IAM),
    Mutation("gke-node-container-admin", "clusters", "components/clusters/gke.py", '"roles/monitoring.viewer",',
             '"roles/container.admin",', "GKE node service account gets a project-wide admin role", IAM),
    Mutation("azure-contributor-subscription", "clusters", "components/clusters/aks.py",
             "role_definition(s, ROLE_NETWORK_CONTRIBUTOR)),\n            scope=subnet.id,",
             'role_definition(s, "b24988ac-6180-42a0-ab88-20f7382dd24c")),\n'
             '            scope=self._subscription.apply(lambda s: f"/subscriptions/{s}"),',
             "AKS control-plane identity Contributor on the subscription", IAM),
    Mutation("rule-cni-accepts-false-string", "policy", "policy/clouds/aws.py",
             'return value is True or (isinstance(value, str) and value.lower() == "true")',
             "return value is not False", "network-policy rule accepts enableNetworkPolicy \"false\""),
    Mutation("rule-secure-boot-unset-ok", "policy", "policy/clouds/gcp.py",
             "if UNKNOWN not in (config, shielded, boot) and boot is not True:",
             "if UNKNOWN not in (config, shielded, boot) and boot is False:",
             "hardening rule accepts unset Secure Boot"),
    Mutation("rule-passrole-exact-only", "policy", "policy/clouds/aws.py",
             'if any(action_matches(a, "iam:PassRole") for a in actions):',
             'if any(a == "iam:PassRole" for a in actions):', "IAM rule misses PassRole by wildcard or case"),
    Mutation("rule-principal-list-missed", "policy", "policy/clouds/aws.py",
             'return "*" in _strings(as_map(principal).get("AWS"))', 'return as_map(principal).get("AWS") == "*"',
             "IAM rule misses * inside a principal list"),
    Mutation("rule-azure-rg-ignored", "policy", "policy/clouds/azure.py",
             r'(/subscriptions/[^/]+(/resourceGroups/[^/]+)?)?/?', r'(/subscriptions/[^/]+)?/?',
             "IAM rule ignores Owner-class roles at resource-group scope"),
    Mutation("rule-normalization-accepts-merge", "policy", "policy/rules/network.py",
             "        if given == NORMALIZATION:",
             '        if given in (NORMALIZATION, "MERGE_SLASHES"):', "normalization rule accepts MERGE_SLASHES"),
    Mutation("rule-gateway-ignores-traffic", "policy", "policy/rules/network.py", "        if closed:",
             "        if False:", "gateway rule ignores closed traffic ports"),
    Mutation("rule-metrics-ignores-openings", "policy", "policy/rules/network.py", "            if opened:",
             "            if False:", "model metrics rule ignores outsiders reading the metrics"),
    Mutation("rule-fic-issuer-any", "policy", "policy/clouds/azure.py",
             "elif not known and not urns & set(f.depends_on):", "elif False:",
             "binding rule accepts a federated issuer not taken from the cluster"),
    Mutation("rule-azure-owner-ignored", "policy", "policy/clouds/azure.py", "if role_id in WIDE_AZURE_ROLES:",
             "if False:", "storage rule ignores Owner/Contributor over storage"),
    Mutation("rule-model-ksa-ignored", "policy", "policy/rules/identity.py",
             "if (model.namespace, name) not in sas:", "if False:",
             "binding rule accepts a model running as an undeclared ServiceAccount"),
    Mutation("rule-helm-sa-ignored", "policy", "policy/rules/identity.py",
             "elif r.type == HELM_RELEASE and (found := helm_service_account(r)) is not None:", "elif False:",
             "binding rule ignores ServiceAccounts Helm charts create (DNS identities)"),
    Mutation("rule-pairing-ignored", "policy", "policy/rules/identity.py",
             "        if (str(ns), name) not in trusts[value]:\n", "        if False:\n",
             "binding rule no longer pairs each ServiceAccount with its own identity's binding"),
    Mutation("rule-jwt-forward-ignored", "policy", "policy/rules/models.py",
             'if rule.get("forwardOriginalToken") is True:', "if False:", "JWT rule accepts forwardOriginalToken"),
    Mutation("rule-version-accepts-0.20", "policy", "policy/rules/kubernetes.py",
             r'\Av?[0-9]+\.[0-9]+\.[0-9]+(-', r'\Av?[0-9]+\.[0-9]+(\.[0-9]+)?(-', "version rule accepts 0.20"),
    Mutation("rule-taint-accepts-prefer", "policy", "policy/rules/gpu.py", "if GPU_TAINT not in pool.taints:",
             "if not any(t[:2] == GPU_TAINT[:2] for t in pool.taints):", "taint rule accepts any effect"),
    Mutation("rule-mesh-accepts-permissive", "policy", "policy/rules/models.py",
             'if _mode(p) is not UNKNOWN and _mode(p) != "STRICT":',
             'if _mode(p) not in (UNKNOWN, "STRICT", "PERMISSIVE"):', "mTLS rule accepts a PERMISSIVE mesh"),
    Mutation("rule-irsa-accepts-stringlike", "policy", "policy/clouds/aws.py", 'if op != "StringEquals"',
             'if op not in ("StringEquals", "StringLike")', "trust rule accepts StringLike on sub"),
    Mutation("rule-pdb-ignores-helm", "policy", "policy/rules/kubernetes.py", "        yield from _helm_pdbs(res)\n",
             "", "PDB rule ignores Helm values"),
    Mutation("rule-irsa-action-case", "policy", "policy/clouds/aws.py",
             "return fnmatch.fnmatchcase(action.lower(), pattern.lower())", "return action == pattern",
             "trust rule matches the action case-sensitively, no wildcards"),
    Mutation("rule-s3-no-boundary", "policy", "policy/clouds/aws.py",
             'return head.endswith("/") and head.strip("/") != ""', 'return head != ""',
             "storage rule accepts a prefix without / boundary"),
    # issue #17 review: HTTPS only on the public gateway, the restricted hardening of the pods the platform renders
    Mutation("gateway-redirect-off", "platform", "components/platform/istio.py", '"tls": {"httpsRedirect": True}',
             '"tls": {"httpsRedirect": False}', "Knative gateway's HTTP server stops redirecting to HTTPS",
             "gateway-https-only"),
    Mutation("gateway-redirect-dropped", "platform", "components/platform/istio.py",
             ', "tls": {"httpsRedirect": True}}', "}", "Knative gateway's HTTP server loses its tls block",
             "gateway-https-only"),
    Mutation("gateway-https-as-http", "platform", "components/platform/istio.py",
             '"port": {"name": "https", "number": 443, "protocol": "HTTPS"},',
             '"port": {"name": "https", "number": 443, "protocol": "HTTP"},',
             "Knative gateway's 443 server declared HTTP (served in plain text)", "gateway-https-only"),
    Mutation("standard-http-listener-all", "platform", "components/platform/istio.py",
             HTTP_LISTENER + '"allowedRoutes": {"namespaces": {"from": "Same"}},',
             HTTP_LISTENER + '"allowedRoutes": {"namespaces": {"from": "All"}},',
             "Standard mode: the Gateway's http listener admits the models' routes (plain HTTP)",
             "gateway-https-only", platform=STANDARD_GCP, config=STANDARD_GCP_MODELS),
    Mutation("standard-redirect-scheme-http", "platform", "components/platform/istio.py",
             '{"scheme": "https", "statusCode": 301}', '{"scheme": "http", "statusCode": 301}',
             "Standard mode: the redirect route sends clients to http", "gateway-https-only",
             platform=STANDARD_GCP, config=STANDARD_GCP_MODELS),
    Mutation("model-escalation-allowed", "serving", "components/serving/_runtime.py",
             '        "allowPrivilegeEscalation": False,\n', "",
             "model container loses allowPrivilegeEscalation: false",
             "pod-restricted-hardening"),
    Mutation("model-capabilities-kept", "serving", "components/serving/_runtime.py",
             '        "capabilities": {"drop": ["ALL"]},\n', "", "model container keeps its capabilities",
             "pod-restricted-hardening"),
    Mutation("model-seccomp-dropped", "serving", "components/serving/_runtime.py",
             '        "seccompProfile": {"type": "RuntimeDefault"},\n', "", "model container runs unconfined",
             "pod-restricted-hardening"),
    Mutation("model-run-as-root-allowed", "serving", "components/serving/_runtime.py",
             'ctx["runAsNonRoot"] = True', "pass", "model container loses runAsNonRoot",
             "pod-restricted-hardening"),
    Mutation("storage-init-seccomp-dropped", "platform", "components/platform/kserve.py",
             '    "seccompProfile": {"type": "RuntimeDefault"},\n', "",
             "storage-initializer security context loses its seccomp profile", "pod-restricted-hardening"),
    Mutation("sidecar-seccomp-dropped", "platform", "components/platform/istio.py",
             'proxy = {"seccompProfile": {"type": "RuntimeDefault"}} if ctx.settings.istio_cni else {}',
             "proxy: dict[str, Any] = {}", "injected sidecars lose the RuntimeDefault seccomp profile",
             "pod-restricted-hardening"),
    Mutation("queue-proxy-defaults-off", "platform", "components/platform/knative.py",
             'out[SECURE_POD_DEFAULTS] = "enabled"', 'out[SECURE_POD_DEFAULTS] = "root-allowed"',
             "Knative secure-pod-defaults root-allowed (queue-proxy may run as root)", "pod-restricted-hardening"),
    Mutation("warm-escalation-allowed", "platform", "components/platform/warm.py",
             '                    "allowPrivilegeEscalation": False,\n', "",
             "warm-capacity placeholder loses allowPrivilegeEscalation: false", "pod-restricted-hardening",
             platform='gcp-prod:{"warmCapacity": {"l4": 1}}'),
    Mutation("warm-pod-context-dropped", "platform", "components/platform/warm.py",
             WARM_POD_CONTEXT, '"securityContext": {"runAsUser": 65535},',
             "warm-capacity placeholder loses runAsNonRoot and its seccomp profile", "pod-restricted-hardening",
             platform='gcp-prod:{"warmCapacity": {"l4": 1}}'),
    Mutation("activator-permissive", "platform", "components/platform/knative.py",
             '"mtls": {"mode": "STRICT"},\n                "portLevelMtls"',
             '"mtls": {"mode": "PERMISSIVE"},\n                "portLevelMtls"',
             "Knative activator and autoscaler take plain text on every port", "mesh-mtls-strict"),
    # pipelines (KServe InferenceGraph, components/serving/pipeline.py): planned on the local stack with PIPELINES
    Mutation("pipeline-router-no-principal", "serving", "components/serving/pipeline.py",
             'rule = {"from": [{"source": {"requestPrincipals": ["*"]}}], "to": to}', 'rule = {"to": to}',
             "public jwt pipeline's router admits callers without a token", "pipeline-endpoint-auth",
             config=WITH_PIPELINES),
    Mutation("pipeline-router-deny", "serving", "components/serving/pipeline.py",
             'return {"selector": selector(name), "action": "ALLOW", "rules": rules}',
             'return {"selector": selector(name), "action": "DENY", "rules": rules}',
             "pipeline router's AuthorizationPolicy flipped to DENY (token-less requests then allowed)",
             "pipeline-endpoint-auth", config=WITH_PIPELINES),
    Mutation("pipeline-visibility-lost", "serving", "components/serving/pipeline.py",
             "out[_runtime.visibility_label(deployment_mode)] = _runtime.CLUSTER_LOCAL", "pass",
             "internal pipeline loses its cluster-local label", "internal-pipeline-cluster-local",
             config=WITH_PIPELINES),
    Mutation("pipeline-visibility-wrong-label", "serving", "components/serving/pipeline.py",
             "out[_runtime.visibility_label(deployment_mode)] = _runtime.CLUSTER_LOCAL",
             "out[_runtime.STANDARD_VISIBILITY_LABEL] = _runtime.CLUSTER_LOCAL",
             "internal pipeline labelled for Standard mode on a Knative platform", "internal-pipeline-cluster-local",
             config=WITH_PIPELINES),
    Mutation("pipeline-burst-capacity", "serving", "components/serving/pipeline.py",
             'out[_runtime.TARGET_BURST_CAPACITY] = "0"', "pass",
             "internal pipeline lets Knative's activator into its path", "internal-pipeline-activator-off",
             config=WITH_PIPELINES),
    Mutation("pipeline-scale-to-zero", "serving", "components/serving/pipeline.py",
             '"minReplicas": spec.scaling.min_replicas,', '"minReplicas": 0,',
             "pipeline router rendered with minReplicas 0 (internal: the activator at zero)",
             "internal-pipeline-activator-off", config=WITH_PIPELINES),
    Mutation("pipeline-default-sa", "serving", "components/serving/pipeline.py",
             '"serviceAccountName": router_service_account(name),', "",
             "pipeline router runs as the default ServiceAccount", "pipeline-service-account", config=WITH_PIPELINES),
    Mutation("pipeline-sa-mounts-token", "serving", "components/serving/pipeline.py",
             "sa_name, metadata=meta(ROUTER_ROLE), automount_service_account_token=False, opts=opts_()",
             "sa_name, metadata=meta(ROUTER_ROLE), automount_service_account_token=True, opts=opts_()",
             "pipeline router's ServiceAccount mounts its token", "pipeline-service-account", config=WITH_PIPELINES),
    Mutation("pipeline-netpol-model-label", "serving", "components/serving/pipeline.py",
             "name, mode, platform.monitoring_namespace if platform.monitoring else None, label=IG_LABEL",
             "name, mode, platform.monitoring_namespace if platform.monitoring else None",
             "router NetworkPolicy selects by the model label (router pods unselected, metrics open)",
             "model-metrics-prometheus-only", config=WITH_PIPELINES),
    Mutation("pipeline-step-top-host", "serving", "components/serving/pipeline.py", IG_STEP,
             IG_STEP.replace("-{component}.", "."), "pipeline steps call KServe's top-level host (the gateway)",
             "pipeline-step-predictor-host", config=WITH_PIPELINES),
    Mutation("pipeline-internal-open", "serving", "components/serving/pipeline.py",
             'rule = {"from": [{"source": {"namespaces": namespaces}}], "to": to}', 'rule = {"to": to}',
             "internal pipeline's router admits every caller of the mesh (its member widened)",
             "pipeline-member-access", config=WITH_PIPELINES),
    Mutation("pipeline-anonymous-member-allowed", "serving", "components/serving/pipeline_spec.py",
             'if p.mode == "public" and p.allow_anonymous:', "if False:",
             "anonymous pipeline over an internal model no longer refused", "pipeline-member-access",
             config=ANONYMOUS_OVER_INTERNAL),
    Mutation("rule-pipeline-tbc-any", "policy", "policy/rules/pipeline.py", 'if tbc is not UNKNOWN and tbc != "0":',
             "if tbc is None:", "activator rule accepts any target-burst-capacity that is set"),
    Mutation("rule-pipeline-step-fqdn-only", "policy", "policy/rules/pipeline.py",
             "if host in _top_hosts(m) or (m.namespace == g.namespace and short in _top_hosts(m)):",
             'if host == f"{m.k8s_name}.{m.namespace}.{CLUSTER_DOMAIN}":',
             "step-host rule sees only the full top-level host (not <m>.<ns>.svc, <m>.<ns>, <m>)"),
    Mutation("rule-pipeline-default-sa", "policy", "policy/rules/pipeline.py",
             'if not isinstance(name, str) or not name or name == "default":', "if not isinstance(name, str):",
             "pipeline service-account rule accepts default and an empty name"),
    Mutation("rule-https-accepts-off", "policy", "policy/rules/mesh.py", "if redirect is True or redirect is UNKNOWN:",
             "if True:", "HTTPS rule accepts an HTTP server without redirect"),
    Mutation("rule-hardening-ignores-capabilities", "policy", "policy/rules/kubernetes.py",
             'if drop is not UNKNOWN and "ALL" not in as_list(drop):', "if False:",
             "hardening rule ignores capabilities"),
    # hostile review of #17, cluster and IAM rows (tests/policy/test_policy_rev17_cluster.py)
    Mutation("eks-kms-no-rotation", "clusters", "components/clusters/eks.py", "enable_key_rotation=True,",
             "enable_key_rotation=False,", "EKS secrets KMS key does not rotate", "kms-key-rotation"),
    Mutation("eks-no-private-endpoint", "clusters", "components/clusters/eks.py", "endpoint_private_access=True,",
             "endpoint_private_access=False,",
             "EKS private endpoint off: nodes reach the API only via the CIDR-limited public endpoint",
             "api-endpoint-restricted"),
    Mutation("eks-auth-configmap", "clusters", "components/clusters/eks.py",
             "authentication_mode=eks.AuthenticationMode.API,",
             "authentication_mode=eks.AuthenticationMode.API_AND_CONFIG_MAP,",
             "EKS also honours the aws-auth ConfigMap", HARDEN),
    Mutation("eks-sc-unencrypted", "clusters", "components/clusters/eks.py",
             '"parameters": {"type": "gp3", "encrypted": "true",',
             '"parameters": {"type": "gp3", "encrypted": "false",',
             "default StorageClass makes unencrypted EBS volumes", HARDEN),
    Mutation("eks-node-ecr-poweruser", "clusters", "components/clusters/_aws_iam.py",
             '    "AmazonEC2ContainerRegistryPullOnly",\n', '    "AmazonEC2ContainerRegistryPowerUser",\n',
             "node roles may push to every ECR repository", IAM),
    Mutation("karpenter-queue-tls-deny-inverted", "clusters", "components/clusters/_karpenter.py",
             '"Condition": {"Bool": {"aws:SecureTransport": "false"}},',
             '"Condition": {"Bool": {"aws:SecureTransport": "true"}},',
             "interruption queue denies every TLS call (Karpenter cannot read interruptions)", IAM),
    Mutation("aks-node-os-no-patches", "clusters", "components/clusters/aks.py", 'node_os_upgrade_channel="NodeImage"',
             'node_os_upgrade_channel="None"', "AKS nodes get no OS security patches", HARDEN),
    Mutation("rule-eks-private-endpoint-ignored", "policy", "policy/clouds/aws.py",
             "    return private is not UNKNOWN and private is not True\n", "    return private is False\n",
             "API rule accepts an unset (default false) EKS private endpoint"),
    Mutation("rule-auth-mode-config-map-ok", "policy", "policy/clouds/aws.py",
             'if mode is not UNKNOWN and mode != "API":', 'if mode not in (UNKNOWN, "API", "API_AND_CONFIG_MAP"):',
             "hardening rule accepts API_AND_CONFIG_MAP"),
    Mutation("rule-ebs-class-unset-ok", "policy", "policy/clouds/aws.py",
             '    return "unset" if value is None else repr(value)',
             '    return None if value is None else repr(value)',
             "hardening rule accepts an EBS StorageClass without encrypted"),
    Mutation("rule-aks-unmanaged-ok", "policy", "policy/clouds/azure.py",
             'AKS_OS_PATCHED = ("NodeImage", "SecurityPatch")',
             'AKS_OS_PATCHED = ("NodeImage", "SecurityPatch", "Unmanaged")',
             "hardening rule accepts nodeOSUpgradeChannel Unmanaged"),
    Mutation("rule-node-policy-any-ecr", "policy", "policy/clouds/aws.py",
             '    "AmazonSSMManagedInstanceCore",\n)\n"""The AWS managed policies a node role may hold',
             '    "AmazonSSMManagedInstanceCore",\n    "AmazonEC2ContainerRegistryPowerUser",\n)\n'
             '"""The AWS managed policies a node role may hold',
             "IAM rule lets node roles hold ECR PowerUser"),
    Mutation("rule-deny-tls-any-value", "policy", "policy/clouds/aws.py",
             'return len(values) == 1 and str(values[0]).lower() == "false"', "return len(values) == 1",
             "IAM rule accepts a queue Deny on aws:SecureTransport true"),
    # ---- review of #17 (rows 20-49: mesh, serving, platform); tests/policy/test_policy_rev17_mesh.py
    Mutation("internal-callers-knative", "serving", "components/serving/_auth.py",
             "return sorted({*spec.access.allowed_namespaces, spec.namespace})",
             "return sorted({*spec.access.allowed_namespaces, spec.namespace, KNATIVE_NAMESPACE})",
             "internal model admits knative-serving (the activator forwards anyone's request)",
             "internal-model-callers"),
    Mutation("internal-no-tbc", "serving", "components/serving/_runtime.py",
             '        out[TARGET_BURST_CAPACITY] = "0"\n', "        pass\n",
             "internal model keeps the activator on its path (its requests then 403)",
             "internal-model-callers"),
    Mutation("gateway-https-passthrough", "platform", "components/platform/istio.py",
             '"tls": {"mode": "SIMPLE", "credentialName": secret_name},',
             '"tls": {"mode": "PASSTHROUGH", "credentialName": secret_name},',
             "Knative gateway 443 in PASSTHROUGH: HTTP routes never match, every public model unreachable",
             "gateway-https-only"),
    Mutation("gateway-probe-any-value", "serving", "components/serving/_auth.py",
             '"values": [NETWORK_PROBE_VALUE]', '"values": ["*"]',
             "gateway admitted with any K-Network-Probe value (queue-proxy passes non-'probe' values to the model)",
             "model-endpoint-auth"),
    Mutation("autoscaler-metrics-serving-port", "serving", "components/serving/_auth.py",
             '"to": _to([AUTOSCALER_METRICS_PORT], methods=["GET"], paths=["/metrics"]),',
             '"to": _to(ports, methods=["GET"], paths=["/metrics"]),',
             "autoscaler admitted to GET /metrics on the serving ports (model server's /metrics)",
             "model-inference-api-only"),
    Mutation("activator-unmeshed", "platform", "components/platform/knative.py", "        if name in UNMESHED:\n",
             '        if name in UNMESHED or name == "activator":\n',
             "activator without sidecar: under STRICT it cannot reach models (scale-from-zero broken)",
             "model-sidecar-injection"),
    Mutation("activator-serving-port-permissive", "platform", "components/platform/knative.py", "METRICS_PORT = 9090",
             "METRICS_PORT = 8012",
             "port-level PERMISSIVE lands on the activator's request port (plain text from anyone)",
             "mesh-mtls-strict"),
    Mutation("istiod-cni-off", "platform", "components/platform/istio.py",
             '"cni": {"enabled": ctx.settings.istio_cni},',
             '"cni": {"enabled": False},',
             "istiod injects privileged istio-init although namespaces enforce baseline/restricted",
             "pod-restricted-hardening"),
    Mutation("storage-init-privileged", "platform", "components/platform/kserve.py", '    "privileged": False,\n',
             '    "privileged": True,\n', "storage-initializer runs privileged", "pod-restricted-hardening"),
    Mutation("activator-pdb-blocks", "platform", "components/platform/knative.py",
             '{"name": "activator-pdb", "minAvailable": activators(ctx) - 1}',
             '{"name": "activator-pdb", "minAvailable": activators(ctx)}',
             "Knative activator PDB minAvailable = replicas: drains hang", "pdb-allows-eviction"),
    Mutation("knative-webhook-pdb-blocks", "platform", "components/platform/knative.py",
             '{"name": "webhook-pdb", "minAvailable": ctx.replicas - 1}',
             '{"name": "webhook-pdb", "minAvailable": ctx.replicas}',
             "Knative webhook PDB minAvailable = replicas", "pdb-allows-eviction"),
    Mutation("certmanager-pdb-always", "platform", "components/platform/certmanager.py", 'pdb = {"enabled": ctx.ha}',
             'pdb = {"enabled": True}',
             "cert-manager PDBs (chart minAvailable 1) on single replicas: drains hang (dev/staging)",
             "pdb-allows-eviction"),
    Mutation("certmanager-webhook-1", "platform", "components/platform/certmanager.py",
             '"webhook": {\n            "replicaCount": ctx.replicas,', '"webhook": {\n            "replicaCount": 1,',
             "prod cert-manager webhook single replica with PDB minAvailable 1: drains hang", "pdb-allows-eviction"),
    Mutation("knative-ha-off", "platform", "components/platform/knative.py",
             '"high-availability": {"replicas": ctx.replicas},',
             '"high-availability": {"replicas": 1},', "prod Knative controllers/webhook single replica",
             "prod-mesh-replicas"),
    Mutation("kserve-hpa-min-1", "platform", "components/platform/kserve.py", "min_replicas=ctx.replicas,",
             "min_replicas=1,", "prod KServe controller/webhook may scale to 1 (PDB then lets it go)",
             "prod-mesh-replicas"),
    Mutation("ha-activators-1", "platform", "components/platform/common.py", "HA_ACTIVATORS = 3", "HA_ACTIVATORS = 1",
             "prod activator single replica (PDB minAvailable 0)", "prod-mesh-replicas"),
    Mutation("ha-no-zone-spread", "platform", "components/platform/common.py", "for key in (ZONE_KEY, HOSTNAME_KEY)",
             "for key in (HOSTNAME_KEY,)", "prod add-ons no longer spread over zones", "prod-mesh-replicas"),
    Mutation("istiod-spread-empty", "platform", "components/platform/istio.py",
             '"topologySpreadConstraints": ctx.spread({"app": "istiod"}),', '"topologySpreadConstraints": [],',
             "prod istiod replicas no longer spread (an empty list)", "prod-mesh-replicas"),
    Mutation("knative-spread-dropped", "platform", "components/platform/knative.py",
             'spread = ctx.spread({"app": name})', "spread: list[dict[str, Any]] = []",
             "prod Knative workloads lose their spread (the key left out)", "prod-mesh-replicas"),
    Mutation("rule-pdb-nan-lets-one-go", "policy", "policy/rules/kubernetes.py",
             "    if nan:\n        # NaN", "    if False:\n        # NaN",
             "pdb-allows-eviction reads a NaN bound as letting a pod go"),
    Mutation("rule-prod-spread-empty-ok", "policy", "policy/rules/kubernetes.py",
             "if given is not UNKNOWN and not (isinstance(given, list) and given):\n                yield (\n"
             "                    f\"Helm release",
             "if given is not UNKNOWN and not isinstance(given, list):\n                yield (\n"
             "                    f\"Helm release",
             "prod-mesh-replicas accepts an empty promised spread"),
    Mutation("rule-principal-callers-ignored", "policy", "policy/rules/network.py",
             "    for principal in _named_principals(istio):\n", "    for principal in ():\n",
             "model-inference-api-only no longer judges callers a rule names by principal"),
    Mutation("rule-tags-unknown-silent", "policy", "policy/rules/tags.py", "        unknown=_unknown_tags,\n", "",
             "required-tags passes silently over an unknown tag map"),
    Mutation("rule-ns-accepts-privileged", "policy", "policy/rules/models.py",
             'if level not in ("restricted", "baseline"):', 'if level not in ("restricted", "baseline", "privileged"):',
             "model namespace rule accepts privileged"),
    # ---- second hostile review of #17 (/work/wt/rev17b-report.md); tests/policy/test_policy_rev17b.py
    Mutation("activator-probe-any-agent", "serving", "components/serving/_auth.py",
             '"values": [ACTIVATOR_PROBE_AGENT]', '"values": ["*"]',
             "activator admitted for GETs with any User-Agent (every client sends one; the activator forwards anyone)",
             "model-endpoint-auth"),
    Mutation("karpenter-gpu-underutilized", "clusters", "components/clusters/_karpenter.py",
             '"consolidationPolicy": "WhenEmpty",', '"consolidationPolicy": "WhenEmptyOrUnderutilized",',
             "Karpenter consolidates GPU nodes that still run models (evicted: a GPU cold start)",
             "gpu-pool-disruption"),
    Mutation("karpenter-gpu-budget-all", "clusters", "components/clusters/_karpenter.py",
             '"budgets": [{"nodes": "1"}],', '"budgets": [{"nodes": "100%"}],',
             "Karpenter may disrupt every GPU node of a pool at once (drift, emptiness)", "gpu-pool-disruption"),
    Mutation("warm-priority-zero", "platform", "components/platform/warm.py", "PRIORITY = -10\n", "PRIORITY = 0\n",
             "placeholders at the models' priority: models cannot pre-empt them", "warm-capacity-preemptible",
             platform=WARM_AWS),
    Mutation("warm-global-default", "platform", "components/platform/warm.py", "global_default=False,",
             "global_default=True,", "the placeholders' PriorityClass becomes every pod's default",
             "warm-capacity-preemptible", platform=WARM_AWS),
    Mutation("warm-no-priority-class", "platform", "components/platform/warm.py",
             '        "priorityClassName": PRIORITY_CLASS,\n', "",
             "placeholders at priority 0: models cannot pre-empt them", "warm-capacity-preemptible",
             platform=WARM_AWS),
    Mutation("warm-automount", "platform", "components/platform/warm.py", '"automountServiceAccountToken": False,',
             '"automountServiceAccountToken": True,', "placeholders (running runtime images) mount an API token",
             "warm-capacity-preemptible", platform=WARM_AWS),
    Mutation("warm-init-escalation-aws", "platform", "components/platform/warm.py",
             '            "securityContext": {\n                "allowPrivilegeEscalation": False,',
             '            "securityContext": {\n                "allowPrivilegeEscalation": True,',
             "pre-pull init containers may escalate (a pool that does not share GPUs)", "pod-restricted-hardening",
             platform=WARM_AWS),
    Mutation("gateway-cert-key-reuse", "platform", "components/platform/certmanager.py", '"rotationPolicy": "Always"',
             '"rotationPolicy": "Never"', "the public gateway's TLS key is reused at every renewal",
             "gateway-key-rotation"),
    Mutation("standard-no-gateway-api", "platform", "components/platform/kserve.py",
             'return {"enableGatewayApi": True,', 'return {"enableGatewayApi": False,',
             "Standard mode: KServe publishes Ingresses Istio ignores (every public model unreachable)",
             "standard-gateway-api", platform=STANDARD_GCP, config=STANDARD_GCP_MODELS),
    Mutation("cpu-model-tolerates-gpu", "serving", "components/serving/_runtime.py",
             "out: list[dict[str, Any]] = list(gpu.tolerations()) if spec.resources.gpus and spec.resources.accelerator"
             " else []",
             "out: list[dict[str, Any]] = list(gpu.tolerations())",
             "CPU models tolerate the GPU taint (may land on and hold GPU nodes)", "isvc-gpu-scheduling"),
    Mutation("rule-restricted-skips-init", "policy", "policy/rules/kubernetes.py",
             "        for cpath, c in containers(pod):\n            explicit_runtime",
             "        for cpath, c in containers(pod, init=False):\n            explicit_runtime",
             "restricted rule skips init containers (warm capacity's pre-pull)"),
    Mutation("extra-paths-bare-prefix", "serving", "components/serving/_auth.py",
             "apis = (*apis, Api(get=tuple(spec.access.extra_paths), post=tuple(spec.access.extra_paths)))",
             'apis = (*apis, Api(get=tuple(p + "*" for p in spec.access.extra_paths), '
             "post=tuple(spec.access.extra_paths)))",
             "extraPaths GET rendered as bare prefixes (/predict* admits /predictadmin)", "authz-path-shapes",
             config=CUSTOM_EXTRA_PATHS),
    Mutation("aks-no-k8s-patches", "clusters", "components/clusters/aks.py",
             'upgrade_channel="patch", node_os_upgrade_channel="NodeImage"',
             'upgrade_channel="none", node_os_upgrade_channel="NodeImage"',
             "AKS cluster auto-upgrade channel none (no Kubernetes patch releases)", HARDEN),
    # the request-path model itself (the rules judge with it): caught by tests with hand-written verdicts
    Mutation("rp-client-headers-dropped", "policy", "components/serving/requestpath.py",
             "    return (*sent, *((k, v) for k, v in CLIENT_HEADERS if k.lower() not in names))",
             "    return sent", "modelled requests carry no User-Agent (a '*' header rule never matches)"),
    Mutation("rp-header-key-unstripped", "policy", "components/serving/requestpath.py",
             'value = envoy_header(request, key[len("request.headers[") : -1])', "value = envoy_header(request, key)",
             "evaluator looks up 'request.headers[X]' as a header name (no header condition ever matches)"),
    Mutation("rp-header-first-value", "policy", "components/serving/requestpath.py",
             'return ",".join(values) if values else None', "return values[0] if values else None",
             "evaluator reads a repeated header as Go does, not as Envoy's joined value"),
    Mutation("rp-any-network-probe", "policy", "components/serving/requestpath.py",
             "or go_header(request, key) == value", 'or go_header(request, key) != ""',
             "evaluator counts any K-Network-Probe value as a probe the queue-proxy answers"),
    Mutation("rp-prefix-as-exact", "policy", "components/serving/requestpath.py",
             "        return value.startswith(pattern[:-1])", "        return value == pattern[:-1]",
             "evaluator matches a prefix pattern ('/v2/*') as an exact value"),
    # rev17c (#17): the request-log collector and KEDA, on shipped stacks that turn them on
    Mutation("rl-collector-root", "platform", "components/platform/requestlog.py", '"runAsNonRoot": True,',
             '"runAsNonRoot": False,', "request-log collector's pods may run as root", "pod-restricted-hardening",
             platform=RL_AWS),
    # fix14s: the namespace's level is the platform's meshed one (the collector has a sidecar), passed in
    Mutation("rl-namespace-baseline", "platform", "components/platform/platform.py",
             "            pod_security=mesh_level,\n            istio_base=mesh.base,",
             '            pod_security="baseline",\n            istio_base=mesh.base,',
             "request-logs namespace enforces baseline, not restricted", "privileged-namespaces-listed",
             platform=RL_AWS),
    Mutation("keda-pdb-all-replicas", "platform", "components/platform/keda.py",
             'pdb = {"minAvailable": 1} if ctx.ha else {}', 'pdb = {"minAvailable": ctx.replicas} if ctx.ha else {}',
             "KEDA's PDBs keep every replica (drains hang)", "pdb-allows-eviction", platform=KEDA_GCP),
    Mutation("keda-escalation", "platform", "components/platform/keda.py", '"allowPrivilegeEscalation": False,',
             '"allowPrivilegeEscalation": True,', "KEDA's containers may escalate privileges",
             "pod-restricted-hardening", platform=KEDA_GCP),
    # rev17e (#17): the fifth mutation round's uncaught slips
    Mutation("llm-query-any-ns", "serving", "components/serving/llm_scaling.py",
             'f\'sum({LLM_METRICS[metric]}{{namespace="{namespace}", {MODEL_LABEL}="{name}"}})\'',
             'f\'sum({LLM_METRICS[metric]}{{{MODEL_LABEL}="{name}"}})\'',
             "the KEDA query sums the same-named model of every namespace", "llm-query-scoped",
             platform=LLM_PLATFORM, config=LLM_GCP),
    Mutation("llm-kv-threshold-percent", "serving", "components/serving/llm_scaling.py",
             'return f"{target / 100:g}" if metric in PERCENT_METRICS else str(target)', "return str(target)",
             "llm-kv-cache threshold 80 against a fraction: never scales out", "llm-query-scoped",
             platform=LLM_PLATFORM, config=LLM_GCP),
    Mutation("llm-envoy-port", "serving", "components/serving/llm_scaling.py", "MERGED_STATS_PORT = 15020",
             "MERGED_STATS_PORT = 15090", "the PodMonitor scrapes Envoy's own stats: no vllm: series, no scale-out",
             "llm-scrape-merged-stats", platform=LLM_PLATFORM, config=LLM_GCP),
    Mutation("warm-pause-latest", "platform", "components/platform/warm.py",
             'PAUSE_IMAGE = "registry.k8s.io/pause:3.9"', 'PAUSE_IMAGE = "registry.k8s.io/pause:latest"',
             "warm placeholders run the mutable tag latest", "images-tagged", platform=WARM_AWS),
    Mutation("certmanager-image-latest", "platform", "components/platform/certmanager.py",
             '"crds": {"enabled": True, "keep": True},',
             '"crds": {"enabled": True, "keep": True}, "image": {"tag": "latest"},',
             "cert-manager's controller floats on the mutable tag latest (Helm values)", "images-tagged"),
    Mutation("warm-grace-30", "platform", "components/platform/warm.py", '"terminationGracePeriodSeconds": 0,',
             '"terminationGracePeriodSeconds": 30,', "pre-empted placeholders hold the GPU 30 s",
             "warm-capacity-preemptible", platform=WARM_AWS),
    Mutation("warm-any-pool", "platform", "components/platform/warm.py",
             '"nodeSelector": {ctx.cluster.gpu.accelerator_label: pool.accelerator, '
             "ctx.cluster.gpu.pool_label: pool.name},",
             '"nodeSelector": {ctx.cluster.gpu.accelerator_label: pool.accelerator},',
             "placeholders select the accelerator only (may warm another pool)", "warm-capacity-preemptible",
             platform=WARM_AWS),
    Mutation("jwt-audiences-inverted", "serving", "components/serving/_auth.py", "    if jwt.audiences:",
             "    if not jwt.audiences:", "declared JWT audiences not rendered (any audience accepted)",
             "jwt-audiences-rendered"),
    Mutation("keda-rw-rootfs", "platform", "components/platform/keda.py", '"readOnlyRootFilesystem": True,',
             '"readOnlyRootFilesystem": False,', "KEDA's containers get a writable root filesystem",
             "keda-ha-values", platform=KEDA_GCP),
    Mutation("pipeline-pdb-zero", "serving", "components/serving/pipeline.py",
             "max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels={IG_LABEL: name})",
             "max_unavailable=0, selector=k8s.meta.v1.LabelSelectorArgs(match_labels={IG_LABEL: name})",
             "the router PDB blocks every drain", "pdb-allows-eviction", config=PIPELINE_PDB),
    Mutation("pipeline-wider-reversed", "serving", "components/serving/pipeline_spec.py",
             "_callers(pipeline.namespace, p.allowed_namespaces) - _callers(model.namespace, m.allowed_namespaces)",
             "_callers(model.namespace, m.allowed_namespaces) - _callers(pipeline.namespace, p.allowed_namespaces)",
             "an internal pipeline wider than its member is no longer refused", "pipeline-member-access",
             config=WIDER_PIPELINE),
    # rev17c p10, c16, p08 (#17): the gateway load balancer's idle timeout, AKS system pool zones, the GPU operator
    Mutation("lb-idle-300", "platform", "components/platform/istio.py", "LONGEST_REQUEST_SECONDS = 1800",
             "LONGEST_REQUEST_SECONDS = 300", "gateway load balancer closes a cold start's idle connection at 300 s",
             "timeouts-cover-cold-start"),
    Mutation("eks-elb-idle-300", "clusters", "components/clusters/eks.py",
             "seconds = max(1, min(idle_timeout_seconds, ELB_MAX_IDLE_TIMEOUT))",
             "seconds = max(1, min(idle_timeout_seconds, 300))", "EKS Classic ELB idle timeout capped at 300 s",
             "timeouts-cover-cold-start"),
    Mutation("aks-lb-idle-min", "clusters", "components/clusters/aks.py",
             "minutes = max(AZURE_LB_MIN_IDLE_MINUTES, min(-(-idle_timeout_seconds // 60), AZURE_LB_MAX_IDLE_MINUTES))",
             "minutes = AZURE_LB_MIN_IDLE_MINUTES", "Azure Load Balancer idle timeout left at 4 minutes",
             "timeouts-cover-cold-start"),
    Mutation("aks-system-no-zones", "clusters", "components/clusters/aks.py",
             "                    availability_zones=zones,", "                    availability_zones=None,",
             "AKS system pool created without zones (fixed at creation)", "node-pools-span-zones"),
    Mutation("eks-vpc-one-zone", "clusters", "components/clusters/eks.py",
             "number_of_availability_zones=spec.zones,", "number_of_availability_zones=1,",
             "EKS VPC (every node's subnets) in one zone", "node-pools-span-zones"),
    Mutation("gpu-operator-driver", "platform", "components/platform/gpu.py", '"driver": {"enabled": False},',
             '"driver": {"enabled": True},', "GPU operator installs a second driver over the node image's",
             "gpu-operator-no-second-driver", platform=GPU_OPERATOR),
    Mutation("gpu-operator-toolkit", "platform", "components/platform/gpu.py", '"toolkit": {"enabled": False},',
             '"toolkit": {"enabled": True},', "GPU operator installs a second container toolkit",
             "gpu-operator-no-second-driver", platform=GPU_OPERATOR),
    # rev17d (#17): the fourth round's source slips fixA and fixB made caught; rev17e (#17): the fifth
    # round's source slips its plan caught (its s01, s03 and s20 are pipeline-router-no-principal,
    # pipeline-netpol-model-label and netpol-egress-only above) and its rule slips, which the boundary tests
    # of tests/policy/test_policy_rev17e_rules.py now catch
    Mutation(
        'rev17d-c01-r53-any-zone',
        'clusters',
        'components/clusters/_aws_iam.py',
        'zone = f"arn:aws:route53:::hostedzone/{zone_id}"',
        'zone = "arn:aws:route53:::hostedzone/*"',
        'Route 53 record changes on every hosted zone of the account',
        'aws-dns-records-scoped',
        platform=AWS_DNS,
    ),
    Mutation(
        'rev17d-c02-r53-foranyvalue',
        'clusters',
        'components/clusters/_aws_iam.py',
        '"ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes"',
        '"ForAnyValue:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes"',
        "cert-manager's TXT-only condition as ForAnyValue (a batch with one TXT passes)",
        'aws-dns-records-scoped',
        platform=AWS_DNS,
    ),
    Mutation(
        'rev17d-p08-cm-record-any',
        'platform',
        'components/platform/certmanager.py',
        'RECORD_TYPES = ("TXT",)',
        'RECORD_TYPES = ()',
        "cert-manager's Route 53 role without its record-type condition",
        'aws-dns-records-scoped',
        platform=AWS_DNS,
    ),
    Mutation(
        'rev17d-c04-karp-never-expire',
        'clusters',
        'components/clusters/_karpenter.py',
        '"expireAfter": "720h",',
        '"expireAfter": "Never",',
        'GPU NodePool nodes never expire (no new AMIs)',
        'gpu-node-expiry',
    ),
    Mutation(
        'rev17d-c05-karp-delete-any',
        'clusters',
        'components/clusters/_karpenter.py',
        '"Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],\n            "Condition": {"StringEqua'
        'ls": owned, "StringLike": nodepool_tagged},',
        '"Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],\n            "Condition": {"StringLike'
        '": nodepool_tagged},',
        'Karpenter terminates instances without the owned-cluster tag',
        'aws-controller-grants-scoped',
    ),
    Mutation(
        'rev17d-c06-karp-passrole-anyservice',
        'clusters',
        'components/clusters/_karpenter.py',
        '            "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.c'
        'om.cn"]}},\n',
        '',
        'Karpenter passes the node role to any service',
        'aws-controller-grants-scoped',
    ),
    Mutation(
        'rev17d-c07-karp-1-replica',
        'clusters',
        'components/clusters/_karpenter.py',
        '"replicas": 2,',
        '"replicas": 1,',
        'one Karpenter controller',
        'karpenter-controller-ha',
    ),
    Mutation(
        'rev17d-c08-karp-queue-sse-off',
        'clusters',
        'components/clusters/_karpenter.py',
        'sqs_managed_sse_enabled=True,',
        'sqs_managed_sse_enabled=False,',
        "Karpenter's interruption queue unencrypted",
        'sqs-queue-encrypted',
    ),
    Mutation(
        'rev17d-c09-ca-other-clusters',
        'clusters',
        'components/clusters/eks.py',
        '"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}',
        '"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true"}',
        'cluster-autoscaler scales every enabled ASG of the account',
        'aws-controller-grants-scoped',
        config=AWS_NODE_GROUPS,
    ),
    Mutation(
        'rev17d-c11-eks-system-spot',
        'clusters',
        'components/clusters/eks.py',
        'capacity_type="ON_DEMAND",',
        'capacity_type="SPOT",',
        'EKS system node group on Spot',
        'system-pool-on-demand',
    ),
    Mutation(
        'rev17d-c12-eks-system-unlabelled',
        'clusters',
        'components/clusters/eks.py',
        '            labels=dict(SYSTEM_NODE_SELECTOR),\n',
        '',
        'EKS system node group without mlplatform.io/pool: system',
        'node-selectors-match-pools',
    ),
    Mutation(
        'rev17d-c15-gke-system-no-autorepair',
        'clusters',
        'components/clusters/gke.py',
        'management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),\n            upgra'
        'de_settings=gcp.container.NodePoolUpgradeSettingsArgs(max_surge=1, max_unavailable=0),\n            node'
        '_config=self._node_config(system_instance_type',
        'management=gcp.container.NodePoolManagementArgs(auto_repair=False, auto_upgrade=True),\n            upgr'
        'ade_settings=gcp.container.NodePoolUpgradeSettingsArgs(max_surge=1, max_unavailable=0),\n            nod'
        'e_config=self._node_config(system_instance_type',
        'GKE system pool without auto-repair',
        'cluster-hardening',
    ),
    Mutation(
        'rev17d-c16-gke-webhook-fw-any',
        'clusters',
        'components/clusters/gke.py',
        'source_ranges=[gcp_spec.master_cidr],',
        'source_ranges=["0.0.0.0/0"],',
        'GKE webhook firewall open to 0.0.0.0/0',
        'cluster-hardening',
    ),
    Mutation(
        'rev17d-c17-aks-dns-rg-scope',
        'clusters',
        'components/clusters/aks.py',
        'scope=rg_scope.apply(lambda r: f"{r}/providers/Microsoft.Network/dnszones/{zone_name}"),',
        'scope=rg_scope,',
        'DNS Zone Contributor on the whole resource group',
        'iam-least-privilege',
        platform=AZURE_DNS,
    ),
    Mutation(
        'rev17d-c19-aks-azurepolicy-off',
        'clusters',
        'components/clusters/aks.py',
        'addon_profiles={"azurepolicy": azure.containerservice.ManagedClusterAddonProfileArgs(enabled=True)},',
        'addon_profiles={"azurepolicy": azure.containerservice.ManagedClusterAddonProfileArgs(enabled=False)},',
        'AKS Azure Policy add-on off',
        'cluster-hardening',
    ),
    Mutation(
        'rev17d-p02-rl-netpol-any-pod',
        'platform',
        'components/platform/requestlog.py',
        '"podSelector": {"matchExpressions": [{"key": MODEL_POD_LABEL, "operator": "Exists"}]},',
        '"podSelector": {"matchExpressions": []},',
        'request-log collector admits every pod of the logging namespaces',
        'request-log-collector-ingress',
        platform=RL_AWS,
        config=RL_LOGGING_AWS,
    ),
    Mutation(
        'rev17d-p03-keda-pdb-key-typo',
        'platform',
        'components/platform/keda.py',
        'PDB_KEYS = {"operator": "operator", "metricsServer": "metricServer", "webhooks": "webhooks"}',
        'PDB_KEYS = {"operator": "operator", "metricsServer": "metricsServer", "webhooks": "webhooks"}',
        'KEDA metrics-server PDB under a key the chart ignores',
        'keda-ha-values',
        platform=KEDA_GCP,
    ),
    Mutation(
        'rev17d-p05-keda-no-spread',
        'platform',
        'components/platform/keda.py',
        '            "topologySpreadConstraints": {c: ctx.spread({"app": app}) for c, app in COMPONENT_LABELS.ite'
        'ms()},\n',
        '',
        'KEDA without zone spread on prod',
        'keda-ha-values',
        platform=KEDA_GCP,
    ),
    Mutation(
        'rev17d-p07-dns-owner-constant',
        'platform',
        'components/platform/dns.py',
        '"txtOwnerId": f"mlplatform-{ctx.name}-{ctx.settings.domain}",',
        '"txtOwnerId": "mlplatform",',
        'external-dns owner id shared by every stack',
        'external-dns-owner-id',
        platform=AWS_DNS,
    ),
    Mutation(
        'rev17d-p10-acme-staging',
        'platform',
        'components/platform/settings.py',
        'acme_server: str = "https://acme-v02.api.letsencrypt.org/directory"',
        'acme_server: str = "https://acme-staging-v02.api.letsencrypt.org/directory"',
        "ACME on Let's Encrypt's staging directory (untrusted certificates)",
        'acme-production-directory',
        platform=AWS_DNS,
    ),
    Mutation(
        'rev17d-p13-istio-cni-ns',
        'platform',
        'components/platform/istio.py',
        'CNI_NAMESPACE = "kube-system"',
        'CNI_NAMESPACE = "istio-system"',
        'istio-cni (system-node-critical) in istio-system on GKE',
        'istio-cni-namespace',
    ),
    Mutation(
        'rev17d-s02-netpol-admin-open',
        'serving',
        'components/serving/_netpol.py',
        'rules.append({"from": [{"podSelector": {"matchLabels": {label: name}}}], "ports": _tcp([QUEUE_ADMIN_PORT'
        '])})',
        'rules.append({"ports": _tcp([QUEUE_ADMIN_PORT])})',
        'queue-proxy admin port 8022 open to every pod',
        'queue-proxy-admin-port',
    ),
    Mutation(
        'rev17d-s03-ns-enforce-version',
        'serving',
        'components/serving/namespace.py',
        '"pod-security.kubernetes.io/enforce-version": "latest",',
        '"pod-security.kubernetes.io/enforce-version": "v1.22",',
        'model namespaces enforce restricted at v1.22',
        'pod-security-version-latest',
    ),
    Mutation(
        'rev17e-s02-pl-internal-label',
        'serving',
        'components/serving/pipeline.py',
        '    if spec.access.mode == "internal":\n        out[_runtime.visibility_label(deployment_mode)] = _runti'
        'me.CLUSTER_LOCAL',
        '    if spec.access.mode == "private":\n        out[_runtime.visibility_label(deployment_mode)] = _runtim'
        'e.CLUSTER_LOCAL',
        "internal pipeline's cluster-local label behind a mode that does not exist",
        'internal-pipeline-cluster-local',
        config=WITH_PIPELINES,
    ),
    Mutation(
        'rev17e-s05-pl-tbc',
        'serving',
        'components/serving/pipeline.py',
        '        out[_runtime.TARGET_BURST_CAPACITY] = "0"',
        '        out[_runtime.TARGET_BURST_CAPACITY] = "200"',
        "internal pipeline's target-burst-capacity 200 (activator in its path)",
        'internal-pipeline-activator-off',
        config=WITH_PIPELINES,
    ),
    Mutation(
        'rev17e-s09-rt-timeout-no-request',
        'serving',
        'components/serving/_runtime.py',
        'return min(cold_start_budget_seconds(spec, cluster, stack) + REQUEST_SECONDS, int(MAX_REVISION_TIMEOUT))',
        'return min(cold_start_budget_seconds(spec, cluster, stack), int(MAX_REVISION_TIMEOUT))',
        'predictor timeout = cold start only (the request is cut as the pod comes up)',
        'timeouts-cover-cold-start',
    ),
    Mutation(
        'rev17e-s10-rt-progress-cpu',
        'serving',
        'components/serving/_runtime.py',
        'out[PROGRESS_DEADLINE] = f"{deadline or CPU_READY_SECONDS}s"',
        'out[PROGRESS_DEADLINE] = f"{CPU_READY_SECONDS}s"',
        'GPU models get the CPU progress deadline (600 s)',
        'timeouts-cover-cold-start',
    ),
    Mutation(
        'rev17e-s11-rt-caps-netraw',
        'serving',
        'components/serving/_runtime.py',
        '        "capabilities": {"drop": ["ALL"]},\n        "seccompProfile"',
        '        "capabilities": {"drop": ["NET_RAW"]},\n        "seccompProfile"',
        'model containers drop NET_RAW only',
        'pod-restricted-hardening',
    ),
    Mutation(
        'rev17e-s14-kc-transformer-anon',
        'serving',
        'components/serving/_kcomponents.py',
        'rules = [{"from": [{"source": {"requestPrincipals": ["*"]}}], "to": api}]',
        'rules = [{"to": api}]',
        "a public JWT model's transformer admits token-less callers",
        'model-endpoint-auth',
        config=TRANSFORMER_LOCAL,
    ),
    Mutation(
        'rev17e-s16-au-gw-probe-anyget',
        'serving',
        'components/serving/_auth.py',
        '            "when": [{"key": f"request.headers[{NETWORK_PROBE_HEADER}]", "values": [NETWORK_PROBE_VALUE]'
        '}],\n',
        '',
        "the gateway's GET rule loses its K-Network-Probe condition",
        'model-endpoint-auth',
    ),
    Mutation(
        'rev17e-s18-np-health-15020',
        'serving',
        'components/serving/_netpol.py',
        'ISTIO_HEALTH_PORT = 15021',
        'ISTIO_HEALTH_PORT = 15020',
        'model NetworkPolicy opens 15020 (merged metrics) instead of 15021',
        'model-metrics-prometheus-only',
    ),
    Mutation(
        'rev17e-s19-np-prom-any-pod',
        'serving',
        'components/serving/_netpol.py',
        '                        "podSelector": {"matchLabels": dict(PROMETHEUS_POD_LABELS)},\n',
        '',
        'metrics ports admit every pod of the monitoring namespace',
        'model-metrics-prometheus-only',
    ),
    Mutation(
        'rev17e-s22-kc-no-limits',
        'serving',
        'components/serving/_kcomponents.py',
        '    amounts = {"cpu": c.resources.cpu, "memory": c.resources.memory}\n    return {"requests": dict(amoun'
        'ts), "limits": dict(amounts)}',
        '    amounts = {"cpu": c.resources.cpu, "memory": c.resources.memory}\n    return {"requests": dict(amoun'
        'ts)}',
        'transformer and explainer containers without limits',
        'model-container-limits',
        config=TRANSFORMER_LOCAL,
    ),
    Mutation(
        'rev17e-s23-keda-metrics-1',
        'platform',
        'components/platform/keda.py',
        '"metricsServer": {"replicaCount": ctx.replicas},',
        '"metricsServer": {"replicaCount": 1},',
        'one KEDA metrics server on prod (its PDB blocks drains)',
        'pdb-allows-eviction',
        platform=KEDA_GCP,
    ),
    Mutation(
        'rev17e-r02-rp-froms-all',
        'policy',
        'components/serving/requestpath.py',
        'if froms and not any(_source(f.get("source", {}), peer, request_principal) for f in froms):',
        'if froms and not all(_source(f.get("source", {}), peer, request_principal) for f in froms):',
        'request-path model: an AuthorizationPolicy rule needs every from to match',
    ),
    Mutation(
        'rev17e-r05-sg-admin-nsselector',
        'policy',
        'policy/rules/slipguards.py',
        'if "namespaceSelector" in peer or "ipBlock" in peer:',
        'if "ipBlock" in peer:',
        'queue-proxy-admin-port accepts a namespaceSelector peer',
    ),
    Mutation(
        'rev17e-r07-aws-owned-any',
        'policy',
        'policy/clouds/aws.py',
        'if not isinstance(key, str) or not key.startswith(prefix) or _strings(value) != ["owned"]:',
        'if not isinstance(key, str) or not key.startswith(prefix) or "owned" not in _strings(value):',
        'aws-controller-grants-scoped accepts owned among other tag values',
    ),
    Mutation(
        'rev17e-r09-gcp-public-members',
        'policy',
        'policy/clouds/gcp.py',
        'PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")',
        'PUBLIC_MEMBERS = ("allUsers",)',
        'a GCS grant to allAuthenticatedUsers is not public',
    ),
    Mutation(
        'rev17e-r10-az-netpol-unset',
        'policy',
        'policy/clouds/azure.py',
        'if policy in NO_NETWORK_POLICY or not isinstance(policy, str):',
        'if policy == "none":',
        'cluster-network-policy passes an AKS cluster with networkPolicy unset',
    ),
    Mutation(
        'rev17e-r03-tm-deadline-unset',
        'policy',
        'components/serving/timeouts.py',
        '    elif deadline < need:\n',
        '    elif deadline < need and annotated:\n',
        'timeouts-cover-cold-start accepts a revision without its progress-deadline annotation',
    ),
    Mutation(
        'rev17f-s02-oci-prepull-fromzero',
        'serving',
        'components/coldstart.py',
        '        second = Step(f"model image pre-pulled on the warm node ({image})"',
        '        first = second = Step(f"model image pre-pulled on the warm node ({image})"',
        'the oci model image counted as pre-pulled from zero (moves only the plan report\'s coldStart)',
        'cold-start-from-zero-pulls', platform='aws-dev:{"warmCapacity": {"l4": 1}}', config=OCI_WARM,
    ),
    Mutation(
        'rev17f-s03-oci-latest-cached',
        'serving',
        'components/coldstart.py',
        'if not images or model.gpus <= 0 or not all(pinned(i) for i in images):',
        'if not images or model.gpus <= 0:',
        'a :latest model image a cache lists counted as cached (it is pulled Always)',
        'cold-start-from-zero-pulls', config=OCI_CACHED,
    ),
    Mutation(
        'rev17f-s04-runtime-prepull-fromzero',
        'serving',
        'components/coldstart.py',
        '        on_warm_node = Step(f"image pre-pulled on the warm node',
        '        pull = on_warm_node = Step(f"image pre-pulled on the warm node',
        'the runtime image counted as pre-pulled from zero (moves only the plan report\'s coldStart)',
        'cold-start-from-zero-pulls', platform='aws-dev:{"warmCapacity": {"l4": 1}}', config=OCI_WARM,
    ),
    Mutation(
        'rev17f-s05-stack-runtime-ignored',
        'serving',
        'components/coldstart.py',
        'namespaced = tuple(s.runtime for s in model.stack)',
        'namespaced = ()',
        'warm placeholders pre-pull KServe\'s runtime image, not the stack runtime KServe selects',
        'warm-capacity-preemptible', platform='aws-dev:{"warmCapacity": {"l4": 1}}', config=STACK_RUNTIME_GPU,
    ),
    Mutation(
        'rev17f-s09-router-wait-max',
        'serving',
        'components/serving/pipeline.py',
        '    return sum(seconds for _, seconds in request_waits(spec, models, cluster, stack_runtimes))',
        '    return max((seconds for _, seconds in request_waits(spec, models, cluster, stack_runtimes)), default=0)',
        'a router waits for its slowest member only, not the sum of a Sequence',
        'timeouts-cover-cold-start', config=ROUTER_SUM,
    ),
    Mutation(
        'rev17f-s10-router-own-start',
        'serving',
        'components/serving/pipeline.py',
        'router = [("the router", _runtime.CPU_READY_SECONDS)] if spec.scaling.min_replicas == 0 else []',
        'router = []',
        'a router at minReplicas 0 leaves its own start out of its timeout',
        'timeouts-cover-cold-start', config=ROUTER_SUM,
    ),
    Mutation(
        'rev17f-r11-graph-wait-max',
        'policy',
        'components/serving/timeouts.py',
        '            total, parts = total + seconds, parts + more',
        '            total, parts = max(total, seconds), parts + more',
        "timeouts-cover-cold-start's own walk takes a Sequence's slowest step, not the sum",
    ),
    Mutation(
        'rev17f-r11-rule-router-start',
        'policy',
        'components/serving/timeouts.py',
        '        wait += f.cpu_ready if router_zero else 0',
        '        wait += 0',
        'timeouts-cover-cold-start leaves a router at zero its own start (the rule side; graph_wait, which rev17f r11 '
        'slipped, is now shared by the rendering and the rule: its slip is s09)',
    ),
    # rev17f (#17): the sixth round's uncaught source slips (the plan now catches them) and rule slips (the boundary
    # tests of tests/policy/test_policy_rev17f.py catch them)
    Mutation(
        'rev17f-s11-llm-label-present',
        'serving',
        'components/serving/llm_scaling.py',
        '"sourceLabels": ["__meta_kubernetes_pod_label_serving_kserve_io_inferenceservice"],',
        '"sourceLabels": ["__meta_kubernetes_pod_labelpresent_serving_kserve_io_inferenceservice"],',
        'the PodMonitor writes inferenceservice="true" (the labelpresent meta label): the KEDA query reads nothing',
        'llm-scrape-merged-stats',
        platform=LLM_PLATFORM,
        config=LLM_GCP,
    ),
    Mutation(
        'rev17f-s12-llm-address-regex',
        'serving',
        'components/serving/llm_scaling.py',
        '"regex": "(.+):[0-9]+",',
        '"regex": "(.+)",',
        'the __address__ relabeling keeps the port: ip:8080:15020, an invalid target',
        'llm-scrape-merged-stats',
        platform=LLM_PLATFORM,
        config=LLM_GCP,
    ),
    Mutation(
        'rev17f-s15-keda-spread-label',
        'platform',
        'components/platform/keda.py',
        'METRICS_SERVER = f"{OPERATOR}-metrics-apiserver"',
        'METRICS_SERVER = f"{OPERATOR}-metrics-server"',
        "the KEDA metrics server's zone spread selects a label no pod carries (never binds)",
        'keda-ha-values',
        platform=KEDA_GCP,
    ),
    Mutation(
        'rev17f-s16-cm-no-podlabels',
        'platform',
        'components/platform/certmanager.py',
        '        out["podLabels"] = dict(identity.pod_labels)\n',
        '',
        "cert-manager's pods lose azure.workload.identity/use: no Azure token for DNS-01",
        'helm-workload-identity-pod-label',
        platform=AZURE_DNS,
    ),
    Mutation(
        'rev17f-s17-extdns-no-podlabels',
        'platform',
        'components/platform/dns.py',
        '        "podLabels": dict(access.pod_labels),\n',
        '',
        "external-dns's pods lose azure.workload.identity/use: no Azure token, no records",
        'helm-workload-identity-pod-label',
        platform=AZURE_DNS,
    ),
    Mutation(
        'rev17f-s19-aks-dns-identity-unprotected',
        'clusters',
        'components/clusters/aks.py',
        'name, "dns", namespace, service_account, parent, protect=self._args.protect',
        'name, "dns", namespace, service_account, parent',
        'the AKS DNS identity is not protected on prod',
        'prod-protect-stateful',
        platform=AZURE_DNS,
        config=AZURE_PROD,
    ),
    Mutation(
        'rev17f-r03-aud-any-ns',
        'policy',
        'policy/rules/audiences.py',
        'if ra.namespace == ns and as_map(labels).get(label) == name:',
        'if as_map(labels).get(label) == name:',
        "jwt-audiences-rendered counts another namespace's RequestAuthentication",
    ),
    Mutation(
        'rev17f-r04-aud-no-pipelines',
        'policy',
        'policy/rules/__init__.py',
        '    served += [("InferenceGraph", name, p.namespace, p.access) for name, p in cfg.pipelines.items()]\n',
        '',
        'the plan settings leave the pipelines\' declared audiences out',
    ),
    Mutation(
        'rev17f-r07-llm-any-op',
        'policy',
        'policy/rules/llm.py',
        'if not any(m.op == "=" and m.value == want for m in on):',
        'if not any(m.value == want for m in on):',
        'llm-query-scoped reads namespace!="ns" as scoped to ns',
    ),
    Mutation(
        'rev17f-r08-relabel-unanchored',
        'policy',
        'policy/rules/llm.py',
        'regex = re.compile(f"^(?s:{cfg[\'regex\']})\\\\Z")',
        'regex = re.compile(str(cfg["regex"]))',
        'llm-scrape-merged-stats evaluates relabel regexes unanchored at the end',
    ),
    Mutation(
        'rev17f-r08b-relabel-first-write',
        'policy',
        'policy/rules/llm.py',
        '            if result:\n                out[name] = result',
        '            if result:\n                out.setdefault(name, result)',
        'llm-scrape-merged-stats keeps the first write of a label, not the last',
    ),
    Mutation(
        'rev17f-r09-keda-truthy-zero',
        'policy',
        'policy/rules/slipguards.py',
        'return value is UNKNOWN or value not in (None, "", 0, False)',
        'return value is UNKNOWN or value not in (None, "")',
        'keda-ha-values counts minAvailable 0 / false as a PDB',
    ),
    Mutation(
        'rev17f-r10-keda-spread-keys-only',
        'policy',
        'policy/rules/podlabels.py',
        'wrong = {k: v for k, v in labels.items() if v is not UNKNOWN and pods.get(k) != v}',
        'wrong = {k: v for k, v in labels.items() if v is not UNKNOWN and k not in pods}',
        "keda-ha-values (and every rule reading a selector through podlabels.selector_misses since fix17n merged "
        "slipguards' copy into it) reads a spread selector's label keys only",
    ),
    Mutation(
        'rev17f-r11-wi-label-any-value',
        'policy',
        'policy/clouds/azure.py',
        'if got != "true":\n        shown = "absent"',
        'if got is None:\n        shown = "absent"',
        'helm-workload-identity-pod-label accepts azure.workload.identity/use: "false"',
    ),
    # rev17g (#17): the seventh round's uncaught slips; the plan now catches the source slips on the stacks below
    # (and on tests/golden_stacks), the rule tests the rule slips
    Mutation(
        'rev17g-g01-splitter-starts-all',
        'serving',
        'components/serving/pipeline.py',
        '        if node.router_type != "Ensemble":\n            return slowest[0], slowest[1], started\n',
        '',
        "the rendering's walk counts a Splitter as starting every branch: a later step at zero counted warm",
        'timeouts-cover-cold-start',
        config=BRANCHING,
    ),
    Mutation(
        'rev17g-g02-first-branch',
        'serving',
        'components/serving/pipeline.py',
        '        slowest = max(branches, key=lambda b: b[0])\n',
        '        slowest = branches[0]\n',
        "the rendering's walk waits for a Splitter/Ensemble's first step, not its slowest",
        'timeouts-cover-cold-start',
        config=BRANCHING,
    ),
    Mutation(
        'rev17g-r01-gw-worst-last',
        'policy',
        'components/serving/timeouts.py',
        '            worst = max(branches, key=lambda b: b[0])\n',
        '            worst = branches[-1]\n',
        "timeouts-cover-cold-start's walk waits for an Ensemble/Splitter's last step, not its slowest",
    ),
    Mutation(
        'rev17g-r02-gw-splitter-starts-all',
        'policy',
        'components/serving/timeouts.py',
        '            if kind != "Ensemble":\n'
        '                return worst[0], worst[1], started  # one branch, not known here\n',
        '',
        "timeouts-cover-cold-start's walk counts a Splitter as starting every branch",
    ),
    Mutation(
        'rev17g-g08-warm-prepull-shared',
        'platform',
        'components/platform/warm.py',
        '                "spec": pod_spec(ctx, pool, images.get(pool.accelerator, ()) if pool.sharing in NOT_SHARED '
        'else ()),',
        '                "spec": pod_spec(ctx, pool, images.get(pool.accelerator, ())),',
        "placeholders pre-pull on a pool that shares GPUs (a pre-pull may queue before a model's own pull)",
        'warm-capacity-preemptible',
        platform=WARM_GCP,
    ),
    Mutation(
        'rev17g-g09-warm-prepull-rw-root',
        'platform',
        'components/platform/warm.py',
        '                "readOnlyRootFilesystem": True,\n                "capabilities": {"drop": ["ALL"]},'
        '\n            },\n        }\n        for i, image',
        '                "readOnlyRootFilesystem": False,\n                "capabilities": {"drop": ["ALL"]},'
        '\n            },\n        }\n        for i, image',
        'pre-pull containers (model and runtime images) get a writable root filesystem',
        'warm-capacity-preemptible',
        platform=WARM_AWS,
    ),
    Mutation(
        'rev17g-g10-warm-prepull-no-limits',
        'platform',
        'components/platform/warm.py',
        '            "resources": {"requests": dict(small), "limits": dict(small)},',
        '            "resources": {"requests": dict(small)},',
        'pre-pull containers run without cpu and memory limits on the GPU node',
        'warm-capacity-preemptible',
        platform=WARM_AWS,
    ),
    Mutation(
        'rev17g-g11-warm-anti-affinity-dropped',
        'platform',
        'components/platform/warm.py',
        '        "affinity": {\n            "podAntiAffinity": {',
        '        "affinityX": {\n            "podAntiAffinity": {',
        'placeholders lose their one-per-node anti-affinity',
        'warm-capacity-preemptible',
        platform=WARM_AWS,
    ),
    Mutation(
        'rev17g-g12-llm-address-regex-8080',
        'serving',
        'components/serving/llm_scaling.py',
        '"regex": "(.+):[0-9]+",',
        '"regex": "(.+):8080",',
        "the PodMonitor rewrites only a target on :8080; its target is on 15090 (Envoy's own stats)",
        'llm-scrape-merged-stats',
        platform=LLM_PLATFORM,
        config=LLM_GCP,
    ),
    Mutation(
        'rev17g-r12-keeps-vllm-search',
        'policy',
        'policy/rules/llm.py',
        '        if isinstance(regex, str) and re.fullmatch(regex, "vllm:num_requests_waiting"):',
        '        if isinstance(regex, str) and re.search(regex, "vllm:num_requests_waiting"):',
        'llm-scrape-merged-stats counts a keep regex matching part of a vllm: name as keeping it',
    ),
    Mutation(
        'rev17g-g15-keda-spread-selects-name',
        'platform',
        'components/platform/keda.py',
        '"topologySpreadConstraints": {c: ctx.spread({"app": app}) for c, app in COMPONENT_LABELS.items()},',
        '"topologySpreadConstraints": {c: ctx.spread({"app.kubernetes.io/name": "keda"}) for c in COMPONENT_LABELS},',
        "KEDA's spread selects app.kubernetes.io/name=keda, which no component's pod carries",
        'keda-ha-values',
        platform=KEDA_GCP,
    ),
    Mutation(
        'rev17g-r13-keda-spread-any-label',
        'policy',
        'policy/rules/podlabels.py',
        '    wrong = {k: v for k, v in labels.items() if v is not UNKNOWN and pods.get(k) != v}\n    if wrong:',
        '    wrong = {k: v for k, v in labels.items() if v is not UNKNOWN and pods.get(k) != v}\n    if len(wrong) '
        '== len(labels):',
        'keda-ha-values (through podlabels.selector_misses since fix17n) accepts a spread selector when any one of '
        'its labels matches (they are ANDed)',
    ),
    Mutation(
        'rev17g-g16-eks-pods-min',
        'clusters',
        'components/clusters/eks.py',
        '    pods = ENI_PODS.get(instance_type, max(ENI_PODS.values()))',
        '    pods = ENI_PODS.get(instance_type, min(ENI_PODS.values()))',
        'EKS kube-reserved memory of an unlisted type from the fewest pods',
        'pods-fit-nodes',
        weakens=False,
    ),
    Mutation(
        'rev17g-g17-eks-vm-overhead',
        'clusters',
        'components/clusters/eks.py',
        'VM_MEMORY_OVERHEAD_PERCENT = Decimal("0.075")',
        'VM_MEMORY_OVERHEAD_PERCENT = Decimal("0.0075")',
        'Karpenter VM overhead 0.75 % instead of 7.5 %: a pod over the node fits at plan time',
        'pods-fit-nodes',
        config=FIT_AWS_14000,
    ),
    Mutation(
        'rev17g-g18-aks-pods-system',
        'clusters',
        'components/clusters/aks.py',
        '    pods = AKS_MAX_PODS_SYSTEM if system else AKS_MAX_PODS_GPU\n',
        '    pods = AKS_MAX_PODS_SYSTEM\n',
        "AKS GPU node memory reservation from the system pool's 50 max pods, not 250",
        'pods-fit-nodes',
        config=FIT_AKS_25000,
    ),
    Mutation(
        'rev17g-g19-gke-tier',
        'clusters',
        'components/clusters/gke.py',
        '(16, 128, "0.06")',
        '(16, 128, "0.04")',
        "GKE's 6 % memory tier taken as 4 %",
        'pods-fit-nodes',
        config=FIT_GKE_A100,
    ),
    Mutation(
        'rev17g-g20-fit-sidecar-memory',
        'serving',
        'components/serving/fit.py',
        '    memory -= sum(v for _, v in sidecars.values())\n',
        '',
        "node fit leaves the sidecars' memory requests out",
        'pods-fit-nodes',
        config=FIT_AWS_13750,
    ),
    Mutation(
        'rev17g-g21-fit-tolerates-any-effect',
        'serving',
        'components/serving/fit.py',
        '        and t.effect in (None, "NoSchedule")\n',
        '',
        'fit: a NoExecute-only toleration counted as tolerating the GPU NoSchedule taint',
        'pods-fit-nodes',
        config=FIT_AKS_TRANSFORMER_NOEXECUTE,
    ),
    Mutation(
        'rev17g-g22-mlserver-env-case',
        'serving',
        'components/serving/server_args.py',
        '                if name.upper() in MLSERVER_PORT_ENV:',
        '                if name in MLSERVER_PORT_ENV:',
        'mlserver_http_port (lower case) not refused, though pydantic-settings reads it case-insensitively',
        'model-server-port-intact',
        config=MLSERVER_ENV_LOWER,
    ),
    Mutation(
        'rev17g-g23-agent-port-http-only',
        'serving',
        'components/serving/server_args.py',
        'flags: Sequence[str] = (HTTP_PORT_FLAG, GRPC_PORT_FLAG)) -> int | None:',
        'flags: Sequence[str] = (HTTP_PORT_FLAG,)) -> int | None:',
        "--grpc_port=9081 beside KServe's agent no longer refused",
        'model-server-port-intact',
        config=AGENT_GRPC_PORT,
    ),
    Mutation(
        'rev17g-g24-same-exact',
        'serving',
        'components/serving/server_args.py',
        '    return arg.startswith("-") and arg != "--" and _same_option(flag, arg.split("=", 1)[0])',
        '    return arg.split("=", 1)[0] == flag',
        'server flags matched only by exact spelling (argparse accepts abbreviations)',
        'model-server-port-intact',
        config=GRPC_PORT_ABBREVIATED,
    ),
    Mutation(
        'rev17g-r14-np-effect-ignored',
        'policy',
        'policy/rules/nodepools.py',
        '        if t.get("effect") not in (None, "", effect):\n            continue\n',
        '',
        'node-selectors-match-pools: a toleration of another effect tolerates the taint',
    ),
    Mutation(
        'rev17g-rule-fit-vm-overhead',
        'policy',
        'policy/clouds/aws.py',
        'VM_OVERHEAD = Decimal("0.075")',
        'VM_OVERHEAD = Decimal("0.0075")',
        "pods-fit-nodes takes Karpenter's VM overhead as 0.75 %",
    ),
    Mutation(
        'rev17g-rule-fit-sidecar-memory',
        'policy',
        'policy/rules/nodefit.py',
        'want_memory = memory + sum(m for _, m in added.values()) * MIB',
        'want_memory = memory',
        "pods-fit-nodes leaves the sidecars' memory out",
    ),
    Mutation(
        'rev17g-rule-fit-no-cos-kernel',
        'policy',
        'policy/clouds/gcp.py',
        '"the COS kernel": cos_kernel_mib(mib)}',
        '"the COS kernel": 0}',
        "pods-fit-nodes forgets the memory GKE's COS kernel keeps",
    ),
    Mutation(
        'rev17g-rule-ports-env-case',
        'policy',
        'policy/rules/serverports.py',
        'if isinstance(name, str) and name.upper() in MLSERVER_ENV:',
        'if isinstance(name, str) and name in MLSERVER_ENV:',
        'model-server-port-intact reads MLServer env names case-sensitively',
    ),
    Mutation(
        'rev17g-rule-ports-exact',
        'policy',
        'policy/rules/serverports.py',
        'matches = (given,) if given in KSERVE_OPTIONS else tuple(o for o in KSERVE_OPTIONS if o.startswith(given))',
        'matches = (given,) if given in KSERVE_OPTIONS else ()',
        'model-server-port-intact matches port flags only spelled out (argparse accepts abbreviations)',
    ),
    Mutation(
        'p2-d01-gc-threshold-dropped',
        'cluster',
        'components/coldstart.py',
        '        limit = volume * gc / 100\n',
        '        limit = volume\n',
        "the node disk check fills the whole disk (the kubelet's image GC threshold, 85 %, dropped)",
        'gpu-pool-disk-fits', config=DISK_A100_ONE,
    ),
    Mutation(
        'p2-d02-need-as-gib',
        'cluster',
        'components/coldstart.py',
        '        if need > limit:\n            least = ',
        '        if need / GB_PER_GIB > limit:\n            least = ',
        'the node disk check converts the need in GB to GiB and compares it with the limit in GB',
        'gpu-pool-disk-fits', config=DISK_A100_ONE,
    ),
    Mutation(
        'p2-d03-runtime-image-dropped',
        'cluster',
        'components/coldstart.py',
        '    images = {runtime: float(entry["gb"])}\n',
        '    images: dict[str, float] = {}\n',
        "the node disk check leaves the serving runtime's image out of a pod's footprint",
        'gpu-pool-disk-fits', config=DISK_A100_ONE,
    ),
    Mutation(
        'p2-d04-download-dropped',
        'cluster',
        'components/coldstart.py',
        '    download = size if not oci and float(d["download"][kind]["gbPerMinute"]) > 0 else 0.0\n',
        '    download = 0.0\n',
        "the node disk check leaves the storage initializer's download out (only images counted)",
        'gpu-pool-disk-fits', config=DISK_A100_ONE,
    ),
    Mutation(
        'p2-d05-hf-image-class-shrunk',
        'cluster',
        'components/coldstart.yaml',
        '    gb: 12.0\n',
        '    gb: 1.2\n',
        'the huggingfaceserver image size class shrunk tenfold (12 GB -> 1.2 GB)',
        'gpu-pool-disk-fits', config=DISK_A100_ONE,
    ),
    Mutation(
        'p2-d06-one-model-a-node',
        'cluster',
        'components/coldstart.py',
        '    for size in range(1, len(pods) + 1):\n        for chosen in itertools.combinations(pods, size):',
        '    for size in range(1, 2):\n        for chosen in itertools.combinations(pods, size):',
        'the node disk check counts the images of one model a node (replicas only), not the union over models',
        'gpu-pool-disk-fits', config=DISK_L4_OCI,
    ),
    Mutation(
        'p2-d07-time-slicing-one-slot',
        'cluster',
        'components/coldstart.py',
        '        return gpus * max(1, int(clients))\n',
        '        return gpus\n',
        'the node disk check ignores time-slicing replicas (one pod a GPU)',
        'gpu-pool-disk-fits', config=DISK_L4_OCI,
    ),
    Mutation(
        'p2-d08-downloads-max',
        'cluster',
        'components/coldstart.py',
        '            downloads = sum(dl for *_, dl in chosen)\n',
        '            downloads = max(dl for *_, dl in chosen)\n',
        "the node disk check counts the largest download of the pods on a node, not their sum",
        'gpu-pool-disk-fits', config=DISK_L4_DOWNLOADS,
    ),
    Mutation(
        'p2-r01-rule-gc-95',
        'policy',
        'policy/rules/disk.py',
        'GC_HIGH_PERCENT = 85\n',
        'GC_HIGH_PERCENT = 95\n',
        "gpu-pool-disk-fits lets images fill 95 % of the disk (the kubelet's GC threshold is 85 %)",
    ),
    Mutation(
        'p2-r02-rule-slots-no-sharing',
        'policy',
        'policy/rules/disk.py',
        '        return gpus * clients\n',
        '        return gpus\n',
        'gpu-pool-disk-fits counts one pod a GPU on a time-sliced pool',
    ),
    Mutation(
        'p2-r03-rule-downloads-max',
        'policy',
        'policy/rules/disk.py',
        'downloads = sum(p.download for p in chosen) + _most_downloads(',
        'downloads = max(p.download for p in chosen) + _most_downloads(',
        'gpu-pool-disk-fits counts the largest download of the models on a node, not their sum',
    ),
    Mutation(
        'p2-r04-rule-cache-disk-ignored',
        'policy',
        'policy/rules/disk.py',
        '        elsewhere = listed if d.cache_disk else set()\n',
        '        elsewhere = set()\n',
        "gpu-pool-disk-fits counts a GKE secondary boot disk's images on the boot disk",
    ),
    # rev17h (issue #17, eighth round)
    Mutation(
        'rev17h-h01-gke-kms-900d',
        'clusters',
        'components/clusters/gke.py',
        'KEY_ROTATION = "7776000s"',
        'KEY_ROTATION = "77760000s"',
        'GKE secrets key rotates every 900 days, not 90 (an extra zero)',
        'kms-key-rotation',
    ),
    Mutation(
        'rev17h-h02-aks-audit-admin-dropped',
        'clusters',
        'components/clusters/aks.py',
        'AUDIT_LOGS = ("kube-audit-admin", "kube-apiserver", "guard")',
        'AUDIT_LOGS = ("kube-apiserver", "guard")',
        'AKS diagnostic setting without the audit category (no control-plane audit log)',
        'audit-logs',
    ),
    Mutation(
        'rev17h-h03-device-plugin-multi-share',
        'clusters',
        'components/clusters/base.py',
        '{key: {"failRequestsGreaterThanOne": True, **resources}}',
        '{key: {"failRequestsGreaterThanOne": False, **resources}}',
        'shared GPU pools grant a 2-GPU request two shares of one GPU (half the compute and memory it asked for)',
        'gpu-memory-fits',
        weakens=False,
    ),
    Mutation(
        'rev17h-h04-karpenter-disk-G',
        'clusters',
        'components/clusters/_karpenter.py',
        '                    "volumeSize": f"{disk_gib}Gi",',
        '                    "volumeSize": f"{disk_gib}G",',
        'Karpenter GPU node root volume in G, not Gi (7 % less disk than the plan-time check counts)',
        'gpu-pool-disk-fits',
    ),
    Mutation(
        'rev17h-h06-prometheus-1-replica',
        'platform',
        'components/platform/monitoring.py',
        '"replicas": ctx.replicas,\n                    "nodeSelector": sel,',
        '"replicas": 1,\n                    "nodeSelector": sel,',
        "prod Prometheus single replica (KEDA's LLM scaling and every alert stop with one node drain)",
        'prod-mesh-replicas',
    ),
    Mutation(
        'rev17h-h07-prometheus-pdb-blocks',
        'platform',
        'components/platform/monitoring.py',
        'pdb = {"enabled": True, "minAvailable": 1} if ctx.ha else {"enabled": False}',
        'pdb = {"enabled": True, "minAvailable": ctx.replicas} if ctx.ha else {"enabled": False}',
        'Prometheus and Alertmanager PDBs keep every replica: node drains hang',
        'pdb-allows-eviction',
    ),
    Mutation(
        'rev17h-h08-prometheus-labels-crname',
        'platform',
        'components/platform/monitoring.py',
        '"operator.prometheus.io/name": f"{RELEASE}-prometheus",',
        '"operator.prometheus.io/name": RELEASE,',
        'model and gateway NetworkPolicies admit a Prometheus name no pod has: nothing scrapes the models (no vllm: series, KEDA never scales out)',  # noqa: E501
        'model-metrics-prometheus-only',
    ),
    Mutation(
        'rev17h-h09-prometheus-no-spread',
        'platform',
        'components/platform/monitoring.py',
        '                    "topologySpreadConstraints": ctx.spread({"app.kubernetes.io/name": "prometheus"}),\n',
        '',
        'prod Prometheus replicas lose their zone spread (both in one zone)',
        'prod-mesh-replicas',
    ),
    Mutation(
        'rev17h-h10-knative-max-timeout-600',
        'platform',
        'components/platform/knative.py',
        'MAX_REVISION_TIMEOUT = "1800"',
        'MAX_REVISION_TIMEOUT = "600"',
        "max-revision-timeout-seconds 600 (Knative's default): GPU models' timeouts capped below their cold start",
        'timeouts-cover-cold-start',
    ),
    Mutation(
        'rev17h-h11-knative-no-toleration-flag',
        'platform',
        'components/platform/knative.py',
        'GPU_FEATURES = ("kubernetes.podspec-nodeselector", "kubernetes.podspec-tolerations", "kubernetes.podspec-affinity")',  # noqa: E501
        'GPU_FEATURES = ("kubernetes.podspec-nodeselector", "kubernetes.podspec-affinity")',
        "Knative's webhook refuses the GPU toleration: every GPU model's revision is rejected (kserve#1425)",
        'isvc-gpu-scheduling',
    ),
    Mutation(
        'rev17h-h12-spread-skew-2',
        'platform',
        'components/platform/common.py',
        '"maxSkew": 1,\n                "topologyKey": key,',
        '"maxSkew": 2,\n                "topologyKey": key,',
        'HA spread maxSkew 2: both replicas of a 2-replica add-on may sit in one zone',
        'prod-mesh-replicas',
        weakens=False,
    ),
    Mutation(
        'rev17h-h13-requestlog-root',
        'platform',
        'components/platform/requestlog.py',
        'USER = 65534',
        'USER = 0',
        'the request-log collector runs as root',
        'pod-restricted-hardening',
        platform=RL_AWS,
    ),
    Mutation(
        'rev17h-h14-slots-timeslicing-dropped',
        'serving',
        'components/coldstart.py',
        '    if sharing in ("time-slicing", "mps"):\n        return gpus * max(1, int(clients))',
        '    if sharing == "mps":\n        return gpus * max(1, int(clients))',
        "disk check counts one pod per GPU on time-sliced pools (gcp-prod's L4 holds two)",
        'gpu-pool-disk-fits',
    ),
    Mutation(
        'rev17h-h15-disk-no-gc-threshold',
        'serving',
        'components/coldstart.py',
        '        limit = volume * gc / 100\n',
        '        limit = volume\n',
        "disk check fills the node disk to 100 %, past the kubelet's 85 % image GC threshold",
        'gpu-pool-disk-fits',
    ),
    Mutation(
        'rev17h-h16-gpumem-mps-whole',
        'serving',
        'components/serving/gpumem.py',
        'share = gb / clients - CUDA_CONTEXT_GB',
        'share = gb - CUDA_CONTEXT_GB',
        "GPU memory check gives an MPS client the whole GPU's memory (MPS limits each to 1/clients)",
        'gpu-memory-fits',
        config=MPS_GCP_13GB,
    ),
    Mutation(
        'rev17h-h17-fit-no-eviction',
        'serving',
        'components/serving/fit.py',
        '    reserved_mem = [*kept, ("eviction threshold", EVICTION_MEMORY_MIB)]\n    daemons',
        '    reserved_mem = list(kept)\n    daemons',
        "node fit forgets the kubelet's 100Mi hard eviction threshold",
        'pods-fit-nodes',
        config=FIT_AWS_13750,
    ),
    Mutation(
        'rev17h-h18-fit-no-cloud-daemonsets',
        'serving',
        'components/serving/fit.py',
        '    daemons = daemonset_requests(platform, m.gpu, cloud)\n',
        '    daemons = daemonset_requests(platform, m.gpu)\n',
        "node fit forgets the cloud's own DaemonSets (EKS's EBS CSI node, 120Mi)",
        'pods-fit-nodes',
        config=FIT_AWS_13750,
    ),
    Mutation(
        'rev17h-h19-pdb-from-3',
        'serving',
        'components/serving/model_service.py',
        '        if spec.scaling.min_replicas >= 2:\n            k8s.policy.v1.PodDisruptionBudget(',
        '        if spec.scaling.min_replicas > 2:\n            k8s.policy.v1.PodDisruptionBudget(',
        'models at minReplicas 2 get no PodDisruptionBudget (a drain may take both)',
        'model-pdb',
    ),
    Mutation(
        'rev17h-h20-router-ready-60',
        'serving',
        'components/serving/pipeline.py',
        'READY_SECONDS = 600',
        'READY_SECONDS = 60',
        "a pipeline router's own start from zero counted as 60 s, not 600 s",
        'timeouts-cover-cold-start',
        config=ROUTER_SUM,
    ),
    Mutation(
        'rev17h-h21-gke-etp-cluster',
        'clusters',
        'components/clusters/gke.py',
        '        return "Local"',
        '        return "Cluster"',
        'GKE gateway Service externalTrafficPolicy Cluster: a request waiting on a cold start loses its backend when the cold start adds a node',  # noqa: E501
        'timeouts-cover-cold-start',
    ),
    Mutation(
        'rev17h-h22-gke-zones-off-by-one',
        'clusters',
        'components/clusters/gke.py',
        'lambda names: sorted(names)[: spec.zones] if names else None',
        'lambda names: sorted(names)[: spec.zones - 1] if names else None',
        "GKE cluster's node locations one zone short (system pool over 2 zones of 3, fixed at creation)",
        'node-pools-span-zones',
    ),
    Mutation(
        'rev17h-h23-kserve-no-spread',
        'platform',
        'components/platform/kserve.py',
        '                    "topologySpreadConstraints": ctx.spread(CONTROLLER_LABELS),\n',
        '',
        'prod KServe controller replicas lose their zone spread',
        'prod-mesh-replicas',
    ),
    Mutation(
        'rev17h-h24-netpol-9091-open',
        'serving',
        'components/serving/_netpol.py',
        'ports += [QUEUE_HTTPS_PORT, int(AUTOSCALER_METRICS_PORT)]',
        'ports += [QUEUE_HTTPS_PORT, int(AUTOSCALER_METRICS_PORT), QUEUE_USER_METRICS_PORT]',
        "queue-proxy's user metrics port 9091 open to every pod (Knative mode)",
        'model-metrics-prometheus-only',
        weakens=False,
    ),
    Mutation(
        'rev17h-r01-warm-priority-zero-ok',
        'policy',
        'policy/rules/warm.py',
        'LOWEST <= value < 0)',
        'LOWEST <= value <= 0)',
        "warm-capacity-preemptible accepts a placeholder PriorityClass of 0 (the models' own priority)",
    ),
    Mutation(
        'rev17h-r02-warm-preemption-unset-ok',
        'policy',
        'policy/rules/warm.py',
        'if policy is not UNKNOWN and policy != "Never":',
        'if policy not in (UNKNOWN, None) and policy != "Never":',
        'warm-capacity-preemptible accepts an unset preemptionPolicy (PreemptLowerPriority)',
    ),
    Mutation(
        'rev17h-r03-warm-grace-unset-ok',
        'policy',
        'policy/rules/warm.py',
        'if grace is not UNKNOWN and grace != 0:',
        'if grace is not UNKNOWN and grace not in (None, 0):',
        'warm-capacity-preemptible accepts an unset terminationGracePeriodSeconds (30 s)',
    ),
    Mutation(
        'rev17h-r04-warm-antiaffinity-any-pool',
        'policy',
        'policy/rules/warm.py',
        'if term.get("topologyKey") != HOSTNAME or match.get(POOL_LABEL) != pool:',
        'if term.get("topologyKey") != HOSTNAME:',
        "warm-capacity-preemptible accepts an anti-affinity term selecting another pool's placeholders",
    ),
    Mutation(
        'rev17h-r05-warm-ro-unset-ok',
        'policy',
        'policy/rules/warm.py',
        'if ro is not UNKNOWN and ro is not True:',
        'if ro is False:',
        'warm-capacity-preemptible accepts a pre-pull container without readOnlyRootFilesystem',
    ),
    Mutation(
        'rev17h-r06-disruption-percent-floor',
        'policy',
        'policy/rules/disruption.py',
        'return math.ceil(max_nodes * int(percent.group(1)) / 100)',
        'return max_nodes * int(percent.group(1)) // 100',
        'gpu-pool-disruption rounds a percentage budget down (20 % of 8 nodes read as 1)',
    ),
    Mutation(
        'rev17h-r07-disruption-reasons-ignored',
        'policy',
        'policy/rules/disruption.py',
        'return not budget.get("reasons") and "schedule" not in budget and "duration" not in budget',
        'return "schedule" not in budget and "duration" not in budget',
        'gpu-pool-disruption counts a budget limited to some reasons as bounding every reason',
    ),
    Mutation(
        'rev17h-r08-images-port-as-tag',
        'policy',
        'policy/rules/images.py',
        '    last = image.rsplit("/", 1)[-1]\n',
        '    last = image\n',
        'images-tagged reads a registry port as a tag (host:5000/app passes, untagged)',
    ),
    Mutation(
        'rev17h-r09-coldpulls-any-pool',
        'policy',
        'policy/rules/coldpulls.py',
        'return bool(pools) and all(image in images for images in pools)',
        'return bool(pools) and any(image in images for images in pools)',
        'cold-start-from-zero-pulls drops a pull when one pool of the accelerator caches the image (not every one)',
    ),
    Mutation(
        'rev17h-r10-gpumem-containers-ignored',
        'policy',
        'policy/rules/timeouts.py',
        '    for container in predictor.get("containers") or ():\n        if isinstance(container, Mapping) and (gpus := _gpus(container)):\n            return gpus\n    return None',  # noqa: E501
        '    return None',
        "gpu-memory-fits judges only spec.predictor.model (custom containers' GPUs never judged)",
    ),
    Mutation(
        'rev17h-r11-mesh-unset-ok',
        'policy',
        'policy/rules/models.py',
        'if _mode(p) is not UNKNOWN and _mode(p) != "STRICT":',
        'if _weak(_mode(p)):',
        'mesh-mtls-strict accepts a mesh-wide PeerAuthentication left UNSET (PERMISSIVE)',
    ),
    Mutation(
        'rev17h-r12-requestlog-diff-reversed',
        'policy',
        'policy/rules/requestlog.py',
        'extra = sorted(names - allowed)',
        'extra = sorted(allowed - names)',
        'request-log-collector-ingress: a peer admitting extra namespaces passes (set difference reversed)',
    ),
    Mutation(
        'rev17h-h05b-catalog-t4-24-18gb',
        'clusters',
        'components/catalog.yaml',
        'nvidia-t4: {gpu_memory: {value: 15360, unit: MiB, source: nvidia-smi-modal}, mig: false}',
        'nvidia-t4: {gpu_memory: {value: 23028, unit: MiB, source: nvidia-smi-modal}, mig: false}',
        "T4 memory taken as the A10G's 23028 MiB: an 18 GB model planned on a 15360 MiB (16.1 GB) T4",
        'gpu-memory-fits',
        config=T4_18GB,
    ),
    Mutation(
        'rev17h-h25-warm-no-gpu-toleration',
        'platform',
        'components/platform/warm.py',
        '        "tolerations": ctx.gpu_tolerations(),\n',
        '',
        'warm-capacity placeholders lose the GPU toleration: they never land on the pool they keep warm',
        'node-selectors-match-pools',
        platform=WARM_AWS,
    ),
    Mutation(
        'rev17h-h26-rl-every-model-namespace',
        'platform',
        'infra/program.py',
        'request_log_namespaces=sorted({m.namespace for m in cfg.models.values() if m.logs}),',
        'request_log_namespaces=sorted({m.namespace for m in cfg.models.values()}),',
        'the request-log collector admits the namespaces of every model, not only those that log',
        'request-log-collector-ingress',
        platform=RL_AWS,
    ),
    Mutation(
        'rev17h-h27-aks-gpu-os-disk-default',
        'clusters',
        'components/clusters/aks.py',
        '            os_disk_size_gb=disk_gib,\n',
        '',
        "AKS GPU pools take the VM size's default OS disk, not the stack's diskSizeGib the disk check counted",
        'cluster-hardening',
    ),
    Mutation(
        'rev17h-h28-eks-ng-gpu-disk-100',
        'clusters',
        'components/clusters/eks.py',
        'name, f"gpu-{pool.name}", self._args.spec.gpu_pools[pool.name].disk_size_gib',
        'name, f"gpu-{pool.name}", 100',
        "EKS managed GPU node groups get the system pool's 100 GiB disk, not the stack's diskSizeGib",
        'gpu-pool-disk-fits',
        config=AWS_NODE_GROUPS,
    ),
    # fixshare: a 2-GPU predictor beside a time-sliced pool of its accelerator (MIXED_L4) must keep off that pool
    Mutation(
        'fixshare-affinity-dropped',
        'serving',
        'components/serving/_runtime.py',
        'if affinity := given.gpu.multi_gpu_affinity(spec.resources.accelerator, spec.resources.gpus):',
        'if affinity := given.gpu.multi_gpu_affinity(spec.resources.accelerator, 1):',
        "the predictor's pool affinity computed for one GPU (none rendered): a 2-GPU pod may land on a shared node",
        'multi-gpu-avoids-shared-pools', config=MIXED_L4,
    ),
    Mutation(
        'fixshare-affinity-off-by-one',
        'clusters',
        'components/clusters/base.py',
        'names = sorted(p.name for p in self.one_share_pools(accelerator)) if gpus > 1 else []',
        'names = sorted(p.name for p in self.one_share_pools(accelerator)) if gpus > 2 else []',
        'the shared pools kept off only above two GPUs',
        'multi-gpu-avoids-shared-pools', config=MIXED_L4,
    ),
    Mutation(
        'fixshare-affinity-wrong-label',
        'clusters',
        'components/clusters/base.py',
        'term = {"matchExpressions": [{"key": self.pool_label, "operator": "NotIn", "values": names}]}',
        'term = {"matchExpressions": [{"key": self.accelerator_label, "operator": "NotIn", "values": names}]}',
        "the affinity names the pools under the accelerator label (which no node carries with a pool's name)",
        'multi-gpu-avoids-shared-pools', config=MIXED_L4,
    ),
    # rev17i (issue #17, ninth round)
    Mutation(
        "rev17i-i01-eks-imdsv1",
        "clusters",
        "components/clusters/eks.py",
        'http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1',
        'http_endpoint="enabled", http_tokens="optional", http_put_response_hop_limit=1',
        "EKS managed node groups' launch template allows IMDSv1 (unsigned metadata requests reach node credentials)",
        "imdsv2-required",
    ),
    Mutation(
        "rev17i-i02-eks-nat-swapped",
        "clusters",
        "components/clusters/eks.py",
        'NatGatewayStrategy.SINGLE if environment == "dev" else awsx.ec2.NatGatewayStrategy.ONE_PER_AZ',
        'NatGatewayStrategy.ONE_PER_AZ if environment == "dev" else awsx.ec2.NatGatewayStrategy.SINGLE',
        "NAT strategy branches swapped: a prod VPC egresses through one zone's NAT gateway (a zone outage cuts every "
        "node's image and model pulls)",
        "node-pools-span-zones",
        config=AWS_PROD,
    ),
    Mutation(
        "rev17i-i03-eks-audit-log-dropped",
        "clusters",
        "components/clusters/eks.py",
        'LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")',
        'LOG_TYPES = ("api", "authenticator", "controllerManager", "scheduler")',
        "EKS control-plane logging without the audit log type",
        "audit-logs",
    ),
    Mutation(
        "rev17i-i04-gke-google-cidrs-open",
        "clusters",
        "components/clusters/gke.py",
        "gcp_public_cidrs_access_enabled=False,",
        "gcp_public_cidrs_access_enabled=True,",
        "GKE control plane reachable from every Google Cloud public IP besides the authorized networks",
        "api-endpoint-restricted",
    ),
    Mutation(
        "rev17i-i05-gke-system-pool-any-zone",
        "clusters",
        "components/clusters/gke.py",
        'total_min_node_count=system.min_nodes, total_max_node_count=system.max_nodes, location_policy="BALANCED"',
        'total_min_node_count=system.min_nodes, total_max_node_count=system.max_nodes, location_policy="ANY"',
        "GKE system pool location policy ANY (the GPU pools'): its nodes may all land in one zone",
        "node-pools-span-zones",
        weakens=False,
    ),
    Mutation(
        "rev17i-i06-gke-legacy-metadata",
        "clusters",
        "components/clusters/gke.py",
        'NODE_METADATA = {"disable-legacy-endpoints": "true"}',
        'NODE_METADATA = {"disable-legacy-endpoints": "false"}',
        "GKE nodes serve the legacy (v0.1/v1beta1) metadata endpoints without the Metadata-Flavor header",
        "cluster-hardening",
        weakens=False,
    ),
    Mutation(
        "rev17i-i07-aks-zones-off-by-one",
        "clusters",
        "components/clusters/aks.py",
        "zones = [str(z) for z in range(1, spec.zones + 1)]",
        "zones = [str(z) for z in range(1, spec.zones)]",
        "AKS system pool one zone short of cluster.zones (2 of 3)",
        "node-pools-span-zones",
    ),
    Mutation(
        "rev17i-i08-aks-shared-key",
        "clusters",
        "components/clusters/aks.py",
        "allow_shared_key_access=False,",
        "allow_shared_key_access=True,",
        "AKS request-log storage account accepts its account keys (anyone holding a key reads and writes every blob)",
        "object-store-private",
        platform=RL_AZURE,
    ),
    Mutation(
        "rev17i-i09-aks-gpu-driver-none",
        "clusters",
        "components/clusters/aks.py",
        "gpu_profile=azure.containerservice.GPUProfileArgs(driver=azure.containerservice.GPUDriver.INSTALL),",
        "gpu_profile=azure.containerservice.GPUProfileArgs(driver=azure.containerservice.GPUDriver.NONE),",
        "AKS GPU pools without the NVIDIA driver (the device plugin advertises no GPU; every GPU model stays Pending)",
        "aks-gpu-driver-installed",
    ),
    Mutation(
        "rev17i-i10-aks-system-max-pods-30",
        "clusters",
        "components/clusters/aks.py",
        "                    max_pods=50,\n",
        "                    max_pods=30,\n",
        "AKS system pool at 30 pods a node, while the fit check counts AKS_MAX_PODS_SYSTEM (50)",
        "pods-fit-nodes",
        weakens=False,
    ),
    Mutation(
        "rev17i-i11-karpenter-gpu-limit-nodes",
        "clusters",
        "components/clusters/_karpenter.py",
        '"limits": {"nodes": pool.max_nodes, "nvidia.com/gpu": gpu_limit(pool)},',
        '"limits": {"nodes": pool.max_nodes, "nvidia.com/gpu": pool.max_nodes},',
        "Karpenter NodePool's GPU limit counts nodes, not GPUs: a 4-GPU pool stops at a quarter of maxNodes",
        "karpenter-gpu-limit-covers-nodes",
        config=AWS_L4_X4,
    ),
    Mutation(
        "rev17i-i12-karpenter-no-spot-events",
        "clusters",
        "components/clusters/_karpenter.py",
        '    "spot": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},\n',
        "",
        "Karpenter's interruption queue no longer gets spot interruption warnings: spot GPU nodes die without a drain",
        "karpenter-spot-interruptions",
    ),
    Mutation(
        "rev17i-i13-karpenter-arm64",
        "clusters",
        "components/clusters/_karpenter.py",
        '{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},',
        '{"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]},',
        "Karpenter GPU NodePool requires arm64: no g6 instance type matches, no GPU node is ever launched",
        "karpenter-arch-admits-types",
    ),
    # ---- platform ----
    Mutation(
        "rev17i-i14-knative-progress-600",
        "platform",
        "components/platform/knative.py",
        'PROGRESS_DEADLINE = "1800s"',
        'PROGRESS_DEADLINE = "600s"',
        "Knative's progress deadline at 600 s (its default): a GPU revision whose node, image and weights take longer "
        "is marked failed",
        "timeouts-cover-cold-start",
        weakens=False,
    ),
    Mutation(
        "rev17i-i15-storage-initializer-root",
        "platform",
        "components/platform/kserve.py",
        '    "runAsNonRoot": True,\n',
        '    "runAsNonRoot": False,\n',
        "KServe's storage-initializer (holds the model's storage credentials) may run as root",
        "pod-restricted-hardening",
    ),
    Mutation(
        "rev17i-i16-keda-operator-1",
        "platform",
        "components/platform/keda.py",
        '"operator": {"replicaCount": ctx.replicas},',
        '"operator": {"replicaCount": 1},',
        "prod KEDA operator on one replica (its PDB minAvailable 1 then blocks every drain of its node)",
        "pdb-allows-eviction",
        platform=KEDA_GCP,
    ),
    Mutation(
        "rev17i-i17-requestlog-pdb-all",
        "platform",
        "components/platform/requestlog.py",
        '"podDisruptionBudget": {"enabled": ctx.replicas >= 2, "minAvailable": 1},',
        '"podDisruptionBudget": {"enabled": ctx.replicas >= 2, "minAvailable": ctx.replicas},',
        "request-log collector PDB keeps every replica: node drains hang",
        "pdb-allows-eviction",
        platform=RL_GCP,
    ),
    Mutation(
        "rev17i-i18-requestlog-notin",
        "platform",
        "components/platform/requestlog.py",
        '                                    "operator": "In",\n',
        '                                    "operator": "NotIn",\n',
        "request-log collector admits model pods of every namespace except the logging ones (wrong operator)",
        "request-log-collector-ingress",
        platform=RL_AWS,
        config=RL_LOGGING_AWS,
    ),
    Mutation(
        "rev17i-i19-cainjector-1",
        "platform",
        "components/platform/certmanager.py",
        '"cainjector": {"replicaCount": ctx.replicas, "podDisruptionBudget": pdb, "nodeSelector": sel},',
        '"cainjector": {"replicaCount": 1, "podDisruptionBudget": pdb, "nodeSelector": sel},',
        "prod cert-manager cainjector on one replica with its PDB (minAvailable 1 of 1: drains hang)",
        "pdb-allows-eviction",
    ),
    Mutation(
        "rev17i-i20-istiod-no-pdb",
        "platform",
        "components/platform/istio.py",
        '"global": {"defaultPodDisruptionBudget": {"enabled": ctx.ha}, "proxy": proxy},',
        '"global": {"defaultPodDisruptionBudget": {"enabled": False}, "proxy": proxy},',
        "prod istiod without its PodDisruptionBudget: one drain may evict both replicas (no sidecar injection, no "
        "certificate renewal until they return)",
        "prod-mesh-replicas",
    ),
    Mutation(
        "rev17i-i21-pager-warning",
        "platform",
        "components/platform/monitoring.py",
        """routes.append({"receiver": PAGER, "matchers": ['severity = "critical"'], "continue": True})""",
        """routes.append({"receiver": PAGER, "matchers": ['severity = "warning"'], "continue": True})""",
        "PagerDuty gets warning alerts instead of critical ones (observability only)",
        "",
        weakens=False,
    ),
    # ---- serving ----
    Mutation(
        "rev17i-i22-ns-privileged-default",
        "serving",
        "components/serving/namespace.py",
        '    if platform.pod_security == "restricted" and not ENFORCE_RESTRICTED:\n        return "baseline"',
        '    if platform.pod_security == "restricted" and not ENFORCE_RESTRICTED:\n        return "privileged"',
        "model namespaces enforce the privileged Pod Security level (host namespaces, privileged containers admitted)",
        "model-namespace-pod-security",
    ),
    Mutation(
        "rev17i-i23-triton-stats-open",
        "serving",
        "components/serving/_auth.py",
        '    not_paths=("/v2/models/stats",),\n',
        "    not_paths=(),\n",
        "model AuthorizationPolicies admit Triton's /v2/models/stats (every loaded model's names and statistics)",
        "model-inference-api-only",
    ),
    Mutation(
        "rev17i-i24-autoscaler-sa",
        "serving",
        "components/serving/_auth.py",
        'AUTOSCALER_SERVICE_ACCOUNT = "controller"',
        'AUTOSCALER_SERVICE_ACCOUNT = "autoscaler"',
        "model policies admit the Knative autoscaler as cluster.local/ns/knative-serving/sa/autoscaler, which no pod "
        "runs as: its metric scrapes are refused and Knative cannot scale the models",
        "model-inference-api-only",
    ),
    Mutation(
        "rev17i-i25-two-gpus-timesliced",
        "serving",
        "components/serving/model_service.py",
        "if res.gpus > 1 and len(sliced) == len(offering):",
        "if res.gpus > 2 and len(sliced) == len(offering):",
        "a 2-GPU model accepted on a time-sliced pool, where the device plugin refuses any request over one share",
        # fix17h: the predictor's affinity (mlplatform.io/pool NotIn [l4]) excludes the only pool its nodeSelector meets
        "node-selectors-match-pools",
        config=TWO_GPU_TIMESLICED,
        bypass=(CONFIG_ONE_SHARE,),
    ),
    Mutation(
        "fix17h-i25-gke-every-pool-shared",
        "serving",
        "components/serving/model_service.py",
        "if res.gpus > 1 and len(sliced) == len(offering):",
        "if res.gpus > 2 and len(sliced) == len(offering):",
        "a 2-GPU model accepted where every pool of its accelerator is GKE-time-shared: its affinity excludes them all",
        "node-selectors-match-pools",
        config=TWO_GPU_TIMESHARED_GKE,
        bypass=(CONFIG_ONE_SHARE,),
    ),
    Mutation(
        "rev17i-i26-vllm-default-whole-gpu",
        "serving",
        "components/serving/gpumem.py",
        "VLLM_DEFAULT_UTILIZATION = 0.92",
        "VLLM_DEFAULT_UTILIZATION = 1.0",
        "GPU memory check takes vLLM's default fraction as the whole GPU: a 41 GB model planned on a 40 GiB A100",
        "gpu-memory-fits",
        config=VLLM_A100_41GB,
    ),
    Mutation(
        "rev17i-i27-fit-proxy-12mi",
        "serving",
        "components/serving/fit.py",
        "ISTIO_PROXY_MEMORY_MIB = 128",
        "ISTIO_PROXY_MEMORY_MIB = 12",
        "node fit counts the istio-proxy sidecar at 12Mi, not 128Mi (a digit dropped)",
        "pods-fit-nodes",
        config=FIT_AWS_13750,
    ),
    Mutation(
        "rev17i-i28-router-read-not-write",
        "serving",
        "components/serving/pipeline.py",
        'out["routerTimeouts"] = {"serverWrite": int(MAX_REVISION_TIMEOUT)}',
        'out["routerTimeouts"] = {"serverRead": int(MAX_REVISION_TIMEOUT)}',
        "Standard-mode pipeline router gets serverRead, not serverWrite: the router's http.Server cuts any answer "
        "after KServe's 60 s default write timeout (the platform promises 1800 s requests)",
        "timeouts-cover-cold-start",
        platform=STANDARD_PIPELINES_LOCAL,
        config=STANDARD_INNER_PIPELINE,
    ),
    Mutation(
        "rev17i-i29-pipeline-jwt-anonymous",
        "serving",
        "components/serving/pipeline.py",
        'if access.mode == "public" and access.allow_anonymous:',
        'if access.mode == "public":',
        "a public JWT pipeline's router admits anonymous callers (condition dropped)",
        "pipeline-endpoint-auth",
        config=WITH_PIPELINES,
    ),
    Mutation(
        "rev17i-i30-knative-timeout-default-600",
        "serving",
        "components/serving/timeouts.py",
        "KNATIVE_DEFAULT_TIMEOUT = 300",
        "KNATIVE_DEFAULT_TIMEOUT = 600",
        "the serving checks take Knative's default revision timeout as 600 s, not 300 s",
        "timeouts-cover-cold-start",
        # fix17h: not counted, as i14. Every rendered InferenceService component and Knative-mode router carries its
        # own timeout (_runtime.predictor, _kcomponents, pipeline.py renders one wherever a cold start waits), and the
        # only caller of components/serving/timeouts.py, timeouts-cover-cold-start, fills a missing one with its own
        # KNATIVE_REVISION_TIMEOUT before calling it (fix17g): the constant reaches no plan and no verdict.
        weakens=False,
    ),
    # ---- rules ----
    Mutation(
        "rev17i-r01-api-cidr-any",
        "policy",
        "policy/rules/cluster.py",
        "if covered > 1 << (bits - 8):",
        "if covered > 1 << bits:",
        "the API-access breadth check never fails (not even 0.0.0.0/0)",
    ),
    Mutation(
        "rev17i-r02-toleration-any-key",
        "policy",
        "policy/rules/nodepools.py",
        '        if t.get("key") != key:\n            continue\n',
        "",
        "the toleration check lets a toleration of any key tolerate every taint",
    ),
    Mutation(
        "rev17i-r03-gateway-tls-passthrough-only",
        "policy",
        "policy/rules/mesh.py",
        "if mode is not UNKNOWN and mode not in TERMINATING_MODES:",
        'if mode == "PASSTHROUGH":',
        "the gateway TLS check refuses only PASSTHROUGH (AUTO_PASSTHROUGH and ISTIO_MUTUAL pass)",
    ),
    Mutation(
        "rev17i-r04-path-prefix-no-slash",
        "policy",
        "policy/rules/paths.py",
        'body = path[1:-2] if path.endswith("/*") else path[1:]',
        'body = path[1:-2] if path.endswith("*") else path[1:]',
        "the path-shape check accepts a prefix without its / boundary (/v1/models* admits /v1/modelsX)",
    ),
    Mutation(
        "rev17i-r05-host-network-ok",
        "policy",
        "policy/rules/kubernetes.py",
        'for path, pod in pod_specs(res):\n        for host in ("hostNetwork", "hostPID", "hostIPC"):',
        'for path, pod in pod_specs(res):\n        for host in ("hostPID", "hostIPC"):',
        "the pod hardening check accepts hostNetwork: true",
    ),
    Mutation(
        "rev17i-r06-pdb-zero-percent-ok",
        "policy",
        "policy/rules/kubernetes.py",
        'if max_u in (0, "0", "0%"):',
        'if max_u in (0, "0"):',
        'the PDB check accepts maxUnavailable "0%" (no pod may ever be evicted)',
    ),
    Mutation(
        "rev17i-r07-prod-replicas-unset-ok",
        "policy",
        "policy/rules/models.py",
        "if not isinstance(n, int) or n < PROD_MIN_REPLICAS:",
        "if isinstance(n, int) and n < PROD_MIN_REPLICAS:",
        "prod-model-replicas accepts an unset minReplicas (KServe's default 1)",
    ),
    # rev17j: tenth fresh round (issue #17)
    Mutation(
        "rev17j-j01-gke-gpu-driver-disabled",
        "clusters",
        "components/clusters/gke.py",
        'GPU_DRIVER_VERSION = "LATEST"',
        'GPU_DRIVER_VERSION = "INSTALLATION_DISABLED"',
        "GKE GPU pools install no NVIDIA driver (GPUDriverInstallationConfig INSTALLATION_DISABLED): the platform "
        "installs none on GKE, so the nodes advertise no nvidia.com/gpu and every GPU model stays Pending",
        "gke-gpu-driver-installed",
    ),
    Mutation(
        "rev17j-j02-gke-webhook-ports-inverted",
        "clusters",
        "components/clusters/gke.py",
        "WEBHOOK_PORTS: Mapping[str, int] = {w.name: w.port for w in WEBHOOKS "
        "if w.port not in AUTOMATIC_WEBHOOK_PORTS}",
        "WEBHOOK_PORTS: Mapping[str, int] = {w.name: w.port for w in WEBHOOKS if w.port in AUTOMATIC_WEBHOOK_PORTS}",
        "the GKE control plane's firewall rule opens 443/10250 (already open) instead of the webhooks' own ports: "
        "Istio's injector (15017), KServe's (9443) and Knative's (8443) webhooks time out, every model create fails",
        "cluster-hardening",
    ),
    Mutation(
        "rev17j-j03-aks-api-any-ip",
        "clusters",
        "components/clusters/aks.py",
        "authorized_ip_ranges=cidrs or None,",
        "authorized_ip_ranges=None,",
        "the AKS public API server takes no authorized IP ranges: open to the whole internet",
        "api-endpoint-restricted",
    ),
    Mutation(
        "rev17j-j04-aks-no-azure-rbac",
        "clusters",
        "components/clusters/aks.py",
        "managed=True, enable_azure_rbac=True",
        "managed=True, enable_azure_rbac=False",
        "AKS authorizes Entra users by Kubernetes RBAC only (no Azure RBAC): the platform's Azure role assignments "
        "(RBAC Cluster Admin for the deployer) stop meaning anything and access is governed by in-cluster bindings",
        "aks-entra-only",
    ),
    Mutation(
        "rev17j-j05-eks-vpc-no-dns-hostnames",
        "clusters",
        "components/clusters/eks.py",
        "enable_dns_hostnames=True,",
        "enable_dns_hostnames=False,",
        "the EKS VPC has no DNS hostnames: with the private endpoint nodes cannot resolve the API server and never "
        "join (EKS User Guide network-reqs: the VPC must have DNS hostnames and DNS resolution)",
        "cluster-hardening",
    ),
    Mutation(
        "rev17j-j06-eks-log-bucket-public-policy",
        "clusters",
        "components/clusters/eks.py",
        "block_public_policy=True,",
        "block_public_policy=False,",
        "the request-log bucket's public access block lets a bucket policy make it public (request payloads)",
        "object-store-private",
        platform=RL_AWS,
    ),
    Mutation(
        "rev17j-j07-karpenter-lt-any-owner",
        "clusters",
        "components/clusters/_karpenter.py",
        '"Resource": ec2("launch-template/*"),\n            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],\n'
        '            "Condition": {"StringEquals": owned, "StringLike": nodepool_tagged},',
        '"Resource": ec2("launch-template/*"),\n            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],\n'
        '            "Condition": {"StringLike": nodepool_tagged},',
        "Karpenter may launch from any launch template tagged karpenter.sh/nodepool in the account, another "
        "cluster's included (its user data joins this cluster's nodes there, or theirs here)",
        "aws-controller-grants-scoped",
    ),
    Mutation(
        "rev17j-j08-karpenter-ssm-any-parameter",
        "clusters",
        "components/clusters/_karpenter.py",
        'arn(partition, "ssm", region, "", "parameter/aws/service/*")',
        'arn(partition, "ssm", region, "", "parameter/*")',
        "Karpenter's role may read every SSM parameter of the region (application config and String secrets), "
        "not only AWS's public AMI parameters",
        "iam-least-privilege",
    ),
    Mutation(
        "rev17j-j09-karpenter-capacity-swapped",
        "clusters",
        "components/clusters/_karpenter.py",
        'return "spot" if pool.spot else "on-demand"',
        'return "on-demand" if pool.spot else "spot"',
        "an on-demand GPU pool's NodePool asks spot capacity: its model pods are reclaimed with two minutes' "
        "notice and may find no capacity at all",
        "karpenter-spot-interruptions",
        config=AWS_ON_DEMAND,
    ),
    Mutation(
        "rev17j-j10-alertmanager-one-replica",
        "platform",
        "components/platform/monitoring.py",
        '"alertmanagerSpec": {"replicas": ctx.replicas,',
        '"alertmanagerSpec": {"replicas": 1,',
        "prod Alertmanager runs one replica under a minAvailable 1 PDB: no alert is sent while it restarts, and "
        "a node drain never evicts it",
        "pdb-allows-eviction",
    ),
    Mutation(
        "rev17j-j11-kserve-hpa-wrong-target",
        "platform",
        "components/platform/kserve.py",
        'api_version="apps/v1", kind="Deployment", name=CONTROLLER',
        'api_version="apps/v1", kind="Deployment", name=RELEASE',
        "the HPA that keeps two KServe controllers targets a Deployment named kserve, which does not exist: prod "
        "runs one controller, whose webhook is then a single point of failure for every InferenceService write",
        "prod-mesh-replicas",
    ),
    Mutation(
        "rev17j-j12-device-plugin-no-tolerations",
        "platform",
        "components/platform/gpu.py",
        'return drop_empty({"affinity": affinity, "tolerations": ctx.gpu_tolerations(), '
        '"config": device_plugin_config(ctx)})',
        'return drop_empty({"affinity": affinity, "config": device_plugin_config(ctx)})',
        "the NVIDIA device plugin DaemonSet does not tolerate the GPU taint, so it runs on no GPU node (its "
        "affinity picks only them): no node advertises nvidia.com/gpu (EKS, AKS)",
        "node-selectors-match-pools",
        # fix17j: not a weakening on any stack here: without the key the chart's own tolerations apply
        # (NVIDIA/k8s-device-plugin v0.20.0 deployments/helm/nvidia-device-plugin/values.yaml lines 86-93:
        # nvidia.com/gpu Exists NoSchedule), which tolerate every GPU pool's only taint nvidia.com/gpu=present:
        # NoSchedule; the rule now judges the release's tolerations (chart defaults included) and affinity
        weakens=False,
    ),
    Mutation(
        "rev17j-j13-gpu-operator-no-tolerations",
        "platform",
        "components/platform/gpu.py",
        '"daemonsets": {"tolerations": ctx.gpu_tolerations()},',
        '"daemonsets": {},',
        "the GPU operator's operand DaemonSets (device plugin, DCGM) do not tolerate the GPU taint: no GPU node "
        "advertises nvidia.com/gpu",
        "node-selectors-match-pools",
        platform=GPU_OPERATOR,
        # fix17j: not a weakening: Helm merges {} with the chart's daemonsets.tolerations (gpu-operator v26.7.0
        # values.yaml lines 45-48: nvidia.com/gpu Exists NoSchedule), which tolerate every GPU pool's taint
        weakens=False,
    ),
    Mutation(
        "rev17j-j14-activator-permissive",
        "platform",
        "components/platform/knative.py",
        '"mtls": {"mode": "STRICT"},\n                "portLevelMtls": {str(METRICS_PORT)',
        '"mtls": {"mode": "PERMISSIVE"},\n                "portLevelMtls": {str(METRICS_PORT)',
        "Knative's activator and autoscaler accept plain text on every port, not only metrics: any pod can send "
        "requests to the activator without a mesh identity",
        "mesh-mtls-strict",
    ),
    Mutation(
        "rev17j-j15-keda-webhooks-one",
        "platform",
        "components/platform/keda.py",
        '"webhooks": {"replicaCount": ctx.replicas},',
        '"webhooks": {"replicaCount": 1},',
        "prod KEDA admission webhooks at one replica under a minAvailable 1 PDB: drains block, and a restart "
        "fails every ScaledObject write",
        "pdb-allows-eviction",
        platform=KEDA_GCP,
    ),
    Mutation(
        "rev17j-j16-requestlog-graph-label",
        "platform",
        "components/platform/requestlog.py",
        'MODEL_POD_LABEL = "serving.kserve.io/inferenceservice"',
        'MODEL_POD_LABEL = "serving.kserve.io/inferencegraph"',
        "the collector admits pods labelled as pipeline routers instead of model pods: every model's request log "
        "is refused, and router pods may write into the log",
        "request-log-collector-ingress",
        platform=RL_AWS,
        config=RL_LOGGING_AWS,
    ),
    Mutation(
        "rev17j-j17-istio-seccomp-inverted",
        "platform",
        "components/platform/istio.py",
        'proxy = {"seccompProfile": {"type": "RuntimeDefault"}} if ctx.settings.istio_cni else {}',
        'proxy = {"seccompProfile": {"type": "RuntimeDefault"}} if not ctx.settings.istio_cni else {}',
        "sidecars get no RuntimeDefault seccomp profile with Istio CNI on (every shipped stack): model pods no "
        "longer meet restricted",
        "pod-restricted-hardening",
    ),
    Mutation(
        "rev17j-j18-gateway-cert-no-wildcard",
        "platform",
        "components/platform/certmanager.py",
        '"dnsNames": [domain, f"*.{domain}"],',
        '"dnsNames": [domain],',
        "the gateway certificate covers the bare domain only: every model host <name>-<ns>.<domain> fails TLS",
        "gateway-https-only",
    ),
    Mutation(
        "rev17j-j19-warm-no-tolerations",
        "platform",
        "components/platform/warm.py",
        '"tolerations": ctx.gpu_tolerations(),\n        "affinity": {',
        '"affinity": {',
        "warm-capacity placeholders do not tolerate the GPU taint: they never run, no GPU node is kept warm and "
        "every scale-up pays the node's cold start",
        "node-selectors-match-pools",
        platform=WARM_AWS,
    ),
    Mutation(
        "rev17j-j20-authz-graph-label",
        "serving",
        "components/serving/_auth.py",
        'return {"matchLabels": {ISVC_LABEL: name}}',
        'return {"matchLabels": {"serving.kserve.io/inferencegraph": name}}',
        "the model's AuthorizationPolicy and RequestAuthentication select router pods, not the model's: a JWT model "
        "is open to token-less callers, an internal one to every namespace",
        "model-endpoint-auth",
    ),
    Mutation(
        "rev17j-j21-netpol-selector-key",
        "serving",
        "components/serving/_netpol.py",
        'k8s.meta.v1.LabelSelectorArgs(match_labels=sel.get("matchLabels"))',
        'k8s.meta.v1.LabelSelectorArgs(match_labels=sel.get("matchlabels"))',
        "the metrics peer's namespace and pod selectors render empty: every pod of every namespace reads the "
        "model's metrics ports",
        "model-metrics-prometheus-only",
    ),
    Mutation(
        "rev17j-j22-gke-timesharing-not-one-share",
        "serving",
        "components/clouds.py",
        '        # GPU sharing strategies in GKE", '
        'cloud.google.com/kubernetes-engine/docs/concepts/timesharing-gpus).\n'
        '        one_share_strategies=("time-slicing", "mps"),',
        '        # GPU sharing strategies in GKE", '
        'cloud.google.com/kubernetes-engine/docs/concepts/timesharing-gpus).\n'
        '        one_share_strategies=("mps",),',
        "GKE's time-shared pools are not counted as one-share: a 2-GPU model gets no affinity keeping it off the "
        "time-sliced pool and fails there with UnexpectedAdmissionError",
        "multi-gpu-avoids-shared-pools",
        config=TWO_GPU_GKE,
    ),
    Mutation(
        "rev17j-j23-vllm-fraction-dropped",
        "serving",
        "components/serving/gpumem.py",
        'return pool.count * pool.seen * utilization, f"{pool.how} x {fraction}"',
        'return pool.count * pool.seen, f"{pool.how} x {fraction}"',
        "the GPU memory bound of a vLLM model on whole GPUs drops vLLM's --gpu-memory-utilization: a 41 GB model is "
        "accepted on a 40 GiB A100, where vLLM (0.92 of it) cannot hold its weights and never starts",
        "gpu-memory-fits",
        config=VLLM_A100_41GB,
    ),
    Mutation(
        "rev17j-j24-ns-enforce-typo",
        "serving",
        "components/serving/namespace.py",
        '"pod-security.kubernetes.io/enforce": enforce_level(platform),',
        '"pod-security.kubernetes.io/enforced": enforce_level(platform),',
        "model namespaces carry no Pod Security enforce label (a typo): privileged pods are admitted",
        "model-namespace-pod-security",
    ),
    Mutation(
        "rev17j-j25-cpu-ready-minutes",
        "serving",
        "components/serving/_runtime.py",
        "CPU_READY_SECONDS = 600",
        "CPU_READY_SECONDS = 10",
        "the CPU models' readiness budget in minutes taken as seconds: a CPU model's progress deadline is 10 s, "
        "so a revision whose image pull takes longer fails",
        "timeouts-cover-cold-start",
    ),
    Mutation(
        "rev17j-r01-budget-yearly",
        "policy",
        "policy/rules/budget.py",
        "if ceiling > budget:",
        "if ceiling > budget * 12:",
        "the budget rule compares the monthly ceiling with twelve budgets (a yearly figure)",
        weakens=False,
    ),
    Mutation(
        "rev17j-r02-audiences-subset",
        "policy",
        "policy/rules/audiences.py",
        "if rendered != sorted(set(declared)):",
        "if not set(declared) <= set(rendered):",
        "jwt-audiences-rendered accepts extra audiences in the RequestAuthentication (tokens for another service)",
    ),
    Mutation(
        "rev17j-r03-world-cidr-full-only",
        "policy",
        "policy/rules/cluster.py",
        "if covered > 1 << (bits - 8):",
        "if covered >= 1 << bits:",
        "the API endpoint check flags only CIDRs covering the whole internet (0.0.0.0/1 + 128.0.0.0/2 pass)",
    ),
    Mutation(
        "rev17j-r04-credential-name-case",
        "policy",
        "policy/rules/ingress.py",
        'if k == "credentialName" and isinstance(v, str):',
        'if k == "credentialname" and isinstance(v, str):',
        "gateway-key-rotation finds no gateway credential (key typo) and so judges no Certificate",
    ),
    Mutation(
        "rev17j-r05-audiences-any-namespace",
        "policy",
        "policy/rules/audiences.py",
        "if ra.namespace == ns and as_map(labels).get(label) == name:",
        "if as_map(labels).get(label) == name:",
        "jwt-audiences-rendered takes a RequestAuthentication of another namespace selecting a same-named model as the "
        "model's own",
    ),
    # --- AWS (EKS, Karpenter, IAM) ---
    Mutation(
        "rev17k-01-eks-public-cidrs-dropped",
        "clusters",
        "components/clusters/eks.py",
        "public_access_cidrs=cidrs or None,",
        "public_access_cidrs=None,",
        "the EKS public endpoint is on (publicCidrs given) but its CIDR list is not passed: EKS's default 0.0.0.0/0",
        "api-endpoint-restricted",
    ),
    Mutation(
        "rev17k-02-eks-nodegroup-taint-prefer",
        "clusters",
        "components/clusters/eks.py",
        'value=GPU_TAINT.value, effect="NO_SCHEDULE")],',
        'value=GPU_TAINT.value, effect="PREFER_NO_SCHEDULE")],',
        "managed GPU node groups taint PreferNoSchedule: any pod may land on (and keep) a GPU node",
        "gpu-pool-taint-label",
        config=AWS_NODE_GROUPS,
    ),
    Mutation(
        "rev17k-03-eks-system-group-public-subnets",
        "clusters",
        "components/clusters/eks.py",
        "subnet_ids=self.vpc.private_subnet_ids,\n            labels=dict(SYSTEM_NODE_SELECTOR),",
        "subnet_ids=self.vpc.public_subnet_ids,\n            labels=dict(SYSTEM_NODE_SELECTOR),",
        "the system node group is placed in the public subnets (awsx maps a public IP on launch there)",
        "cluster-hardening",
    ),
    Mutation(
        "rev17k-04-karpenter-subnets-public",
        "clusters",
        "components/clusters/_karpenter.py",
        '"subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": cluster_name}}],',
        '"subnetSelectorTerms": [{"tags": {"kubernetes.io/role/elb": "1"}}],',
        "Karpenter's EC2NodeClass selects subnets by the public-ELB role tag: GPU nodes launch in public subnets "
        "(of any "
        "VPC so tagged in the region)",
        "cluster-hardening",
    ),
    Mutation(
        "rev17k-05-karpenter-profile-actions-unowned",
        "clusters",
        "components/clusters/_karpenter.py",
        '"StringEquals": {**owned, "aws:ResourceTag/topology.kubernetes.io/region": region},',
        '"StringEquals": {"aws:ResourceTag/topology.kubernetes.io/region": region},',
        "Karpenter may add/remove roles of and delete any ec2nodeclass-tagged instance profile in the region, not only "
        "this cluster's",
        "aws-controller-grants-scoped",
    ),
    Mutation(
        "rev17k-06-s3-request-log-whole-bucket",
        "clusters",
        "components/clusters/_aws_iam.py",
        '"Resource": f"{bucket_arn}/{prefix.strip(\'/\')}/*"}',
        '"Resource": f"{bucket_arn}/*"}',
        "the request-log collector may PutObject (overwrite) anywhere in the bucket, not only under its prefix",
        "request-log-write-only",
        platform=RL_AWS,
    ),
    # --- GCP (GKE) ---
    Mutation(
        "rev17k-07-gke-kms-robot-admin",
        "clusters",
        "components/clusters/gke.py",
        'role="roles/cloudkms.cryptoKeyEncrypterDecrypter",',
        'role="roles/cloudkms.admin",',
        "the GKE service agent gets cloudkms.admin on the secrets key (can disable/destroy its versions) instead of "
        "encrypt/decrypt",
        "iam-least-privilege",
    ),
    Mutation(
        "rev17k-08-gke-nodes-registry-writer",
        "clusters",
        "components/clusters/gke.py",
        '    "roles/artifactregistry.reader",\n',
        '    "roles/artifactregistry.writer",\n',
        "the node service account may push images to every Artifact Registry repository of the project",
        "iam-least-privilege",
    ),
    Mutation(
        "rev17k-09-gke-gpu-pool-no-autorepair",
        "clusters",
        "components/clusters/gke.py",
        'location_policy="ANY"\n            ),\n'
        '            management=gcp.container.NodePoolManagementArgs(auto_repair=True,',
        'location_policy="ANY"\n            ),\n'
        '            management=gcp.container.NodePoolManagementArgs(auto_repair=False,',
        "GPU node pools lose auto-repair: a GPU node that goes NotReady stays in the pool",
        "cluster-hardening",
    ),
    Mutation(
        "rev17k-10-gke-request-log-bucket-inherited",
        "clusters",
        "components/clusters/gke.py",
        'public_access_prevention="enforced",',
        'public_access_prevention="inherited",',
        "the request-log bucket may be made public (public access prevention inherited, not enforced)",
        "object-store-private",
        platform=RL_GCP,
    ),
    Mutation(
        "rev17k-11-gke-request-log-condition-bucket",
        "clusters",
        "components/clusters/gke.py",
        'f\'resource.name.startsWith("projects/_/buckets/{b}/objects/{request.prefix}/")\'',
        'f\'resource.name.startsWith("projects/_/buckets/{b}/objects/")\'',
        "the collector's objectCreator condition admits every object of the bucket, not only its prefix",
        "request-log-write-only",
        platform=RL_GCP,
    ),
    Mutation(
        "rev17k-12-gke-no-apiserver-logs",
        "clusters",
        "components/clusters/gke.py",
        'LOG_COMPONENTS = ("SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER",',
        'LOG_COMPONENTS = ("SYSTEM_COMPONENTS", "CONTROLLER_MANAGER",',
        "GKE's API server logs are off",
        "audit-logs",
    ),
    # --- Azure (AKS) ---
    Mutation(
        "rev17k-13-aks-request-log-http",
        "clusters",
        "components/clusters/aks.py",
        "enable_https_traffic_only=True,",
        "enable_https_traffic_only=False,",
        "the request-log storage account accepts plain HTTP",
        "object-store-private",
        platform=RL_AZURE,
    ),
    Mutation(
        "rev17k-14-aks-oidc-issuer-off",
        "clusters",
        "components/clusters/aks.py",
        "oidc_issuer_profile=azure.containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),",
        "oidc_issuer_profile=azure.containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=False),",
        "AKS's OIDC issuer off: no federated credential can be exchanged, every workload identity (models' storage "
        "reads, request logs, DNS) fails",
        "workload-identity",
    ),
    Mutation(
        "rev17k-15-aks-dns-reader-subscription",
        "clusters",
        "components/clusters/aks.py",
        "                    scope=rg_scope,\n",
        '                    scope=self._subscription.apply(lambda s: f"/subscriptions/{s}"),\n',
        "external-dns's Reader (to list zones) is assigned on the whole subscription, not the DNS zone's resource "
        "group",
        "iam-least-privilege",
        platform=AZURE_DNS,
    ),
    Mutation(
        "rev17k-16-aks-rbac-off",
        "clusters",
        "components/clusters/aks.py",
        "            enable_rbac=True,\n",
        "            enable_rbac=False,\n",
        "AKS Kubernetes RBAC off",
        "aks-entra-only",
    ),
    Mutation(
        "rev17k-17-aks-free-tier",
        "clusters",
        "components/clusters/aks.py",
        'sku=azure.containerservice.ManagedClusterSKUArgs(name="Base", tier=az.tier.capitalize()),',
        'sku=azure.containerservice.ManagedClusterSKUArgs(name="Base", tier="Free"),',
        "the AKS control plane is on the Free tier whatever cluster.azure.tier says (no uptime SLA, smaller API "
        "server)",
        "cluster-hardening",
    ),
    # --- platform add-ons ---
    Mutation(
        "rev17k-18-istio-gateway-netpol-any-monitoring-pod",
        "platform",
        "components/platform/istio.py",
        '"podSelector": {"matchLabels": dict(prometheus_labels)},',
        '"podSelector": {"matchLabels": {}},',
        "the ingress gateway's NetworkPolicy admits every pod of the monitoring namespace (Grafana, Alertmanager, the "
        "operator...) to its metrics ports, not only Prometheus",
        "gateway-metrics-prometheus-only",
    ),
    Mutation(
        "rev17k-19-kserve-controller-pdb-selector",
        "platform",
        "components/platform/kserve.py",
        "max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(CONTROLLER_LABELS))",
        'max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": CONTROLLER})',
        "the KServe controller's PodDisruptionBudget selects app=kserve-controller-manager, a label its pods do not "
        "carry: it protects nothing (a drain may evict both replicas; fix17m: pdb-protects-pods)",
        "pdb-protects-pods",
    ),
    Mutation(
        "rev17k-20-certmanager-webhook-spread-selector",
        "platform",
        "components/platform/certmanager.py",
        'ctx.spread({"app.kubernetes.io/name": "webhook"})',
        'ctx.spread({"app.kubernetes.io/name": "cert-manager"})',
        "the cert-manager webhook's zone spread selects the controller's pods (copy-paste): the webhook replicas are "
        "not spread, both may sit in one zone",
        "prod-mesh-replicas",
    ),
    Mutation(
        "rev17k-21-keda-caps-net-raw-only",
        "platform",
        "components/platform/keda.py",
        '"capabilities": {"drop": ["ALL"]},',
        '"capabilities": {"drop": ["NET_RAW"]},',
        "KEDA's containers drop only NET_RAW, keeping the runtime's default capabilities (restricted wants ALL)",
        "pod-restricted-hardening",
        platform=KEDA_GCP,
    ),
    Mutation(
        "rev17k-22-vector-privilege-escalation",
        "platform",
        "components/platform/requestlog.py",
        '"allowPrivilegeEscalation": False,',
        '"allowPrivilegeEscalation": True,',
        "the request-log collector's container allows privilege escalation (its namespace enforces restricted: the "
        "pods are refused, the collector never runs)",
        "pod-restricted-hardening",
        platform=RL_AWS,
    ),
    Mutation(
        "rev17k-23-prometheus-pdb-min-zero",
        "platform",
        "components/platform/monitoring.py",
        'pdb = {"enabled": True, "minAvailable": 1} if ctx.ha else {"enabled": False}',
        'pdb = {"enabled": True, "minAvailable": 0} if ctx.ha else {"enabled": False}',
        "on HA stacks the Prometheus and Alertmanager PodDisruptionBudgets keep minAvailable 0: a drain evicts every "
        "replica at once (fix17m: pdb-protects-pods)",
        "pdb-protects-pods",
    ),
    # --- serving ---
    Mutation(
        "rev17k-24-jwt-rule-any-path",
        "serving",
        "components/serving/_auth.py",
        'rules = [{"from": [{"source": {"requestPrincipals": ["*"]}}], "to": api}]',
        'rules = [{"from": [{"source": {"requestPrincipals": ["*"]}}]}]',
        "a public jwt model's ALLOW rule names no operation: any token holder reaches every path and port of the "
        "server (repository load/unload, metrics)",
        "model-inference-api-only",
    ),
    Mutation(
        "rev17k-25-queue-admin-any-pod",
        "serving",
        "components/serving/_netpol.py",
        'rules.append({"from": [{"podSelector": {"matchLabels": {label: name}}}], "ports": _tcp([QUEUE_ADMIN_PORT])})',
        'rules.append({"from": [{"podSelector": {}}], "ports": _tcp([QUEUE_ADMIN_PORT])})',
        "the queue-proxy admin port 8022 is open to every pod of the model's namespace, not only the model's own",
        "queue-proxy-admin-port",
    ),
    Mutation(
        "rev17k-26-model-pdb-two-unavailable",
        "serving",
        "components/serving/model_service.py",
        "                    max_unavailable=1,\n",
        "                    max_unavailable=2,\n",
        "a model with minReplicas 2 gets a PDB allowing 2 unavailable: a drain may evict both replicas (fix17m: "
        "pdb-protects-pods)",
        "pdb-protects-pods",
    ),
    Mutation(
        "rev17k-27-pipeline-jwt-principals",
        "serving",
        "components/serving/pipeline.py",
        'rule = {"from": [{"source": {"requestPrincipals": ["*"]}}], "to": to}',
        'rule = {"from": [{"source": {"principals": ["*"]}}], "to": to}',
        "a public jwt pipeline's router admits principals [*] (any mTLS peer, the ingress gateway among them) instead "
        "of requestPrincipals [*]: a token-less request from the internet reaches the router",
        "pipeline-endpoint-auth",
        config=WITH_PIPELINES,
    ),
    Mutation(
        "rev17k-28-transformer-tbc-default",
        "serving",
        "components/serving/_kcomponents.py",
        '_runtime.TARGET_BURST_CAPACITY: "0"}',
        '_runtime.TARGET_BURST_CAPACITY: "200"}',
        "a predictor behind a transformer gets target-burst-capacity 200 (Knative's default): the activator sits in "
        "the transformer-to-predictor path, whose ALLOW policy admits the transformer's principal only",
        "model-service-account",
        config=TRANSFORMER_LOCAL,
    ),
    Mutation(
        "rev17k-29-transformer-any-predictor-path",
        "serving",
        "components/serving/_kcomponents.py",
        '        "to": _auth.inference_operations(spec, ports),\n    }\n'
        '    return {**policy, "selector": component_selector(name, PREDICTOR)',
        '    }\n    return {**policy, "selector": component_selector(name, PREDICTOR)',
        "the predictor's rule for its transformer/explainer (the model's ServiceAccount) names no operation: the "
        "transformer reaches every path and port of the model server (repository load/unload, metrics), not only "
        "its inference API",
        "model-inference-api-only",
        config=TRANSFORMER_LOCAL,
    ),
    Mutation(
        "rev17k-30-knative-domain-template-dots",
        "platform",
        "components/platform/knative.py",
        'DOMAIN_TEMPLATE = "{{.Name}}-{{.Namespace}}.{{.Domain}}"',
        'DOMAIN_TEMPLATE = "{{.Name}}.{{.Namespace}}.{{.Domain}}"',
        "Knative's domain-template puts the namespace in its own label: model hosts are <name>.<ns>.<domain>, which "
        "the gateway's *.<domain> certificate does not cover (TLS fails for every model)",
        "gateway-https-only",
    ),
    # ---- fix17k: rules that read a verdict-deciding figure from the code they judge (issue #17) ----
    Mutation(
        "fix17k-01-request-seconds-30",
        "serving",
        "components/serving/_runtime.py",
        "REQUEST_SECONDS = 300",
        "REQUEST_SECONDS = 30",
        "every model's timeout is its cold start plus 30 s, not Knative's 300 s request: a request to a model at zero "
        "is cut 30 s after its pod is up (the rule took its demand from the same constant)",
        "timeouts-cover-cold-start",
    ),
    Mutation(
        "fix17k-02-max-revision-timeout-600",
        "platform",
        "components/platform/knative.py",
        'MAX_REVISION_TIMEOUT = "1800"',
        'MAX_REVISION_TIMEOUT = "600"',
        "max-revision-timeout-seconds 600, not the platform's 1800 s: every model's timeout is capped at 600 s, so a "
        "CPU model at zero has no time left for its request once its pod is up (the rule took the same cap)",
        "timeouts-cover-cold-start",
    ),
    Mutation(
        "fix17k-03-stable-window-600",
        "serving",
        "components/serving/timeouts.py",
        "STABLE_WINDOW_SECONDS = 60",
        "STABLE_WINDOW_SECONDS = 600",
        "Knative's stable window taken as 600 s, not 60 s: a pipeline member called again after another member's cold "
        "start is counted warm, so the platform accepts a router whose revision timeout cannot cover both cold starts "
        "and a request",
        "timeouts-cover-cold-start",
        config=TWICE_CALLED,
    ),
    Mutation(
        "fix17k-04-activator-sa-controller",
        "serving",
        "components/serving/_auth.py",
        'ACTIVATOR_SERVICE_ACCOUNT = "activator"',
        'ACTIVATOR_SERVICE_ACCOUNT = "controller"',
        "every model's AuthorizationPolicy admits the activator's readiness probe from sa/controller (the autoscaler, "
        "and the activator's account before Knative 1.x split them), not sa/activator: the activator never counts a "
        "pod ready and a request to a model at zero waits until it times out",
        "model-inference-api-only",
    ),
    Mutation(
        "fix17k-05-torchserve-no-gpu-tag",
        "serving",
        "components/serving/runtimes.py",
        '    "kserve-tensorflow-serving",\n    "kserve-torchserve",\n)',
        '    "kserve-tensorflow-serving",\n)',
        "kserve-torchserve is no longer taken as a runtime whose GPU build is the -gpu tag: warm capacity pre-pulls "
        "the CPU image a GPU model never runs, so every scale-up still pulls the GPU image (the rule took its "
        "expectation from the same table)",
        "warm-capacity-preemptible",
        platform=WARM_AWS,
    ),
    # --- rev17l: the twelfth fresh round (issue #17) ---
    # AWS (EKS, IAM, S3)
    Mutation(
        "rev17l-01-eks-secrets-key-dropped",
        "clusters",
        "components/clusters/eks.py",
        "encryption_config_key_arn=self.secrets_key.arn,",
        "encryption_config_key_arn=None,",
        "the EKS cluster is created without envelope encryption of Secrets (the KMS key exists but is not passed)",
        "secrets-encryption",
    ),
    Mutation(
        "rev17l-02-s3-ignore-public-acls-off",
        "clusters",
        "components/clusters/eks.py",
        "ignore_public_acls=True,",
        "ignore_public_acls=False,",
        "the request-log bucket honours public ACLs (an object written with a public-read ACL is world-readable)",
        "object-store-private",
        platform=RL_AWS,
    ),
    Mutation(
        "rev17l-03-eks-secrets-key-deletion-window-7",
        "clusters",
        "components/clusters/eks.py",
        "deletion_window_in_days=30,",
        "deletion_window_in_days=7,",
        "the EKS secrets key may be deleted after 7 days' notice (not 30): a scheduled deletion that goes unnoticed "
        "for a week makes every Secret of the cluster unreadable",
        "kms-key-rotation",
    ),
    Mutation(
        "rev17l-04-s3-request-log-retention-disabled",
        "clusters",
        "components/clusters/eks.py",
        'status="Enabled",',
        'status="Disabled",',
        "the request-log bucket's expiry rule is disabled: records (request bodies) are kept forever, not "
        "retentionDays",
        "request-log-retention",
        platform=RL_AWS,
    ),
    Mutation(
        "rev17l-05-ebs-csi-role-node-sa",
        "clusters",
        "components/clusters/eks.py",
        'EBS_CSI_SA = ("kube-system", "ebs-csi-controller-sa")',
        'EBS_CSI_SA = ("kube-system", "ebs-csi-node-sa")',
        "the EBS CSI role (create/attach/delete any volume) is trusted by the node DaemonSet's ServiceAccount, on "
        "every node, and not by the controller (no volume is provisioned)",
        "workload-identity-trust",
    ),
    Mutation(
        "rev17l-06-route53-read-every-zone",
        "clusters",
        "components/clusters/_aws_iam.py",
        '"Action": ["route53:ListResourceRecordSets", "route53:ListTagsForResources"],\n        "Resource": zone,',
        '"Action": ["route53:ListResourceRecordSets", "route53:ListTagsForResources"],\n        "Resource": "*",',
        "cert-manager and external-dns may read the records of every hosted zone of the account, not only the "
        "stack's",
        "aws-dns-records-scoped",
        platform=AWS_DNS,
    ),
    # GCP (GKE, GCS)
    Mutation(
        "rev17l-07-gcs-request-log-fine-grained-acls",
        "clusters",
        "components/clusters/gke.py",
        "uniform_bucket_level_access=True,",
        "uniform_bucket_level_access=False,",
        "the request-log bucket keeps fine-grained ACLs: an object ACL can grant access IAM does not show",
        "object-store-private",
        platform=RL_GCP,
    ),
    Mutation(
        "rev17l-08-gcs-request-log-prefix-boundary",
        "clusters",
        "components/clusters/gke.py",
        '/objects/{request.prefix}/")\'',
        '/objects/{request.prefix}")\'',
        "the collector's objectCreator condition has no / boundary: it may create objects under every sibling "
        "prefix that starts with the same text (requests/ reaches requests-archive/)",
        "request-log-write-only",
        platform=RL_GCP,
    ),
    Mutation(
        "rev17l-09-gke-private-google-access-off",
        "clusters",
        "components/clusters/gke.py",
        "private_ip_google_access=True,",
        "private_ip_google_access=False,",
        "the private nodes' subnet has no Private Google Access: Google APIs (Artifact Registry, GCS model weights) "
        "only through NAT, none if NAT fails",
        "cluster-hardening",
    ),
    Mutation(
        "rev17l-10-gke-integrity-monitoring-off",
        "clusters",
        "components/clusters/gke.py",
        '"enable_integrity_monitoring": True}',
        '"enable_integrity_monitoring": False}',
        "GKE nodes' Shielded VM integrity monitoring is off (boot integrity not compared to the baseline)",
        "cluster-hardening",
    ),
    Mutation(
        "rev17l-11-gcs-request-log-object-user",
        "clusters",
        "components/clusters/gke.py",
        'role="roles/storage.objectCreator",',
        'role="roles/storage.objectUser",',
        "the request-log collector is granted objectUser (read, list, overwrite, delete) under its prefix, not "
        "objectCreator",
        "request-log-write-only",
        platform=RL_GCP,
    ),
    Mutation(
        "rev17l-12-gke-webhook-firewall-all-ports",
        "clusters",
        "components/clusters/gke.py",
        'protocol="tcp", ports=[str(p) for p in sorted(set(WEBHOOK_PORTS.values()))]',
        'protocol="tcp", ports=["1-65535"]',
        "the control plane's range may reach every TCP port of the nodes, not only the admission webhooks'",
        "cluster-hardening",
    ),
    # Azure (AKS, storage)
    Mutation(
        "rev17l-13-azure-storage-tls10",
        "clusters",
        "components/clusters/aks.py",
        'minimum_tls_version="TLS1_2",',
        'minimum_tls_version="TLS1_0",',
        "the request-log storage account accepts TLS 1.0",
        "object-store-private",
        platform=RL_AZURE,
    ),
    Mutation(
        "rev17l-14-azure-storage-public-blobs",
        "clusters",
        "components/clusters/aks.py",
        "allow_blob_public_access=False,",
        "allow_blob_public_access=True,",
        "the request-log storage account allows anonymous public access to containers",
        "object-store-private",
        platform=RL_AZURE,
    ),
    Mutation(
        "rev17l-15-azure-request-log-writer-deletes",
        "clusters",
        "components/clusters/aks.py",
        '"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",',
        '"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",',
        "the request-log writer role may delete blobs (it is meant to create them only)",
        "request-log-write-only",
        platform=RL_AZURE,
    ),
    Mutation(
        "rev17l-16-aks-image-cleaner-off",
        "clusters",
        "components/clusters/aks.py",
        "enabled=True, interval_hours=168",
        "enabled=False, interval_hours=168",
        "AKS Image Cleaner is off: vulnerable unused images stay on the nodes",
        "cluster-hardening",
    ),
    Mutation(
        "rev17l-17-aks-prod-log-retention-30",
        "clusters",
        "components/clusters/aks.py",
        "retention_in_days=90 if args.prod else 30,",
        "retention_in_days=30,",
        "the prod cluster's Log Analytics workspace (where the AKS audit logs go) keeps them 30 days, not 90",
        "audit-logs",
        config=AZURE_PROD,
    ),
    # platform add-ons
    Mutation(
        "rev17l-18-kserve-url-scheme-http",
        "platform",
        "components/platform/kserve.py",
        '"urlScheme": "https",',
        '"urlScheme": "http",',
        "KServe publishes every model's URL as http://: clients following status.url send their bearer token in "
        "clear text before the gateway's redirect",
        "gateway-https-only",
    ),
    Mutation(
        "rev17l-19-request-log-pdb-only-above-two",
        "platform",
        "components/platform/requestlog.py",
        '"podDisruptionBudget": {"enabled": ctx.replicas >= 2, "minAvailable": 1},',
        '"podDisruptionBudget": {"enabled": ctx.replicas > 2, "minAvailable": 1},',
        "the request-log collector's two prod replicas get no PodDisruptionBudget: a drain may evict both",
        "pdb-protects-pods",
        platform=RL_GCP,
    ),
    Mutation(
        "rev17l-20-vector-pod-seccomp-unconfined",
        "platform",
        "components/platform/requestlog.py",
        '"fsGroup": USER,\n            "seccompProfile": {"type": "RuntimeDefault"},',
        '"fsGroup": USER,\n            "seccompProfile": {"type": "Unconfined"},',
        "the request-log collector's pods run without a seccomp profile",
        "pod-restricted-hardening",
        platform=RL_AWS,
    ),
    Mutation(
        "rev17l-21-prometheus-podmonitors-release-only",
        "platform",
        "components/platform/monitoring.py",
        '"podMonitorSelectorNilUsesHelmValues": False,',
        '"podMonitorSelectorNilUsesHelmValues": True,',
        "Prometheus selects only PodMonitors labelled with its release: the models' and the gateway's request "
        "metrics are not scraped (no SLO alert, no LLM autoscaling metric)",
        "monitors-selected",
    ),
    Mutation(
        "rev17l-22-gateway-spread-wrong-selector",
        "platform",
        "components/platform/istio.py",
        '"topologySpreadConstraints": ctx.spread(GATEWAY_SELECTOR),',
        '"topologySpreadConstraints": ctx.spread({"app": "istio-ingressgateway"}),',
        "NOT a weakening (rev17l's own error): the gateway chart labels its pods app: <release name> = "
        "istio-ingressgateway (istio/istio 1.30 manifests/charts/gateway/templates/_helpers.tpl "
        "gateway.selectorLabels), so the spread still selects them; prod-mesh-replicas rightly passes",
        "prod-mesh-replicas",
        weakens=False,
    ),
    Mutation(
        "rev17l-23-vector-memory-unbounded",
        "platform",
        "components/platform/requestlog.py",
        '"resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},',
        '"resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},',
        "the request-log collector has no memory limit: a burst of records can take the system node's memory",
        "system-workload-limits",
        platform=RL_AWS,
    ),
    Mutation(
        "rev17l-24-prometheus-rules-release-only",
        "platform",
        "components/platform/monitoring.py",
        '"ruleSelectorNilUsesHelmValues": False,',
        '"ruleSelectorNilUsesHelmValues": True,',
        "Prometheus loads only PrometheusRules labelled with its release: the models' SLO alerts never fire",
        "monitors-selected",
    ),
    # serving
    Mutation(
        "rev17l-25-model-memory-limit-dropped",
        "serving",
        "components/serving/_runtime.py",
        'return {"requests": dict(amounts), "limits": dict(amounts)}',
        'return {"requests": dict(amounts), "limits": {k: v for k, v in amounts.items() if k != "memory"}}',
        "model containers have no memory limit (to avoid OOM kills): one model can exhaust its node's memory",
        "model-container-limits",
    ),
    Mutation(
        "rev17l-26-slo-alerts-never-critical",
        "serving",
        "components/serving/_monitoring.py",
        '"critical" if environment == "prod" else "warning"',
        '"critical" if environment == "production" else "warning"',
        "prod models' SLO alerts are labelled warning (the environment is spelt prod): nothing pages",
        "model-slo-alerts",
    ),
    Mutation(
        "rev17l-27-transformer-jwt-anonymous",
        "serving",
        "components/serving/_kcomponents.py",
        'if access.mode == "public" and access.allow_anonymous:\n        rules: list[dict[str, Any]] = [{"to": api}]',
        'if access.mode == "public" or access.allow_anonymous:\n        rules: list[dict[str, Any]] = [{"to": api}]',
        "a public JWT model's transformer admits anonymous callers (and / or)",
        "model-endpoint-auth",
        config=TRANSFORMER_LOCAL,
    ),
    Mutation(
        "rev17l-28-model-run-as-non-root-dropped",
        "serving",
        "components/serving/_runtime.py",
        "run_as_non_root=spec.runtime is None or enforce_restricted",
        "run_as_non_root=enforce_restricted",
        "NOT a weakening on the shipped stacks (rev17l's own error): every model there uses a built-in runtime, "
        "which sets runAsNonRoot itself (kserve-runtime-configs v0.20.0 values) and KServe merges the model's "
        "container over it; only a model's own container (none shipped) would lose runAsNonRoot",
        "pod-restricted-hardening",
        weakens=False,
    ),
    Mutation(
        "rev17l-29-slo-error-rate-500-only",
        "serving",
        "components/serving/_monitoring.py",
        'response_code=~"5.."',
        'response_code="500"',
        "the error-rate SLO counts 500 only: 503s (overload, no healthy upstream) never fire the alert",
        "model-slo-alerts",
    ),
    Mutation(
        "rev17l-30-slo-workload-regex-standard-only",
        "serving",
        "components/serving/_monitoring.py",
        'return f"{name}-predictor(-[0-9]+-deployment)?"',
        'return f"{name}-predictor"',
        "the SLO alerts' destination_workload matches Standard mode's workload only: in Knative mode "
        "(<name>-predictor-00001-deployment) no latency or error alert ever fires",
        "model-slo-alerts",
    ),
    # fix17n (#17): S3 request-log bucket denies plain HTTP
    Mutation(
        "fix17n-01-s3-tls-deny-reads-only",
        "clusters",
        "components/clusters/_aws_iam.py",
        '"Action": "s3:*",\n                "Resource": [bucket_arn, _objects_of(bucket_arn)],',
        '"Action": "s3:GetObject",\n                "Resource": [bucket_arn, _objects_of(bucket_arn)],',
        "the request-log bucket's TLS-only policy denies only reads over plain HTTP: the collector's PutObject "
        "(request payloads) may still travel in the clear",
        "object-store-private",
        platform=RL_AWS,
    ),
    Mutation(
        "fix17n-02-s3-tls-condition-inverted",
        "clusters",
        "components/clusters/_aws_iam.py",
        '"Condition": {"Bool": {"aws:SecureTransport": "false"}},',
        '"Condition": {"Bool": {"aws:SecureTransport": "true"}},',
        "the request-log bucket's policy denies requests sent over TLS instead of those sent without it: plain HTTP "
        "is the one way left in",
        "object-store-private",
        platform=RL_AWS,
    ),
    # fix17n (#17): a slip in a rendering constant the request-path model restated (components/serving/requestpath.py
    # keeps its own copies of the upstream identities, labels, headers, keys and ports it judges by)
    Mutation(
        "fix17n-03-ingress-probe-value",
        "serving",
        "components/serving/_auth.py",
        'NETWORK_PROBE_VALUE = "probe"',
        'NETWORK_PROBE_VALUE = "queue"',
        "the models' ingress-probe rule admits K-Network-Probe: queue (the activator's value), not probe: Knative's "
        "ingress prober is refused and no route is ever Ready (the request-path model read the same constant)",
        "model-inference-api-only",
    ),
    Mutation(
        "fix17n-05-prometheus-pod-label",
        "platform",
        "components/platform/monitoring.py",
        '    "app.kubernetes.io/name": "prometheus",\n',
        '    "app.kubernetes.io/name": "kube-prometheus-stack",\n',
        "NetworkPolicies admit pods labelled app.kubernetes.io/name: kube-prometheus-stack to the metrics ports; the "
        "operator labels Prometheus prometheus, so nothing is scraped (the request-path model's Prometheus carried "
        "the same labels)",
        "model-metrics-prometheus-only",
    ),
    Mutation(
        "fix17n-06-cluster-local-value",
        "serving",
        "components/serving/_runtime.py",
        'CLUSTER_LOCAL = "cluster-local"',
        'CLUSTER_LOCAL = "cluster_local"',
        "internal models are labelled visibility cluster_local, which KServe does not compare equal to cluster-local: "
        "they get a route on the public gateway (the request-path model compared with the same value)",
        "internal-model-cluster-local",
    ),
    Mutation(
        "fix17n-07-target-burst-capacity-key",
        "serving",
        "components/serving/_runtime.py",
        'TARGET_BURST_CAPACITY = f"{KNATIVE}/target-burst-capacity"',
        'TARGET_BURST_CAPACITY = f"{KNATIVE}/burst-capacity"',
        "internal models' annotation keeping the activator off the path is under a key Knative does not read: the "
        "activator proxies their calls as itself and the callers' namespaces no longer reach them",
        "internal-model-callers",
    ),
    Mutation(
        "fix17n-08-isvc-pod-label",
        "serving",
        "components/serving/_runtime.py",
        'ISVC_LABEL = "serving.kserve.io/inferenceservice"',
        'ISVC_LABEL = "serving.kserve.io/inference-service"',
        "model policies select pods by serving.kserve.io/inference-service, a label KServe never sets: the models' "
        "AuthorizationPolicies and NetworkPolicies select nothing",
        "model-inference-api-only",
    ),
    Mutation(
        "fix17n-09-knative-visibility-label",
        "serving",
        "components/serving/_runtime.py",
        'KNATIVE_VISIBILITY_LABEL = "networking.knative.dev/visibility"',
        'KNATIVE_VISIBILITY_LABEL = "networking.kserve.io/visibility"',
        "Knative-mode internal models carry the Standard-mode visibility label, which KServe's Knative ingress "
        "reconciler does not read: they get a route on the public gateway",
        "internal-model-cluster-local",
    ),
    # fix17n (#17): a placeholder's other hard scheduling terms select only its own pool's placeholders
    Mutation(
        "fix17n-10-warm-anti-affinity-every-pod",
        "platform",
        "components/platform/warm.py",
        '{"labelSelector": {"matchLabels": labels}, "topologyKey": HOSTNAME_KEY}\n',
        '{"labelSelector": {"matchLabels": labels}, "topologyKey": HOSTNAME_KEY},\n'
        '                    {"labelSelector": {}, "namespaceSelector": {}, "topologyKey": HOSTNAME_KEY},\n',
        "a second anti-affinity term meant to keep placeholders off busy nodes selects every pod of every namespace: "
        "every node runs DaemonSet pods, so no placeholder schedules and no node stays warm",
        "warm-capacity-preemptible",
        platform=WARM_AWS,
    ),
    Mutation(
        "fix17n-11-warm-anti-affinity-models",
        "platform",
        "components/platform/warm.py",
        '{"labelSelector": {"matchLabels": labels}, "topologyKey": HOSTNAME_KEY}\n',
        '{"labelSelector": {"matchLabels": labels}, "topologyKey": HOSTNAME_KEY},\n'
        '                    {"labelSelector": {"matchExpressions": [{"key": "serving.kserve.io/inferenceservice", '
        '"operator": "Exists"}]}, "namespaceSelector": {}, "topologyKey": HOSTNAME_KEY},\n',
        "a second anti-affinity term keeps placeholders off every node any model runs on: a pool node that serves a "
        "model on part of its GPUs is never kept warm for the next one, fewer spare GPUs than warmCapacity promises",
        "warm-capacity-preemptible",
        platform=WARM_AWS,
    ),
    Mutation(
        "exp14r-knative-no-claim-flags",
        "platform",
        "components/platform/knative.py",
        '        out.update(dict.fromkeys(PVC_FEATURES, "enabled"))',
        "        pass",
        "Knative's webhook refuses the Knative Service KServe writes for a pvc:// storageUris entry (a claim volume "
        "without its feature flags): the model never becomes Ready",
        "isvc-gpu-scheduling",
        config=CLAIM_URIS,
    ),
    Mutation(
        "exp14r-knative-no-claim-write-flag",
        "platform",
        "components/platform/knative.py",
        'PVC_FEATURES = ("kubernetes.podspec-persistent-volume-claim", "kubernetes.podspec-persistent-volume-write")',
        'PVC_FEATURES = ("kubernetes.podspec-persistent-volume-claim",)',
        "the claim flag without the write flag: KServe's claim volume has no readOnly, so Knative still refuses it",
        "isvc-gpu-scheduling",
        config=CLAIM_URIS,
    ),
    # fix14s (issue #14, exp14r F2): the request-log collector in the mesh, admitting the logging namespaces only
    Mutation(
        "fix14s-collector-out-of-mesh",
        "platform",
        "components/platform/requestlog.py",
        'ns = ctx.namespace("ns-request-logs", NAMESPACE, pod_security=pod_security, labels=MESH_LABELS)',
        'ns = ctx.namespace("ns-request-logs", NAMESPACE, pod_security=pod_security)',
        "request-logs namespace without istio-injection: the collector has no sidecar, the models' sidecars send it "
        "request and response bodies in plain text and its AuthorizationPolicy is never enforced",
        "request-log-collector-ingress",
        platform=RL_AWS,
        config=RL_LOGGING_AWS,
    ),
    Mutation(
        "fix14s-collector-authz-any-source",
        "platform",
        "components/platform/requestlog.py",
        '            "from": [{"source": {"namespaces": sorted(set(namespaces))}}],\n',
        "",
        "the collector's AuthorizationPolicy rule names no source: every mesh workload may write records",
        "request-log-collector-ingress",
        platform=RL_AWS,
        config=RL_LOGGING_AWS,
    ),
    Mutation(
        "fix14s-collector-authz-all-namespaces",
        "platform",
        "components/platform/requestlog.py",
        '"from": [{"source": {"namespaces": sorted(set(namespaces))}}],',
        '"from": [{"source": {"namespaces": ["*"]}}],',
        "the collector's AuthorizationPolicy admits peers of every namespace (a wildcard)",
        "request-log-collector-ingress",
        platform=RL_AWS,
        config=RL_LOGGING_AWS,
    ),
    # fix17q (#17): rev17l 04's disabled expiry on the other two clouds' request-log stores
    Mutation(
        "fix17q-01-gcs-request-log-retention-storage-class",
        "clusters",
        "components/clusters/gke.py",
        'action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),',
        'action=gcp.storage.BucketLifecycleRuleActionArgs(type="SetStorageClass", storage_class="COLDLINE"),',
        "the request-log bucket's lifecycle rule moves records to Coldline instead of deleting them: request bodies "
        "are kept forever, not retentionDays",
        "request-log-retention",
        platform=RL_GCP,
    ),
    Mutation(
        "fix17q-02-azure-request-log-retention-disabled",
        "clusters",
        "components/clusters/aks.py",
        'type="Lifecycle",\n                        enabled=True,',
        'type="Lifecycle",\n                        enabled=False,',
        "the request-log storage account's lifecycle rule is disabled: records (request bodies) are kept forever, "
        "not retentionDays",
        "request-log-retention",
        platform=RL_AZURE,
    ),
    # --- rev17m: the thirteenth fresh round (issue #17) ---
    # clusters: Azure (AKS, Key Vault)
    Mutation(
        "rev17m-01-aks-kms-crypto-officer",
        "clusters",
        "components/clusters/aks.py",
        "role_definition_id=self._subscription.apply(lambda s: role_definition(s, ROLE_KV_CRYPTO_USER)),",
        'role_definition_id=self._subscription.apply(lambda s: role_definition(s, "14b46e9e-c2b7-41b4-b07b-48a6ebf'
        '60603")),',
        "the AKS control-plane identity gets Key Vault Crypto Officer (create, rotate, delete keys) on the vault "
        "instead of Crypto User (wrap/unwrap): anything acting as it may delete the etcd key and make every Secret "
        "unreadable",
        IAM,
    ),
    Mutation(
        "rev17m-02-aks-vault-soft-delete-7",
        "clusters",
        "components/clusters/aks.py",
        "soft_delete_retention_in_days=90,",
        "soft_delete_retention_in_days=7,",
        "the Key Vault holding the AKS etcd key keeps a deleted vault or key for 7 days, not 90: a deletion that goes "
        "unnoticed for a week loses the key and every Secret of the cluster",
        HARDEN,
    ),
    # clusters: AWS (EKS, S3, cluster-autoscaler)
    Mutation(
        "rev17m-03-s3-restrict-public-buckets-off",
        "clusters",
        "components/clusters/eks.py",
        "restrict_public_buckets=True,",
        "restrict_public_buckets=False,",
        "the request-log bucket's public access block no longer restricts access granted by a public bucket policy "
        "(only AWS principals and the bucket owner otherwise): request payloads may be served to anyone",
        "object-store-private",
        platform=RL_AWS,
    ),
    Mutation(
        "rev17m-04-autoscaler-update-any-asg",
        "clusters",
        "components/clusters/eks.py",
        '"ec2:GetInstanceTypesFromInstanceRequirements",',
        '"ec2:GetInstanceTypesFromInstanceRequirements",\n'
        '                        "autoscaling:UpdateAutoScalingGroup",',
        "cluster-autoscaler may update every Auto Scaling group of the account (min, max, desired, launch template) in "
        "its unconditioned read statement, not only this cluster's tagged groups",
        "aws-controller-grants-scoped",
        config=AWS_NODE_GROUPS,
    ),
    Mutation(
        "rev17m-05-ebs-csi-addon-no-role",
        "clusters",
        "components/clusters/eks.py",
        "            service_account_role_arn=self.ebs_csi_role.arn,\n",
        "",
        "the EBS CSI add-on is created without its IRSA role: the controller falls back to the node role, which holds "
        "no EBS permission, so no volume is ever provisioned (Prometheus's storage stays Pending), and the usual fix "
        "puts volume rights on every node",
        "workload-identity",
    ),
    # clusters: GCP (GKE)
    Mutation(
        "rev17m-06-gke-secrets-decrypted",
        "clusters",
        "components/clusters/gke.py",
        'state="ENCRYPTED", key_name=self.secrets_key.id',
        'state="DECRYPTED", key_name=self.secrets_key.id',
        "GKE application-layer Secrets encryption is off (state DECRYPTED): the Cloud KMS key exists but etcd holds "
        "Secrets under Google's default encryption only",
        "secrets-encryption",
    ),
    Mutation(
        "rev17m-07-gke-ubuntu-nodes",
        "clusters",
        "components/clusters/gke.py",
        'image_type="COS_CONTAINERD",',
        'image_type="UBUNTU_CONTAINERD",',
        "GKE nodes run Ubuntu instead of Container-Optimized OS (read-only root filesystem, minimal package set, "
        "verified boot): a general-purpose OS on every node",
        HARDEN,
    ),
    Mutation(
        "rev17m-08-gke-dns-admin-project",
        "clusters",
        "components/clusters/gke.py",
        'role="roles/dns.reader",',
        'role="roles/dns.admin",',
        "external-dns's Google service account gets dns.admin on the whole project (every managed zone, every "
        "record), not dns.reader to list zones",
        IAM,
        platform='gcp-prod:{"dns": {"zone": "example.com", "id": "example-zone"}, "tls": {"issuer": "acme", '
        '"acmeEmail": "platform@mlplatform-prod.dev"}}',
    ),
    # platform: Knative, KServe, Istio, request logs, namespaces, cert-manager
    Mutation(
        "rev17m-09-knative-gateway-selector",
        "platform",
        "components/platform/knative.py",
        '"selector": dict(istio.GATEWAY_SELECTOR),',
        '"selector": {"istio": "ingress-gateway"},',
        "Knative's public Gateway selects pods labelled istio: ingress-gateway, which no gateway pod carries: no "
        "server binds on the ingress gateway, every public model is unreachable (no HTTPS, no redirect)",
        "gateway-https-only",
    ),
    Mutation(
        "rev17m-10-kserve-ingress-local-gateway",
        "platform",
        "components/platform/kserve.py",
        'return {"gateway": gateway, "className": "istio"}',
        'return {"gateway": "knative-serving/knative-local-gateway", "className": "istio"}',
        "KServe binds its top-level routes (<name>-<namespace>.<domain>, the URL the platform publishes) to "
        "knative-local-gateway (the localGateway value copied): no public model answers on its published URL",
        # fix17t: gateway-https-only, the report's second recommendation: the rule judges the public gateway's HTTPS
        # servers, which say nothing of the model URLs unless KServe binds those hosts to that gateway
        # (ingress_reconciler.go createIngress appends config.IngressGateway for a public model)
        "gateway-https-only",
    ),
    Mutation(
        "rev17m-11-standard-https-passthrough",
        "platform",
        "components/platform/istio.py",
        '"tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": secret_name}]},',
        '"tls": {"mode": "Passthrough", "certificateRefs": [{"kind": "Secret", "name": secret_name}]},',
        "Standard mode: the Gateway API HTTPS listener passes TLS through instead of terminating it (an HTTPS "
        "listener must terminate): the listener is refused, no model is served over HTTPS",
        "gateway-https-only",
        platform=STANDARD_GCP,
        config=STANDARD_GCP_MODELS,
    ),
    Mutation(
        "rev17m-12-request-log-netpol-egress",
        "platform",
        "components/platform/requestlog.py",
        '"policyTypes": ["Ingress"],',
        '"policyTypes": ["Egress"],',
        "the request-log collector's NetworkPolicy isolates egress, not ingress: its ingress rules are ignored and "
        "every pod of the cluster may post records (forged request logs) to the collector",
        "request-log-collector-ingress",
        platform=RL_AWS,
        config=RL_LOGGING_AWS,
    ),
    Mutation(
        "rev17m-13-vector-writable-root",
        "platform",
        "components/platform/requestlog.py",
        '"readOnlyRootFilesystem": True,',
        '"readOnlyRootFilesystem": False,',
        "the request-log collector (request payloads, the store's write identity) gets a writable root filesystem",
        "pod-restricted-hardening",
        platform=RL_AWS,
    ),
    Mutation(
        "rev17m-14-platform-namespaces-no-enforce",
        "platform",
        "components/platform/common.py",
        'for mode in ("enforce", "audit", "warn")',
        'for mode in ("audit", "warn")',
        "the platform's own namespaces (keda, request-logs, kserve, cert-manager...) only audit and warn about their "
        "Pod Security level: nothing enforces it, privileged pods are admitted there",
        "privileged-namespaces-listed",
        platform=KEDA_GCP,
    ),
    Mutation(
        "rev17m-15-storage-initializer-escalation",
        "platform",
        "components/platform/kserve.py",
        '    "allowPrivilegeEscalation": False,\n    "privileged": False,',
        '    "allowPrivilegeEscalation": True,\n    "privileged": False,',
        "KServe's storage-initializer (it holds the model's storage credentials) may escalate privileges",
        "pod-restricted-hardening",
    ),
    Mutation(
        "rev17m-16-gateway-cert-self-signed",
        "platform",
        "components/platform/certmanager.py",
        '"issuerRef": {"name": cm.issuer_name, "kind": "ClusterIssuer", "group": "cert-manager.io"},',
        '"issuerRef": {"name": SELF_SIGNED_ISSUER, "kind": "ClusterIssuer", "group": "cert-manager.io"},',
        "the public gateway's certificate is self-signed on an ACME stack: every client fails TLS verification (or "
        "is told to skip it)",
        "gateway-https-only",
        platform=AWS_DNS,
    ),
    Mutation(
        "rev17m-17-gateway-cert-ecdsa-2048",
        "platform",
        "components/platform/certmanager.py",
        '"privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},',
        '"privateKey": {"algorithm": "ECDSA", "size": 2048, "rotationPolicy": "Always"},',
        "the gateway certificate asks an ECDSA key of 2048 bits (an RSA size): cert-manager's webhook refuses the "
        "Certificate, the gateway never gets its TLS Secret and serves no model over HTTPS",
        "gateway-https-only",
    ),
    # serving: identity, pipelines, Knative probes, transformers, request logging
    Mutation(
        "rev17m-18-model-pods-no-identity-label",
        "serving",
        "components/serving/model_service.py",
        "pod_labels={**labels, **access.pod_labels},",
        "pod_labels=dict(labels),",
        "model pods lose the cloud identity's pod labels (AKS azure.workload.identity/use): Azure Workload Identity "
        "injects no token, the storage initializer cannot read a private model and the model never starts",
        BINDING,
    ),
    Mutation(
        "rev17m-19-pipeline-jwt-namespace-wide",
        "serving",
        "components/serving/pipeline.py",
        "return _auth.jwt_authentication(spec.access, selector(name))",
        "return _auth.jwt_authentication(spec.access, {})",
        "a public jwt pipeline's RequestAuthentication has an empty selector (every workload of the namespace): its "
        "audience-less JWT rule validates tokens minted for any audience at the namespace's audience-restricted "
        "models",
        "jwt-audiences-rendered",
        config="local:"
        + json.dumps(
            {
                "mlplatform:models": {
                    **_LOCAL["mlplatform:models"],  # type: ignore[dict-item]
                    "iris-jwt": {
                        "format": "sklearn",
                        "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
                        "publicStorage": True,
                        "resources": {"cpu": "500m", "memory": "1Gi"},
                        "scaling": {"minReplicas": 1, "maxReplicas": 2},
                        "access": {
                            "mode": "public",
                            "jwt": {**PIPELINES["front"]["access"]["jwt"], "audiences": ["iris"]},  # type: ignore[index]
                        },
                    },
                },
                "mlplatform:pipelines": {"front": PIPELINES["front"]},
            }
        ),
    ),
    Mutation(
        "rev17m-20-activator-probe-any-method",
        "serving",
        "components/serving/_auth.py",
        '"from": [{"source": {"principals": [ACTIVATOR]}}],\n            "to": _to(ports, methods=["GET"]),',
        '"from": [{"source": {"principals": [ACTIVATOR]}}],\n            "to": _to(ports),',
        "NOT a weakening (rev17m's own error): the activator's probe rule admits every method, but a request "
        "whose User-Agent starts with Knative-Activator-Probe never reaches the model server: the queue-proxy's "
        "drainer answers it itself whatever its method and path (knative.dev/pkg network/handlers/drain.go "
        "``ServeHTTP``, HealthCheckUAPrefixes; components/serving/requestpath.py PROBE_AGENTS); "
        "model-inference-api-only rightly passes",
        "model-inference-api-only",
        weakens=False,
    ),
    Mutation(
        "rev17m-21-transformer-may-run-as-root",
        "serving",
        "components/serving/_kcomponents.py",
        "return _runtime.hardened_context(run_as_non_root=True, run_as_user=run_as_user)",
        "return _runtime.hardened_context(run_as_non_root=False, run_as_user=run_as_user)",
        "transformers and explainers lose runAsNonRoot: their images (no runtime sets a user) may run as root",
        "pod-restricted-hardening",
        config=TRANSFORMER_LOCAL,
    ),
    Mutation(
        "rev17m-22-transformer-default-sa",
        "serving",
        "components/serving/_kcomponents.py",
        '"serviceAccountName": given.service_account,',
        "",
        "a model's transformer and explainer run as the namespace's default ServiceAccount, not the model's: the "
        "predictor's policy no longer admits them, or a default-SA principal is admitted in their place",
        "model-service-account",
        config=TRANSFORMER_LOCAL,
    ),
    Mutation(
        "rev17m-23-logger-authorization-header",
        "serving",
        "components/serving/_runtime.py",
        '"metadataHeaders": [REQUEST_ID_HEADER],',
        '"metadataHeaders": [REQUEST_ID_HEADER, "Authorization"],',
        "a logging model's agent sends the caller's Authorization header (ce-metadata) with every record to the "
        "request-log collector, which has no sidecar, so each bearer token crosses the cluster network in plain text "
        "(the collector's remap keeps only X-Request-Id of the metadata, so the stored record drops it)",
        "model-jwt-rules",
        platform=RL_AWS,
        config=_model_changed("aws-dev", _AWS_DEV, "resnet50", logger={"mode": "all"}),
    ),
    Mutation(
        "rev17m-24-internal-url-top-level-host",
        "serving",
        "components/serving/model_service.py",
        'return f"http://{name}-{entry}.{spec.namespace}.svc.cluster.local"',
        'return f"http://{name}.{spec.namespace}.svc.cluster.local"',
        "internal models publish KServe's top-level host as their URL (and host annotation): callers that use it go "
        "through knative-local-gateway, which the model refuses (403)",
        "internal-model-callers",
    ),
    Mutation(
        "rev17m-25-model-jwt-namespace-wide",
        "serving",
        "components/serving/_auth.py",
        "return jwt_authentication(spec.access, selector(name))",
        "return jwt_authentication(spec.access, {})",
        "each public jwt model's RequestAuthentication applies to every workload of its namespace: a token for "
        "models reaches qwen-chat (audiences [qwen-chat]) through sklearn-iris's rule",
        "jwt-audiences-rendered",
    ),
    Mutation(
        "rev17m-26-hf-token-key",
        "serving",
        "components/serving/_runtime.py",
        '"key": HF_TOKEN_KEY',
        '"key": "token"',
        "the Hugging Face token env var names key token of the model's Secret, which holds HF_TOKEN: the pod fails "
        "with CreateContainerConfigError and the LLM never starts",
        "model-declared-secrets",
    ),
    Mutation(
        "rev17m-27-predictor-admits-namespace",
        "serving",
        "components/serving/_kcomponents.py",
        '"from": [{"source": {"principals": [service_account_principal(name, spec.namespace)]}}],',
        '"from": [{"source": {"namespaces": [spec.namespace]}}],',
        "the predictor behind a transformer admits every pod of its namespace, not only the model's ServiceAccount: "
        "any pod there calls the public jwt model's predictor without a token, past the transformer",
        "model-service-account",
        config=TRANSFORMER_LOCAL,
    ),
    Mutation(
        "rev17m-28-llm-prometheus-https",
        "serving",
        "components/serving/llm_scaling.py",
        'return f"http://{monitoring.RELEASE}-prometheus.{monitoring.NAMESPACE}.svc:9090"',
        'return f"https://{monitoring.RELEASE}-prometheus.{monitoring.NAMESPACE}.svc:9090"',
        "KEDA asks the platform's Prometheus over https, which it does not serve: every LLM scaler errors, the "
        "models stay at minReplicas under load",
        "llm-query-scoped",
        platform=LLM_PLATFORM,
        config=LLM_GCP,
    ),
    # controls: behaviour changes that weaken nothing
    Mutation(
        "rev17m-29-standard-redirect-302",
        "platform",
        "components/platform/istio.py",
        '"requestRedirect": {"scheme": "https", "statusCode": 301}',
        '"requestRedirect": {"scheme": "https", "statusCode": 302}',
        "NOT a weakening: the Standard mode's http listener redirects to https with 302 instead of 301 (temporary, "
        "not cached by clients); plain HTTP still never reaches a model",
        "gateway-https-only",
        weakens=False,
        platform=STANDARD_GCP,
        config=STANDARD_GCP_MODELS,
    ),
    Mutation(
        "rev17m-30-keda-pod-run-as-non-root-off",
        "platform",
        "components/platform/keda.py",
        'POD_SECURITY_CONTEXT: dict[str, Any] = {"runAsNonRoot": True,',
        'POD_SECURITY_CONTEXT: dict[str, Any] = {"runAsNonRoot": False,',
        "NOT a weakening: KEDA's pod-level runAsNonRoot false while every container's securityContext keeps "
        "runAsNonRoot true, which takes precedence over the pod's (Kubernetes API, PodSecurityContext.runAsNonRoot)",
        "pod-restricted-hardening",
        weakens=False,
        platform=KEDA_GCP,
    ),
    # exp14t F2 (#14, #17): the sidecars' XFCC mode lets a sender name its own namespace
    Mutation(
        "exp14t-mesh-xfcc-forward-only",
        "platform",
        "components/platform/istio.py",
        '"meshConfig": {"pathNormalization": {"normalization": PATH_NORMALIZATION}},',
        '"meshConfig": {"pathNormalization": {"normalization": PATH_NORMALIZATION}, "defaultConfig": '
        '{"proxyHeaders": {"forwardedClientCert": "FORWARD_ONLY"}}},',
        "every sidecar passes the client's own x-forwarded-client-cert through: a pod in a logging namespace files "
        "request records under any namespace it names",
        "request-log-collector-ingress",
        platform=RL_AWS,
    ),
    # --- rev17n: the fourteenth fresh round (issue #17) ---
    # clusters: AWS (Karpenter, S3), GCP (GKE, GCS), Azure (AKS, Blob)
    Mutation(
        "rev17n-01-karpenter-interruption-any-queue",
        "clusters",
        "components/clusters/_karpenter.py",
        '"Resource": queue_arn,\n            "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],',
        '"Resource": "*",\n            "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],',
        "the Karpenter controller may receive and delete the messages of every SQS queue of the account, not only its "
        "own interruption queue: anything acting as it drains other applications' queues",
        "aws-controller-grants-scoped",
    ),
    Mutation(
        "rev17n-02-aks-network-contributor-vnet",
        "clusters",
        "components/clusters/aks.py",
        "            scope=subnet.id,\n",
        "            scope=vnet.id,\n",
        "the AKS control-plane identity holds Network Contributor on the whole virtual network (every subnet, peering "
        "and route) instead of the node subnet only",
        IAM,
    ),
    Mutation(
        "rev17n-03-gcs-request-log-custom-time",
        "clusters",
        "components/clusters/gke.py",
        'age=request.retention_days, matches_prefixes=[f"{request.prefix}/"]',
        'days_since_custom_time=request.retention_days, matches_prefixes=[f"{request.prefix}/"]',
        "the request-log bucket's Delete rule counts days since each object's customTime, which Vector never sets: "
        "the condition never matches and records (request bodies) are kept forever, not retentionDays",
        "request-log-retention",
        platform=RL_GCP,
    ),
    Mutation(
        "rev17n-04-aks-request-log-append-blob",
        "clusters",
        "components/clusters/aks.py",
        'blob_types=["blockBlob"], prefix_match=',
        'blob_types=["appendBlob"], prefix_match=',
        "the request-log storage account's lifecycle rule deletes append blobs only; Vector's azure_blob sink writes "
        "block blobs, so records are kept forever",
        "request-log-retention",
        platform=RL_AZURE,
    ),
    Mutation(
        "rev17n-05-s3-request-log-size-filter",
        "clusters",
        "components/clusters/eks.py",
        'filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=f"{request.prefix}/"),',
        "filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(object_size_greater_than=1048576),",
        "the request-log bucket's expiration applies to objects over 1 MiB only: Vector's gzipped 60-second batches "
        "are smaller and are never deleted",
        "request-log-retention",
        platform=RL_AWS,
    ),
    Mutation(
        "rev17n-06-gke-gateway-api-managed-crds",
        "clusters",
        "components/clusters/gke.py",
        'gateway_api_config=gcp.container.ClusterGatewayApiConfigArgs(channel="CHANNEL_DISABLED"),',
        'gateway_api_config=gcp.container.ClusterGatewayApiConfigArgs(channel="CHANNEL_STANDARD"),',
        "GKE installs and manages its own Gateway API CRDs next to the ones the platform installs (Standard mode): two "
        "owners of the same CRDs, the platform's release fails or GKE reverts the version KServe needs",
        "standard-gateway-api",
        platform=STANDARD_GCP,
        config=STANDARD_GCP_MODELS,
    ),
    Mutation(
        "rev17n-07-gke-gpu-pool-upgrade-unavailable",
        "clusters",
        "components/clusters/gke.py",
        "upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(max_surge=1, max_unavailable=0),\n"
        "            node_config=self._node_config(\n                pool.instance_type,",
        "upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(max_surge=0, max_unavailable=1),\n"
        "            node_config=self._node_config(\n                pool.instance_type,",
        "GKE upgrades a GPU pool by draining a node before its replacement exists (surge 0, one unavailable): every "
        "node upgrade takes GPU capacity away and the models on it wait for a new node and a cold start",
        "gpu-pool-disruption",
    ),
    Mutation(
        "rev17n-08-aks-request-log-pods-unlabelled",
        "clusters",
        "components/clusters/aks.py",
        'pod_labels={USE_LABEL: "true"},\n            identity=identity.client_id,\n            resources=(account,',
        "pod_labels={},\n            identity=identity.client_id,\n            resources=(account,",
        "the request-log collector's pods lose azure.workload.identity/use: the webhook injects no token, Vector "
        "cannot authenticate to the storage account and every record is lost",
        "helm-workload-identity-pod-label",
        platform=RL_AZURE,
    ),
    Mutation(
        "rev17n-09-gke-authorized-network-label",
        "clusters",
        "components/clusters/gke.py",
        'cidr_block=cidr, display_name=f"allowed-{i}"',
        'cidr_block=cidr, display_name=f"authorized-{i}"',
        "NOT a weakening: the master authorized networks' display names change; the CIDRs are the same",
        "api-endpoint-restricted",
        weakens=False,
    ),
    # platform: request logs, external-dns, monitoring, cert-manager, KServe, Knative, Istio
    Mutation(
        "rev17n-10-request-log-drop-on-error-off",
        "platform",
        "components/platform/requestlog.py",
        '"drop_on_error": True,',
        '"drop_on_error": False,',
        "a record on which the collector's remap program fails is passed on unmodified (Vector remap drop_on_error "
        "false) instead of dropped: records whose identity was not established reach the store",
        "request-log-collector-ingress",
        platform=RL_AWS,
    ),
    Mutation(
        "rev17n-11-request-log-mtls-permissive",
        "platform",
        "components/platform/requestlog.py",
        'return {"mtls": {"mode": "STRICT"}}',
        'return {"mtls": {"mode": "PERMISSIVE"}}',
        "the request-log namespace's PeerAuthentication accepts plain text: records (request bodies) may travel "
        "unencrypted to the collector",
        "mesh-mtls-strict",
        platform=RL_AWS,
    ),
    Mutation(
        "rev17n-12-vector-memory-limit-512Gi",
        "platform",
        "components/platform/requestlog.py",
        '"limits": {"memory": "512Mi"}},',
        '"limits": {"memory": "512Gi"}},',
        "the request-log collector's memory limit is 512Gi (a unit typo), larger than any node: in effect no limit, a "
        "burst of records takes the system node's memory",
        "system-workload-limits",
        platform=RL_AWS,
    ),
    Mutation(
        "rev17n-13-external-dns-virtualservice-source",
        "platform",
        "components/platform/dns.py",
        '"sources": ["service"],',
        '"sources": ["service", "istio-virtualservice"],',
        "external-dns also publishes the hosts of every Istio VirtualService: any namespace that may create one "
        "publishes records in the stack's zone",
        "aws-dns-records-scoped",
        platform=AWS_DNS,
    ),
    Mutation(
        "rev17n-14-alertmanager-silences-warnings",
        "platform",
        "components/platform/monitoring.py",
        """NULL_ROUTES = ('alertname = "Watchdog"', 'alertname = "InfoInhibitor"', 'severity = "info"')""",
        """NULL_ROUTES = ('alertname = "Watchdog"', 'alertname = "InfoInhibitor"', 'severity =~ "info|warning"')""",
        "Alertmanager routes every warning to the null receiver: the models' SLO alerts on dev and staging (severity "
        "warning) and the platform's warnings are never delivered",
        "model-slo-alerts",
    ),
    Mutation(
        "rev17n-15-ca-key-rsa-1024",
        "platform",
        "components/platform/certmanager.py",
        '"privateKey": {"algorithm": "ECDSA", "size": 256},',
        '"privateKey": {"algorithm": "RSA", "size": 1024},',
        "the platform CA's key is RSA 1024, below cert-manager's 2048 minimum: the CA Certificate is refused and the "
        "CA issuer behind the gateway's certificate never becomes ready",
        "gateway-https-only",
    ),
    Mutation(
        "rev17n-16-kserve-storage-initializer-chart-context",
        "platform",
        "components/platform/kserve.py",
        '"storage": {"containerSecurityContext": STORAGE_INITIALIZER_SECURITY_CONTEXT},',
        '"storage": {},',
        "KServe's storage initializer keeps the chart's container securityContext, which has no seccompProfile: the "
        "init container of every model runs without RuntimeDefault seccomp",
        "pod-restricted-hardening",
    ),
    Mutation(
        "rev17n-17-knative-skip-tag-resolution-ghcr",
        "platform",
        "components/platform/knative.py",
        'SKIP_TAG_RESOLUTION = ("kind.local", "ko.local", "dev.local", "nvcr.io", "index.docker.io")',
        'SKIP_TAG_RESOLUTION = ("kind.local", "ko.local", "dev.local", "nvcr.io", "index.docker.io", "ghcr.io")',
        "Knative stops resolving ghcr.io tags to digests: a revision's pods pull whatever the tag points to when they "
        "start, so a re-pushed tag changes a running model's code without a new revision",
        "images-tagged",
    ),
    Mutation(
        "rev17n-18-request-log-authz-any-method",
        "platform",
        "components/platform/requestlog.py",
        '"to": [{"operation": {"ports": [str(PORT)], "methods": ["POST"]}}],',
        '"to": [{"operation": {"ports": [str(PORT)]}}],',
        "NOT a weakening: the collector's AuthorizationPolicy admits any method from the logging namespaces, but its "
        'http_server source accepts only POST ("method": "POST" in the same file)',
        "request-log-collector-ingress",
        weakens=False,
        platform=RL_AWS,
    ),
    Mutation(
        "rev17n-19-gateway-netpol-envoy-admin",
        "platform",
        "components/platform/istio.py",
        "GATEWAY_TRAFFIC_PORTS = (80, 443, 8081, 8444, 15021)",
        "GATEWAY_TRAFFIC_PORTS = (80, 443, 8081, 8444, 15021, 15000)",
        "NOT a weakening: the gateway's NetworkPolicy also opens 15000, Envoy's admin port, which Istio binds to "
        "localhost only: nothing off the pod reaches it",
        "gateway-metrics-prometheus-only",
        weakens=False,
    ),
    # serving: ModelService, transformers, request logging, identity, LLM scaling, pipelines
    Mutation(
        "rev17n-20-transformer-no-limits",
        "serving",
        "components/serving/_kcomponents.py",
        'return {"requests": dict(amounts), "limits": dict(amounts)}',
        'return {"requests": dict(amounts)}',
        "transformer and explainer containers have requests but no limits: one can take its node's memory and CPU",
        "model-container-limits",
        config=TRANSFORMER_LOCAL,
    ),
    Mutation(
        "rev17n-21-logger-mode-ignored",
        "serving",
        "components/serving/_runtime.py",
        '"mode": spec.logger.mode,',
        '"mode": "all",',
        "a model that asks to log requests only (logger.mode request) logs its responses too: predictions (personal "
        "data) are stored in the request-log store against the stack's declaration",
        "request-log-collector-ingress",
        platform=RL_AWS,
        config=RL_LOGGING_AWS.replace('"logger": {"mode": "all"}', '"logger": {"mode": "request"}'),
    ),
    Mutation(
        "rev17n-22-model-sa-no-identity-annotation",
        "serving",
        "components/serving/model_service.py",
        'metadata=meta("sa", access.service_account_labels, access.service_account_annotations),',
        'metadata=meta("sa", access.service_account_labels),',
        "a model's ServiceAccount loses its workload-identity annotation (role-arn, GSA, client-id): the cloud "
        "identity made for it is bound to nothing, and the model cannot read its private storage",
        BINDING,
    ),
    Mutation(
        "rev17n-23-model-netpol-merged-metrics-closed",
        "serving",
        "components/serving/_netpol.py",
        "ports = [AGENT_STATUS_PORT, ENVOY_STATS_PORT]",
        "ports = [ENVOY_STATS_PORT]",
        "the models' NetworkPolicy no longer admits Prometheus on 15020 (Istio's merged metrics): the vLLM series KEDA "
        "scales on are never scraped and the LLMs stay at minReplicas under load",
        "llm-scrape-merged-stats",
        platform=LLM_PLATFORM,
        config=LLM_GCP,
    ),
    Mutation(
        "rev17n-24-llm-podmonitor-app-port",
        "serving",
        "components/serving/llm_scaling.py",
        '"replacement": f"${{1}}:{MERGED_STATS_PORT}",',
        '"replacement": f"${{1}}:{APP_METRICS_PORT}",',
        "the LLM PodMonitor scrapes /stats/prometheus on the model's own port 8080 instead of Istio's merged port: "
        "no vllm: series, KEDA never scales the LLMs",
        "llm-scrape-merged-stats",
        platform=LLM_PLATFORM,
        config=LLM_GCP,
    ),
    Mutation(
        "rev17n-25-model-sa-no-secrets",
        "serving",
        "components/serving/model_service.py",
        "secrets=[k8s.core.v1.ObjectReferenceArgs(name=n) for n in sa_secrets] or None,",
        "secrets=None,",
        "a model's ServiceAccount lists no Secrets: KServe's storage initializer gets no HF token, storage secret or "
        "anonymous-read setting, and gated or private models never load",
        "model-declared-secrets",
    ),
    Mutation(
        "rev17n-26-pipeline-router-write-timeout-dropped",
        "serving",
        "components/serving/pipeline.py",
        '        out["routerTimeouts"] = {"serverWrite": timeout}\n',
        "",
        "a Knative-mode pipeline's router keeps its default write timeout while its members cold-start: requests that "
        "wait for a member at zero are cut by the router",
        "timeouts-cover-cold-start",
        config=WITH_PIPELINES,
    ),
    Mutation(
        "rev17n-27-model-min-replicas-capped-1",
        "serving",
        "components/serving/_runtime.py",
        '"minReplicas": scaling.min_replicas,',
        '"minReplicas": min(scaling.min_replicas, 1),',
        "every model's predictor keeps at most one warm replica: prod models lose their second replica",
        "prod-model-replicas",
    ),
    Mutation(
        "rev17n-28-eks-gpu-groups-public-subnets",
        "clusters",
        "components/clusters/eks.py",
        "                subnet_ids=self.vpc.private_subnet_ids,\n                labels=gpu_node_labels(",
        "                subnet_ids=self.vpc.public_subnet_ids,\n                labels=gpu_node_labels(",
        "the managed GPU node groups (gpuProvisioner node-groups) are placed in the public subnets, where awsx maps a "
        "public IP on launch: GPU nodes reachable from the internet",
        HARDEN,
        config=AWS_NODE_GROUPS,
    ),
    Mutation(
        "rev17n-29-request-log-batch-hour",
        "platform",
        "components/platform/requestlog.py",
        '"batch": {"timeout_secs": 60},',
        '"batch": {"timeout_secs": 3600},',
        "the collector holds up to an hour of records in memory before writing them: a restart or OOM loses an hour "
        "of request logs",
        "request-log-retention",
        platform=RL_AWS,
    ),
    Mutation(
        "rev17n-30-model-namespace-warn-baseline",
        "serving",
        "components/serving/namespace.py",
        '"pod-security.kubernetes.io/warn": POD_SECURITY_AUDIT,',
        '"pod-security.kubernetes.io/warn": "baseline",',
        "NOT a weakening: model namespaces warn (kubectl warnings only) at baseline instead of restricted; enforce "
        "and audit are unchanged",
        "model-namespace-pod-security",
        weakens=False,
    ),
)  # fmt: skip
EVALUATOR = "components/serving/requestpath.py"
EVALUATOR_TESTS = ("tests/serving/test_requestpath.py",)
"""Tests with hand-written verdicts, run (besides :data:`RULE_TESTS`) for a slip in the request-path model the rules
judge with: a slip there blinds the rule and the serving code's own checks at once, so only verdicts written by hand
can catch it."""
RULE_TESTS_FIRST = (
    "tests/policy/test_policy_rules.py",
    "tests/policy/test_policy_identity_bounds.py",
    "tests/policy/test_policy_vacuous.py",
    "tests/policy/test_policy_mesh_injection.py",
    "tests/policy/test_policy_identity_ties.py",
    "tests/policy/test_policy_network.py",
    "tests/policy/test_policy_cluster_iam.py",
    "tests/policy/test_policy_hardening.py",
    "tests/policy/test_policy_pipeline.py",
    "tests/policy/test_policy_rev17_cluster.py",
    "tests/policy/test_policy_rev17_mesh.py",
    "tests/policy/test_policy_unknown_reads.py",
    "tests/policy/test_policy_prod_spread.py",
    "tests/policy/test_policy_principal_callers.py",
    "tests/policy/test_policy_rev17b.py",
    "tests/policy/test_policy_rev17b_slips.py",
    "tests/policy/test_policy_rev17e_rules.py",
    "tests/policy/test_policy_router_wait.py",
    "tests/policy/test_policy_cold_start_pulls.py",
    "tests/policy/test_policy_rev17f.py",
    "tests/policy/test_policy_rev17g.py",
    "tests/policy/test_policy_pods_fit_nodes.py",
    "tests/policy/test_policy_server_ports.py",
    "tests/policy/test_policy_disk_fits.py",
    "tests/policy/test_policy_rev17h.py",
    "tests/policy/test_policy_shared_pools.py",
    "tests/policy/test_policy_rev17i.py",
    "tests/policy/test_policy_fix17h.py",
    # rev17j finding 4: files outside the list that catch rule slips the list misses (r01 test_cost.py check_budget,
    # r02 test_policy_rev17e.py audiences, r03 test_policy_check_red17b.py the API CIDR spellings). Measured one after
    # another at load 8: 65 s, 105 s and 93 s more for a slip none of them catches.
    "tests/policy/test_policy_rev17e.py",
    "tests/policy/test_policy_check_red17b.py",
    "tests/test_cost.py",
)
"""The test files a rule slip runs first, in this order: together they catch nearly every rule slip measured so far,
and ``pytest -x`` stops at the first failure, so a caught slip costs what it did. :data:`RULE_TESTS` adds every other
file that exercises the policy pack."""
RULE_TEST_MARKERS = re.compile(
    r"\bpolicy\.(?:rules|clouds|checkov_checks)\b|\bfrom policy import\b"
    r"|\b(?:run_rules|rules_named|rule_entries|rules_plan|cover_plan|saved_plan)\b"
)
"""What marks a test file as exercising the policy pack: it imports the rules (or a cloud's share of them), or uses
tests/support.py's helpers that run them (``run_rules``, ``rules_named``, ``rule_entries``, a plan as the rules see
it, a saved plan for ``mlplatform check``)."""


def rule_tests(root: Path = ROOT) -> tuple[str, ...]:
    """Every test file a rule slip runs: :data:`RULE_TESTS_FIRST`, then every other ``tests/policy/test_*.py`` and
    every ``tests/**/test_*.py`` that :data:`RULE_TEST_MARKERS` marks, sorted. Derived, not listed by hand (fix17k,
    issue #17: rev17j found three files that caught rule slips outside the hand list), so a new rule test cannot be
    forgotten."""
    tests = root / "tests"
    found = {p.relative_to(root).as_posix() for p in (tests / "policy").glob("test_*.py")}
    found |= {
        p.relative_to(root).as_posix()
        for p in tests.rglob("test_*.py")
        if RULE_TEST_MARKERS.search(p.read_text(encoding="utf-8"))
    }
    return (*RULE_TESTS_FIRST, *sorted(found - set(RULE_TESTS_FIRST)))


RULE_TESTS = rule_tests()
"""Every test file a rule slip runs (:func:`rule_tests`)."""


PLAN_SCRIPT = r"""
import json, sys
from pathlib import Path
from typing import Any
from components.plan.cli import plan_stack
from components.plan.project import find_project
modes = sys.argv[1].split(",")
project = find_project(Path.cwd())
out = []
for mode in modes:
    for stack in project.stacks():
        try:
            plan = plan_stack(project, stack, placeholders=mode == "fake")
        except Exception as e:  # a slip the program itself refuses
            out.append([mode, stack, "(program)", f"{type(e).__name__}: {str(e)[:200]}"])
            continue
        for e in plan.policies:
            if not e["passed"] and e["enforcement"] == "mandatory":
                out.append([mode, stack, e["policy"], e["message"]])
print(json.dumps(out))
"""


def _copy(dst: Path) -> None:
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.exists():
            shutil.copy2(src, dst / name)


def _edit(root: Path, path: str, old: str, new: str) -> bool:
    """Replace the one occurrence of ``old`` in ``path``; False when it is absent or not unique."""
    f = root / path
    if not f.exists():
        return False
    text = f.read_text()
    if text.count(old) != 1:
        return False
    f.write_text(text.replace(old, new, 1))
    return True


def _overlay(root: Path, platform: str) -> None:
    """Merge ``STACK:JSON`` into the ``mlplatform:platform`` of that stack file (``*``: every one) under ``root``."""
    import yaml

    which, _, doc = platform.partition(":")
    for f in sorted((root / "stacks").glob("Pulumi.*.yaml")):
        if which not in ("*", f.name[len("Pulumi.") : -len(".yaml")]):
            continue
        data = yaml.safe_load(f.read_text())
        config = data["config"]
        config["mlplatform:platform"] = {**(config.get("mlplatform:platform") or {}), **json.loads(doc)}
        f.write_text(yaml.safe_dump(data, sort_keys=False))


def _configure(root: Path, config: str) -> None:
    """Set ``STACK:JSON`` (a map of config keys) in that stack file under ``root``."""
    import yaml

    which, _, doc = config.partition(":")
    f = root / "stacks" / f"Pulumi.{which}.yaml"
    data = yaml.safe_load(f.read_text())
    data["config"].update(json.loads(doc))
    f.write_text(yaml.safe_dump(data, sort_keys=False))


def _apply_settings(root: Path, settings: tuple[str, str, tuple[tuple[str, str, str], ...]]) -> None:
    platform, config, bypass = settings
    if platform:
        _overlay(root, platform)
    if config:
        _configure(root, config)
    for path, old, new in bypass:
        if not _edit(root, path, old, new):
            raise ValueError(f"bypass {old!r} is not once in {path}")


UPSTREAM_ENV = "MLPLATFORM_UPSTREAM"
"""tests/support.py's variable for the upstream reference data (default: ``../shared/upstream`` beside the project).
A copy in a temporary folder has no ``../shared`` beside it: without the variable every test that reads the data
fails in the copy, and a rule slip would count as caught by that failure (rev17h, problem 2)."""


def _env(root: Path) -> dict[str, str]:
    upstream = os.environ.get(UPSTREAM_ENV) or str(ROOT.parent / "shared" / "upstream")
    return {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1", UPSTREAM_ENV: upstream}


def failures(root: Path, modes: str) -> set[tuple[str, ...]]:
    """The mandatory failures of every shipped stack planned from ``root`` (mode, stack, policy, message)."""
    proc = subprocess.run(
        [sys.executable, "-c", PLAN_SCRIPT, modes], cwd=root, env=_env(root), capture_output=True, text=True,
        timeout=1200,
    )  # fmt: skip
    if proc.returncode != 0:
        return {("error", "", "(program)", proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "?")}
    return {tuple(row) for row in json.loads(proc.stdout)}


def rule_tests_fail(root: Path, path: str = "") -> tuple[bool, str]:
    tests = (*RULE_TESTS, *(EVALUATOR_TESTS if path == EVALUATOR else ()))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
        cwd=root, env=_env(root), capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    # fix17j: 3600 s, not 1200: with the 31 files a rule slip none catches ran past 1200 s at load 8-15 (rev17j r01;
    # r02 took 1113 s) and TimeoutExpired ended the whole run
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("FAILED")]
    return proc.returncode != 0, (lines[0][:160] if lines else proc.stdout.strip().splitlines()[-1][:160])


def _run_one(
    m: Mutation, base: Path, tmp: Path, baselines: dict[Any, set[tuple[str, ...]]], modes: str
) -> dict[str, object]:
    start = time.monotonic()
    work = tmp / m.id / "project"
    shutil.copytree(base, work)
    baseline = baselines.get(m.settings, set())
    _apply_settings(work, m.settings)
    try:
        if not _edit(work, m.path, m.old, m.new):
            return {**asdict(m), "applied": False, "caught": None, "plainCaught": None, "how": ""}
        if m.area == "policy":
            caught, how = rule_tests_fail(work, m.path)
            return {**asdict(m), "applied": True, "caught": caught, "plainCaught": caught, "how": how,
                    "seconds": round(time.monotonic() - start, 1)}  # fmt: skip
        mutant = failures(work, modes)
        new = mutant - baseline
        refused = sorted({f[3] for f in new if f[2] == "(program)"})
        if not new and (same := sorted({f[3] for f in mutant if f[2] == "(program)"})):
            # fix17h: the mutant is refused as the baseline is (another guard refuses the same input first): the slip
            # reaches no plan, so no policy can see it; not counted (it was reported "missed")
            return {**asdict(m), "applied": True, "caught": None, "plainCaught": None,
                    "refusedByProgram": f"as the baseline: {same[0][:140]}", "how": "",
                    "seconds": round(time.monotonic() - start, 1)}  # fmt: skip
        by_rule = {mode: {f[1] for f in new if f[0] == mode and f[2] == m.rule} for mode in ("fake", "unknown")}
        others = sorted({f"{f[0]}:{f[1]} {f[2]}" for f in new if f[2] not in (m.rule, "(program)")})
        how = "; ".join(
            [f"{mode} {m.rule} on {', '.join(sorted(st))}" for mode, st in by_rule.items() if st]
            + ([f"other rules only: {', '.join(others)}"] if others else [])
            + ([f"program refused: {refused[0][:120]}"] if refused else [])
        )
        if refused and not by_rule["fake"] and not by_rule["unknown"]:
            # the program itself refused the slip before any policy ran: not counted either way
            return {**asdict(m), "applied": True, "caught": None, "plainCaught": None,
                    "refusedByProgram": refused[0][:160], "how": how[:300]}  # fmt: skip
        return {**asdict(m), "applied": True, "caught": bool(by_rule["fake"]), "plainCaught": bool(by_rule["unknown"]),
                "refusedByProgram": refused[0][:160] if refused else "", "how": how[:300],
                "seconds": round(time.monotonic() - start, 1)}  # fmt: skip
    finally:
        shutil.rmtree(work.parent, ignore_errors=True)


def _row_text(r: dict[str, object]) -> str:
    """One mutation's row: its id, the verdict in each plan mode (or for a rule slip), its area and how."""
    if not r["applied"]:
        word = "NOT APPLIED"
    elif r["caught"] is None:
        word = "refused by the program"
    elif r["area"] == "policy":
        word = "CAUGHT" if r["caught"] else "missed"
    else:
        word = f"plain {'CAUGHT' if r['plainCaught'] else 'missed'} / fake {'CAUGHT' if r['caught'] else 'missed'}"
    return f"{r['id']!s:32} {word:30} {r['area']!s:9} {r['how']}"


def _run_and_report(
    m: Mutation,
    base: Path,
    tmp: Path,
    baselines: dict[tuple[str, str], set[tuple[str, ...]]],
    modes: str,
    done: list[int],
    total: int,
) -> dict[str, object]:
    """:func:`_run_one`, then one progress line as soon as the mutation is judged (a long run shows its rows as it
    goes, not only at the end)."""
    row = _run_one(m, base, tmp, baselines, modes)
    with _PROGRESS:
        done[0] += 1
        print(f"[{done[0]}/{total}] {_row_text(row)} ({row.get('seconds', '-')} s)", flush=True)
    return row


_PROGRESS = threading.Lock()


def main(argv: list[str] | None = None) -> int:
    """Run the mutations; print one row each as it finishes, then every row and the counts; exit 1 when a mutation
    could not be applied."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--only", help="comma-separated mutation ids")
    p.add_argument("--jobs", type=int, default=1, help="mutations run at once (default 1)")
    p.add_argument("--json", type=Path, help="write the rows as JSON")
    args = p.parse_args(argv)
    modes = "unknown,fake"
    chosen = [m for m in MUTATIONS if not args.only or m.id in args.only.split(",")]
    with tempfile.TemporaryDirectory(prefix="mlp-mutations-") as tmp_dir:
        tmp = Path(tmp_dir)
        base = tmp / "base" / "project"
        base.mkdir(parents=True)
        _copy(base)
        applied = [path for path, old, new in BASELINE_FIXES if _edit(base, path, old, new)]
        print(f"baseline fixes applied: {applied or 'none'}", flush=True)
        baselines: dict[Any, set[tuple[str, ...]]] = {}
        for settings in sorted({m.settings for m in chosen if m.area != "policy"} | {("", "", ())}):
            root = base
            if any(settings):
                root = tmp / f"base-{len(baselines)}" / "project"
                shutil.copytree(base, root)
                _apply_settings(root, settings)
            baselines[settings] = failures(root, modes)
            shown = " ".join(str(s)[:60] for s in settings if s) or "(shipped)"
            print(f"baseline {shown}: {len(baselines[settings])} mandatory failure(s)",
                  *sorted(baselines[settings]), sep="\n  ", flush=True)  # fmt: skip
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            done = [0]
            rows = list(pool.map(lambda m: _run_and_report(m, base, tmp, baselines, modes, done, len(chosen)), chosen))
    print(flush=True)
    for r in rows:
        print(_row_text(r), flush=True)
    src = [r for r in rows if r["area"] != "policy" and r["applied"] and r["caught"] is not None]
    refused = [str(r["id"]) for r in rows if r.get("refusedByProgram") and r["caught"] is None]
    rules = [r for r in rows if r["area"] == "policy" and r["applied"]]
    missing = [str(r["id"]) for r in rows if not r["applied"]]
    print(
        f"\nsource slips caught by their rule in the plain plan (mlplatform plan): "
        f"{sum(bool(r['plainCaught']) for r in src)}/{len(src)}"
        f"; with --placeholders: {sum(bool(r['caught']) for r in src)}/{len(src)}"
        f"; rule slips caught by the rule tests: {sum(bool(r['caught']) for r in rules)}/{len(rules)}"
        + (f"; refused by the program before the policies (not counted): {', '.join(refused)}" if refused else "")
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    if missing:
        print(f"NOT APPLIED (the text is not in its file exactly once): {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
