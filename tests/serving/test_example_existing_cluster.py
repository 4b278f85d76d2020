"""The example program (examples/model-on-existing-cluster) plans: a user's own Pulumi program importing components."""

from __future__ import annotations

from serving_support import AUTHZ, ISVC, SERVICE

from components.plan.engine import run_program
from components.plan.project import load_project, read_stack_file
from support import ROOT, validate_custom_resource

EXAMPLE = ROOT / "examples" / "model-on-existing-cluster"


def test_example_plans_with_its_own_stack_file() -> None:
    project = load_project(EXAMPLE)
    assert project.name == "model-on-existing-cluster"
    cfg = read_stack_file(project, "dev")
    result = run_program(EXAMPLE, "dev", cfg.config, cfg.secret_keys, main=project.main, project=project.name)
    svc = result.one(SERVICE, "sklearn-iris")
    assert {c.type.rsplit(":", 1)[1] for c in result.children(svc)} == {
        "Namespace",
        "PeerAuthentication",
        "ServiceAccount",
        "InferenceService",
        "AuthorizationPolicy",
        "NetworkPolicy",
        "PodMonitor",
        "PrometheusRule",
        "ConfigMap",
    }
    provider = result.one("pulumi:providers:kubernetes", "cluster-k8s")
    assert provider.plain_inputs()["context"] == "kind-mlplatform"
    isvc = result.one(ISVC)
    obj = isvc.plain_inputs()
    assert obj["metadata"]["namespace"] == "demo"
    assert obj["spec"]["predictor"]["minReplicas"] == 0
    assert validate_custom_resource(obj) == []
    assert validate_custom_resource(result.one(AUTHZ).plain_inputs()) == []
    assert result.stack_outputs["url"] == "https://sklearn-iris-demo.127.0.0.1.sslip.io"
    assert result.stack_outputs["serviceAccount"] == "sklearn-iris-sa"
    # an existing cluster does not say whether its network plugin enforces NetworkPolicy: the plan says so
    assert any("demo/sklearn-iris: the cluster may not enforce NetworkPolicy" in w for w in result.warnings)


def test_example_without_monitoring_skips_the_monitoring_objects() -> None:
    project = load_project(EXAMPLE)
    cfg = read_stack_file(project, "dev")
    config = {**cfg.config, "model-on-existing-cluster:monitoring": "false"}
    result = run_program(EXAMPLE, "dev", config, [], main=project.main, project=project.name)
    kinds = {c.type.rsplit(":", 1)[1] for c in result.children(result.one(SERVICE))}
    assert not kinds & {"PodMonitor", "PrometheusRule", "ConfigMap"}
