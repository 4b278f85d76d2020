"""Identity wiring of a private-bucket GPU model on each cloud, through the real stack files and clusters.

Planned with fake outputs, so the values a deploy computes (role ARN, OIDC issuer, client id) can be followed from
the cloud identity into the ServiceAccount and the ModelService outputs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from serving_support import ISVC, SA, SERVICE

from components.plan.engine import PlanResult, Registration, run_program
from components.plan.project import load_project, read_stack_file
from support import ROOT, shared_cache

PROJECT = load_project(ROOT)


@shared_cache
def planned(stack: str) -> PlanResult:
    cfg = read_stack_file(PROJECT, stack)
    return run_program(
        ROOT, stack, cfg.config, cfg.secret_keys, main=PROJECT.main, project=PROJECT.name, outputs="fake"
    )


def children(result: PlanResult, model: str) -> dict[str, Registration]:
    return {c.type: c for c in result.children(result.one(SERVICE, model))}


def sa_meta(result: PlanResult, model: str) -> dict[str, Any]:
    return result.one(SA, f"{model}-sa").plain_inputs()["metadata"]  # type: ignore[no-any-return]


def pod_labels(result: PlanResult, model: str) -> dict[str, str]:
    return result.one(ISVC, f"{model}-isvc").plain_inputs()["spec"]["predictor"]["labels"]  # type: ignore[no-any-return]


def test_eks_irsa_role_trusts_exactly_the_model_service_account() -> None:
    result = planned("aws-dev")
    kids = children(result, "resnet50")
    role = kids["aws:iam/role:Role"].plain_inputs()
    (statement,) = json.loads(role["assumeRolePolicy"])["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    provider = statement["Principal"]["Federated"]
    issuer = provider.split(":oidc-provider/")[1]
    assert statement["Condition"] == {
        "StringEquals": {
            f"{issuer}:sub": "system:serviceaccount:models:resnet50-sa",
            f"{issuer}:aud": "sts.amazonaws.com",
        }
    }
    policy = json.loads(kids["aws:iam/rolePolicy:RolePolicy"].plain_inputs()["policy"])
    assert {s["Action"] for s in policy["Statement"]} == {"s3:GetObject", "s3:ListBucket"}
    arn = result.one(SERVICE, "resnet50").outputs["identity"]
    assert arn.startswith("arn:aws:iam::")
    assert sa_meta(result, "resnet50")["annotations"] == {"eks.amazonaws.com/role-arn": arn}


def test_gke_workload_identity_binds_the_model_service_account() -> None:
    result = planned("gcp-prod")
    kids = children(result, "resnet-triton")
    email = result.one(SERVICE, "resnet-triton").outputs["identity"]
    binding = kids["gcp:serviceaccount/iAMMember:IAMMember"].plain_inputs()
    assert binding["role"] == "roles/iam.workloadIdentityUser"
    assert binding["member"] == "serviceAccount:mlplatform-prod.svc.id.goog[models/resnet-triton-sa]"
    read = kids["gcp:storage/bucketIAMMember:BucketIAMMember"].plain_inputs()
    assert (read["bucket"], read["role"], read["member"]) == (
        "mlplatform-prod-models",
        "roles/storage.objectViewer",
        f"serviceAccount:{email}",
    )
    assert sa_meta(result, "resnet-triton")["annotations"] == {"iam.gke.io/gcp-service-account": email}


def test_aks_federated_credential_names_the_model_service_account() -> None:
    result = planned("azure-staging")
    kids = children(result, "bert-onnx")
    fic = kids["azure-native:managedidentity:FederatedIdentityCredential"].plain_inputs()
    assert fic["subject"] == "system:serviceaccount:models:bert-onnx-sa"
    assert fic["audiences"] == ["api://AzureADTokenExchange"]
    scope = kids["azure-native:authorization:RoleAssignment"].plain_inputs()["scope"]
    assert scope.endswith("/storageAccounts/mlpstagingmodels/blobServices/default/containers/models")
    client_id = result.one(SERVICE, "bert-onnx").outputs["identity"]
    meta = sa_meta(result, "bert-onnx")
    assert meta["annotations"] == {"azure.workload.identity/client-id": client_id}
    assert meta["labels"]["azure.workload.identity/use"] == "true"
    assert pod_labels(result, "bert-onnx")["azure.workload.identity/use"] == "true"


@pytest.mark.parametrize("stack", ["aws-dev", "gcp-prod", "azure-staging"])
def test_public_sample_needs_no_identity_on_any_cloud(stack: str) -> None:
    result = planned(stack)
    kids = children(result, "sklearn-iris")
    assert all(t.startswith("kubernetes:") for t in kids), sorted(kids)
    assert "annotations" not in sa_meta(result, "sklearn-iris")
    assert "identity" not in result.one(SERVICE, "sklearn-iris").outputs


@pytest.mark.parametrize(
    ("stack", "model", "accelerator"),
    [
        ("aws-dev", "resnet50", "nvidia-l4"),
        ("gcp-prod", "qwen-chat", "nvidia-l4"),
        ("azure-staging", "bert-onnx", "nvidia-t4"),
    ],
)
def test_gpu_models_select_their_pool_and_tolerate_its_taint_on_every_cloud(
    stack: str, model: str, accelerator: str
) -> None:
    pred = planned(stack).one(ISVC, f"{model}-isvc").plain_inputs()["spec"]["predictor"]
    assert pred["nodeSelector"] == {"mlplatform.io/accelerator": accelerator}
    assert {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"} in pred[
        "tolerations"
    ]


def test_gcp_prod_llm_on_vllm_with_jwt_slo_alerts_and_the_secret_token() -> None:
    result = planned("gcp-prod")
    kids = children(result, "qwen-chat")
    model = result.one(ISVC, "qwen-chat-isvc").plain_inputs()["spec"]["predictor"]["model"]
    assert model["modelFormat"] == {"name": "huggingface"}
    assert model["args"] == [
        "--backend=vllm",
        "--max-model-len=8192",
        "--tensor-parallel-size=1",
        "--load-format=runai_streamer",
        "--gpu-memory-utilization=0.45",
    ]
    assert "kubernetes:security.istio.io/v1:RequestAuthentication" in kids
    rules = kids["kubernetes:monitoring.coreos.com/v1:PrometheusRule"].plain_inputs()["spec"]["groups"][0]["rules"]
    assert [r["alert"] for r in rules] == ["ModelLatencyP95High", "ModelErrorRateHigh"]
    secret = kids["kubernetes:core/v1:Secret"]
    assert secret.wire_inputs()["stringData"] == {"HF_TOKEN": "[secret]"}


@pytest.mark.parametrize(
    ("stack", "model", "grant_types"),
    [
        ("aws-dev", "resnet50", {"aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"}),
        (
            "gcp-prod",
            "resnet-triton",
            {
                "gcp:serviceaccount/account:Account",
                "gcp:serviceaccount/iAMMember:IAMMember",
                "gcp:storage/bucketIAMMember:BucketIAMMember",
            },
        ),
        (
            "azure-staging",
            "bert-onnx",
            {
                "azure-native:managedidentity:UserAssignedIdentity",
                "azure-native:managedidentity:FederatedIdentityCredential",
                "azure-native:authorization:RoleAssignment",
            },
        ),
    ],
)
def test_inference_service_waits_for_the_storage_grant(stack: str, model: str, grant_types: set[str]) -> None:
    # The first model download must not race the IAM grant: the ISVC depends on the policy / IAM members /
    # federated credential + role assignment themselves, not only on the ServiceAccount that names the identity.
    result = planned(stack)
    grant = [r for r in result.children(result.one(SERVICE, model)) if r.type in grant_types]
    assert {r.type for r in grant} == grant_types
    isvc = result.one(ISVC, f"{model}-isvc")
    assert {r.urn for r in grant} <= set(isvc.depends_on)


def test_a_model_without_a_grant_waits_only_on_kubernetes_resources() -> None:
    result = planned("aws-dev")
    isvc = result.one(ISVC, "sklearn-iris-isvc")
    types = {r.urn: r.type for r in result.resources}
    assert {types[u].split(":")[0] for u in isvc.depends_on} == {"kubernetes"}
