"""``mlplatform import`` of an InferenceService naming a ServiceAccount (issue #14, private storage with credentials
as Secrets).

KServe's storage pages (kserve/website versioned_docs/version-0.20/model-serving/storage/providers: s3/s3.md,
gcs.md, azure.md, hf.md) give a Secret, a ServiceAccount listing it and an InferenceService with
``serviceAccountName``. KServe v0.20.0 mounts every Secret the ServiceAccount lists for the storage initializer and,
beside an ``eks.amazonaws.com/role-arn`` annotation, sets S3 variables from the account's ``serving.kserve.io/s3-*``
annotations (pkg/credentials/service_account_credentials.go ``CreateSecretVolumeAndEnvFromServiceAccount``,
pkg/credentials/s3/s3_service_account.go ``BuildServiceAccountEnvs``). mlplatform gives each model its own
ServiceAccount, so import reads the named ServiceAccount's manifest from the files: its one Secret becomes
``storageSecret`` (the model's ServiceAccount lists it), its ``imagePullSecrets`` the model's; what it cannot carry
is one line naming it. Before this, every such InferenceService was refused (4 of the 153 documented).
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import yaml

from components.plan import kimport
from components.plan.project import load_project
from support import ROOT, validate_custom_resource

sys.path.insert(0, str(ROOT / "benchmarks"))
import import_docs

PROJECT = load_project(ROOT)

# gcs.md, as the page gives them (the Secret's data elided by the page too)
GCS_SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "gcscreds"},
    "type": "Opaque",
    "data": {"gcloud-application-credentials.json": "<base64 encoded value of the credential file>"},
}
GCS_ACCOUNT = {
    "apiVersion": "v1",
    "kind": "ServiceAccount",
    "metadata": {"name": "sa"},
    "secrets": [{"name": "gcscreds"}],
}
GCS_ISVC = {
    "apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService",
    "metadata": {"name": "tensorflow-gcs"},
    "spec": {
        "predictor": {
            "serviceAccountName": "sa",
            "model": {
                "modelFormat": {"name": "tensorflow"},
                "storageUri": "gs://kfserving-examples/models/tensorflow/flowers",
            },
        }
    },
}
# s3/s3.md: first the IRSA ServiceAccount with the S3 annotations, then (same name) the one listing s3creds
S3_IRSA_ACCOUNT = {
    "apiVersion": "v1",
    "kind": "ServiceAccount",
    "metadata": {
        "name": "sa",
        "annotations": {
            "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/s3access",
            "serving.kserve.io/s3-endpoint": "s3.amazonaws.com",
            "serving.kserve.io/s3-usehttps": "1",
            "serving.kserve.io/s3-region": "us-east-2",
            "serving.kserve.io/s3-useanoncredential": "false",
        },
    },
}
S3_ACCOUNT = {
    "apiVersion": "v1",
    "kind": "ServiceAccount",
    "metadata": {"name": "sa"},
    "secrets": [{"name": "s3creds"}],
}
S3_ISVC = {
    "apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService",
    "metadata": {"name": "mnist-s3"},
    "spec": {
        "predictor": {
            "serviceAccountName": "sa",
            "model": {"modelFormat": {"name": "tensorflow"}, "storageUri": "s3://kserve-examples/mnist"},
        }
    },
}


def _aws_dev_copy(tmp_path: Path) -> Any:
    """A project of its own with the aws-dev stack (``import_docs.policy_failures`` rewrites it while it plans)."""
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (root / "infra").symlink_to(ROOT / "infra")
    (root / "stacks" / "Pulumi.aws-dev.yaml").write_text((ROOT / "stacks" / "Pulumi.aws-dev.yaml").read_text())
    return load_project(root)


def _import(tmp_path: Path, *docs: Any, project: Any = PROJECT) -> tuple[kimport.ImportResult, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "page.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return kimport.import_files([path], project, "aws-dev"), path


def _refusal(tmp_path: Path, *docs: Any) -> str:
    result, _ = _import(tmp_path, *docs)
    assert result.imported == []
    (line,) = result.refused
    return line.split(": InferenceService ", 1)[1]


def test_the_gcs_and_s3_pages_import_with_the_secret_the_account_lists_plan_and_pass_the_policies(
    tmp_path: Path,
) -> None:
    project = _aws_dev_copy(tmp_path)
    result, path = _import(tmp_path, GCS_SECRET, GCS_ACCOUNT, GCS_ISVC, project=project)
    assert result.refused == []
    (gcs,) = result.imported
    assert gcs.entry == {
        "storageSecret": "gcscreds",
        "format": "tensorflow",
        "storageUri": "gs://kfserving-examples/models/tensorflow/flowers",
        "access": {"mode": "public", "allowAnonymous": True},
    }
    assert (
        ("spec", "predictor", "serviceAccountName"),
        f"sa: the model gets its own ServiceAccount listing ServiceAccount sa ({path}#2)'s Secret gcscreds "
        "(storageSecret), which KServe's storage initializer reads as it read sa's; create gcscreds in the model's "
        "namespace",
    ) in gcs.notes
    # not read anonymously: the Secret reads it, as in plain KServe
    assert "publicStorage" not in gcs.entry
    assert result.skipped[:2] == [
        f"{path}#1: Secret gcscreds: create it in the model's namespace yourself (a stack names Secrets, never holds "
        "them: storageSecret, secretEnv, imagePullSecrets); skipped",
        f"{path}#2: ServiceAccount sa: read for the InferenceServices naming it (serviceAccountName); mlplatform "
        "gives each model its own; skipped",
    ]

    s3, s3_path = _import(tmp_path / "s3", S3_IRSA_ACCOUNT, S3_ACCOUNT, S3_ISVC, project=project)
    assert s3.refused == []
    assert s3.skipped[0] == (
        f"{s3_path}#2: ServiceAccount sa: replaces the one of {s3_path}#1 (kubectl apply of the files in order leaves "
        "the last)"
    )
    (mnist,) = s3.imported
    assert mnist.entry["storageSecret"] == "s3creds"
    # the Secret reads it: no note that the model's cloud identity does
    assert not any("cloud identity" in text for _, text in mnist.notes), mnist.notes

    rendered = kimport.rendered_isvcs(project, "aws-dev", [gcs, mnist])
    accounts = kimport.rendered_isvcs(project, "aws-dev", [gcs, mnist], kind="ServiceAccount")
    for doc, imported, secret in ((GCS_ISVC, gcs, "gcscreds"), (S3_ISVC, mnist, "s3creds")):
        isvc = rendered[("models", imported.name)]
        assert kimport.round_trip_problems(doc, imported, isvc) == []
        assert validate_custom_resource(isvc) == []
        own = isvc["spec"]["predictor"]["serviceAccountName"]
        assert own != "sa"
        # the model's own ServiceAccount lists the Secret: what KServe's storage initializer mounts
        assert accounts[("models", own)]["secrets"] == [{"name": secret}]
        assert accounts[("models", own)]["automountServiceAccountToken"] is False
    entries = {i.name: i.entry for i in (gcs, mnist)}
    assert import_docs.policy_failures(project, "aws-dev", entries) == []


def test_an_irsa_account_without_s3_settings_is_the_stacks_identity(tmp_path: Path) -> None:
    account = copy.deepcopy(S3_IRSA_ACCOUNT)
    account["metadata"]["annotations"] = {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/s3access"}
    result, path = _import(tmp_path, account, S3_ISVC)
    (imported,) = result.imported
    assert "storageSecret" not in imported.entry
    at = ("spec", "predictor", "serviceAccountName")
    assert (
        at,
        f"sa: the model gets its own ServiceAccount with the stack's cloud identity (read on the storage it names), "
        f"not ServiceAccount sa ({path}#1)'s",
    ) in imported.notes
    assert (
        at,
        f"ServiceAccount sa ({path}#1): annotation eks.amazonaws.com/role-arn: not carried; the stack's own identity "
        "replaces it",
    ) in imported.notes


def test_s3_settings_beside_an_irsa_role_are_one_line(tmp_path: Path) -> None:
    """s3.md's first ServiceAccount alone: KServe sets S3_ENDPOINT and the rest from it; mlplatform's own
    ServiceAccount would not, so the endpoint asked for would be lost."""
    path = tmp_path / "page.yaml"
    assert _refusal(tmp_path, S3_IRSA_ACCOUNT, S3_ISVC) == (
        f"mnist-s3: spec.predictor.serviceAccountName: ServiceAccount sa ({path}#1): annotation "
        "serving.kserve.io/s3-endpoint: beside eks.amazonaws.com/role-arn KServe sets the storage initializer's "
        "variables from it (pkg/credentials/service_account_credentials.go CreateSecretVolumeAndEnvFromServiceAccount);"
        " mlplatform's model ServiceAccount carries no storage settings: give a Secret with this annotation as "
        "storageSecret, or remove it to read the storage with the stack's identity"
    )


def test_s3_settings_without_an_irsa_role_are_ignored_as_kserve_ignores_them(tmp_path: Path) -> None:
    account = copy.deepcopy(S3_ACCOUNT)
    account["metadata"]["annotations"] = {"serving.kserve.io/s3-endpoint": "minio.storage:9000"}
    result, path = _import(tmp_path, account, S3_ISVC)
    (imported,) = result.imported
    assert imported.entry["storageSecret"] == "s3creds"
    assert (
        ("spec", "predictor", "serviceAccountName"),
        f"ServiceAccount sa ({path}#1): annotation serving.kserve.io/s3-endpoint: KServe reads it only beside "
        "eks.amazonaws.com/role-arn; ignored there too",
    ) in imported.notes


def test_an_account_not_among_the_files_or_in_another_namespace_is_one_line(tmp_path: Path) -> None:
    assert _refusal(tmp_path, S3_ISVC) == (
        "mnist-s3: spec.predictor.serviceAccountName: mlplatform gives each model its own ServiceAccount with the "
        "stack's cloud identity, listing the storage credentials' Secret (storageSecret): give ServiceAccount sa's "
        "manifest among the files (import reads the Secret it lists), or give storageSecret"
    )
    elsewhere = copy.deepcopy(S3_ISVC)
    elsewhere["metadata"]["namespace"] = "team-a"
    assert _refusal(tmp_path, S3_ACCOUNT, elsewhere) == (
        "mnist-s3: spec.predictor.serviceAccountName: mlplatform gives each model its own ServiceAccount with the "
        "stack's cloud identity, listing the storage credentials' Secret (storageSecret): give ServiceAccount sa's "
        "manifest in namespace team-a among the files (import reads the Secret it lists), or give storageSecret"
    )


def test_an_account_whose_namespace_is_not_text_is_not_read(tmp_path: Path) -> None:
    account = copy.deepcopy(S3_ACCOUNT)
    account["metadata"]["namespace"] = 5
    result, path = _import(tmp_path, account, S3_ISVC)
    assert f"{path}#1: ServiceAccount sa: metadata.namespace is not text; not read" in result.skipped
    (line,) = result.refused
    assert "give ServiceAccount sa's manifest among the files" in line


def test_two_secrets_or_a_malformed_list_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "page.yaml"
    two = {**S3_ACCOUNT, "secrets": [{"name": "s3creds"}, {"name": "gcscreds"}]}
    assert _refusal(tmp_path, two, S3_ISVC) == (
        f"mnist-s3: spec.predictor.serviceAccountName: ServiceAccount sa ({path}#1) lists 2 Secrets (s3creds, "
        "gcscreds), each mounted for the storage initializer; storageSecret names one: give the storage credentials "
        "in one Secret"
    )
    bad = {**S3_ACCOUNT, "secrets": ["s3creds"]}
    assert _refusal(tmp_path, bad, S3_ISVC) == (
        f"mnist-s3: spec.predictor.serviceAccountName: ServiceAccount sa ({path}#1): give its secrets as a list of "
        "{name: <Secret>}"
    )
    not_text = copy.deepcopy(S3_ISVC)
    not_text["spec"]["predictor"]["serviceAccountName"] = ["sa"]
    assert _refusal(tmp_path, S3_ACCOUNT, not_text) == (
        "mnist-s3: spec.predictor.serviceAccountName: give the ServiceAccount's name as text"
    )


def test_the_accounts_pull_secrets_are_the_models(tmp_path: Path) -> None:
    """The ServiceAccount admission plugin gives a pod its account's imagePullSecrets; the model's pod gets them."""
    account = {**S3_ACCOUNT, "imagePullSecrets": [{"name": "regcred"}]}
    isvc = copy.deepcopy(S3_ISVC)
    isvc["spec"]["predictor"]["imagePullSecrets"] = [{"name": "own"}, {"name": "regcred"}]
    result, _ = _import(tmp_path, account, isvc)
    (imported,) = result.imported
    assert imported.entry["imagePullSecrets"] == ["own", "regcred"]
    rendered = kimport.rendered_isvcs(PROJECT, "aws-dev", [imported])[("models", "mnist-s3")]
    assert rendered["spec"]["predictor"]["imagePullSecrets"] == [{"name": "own"}, {"name": "regcred"}]
    assert kimport.round_trip_problems(isvc, imported, rendered) == []


def test_without_a_service_account_name_the_namespaces_default_account_is_read(tmp_path: Path) -> None:
    """exp14t F1: plain KServe v0.20.0 reads the storage credentials of the namespace's ``default`` ServiceAccount when
    the component names none (pkg/credentials/service_account_credentials.go ``CreateSecretVolumeAndEnv``:
    ``if serviceAccountName == "" { serviceAccountName = "default" }``), so a ``default`` account among the files is
    read as if named; without one (or in another namespace) nothing changes."""
    default = {**S3_ACCOUNT, "metadata": {"name": "default"}}
    unnamed: Any = copy.deepcopy(S3_ISVC)
    del unnamed["spec"]["predictor"]["serviceAccountName"]
    result, path = _import(tmp_path, default, unnamed)
    (imported,) = result.imported
    assert imported.entry["storageSecret"] == "s3creds"
    assert (
        ("spec", "predictor"),
        f"default: the model gets its own ServiceAccount listing ServiceAccount default ({path}#1)'s Secret s3creds "
        "(storageSecret), which KServe's storage initializer reads as it read default's; create s3creds in the "
        "model's namespace",
    ) in imported.notes
    # what the storage initializer gets: the model's own ServiceAccount lists the Secret, every field round-trips
    isvc = kimport.rendered_isvcs(PROJECT, "aws-dev", [imported])[("models", "mnist-s3")]
    own = isvc["spec"]["predictor"]["serviceAccountName"]
    accounts = kimport.rendered_isvcs(PROJECT, "aws-dev", [imported], kind="ServiceAccount")
    assert accounts[("models", own)]["secrets"] == [{"name": "s3creds"}]
    assert kimport.round_trip_problems(unnamed, imported, isvc) == []
    empty: Any = copy.deepcopy(unnamed)
    empty["spec"]["predictor"]["serviceAccountName"] = ""
    result, _ = _import(tmp_path / "empty", default, empty)
    (imported,) = result.imported
    assert imported.entry["storageSecret"] == "s3creds"
    # boundaries: no default account among the files, or one of another namespace: the stack's identity, as before
    for docs in ((S3_ACCOUNT, unnamed), ({**default, "metadata": {"name": "default", "namespace": "team-a"}}, unnamed)):
        result, _ = _import(tmp_path / "other", *docs)
        (imported,) = result.imported
        assert "storageSecret" not in imported.entry
    # a named account is still the one read, not default
    result, _ = _import(tmp_path / "named", default, {**S3_ACCOUNT, "secrets": [{"name": "other"}]}, S3_ISVC)
    (imported,) = result.imported
    assert imported.entry["storageSecret"] == "other"
    # the default account's two Secrets are refused as a named one's
    two = {**default, "secrets": [{"name": "s3creds"}, {"name": "gcscreds"}]}
    assert _refusal(tmp_path / "two", two, unnamed).startswith("mnist-s3: spec.predictor: ServiceAccount default (")
