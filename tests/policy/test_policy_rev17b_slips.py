"""Slips 2, 3, 7, 13 and 14 of the second hostile review of #17 (/work/wt/rev17b-report.md): each over a shipped
stack's real plan (plain and with placeholders) mutated like the slip, at its boundaries, and its level pinned."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_policy_mutated_plans import PROJECT, entries, failed, mutate, named, shipped

from components.clusters import gke
from components.errors import SpecError
from components.plan.cli import EXIT_OK, EXIT_POLICY, main
from components.plan.engine import run_program
from components.plan.project import read_stack_file
from policy.rules import ALL_RULES, UNKNOWN, Resource, StackSettings, resources_from_plan

OUTPUTS = ("unknown", "fake")
"""A plain plan (values known after deploy are unknown) and ``--placeholders`` (typed placeholders)."""


def _level(rule: str) -> str:
    return next(r.enforcement for r in ALL_RULES if r.name == rule)


def _caught(
    stack: str,
    outputs: str,
    rule: str,
    pick: Callable[[Resource], bool],
    change: Callable[[dict[str, Any]], None],
    also: tuple[str, ...] = (),
) -> list[str]:
    """The rule passes on the shipped plan and is the only mandatory rule failing once ``change`` is applied (besides
    ``also``): its messages."""
    resources, settings = shipped(stack, outputs)
    assert all(e["passed"] for e in entries(resources, settings)[rule])
    found = failed(mutate(resources, pick, change), settings, stack)
    assert sorted(found) == sorted([rule, *also]), found
    return found[rule]


# ------------------------------------------------------------------------------------------------ #2 istio-cni


def _cni_dir(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        if value is None:
            del props["values"]["cniBinDir"]
        else:
            props["values"]["cniBinDir"] = value

    return change


CNI = named(":Release", "mlplatform-istio-cni")


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_istio_cni_without_gke_bin_dir_gcp_prod(outputs: str) -> None:
    """#2: ``cni_values`` returning ``{}``: the chart's default /opt/cni/bin, where GKE's kubelet does not look."""
    (msg,) = _caught("gcp-prod", outputs, "istio-cni-bin-dir", CNI, _cni_dir(None))
    assert "/opt/cni/bin" in msg and gke.CNI_BIN_DIR in msg


@pytest.mark.parametrize("value", ["/opt/cni/bin", "/home/kubernetes/bin/", "/home/kubernetes"])
def test_istio_cni_bin_dir_boundaries_gcp_prod(value: str) -> None:
    _caught("gcp-prod", "fake", "istio-cni-bin-dir", CNI, _cni_dir(value))


def test_istio_cni_default_dir_passes_where_the_cloud_names_none() -> None:
    """aws-dev's cluster says nothing (the chart default is right there): the rule does not judge it."""
    resources, settings = shipped("aws-dev")
    assert any(CNI(r) for r in resources)
    assert "cniBinDir" not in next(r for r in resources if CNI(r)).props["values"]
    assert all(e["passed"] for e in entries(resources, settings)["istio-cni-bin-dir"])


# ------------------------------------------------------------------------------------------------ #3 GKE node SA


def _node_sa(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        if value is None:
            del props["nodeConfig"]["serviceAccount"]
        else:
            props["nodeConfig"]["serviceAccount"] = value

    return change


GPU_POOL = named("nodePool:NodePool", "mlplatform-gpu-l4")


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_gke_pool_without_service_account_gcp_prod(outputs: str) -> None:
    """#3: ``service_account=`` deleted: the nodes run as the Compute Engine default service account."""
    # fix17i (rev17j j02): with its known target account, the webhook firewall no longer covers the pool either
    also = ("cluster-hardening",) if outputs == "fake" else ()
    (msg,) = _caught("gcp-prod", outputs, "iam-least-privilege", GPU_POOL, _node_sa(None), also)
    assert "mlplatform-gpu-l4" in msg and "default service account" in msg


@pytest.mark.parametrize(
    "value",
    [
        "default",
        "123456789012-compute@developer.gserviceaccount.com",
        "other@mlplatform-prod.iam.gserviceaccount.com",
        "",
    ],
)
def test_gke_pool_service_account_boundaries_gcp_prod(value: str) -> None:
    _caught("gcp-prod", "fake", "iam-least-privilege", GPU_POOL, _node_sa(value), ("cluster-hardening",))


def test_gke_pool_service_account_of_the_plan_passes() -> None:
    """The plan's own node service account (placeholders: its e-mail; plain: computed from it) passes."""
    for outputs in OUTPUTS:
        resources, settings = shipped("gcp-prod", outputs)
        sa = next(r for r in resources if GPU_POOL(r)).props["nodeConfig"]["serviceAccount"]
        if outputs == "fake":
            assert sa == "mlp-gcp-prod-nodes@mlplatform-prod.iam.gserviceaccount.com"
        assert all(e["passed"] for e in entries(resources, settings)["iam-least-privilege"])


def test_gke_pool_computed_service_account_from_elsewhere_fails() -> None:
    """A computed e-mail that no service account of the plan gives (the pool depends on none) fails."""
    resources, settings = shipped("gcp-prod", "unknown")
    cut = [
        replace(r, depends_on=tuple(u for u in r.depends_on if "account:Account" not in u)) if GPU_POOL(r) else r
        for r in resources
    ]
    found = failed(cut, settings, "gcp-prod")
    assert list(found) == ["iam-least-privilege"], found


# ------------------------------------------------------------------------------------------------ #7 EKS access entry


def _entry_type(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        if value is None:
            del props["type"]
        else:
            props["type"] = value

    return change


ENTRY = named("accessEntry:AccessEntry", "mlplatform-karpenter-nodes")


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_karpenter_node_entry_standard_aws_dev(outputs: str) -> None:
    """#7: the Karpenter node role's access entry of type STANDARD: EKS grants the nodes nothing."""
    (msg,) = _caught("aws-dev", outputs, "cluster-hardening", ENTRY, _entry_type("STANDARD"))
    assert "STANDARD" in msg and "EC2_LINUX" in msg


@pytest.mark.parametrize("value", [None, "FARGATE_LINUX", "EC2"])
def test_karpenter_node_entry_boundaries_aws_dev(value: str | None) -> None:
    _caught("aws-dev", "fake", "cluster-hardening", ENTRY, _entry_type(value))


def test_karpenter_node_entry_windows_passes_and_other_principals_are_not_judged() -> None:
    resources, settings = shipped("aws-dev")
    windows = mutate(resources, ENTRY, _entry_type("EC2_WINDOWS"))
    assert all(e["passed"] for e in entries(windows, settings)["cluster-hardening"])

    def elsewhere(props: dict[str, Any]) -> None:
        props["type"] = "STANDARD"
        props["principalArn"] = "arn:aws:iam::123456789012:role/ci-deployer"

    other = mutate(resources, ENTRY, elsewhere)
    assert all(e["passed"] for e in entries(other, settings)["cluster-hardening"])


# ------------------------------------------------------------------------------------------------ levels


def test_the_new_shares_are_mandatory() -> None:
    """Pinned: the rules these slips fail are mandatory (a slip of the level would let them through)."""
    for rule in ("istio-cni-bin-dir", "iam-least-privilege", "cluster-hardening", "model-declared-secrets"):
        assert _level(rule) == "mandatory", rule


# ------------------------------------------------------------------------------------------------ #13, #14 secrets

CUSTOM = {
    "container": {"image": "ghcr.io/acme/server:1.2", "command": ["python", "-m", "server"]},
    "resources": {"cpu": "500m", "memory": "1Gi"},
    "scaling": {"minReplicas": 1, "maxReplicas": 2},
    "secretEnv": {"API_KEY": {"secret": "server-keys", "key": "api"}},
    "imagePullSecrets": ["ghcr-pull"],
    "access": {"mode": "internal", "allowedNamespaces": ["default"]},
}
"""A model of the documented options (docs/configuration.md: imagePullSecrets, secretEnv) added to the local stack,
as the review's ``RICH`` settings did."""


@cache
def _rich() -> tuple[tuple[Resource, ...], StackSettings]:
    cfg = read_stack_file(PROJECT, "local")
    config = dict(cfg.config)
    config["mlplatform:models"] = json.dumps({**json.loads(config["mlplatform:models"]), "custom-srv": CUSTOM})
    result = run_program(
        PROJECT.root, "local", config, cfg.secret_keys, main=PROJECT.main, project=PROJECT.name, outputs="fake"
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


SRV = named(":InferenceService", "custom-srv-isvc")


def _drop_pull_secrets(props: dict[str, Any]) -> None:
    del props["spec"]["predictor"]["imagePullSecrets"]


def _literal_secret_env(props: dict[str, Any]) -> None:
    (container,) = props["spec"]["predictor"]["containers"]
    (entry,) = [e for e in container["env"] if e["name"] == "API_KEY"]
    entry.pop("valueFrom")
    entry["value"] = "server-keys/api"


def _rich_caught(change: Callable[[dict[str, Any]], None]) -> list[str]:
    resources, settings = _rich()
    assert dict(settings.facts.model_secrets)["models/custom-srv"].pull == ("ghcr-pull",)
    assert all(e["passed"] for e in entries(resources, settings)["model-declared-secrets"])
    found = failed(mutate(resources, SRV, change), settings, "local")
    assert list(found) == ["model-declared-secrets"], found
    return found["model-declared-secrets"]


def test_pull_secrets_dropped_local() -> None:
    """#13: ``out["imagePullSecrets"] = ...`` -> ``pass``: the private image never pulls."""
    (msg,) = _rich_caught(_drop_pull_secrets)
    assert "imagePullSecrets are none" in msg and "ghcr-pull" in msg


def test_secret_env_as_literal_local() -> None:
    """#14: a secretEnv entry rendered as a literal ``value``: the server gets the text, not the secret."""
    (msg,) = _rich_caught(_literal_secret_env)
    assert "API_KEY is a literal value" in msg


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["spec"]["predictor"].__setitem__("imagePullSecrets", [{"name": "ghcr-pull"}, {"name": "other"}]),
        lambda p: p["spec"]["predictor"].__setitem__("imagePullSecrets", [{"name": "ghcr"}]),
        lambda p: p["spec"]["predictor"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"].update(key="apikey"),
        lambda p: p["spec"]["predictor"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"].update(name="keys"),
        lambda p: p["spec"]["predictor"]["containers"][0]["env"].pop(0),
    ],
    ids=["extra-pull-secret", "other-pull-secret", "other-key", "other-secret", "variable-gone"],
)
def test_declared_secrets_boundaries_local(change: Callable[[dict[str, Any]], None]) -> None:
    resources, _ = _rich()
    (isvc,) = [r for r in resources if SRV(r)]
    assert isvc.props["spec"]["predictor"]["containers"][0]["env"][0]["name"] == "API_KEY"
    _rich_caught(change)


def test_declared_secrets_reordered_pass() -> None:
    """The same pull secrets in another order, or another component's own variables, pass."""
    resources, settings = _rich()
    ok = mutate(resources, SRV, lambda p: p["spec"]["predictor"]["imagePullSecrets"].reverse())
    assert all(e["passed"] for e in entries(ok, settings)["model-declared-secrets"])


def test_settings_json_round_trip_carries_the_declarations() -> None:
    _, settings = _rich()
    back = StackSettings.from_json(json.loads(json.dumps(settings.to_json())))
    assert back.facts.model_secrets == settings.facts.model_secrets
    assert settings.to_json()["modelSecrets"] == {
        "models/custom-srv": {
            "imagePullSecrets": ["ghcr-pull"],
            "secretEnv": [{"component": "predictor", "name": "API_KEY", "secret": "server-keys", "key": "api"}],
        }
    }


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ({"Models/x": {}}, "settings.modelSecrets"),
        ({"models/x": {"imagePullSecrets": "a"}}, "settings.modelSecrets.models/x.imagePullSecrets"),
        ({"models/x": {"secretEnv": [{"name": "A"}]}}, "settings.modelSecrets.models/x.secretEnv"),
        ({"models/x": {"secretEnv": [{"component": "sidecar", "name": "A", "secret": "s", "key": "k"}]}}, "sidecar"),
        ([], "settings.modelSecrets"),
    ],
)
def test_saved_model_secrets_are_validated(doc: Any, fragment: str) -> None:
    with pytest.raises(SpecError) as e:
        StackSettings.from_json({"modelSecrets": doc})
    assert fragment in str(e.value)


def _project(tmp: Path) -> Path:
    """The project with the local stack's file carrying :data:`CUSTOM` (every other entry linked)."""
    tmp.mkdir()
    for entry in PROJECT.root.iterdir():
        if entry.name not in ("stacks", ".venv", ".git") and not entry.name.startswith("."):
            (tmp / entry.name).symlink_to(entry)
    (tmp / "stacks").mkdir()
    data = yaml.safe_load((PROJECT.root / "stacks" / "Pulumi.local.yaml").read_text())
    data["config"]["mlplatform:models"]["custom-srv"] = CUSTOM
    (tmp / "stacks" / "Pulumi.local.yaml").write_text(yaml.safe_dump(data))
    return tmp


@pytest.mark.parametrize(
    ("change", "fragment"),
    [(_drop_pull_secrets, "imagePullSecrets are none"), (_literal_secret_env, "API_KEY is a literal value")],
    ids=["13", "14"],
)
def test_check_over_the_saved_plan_judges_the_same(
    change: Callable[[dict[str, Any]], None],
    fragment: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``mlplatform check`` over the saved plan fails the slip as the in-plan pack does: the JSON carries the
    declarations (``settings.modelSecrets``)."""
    monkeypatch.setenv("COLUMNS", "400")
    project = _project(tmp_path / "project")
    plan = tmp_path / "plan.json"
    assert main(["plan", "--project", str(project), "--stack", "local", "--no-tree", "--json", str(plan)]) == 0
    doc = json.loads(plan.read_text())
    assert main(["check", str(plan)]) == EXIT_OK
    for r in doc["stacks"][0]["resources"]:
        if r["type"].endswith(":InferenceService") and r["name"] == "custom-srv-isvc":
            change(r["inputs"])
    plan.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["check", str(plan)]) == EXIT_POLICY
    out = capsys.readouterr().out
    assert "model-declared-secrets" in out and fragment in out


def test_istio_cni_bin_dir_unknown_is_said_not_passed() -> None:
    """A computed ``cniBinDir`` on the istio-cni release is named as unchecked; other releases' values are not read."""
    resources, settings = shipped("gcp-prod")
    hidden = mutate(resources, CNI, _cni_dir(UNKNOWN))
    (entry,) = entries(hidden, settings)["istio-cni-bin-dir"]
    assert entry["passed"] and "values.cniBinDir" in entry["unchecked"]
    istiod = mutate(resources, named(":Release", "mlplatform-istiod"), lambda p: p.__setitem__("values", UNKNOWN))
    (entry,) = entries(istiod, settings)["istio-cni-bin-dir"]
    assert entry["passed"] and not entry.get("unchecked")
