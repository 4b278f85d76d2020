"""Render every stack with `mlplatform plan --all --manifests DIR` and scan what comes out.

- checkov (kubernetes framework, offline) with the repo's custom checks for InferenceService (policy/checkov_checks):
  zero failed checks; a skipped check must be a `checkov.io/skip*` annotation with a reason on the object itself.
- kubernetes-validate, strict, for Kubernetes 1.33 and 1.34, on every core object (Server-Side Apply patches are
  partial by design: they are checked for unknown or mistyped fields, not for missing required ones).
- every custom resource strictly against its upstream CRD schema (tests/support.validate_custom_resource).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate import utils as kv_utils
from referencing import Registry, Resource

from components.plan.cli import main
from components.plan.engine import SECRET_TEXT, UNKNOWN_TEXT
from support import ROOT, crd_schema, validate_custom_resource

K8S_VERSIONS = ("1.33", "1.34")
CUSTOM_CHECKS = ROOT / "policy" / "checkov_checks"
SKIP_PREFIXES = ("checkov.io/skip", "bridgecrew.io/skip")


@dataclass(frozen=True)
class Manifest:
    """One rendered Kubernetes object."""

    stack: str
    path: Path
    obj: dict[str, Any]
    patch: bool

    @property
    def id(self) -> str:
        return f"{self.stack}/{self.path.parent.name}/{self.path.name}"

    @property
    def core(self) -> bool:
        group = str(self.obj["apiVersion"]).rsplit("/", 1)[0] if "/" in str(self.obj["apiVersion"]) else ""
        return group == "" or not group.count(".") or group.endswith(".k8s.io")


@dataclass(frozen=True)
class Rendered:
    """The manifests directory, its objects and the plan JSON."""

    root: Path
    manifests: tuple[Manifest, ...]
    plan: dict[str, Any]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    out = tmp_path_factory.mktemp("rendered")
    manifests, plan_file = out / "scan" / "manifests", out / "plan.json"  # scan/: what checkov reads (checkov_scan)
    code = main(
        ["plan", "--all", "--no-tree", "--project", str(ROOT), "--manifests", str(manifests), "--json", str(plan_file)]
    )
    assert code in (0, 1), "a stack failed to plan"  # policy results are asserted in tests/policy
    plan = json.loads(plan_file.read_text())
    patches = set()
    for stack in plan["stacks"]:
        for r in stack["resources"]:
            if r["type"].startswith("kubernetes:") and r["type"].endswith("Patch"):
                meta = r["inputs"].get("metadata") or {}
                patches.add((stack["stack"], meta.get("namespace"), meta.get("name")))
    found = []
    for path in sorted(manifests.rglob("*.yaml")):
        stack = path.relative_to(manifests).parts[0]
        if path.parent.name == "_helm":
            continue
        obj = _unseal_secret_maps(yaml.safe_load(path.read_text()))
        meta = obj.get("metadata") or {}
        found.append(Manifest(stack, path, obj, (stack, meta.get("namespace"), meta.get("name")) in patches))
    assert found, "no Kubernetes objects rendered"
    return Rendered(manifests, tuple(found), plan)


def _unseal_secret_maps(obj: dict[str, Any]) -> dict[str, Any]:
    """pulumi-kubernetes marks a Secret's whole ``data``/``stringData`` secret, so a manifest shows it as one
    ``[secret]``; validate the Secret's shape with one placeholder key in its place."""
    if obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1":
        for key in ("data", "stringData"):
            if obj.get(key) == SECRET_TEXT:
                obj = {**obj, key: {"redacted": SECRET_TEXT}}
    return obj


def test_every_stack_rendered(rendered: Rendered) -> None:
    stacks = {p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml")}
    assert {s["stack"] for s in rendered.plan["stacks"]} == stacks
    assert {m.stack for m in rendered.manifests} == stacks


# ------------------------------------------------------------------------------------------------ checkov


def _checkov(root: Path) -> dict[str, Any]:
    exe = Path(sys.executable).with_name("checkov")
    proc = subprocess.run(
        [
            str(exe),
            "-d",
            str(root),
            "--framework",
            "kubernetes",
            "--skip-download",
            "-o",
            "json",
            "--external-checks-dir",
            str(CUSTOM_CHECKS),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    (k8s,) = [r for r in reports if r.get("check_type") == "kubernetes"]
    return k8s  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def checkov_scan(rendered: Rendered) -> dict[str, dict[str, Any]]:
    """One checkov run (a process costs seconds of CPU to start) over the rendered manifests (``manifests``) and the
    folders of the tests below beside them (``bad``: an unsafe InferenceService; ``skip``: a Deployment with a skip
    annotation): each folder's results, by its name. checkov judges each object on its own file's content."""
    scan = rendered.root.parent
    _bad_isvc(scan)
    _skip_annotated(scan)
    report = _checkov(scan)
    buckets = ("passed_checks", "failed_checks", "skipped_checks")
    parts: dict[str, dict[str, Any]] = {}
    for name in ("manifests", "bad", "skip"):
        results = {  # checkov's file_path is relative to the folder scanned: /manifests/aws-dev/...
            bucket: [c for c in report["results"][bucket] if Path(c["file_path"]).parts[1:2] == (name,)]
            for bucket in buckets
        }
        parts[name] = {**report, "results": {**report["results"], **results}}
    named = sum(len(part["results"][bucket]) for part in parts.values() for bucket in buckets)
    assert named == sum(len(report["results"][bucket]) for bucket in buckets), "a result outside the three folders"
    return parts


@pytest.fixture(scope="module")
def checkov_report(checkov_scan: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return checkov_scan["manifests"]


def test_checkov_has_no_failed_checks(checkov_report: dict[str, Any]) -> None:
    failed = [
        f"{c['check_id']} {c['check_name']}: {c['resource']} ({Path(c['file_path']).name})"
        for c in checkov_report["results"]["failed_checks"]
    ]
    assert failed == []
    assert checkov_report["summary"]["parsing_errors"] == 0


def test_checkov_skips_are_annotations_with_a_reason(checkov_report: dict[str, Any], rendered: Rendered) -> None:
    annotated = {}
    for m in rendered.manifests:
        for key, value in ((m.obj.get("metadata") or {}).get("annotations") or {}).items():
            if key.startswith(SKIP_PREFIXES):
                check, _, reason = str(value).partition("=")
                annotated[(m.obj["kind"], check)] = reason
                assert len(reason.strip()) >= 10, f"{m.id}: {key} needs a reason after '='"
    for c in checkov_report["results"]["skipped_checks"]:
        kind = c["resource"].split(".", 1)[0]
        assert (kind, c["check_id"]) in annotated, f"{c['check_id']} skipped on {c['resource']} without annotation"


def test_custom_checks_ran_on_every_inference_service(checkov_report: dict[str, Any], rendered: Rendered) -> None:
    isvcs = sum(1 for m in rendered.manifests if m.obj["kind"] == "InferenceService")
    assert isvcs > 0
    for check_id in ("CKV_MLP_1", "CKV_MLP_2"):
        ran = [
            c
            for bucket in ("passed_checks", "failed_checks")
            for c in checkov_report["results"][bucket]
            if c["check_id"] == check_id
        ]
        assert len(ran) == isvcs, check_id


def _bad_isvc(tmp: Path) -> Path:
    obj = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "bad", "namespace": "models"},
        "spec": {
            "predictor": {
                "model": {
                    "modelFormat": {"name": "sklearn"},
                    "storageUri": "s3://b/m",
                    "securityContext": {"runAsUser": 0},
                    "resources": {"limits": {"cpu": "1"}},
                }
            }
        },
    }
    (tmp / "bad").mkdir()
    (tmp / "bad" / "isvc.yaml").write_text(yaml.safe_dump(obj))
    return tmp / "bad"


def test_custom_checks_fail_an_unsafe_inference_service(checkov_scan: dict[str, dict[str, Any]]) -> None:
    report = checkov_scan["bad"]
    assert report["results"]["failed_checks"]  # the folder was scanned
    failed = {c["check_id"] for c in report["results"]["failed_checks"]}
    assert {"CKV_MLP_1", "CKV_MLP_2"} <= failed


def test_custom_check_messages() -> None:
    from policy.checkov_checks import isvc_resources, isvc_security_context

    conf = {"spec": {"predictor": {"model": {"securityContext": {"runAsUser": 0}, "resources": {}}}}}
    assert isvc_security_context.problems(conf) == [
        "spec.predictor.model: runAsNonRoot is not true",
        "spec.predictor.model: allowPrivilegeEscalation is not false",
        "spec.predictor.model: capabilities.drop lacks ALL",
        "spec.predictor.model: seccompProfile.type is unset",
    ]
    assert isvc_resources.problems(conf) == [
        "spec.predictor.model: no limits.cpu",
        "spec.predictor.model: no limits.memory",
        "spec.predictor.model: no requests.cpu",
        "spec.predictor.model: no requests.memory",
    ]


# ------------------------------------------------------------------------------------------------ schemas


def _patch_errors(obj: Mapping[str, Any], version: str) -> Iterator[str]:
    """Strict schema errors of a partial (Server-Side Apply patch) object, ignoring missing required fields."""
    api = kv_utils.re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", str(obj["apiVersion"]))
    schema_dir = f"v{[v for v in kv_utils.all_versions() if kv_utils.major_minor(v) <= version][-1]}-local-strict"
    schema = kv_utils.schema_contents(
        f"kubernetes-json-schema/{schema_dir}/{str(obj['kind']).lower()}-{api}.json", version
    )
    defs = kv_utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", version)
    registry: Registry[Any] = Resource.from_contents(defs) @ (Resource.from_contents(schema) @ Registry())
    validator = jsonschema.validators.Draft202012Validator(schema, registry=registry)
    for e in validator.iter_errors(dict(obj)):
        if e.validator != "required":
            yield f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message}"


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_core_objects_validate_strictly(rendered: Rendered, version: str) -> None:
    problems = []
    core = [m for m in rendered.manifests if m.core]
    assert core
    for m in core:
        if m.patch:
            problems += [f"{m.id}: {p}" for p in _patch_errors(m.obj, version)]
            continue
        try:
            kubernetes_validate.validate(m.obj, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            problems.append(f"{m.id}: {'.'.join(str(p) for p in e.path)}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            problems.append(f"{m.id}: {e.message}")
    assert problems == []


def test_custom_resources_validate_against_upstream_crds(rendered: Rendered) -> None:
    problems = []
    custom = [m for m in rendered.manifests if not m.core]
    assert custom
    for m in custom:
        crd_schema(str(m.obj["apiVersion"]), str(m.obj["kind"]))  # fails clearly when no upstream schema exists
        problems += [f"{m.id}: {p}" for p in validate_custom_resource(m.obj) if not _leaf_unknown(p)]
    assert problems == []


def _leaf_unknown(problem: str) -> bool:
    """A value a plan cannot know (an ARN, a name from another resource) below the top level of the object.

    A whole ``spec`` unknown is still a problem: nothing of it could be checked (build it as a dict whose leaves are
    Outputs, not as one Output of a dict).
    """
    path, _, message = problem.partition(": ")
    return message.startswith(f"'{UNKNOWN_TEXT}' is not of type") and path.count(".") >= 1


def _skip_annotated(tmp: Path) -> Path:
    """A Deployment that runs as root, with a skip annotation naming the check and a reason."""
    reason = "the chart's image needs root to bind port 80"
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "apps", "annotations": {"checkov.io/skip1": f"CKV_K8S_23={reason}"}},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "web@sha256:" + "0" * 64}]},
            },
        },
    }
    (tmp / "skip").mkdir()
    (tmp / "skip" / "web.yaml").write_text(yaml.safe_dump(deployment))
    return tmp / "skip"


def test_a_skip_annotation_with_a_reason_suppresses_one_check(checkov_scan: dict[str, dict[str, Any]]) -> None:
    """The suppression convention the scan accepts, shown on a Deployment that runs as root."""
    report = checkov_scan["skip"]
    assert report["results"]["passed_checks"]  # the folder was scanned
    assert [c["check_id"] for c in report["results"]["skipped_checks"]] == ["CKV_K8S_23"]
    assert "CKV_K8S_23" not in {c["check_id"] for c in report["results"]["failed_checks"]}
