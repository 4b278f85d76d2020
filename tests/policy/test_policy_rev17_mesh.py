"""Slips of the hostile review of #17 (rows #20-#49 of the mesh, serving and platform rules): each over a shipped
stack's real plan, mutated like the slip, and at its boundaries."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from test_policy_mutated_plans import assert_caught, entries, named, shipped

from policy.rules import Resource

ISVC = "InferenceService"


def _internal(r: Resource) -> bool:
    return r.type.endswith(ISVC) and r.name == "xgboost-iris-isvc"


# ------------------------------------------------------------------------------------------------ #42, #49


def test_internal_model_admitting_knative_serving_local() -> None:
    """#42: the activator forwards anyone's request, so an internal model naming knative-serving is open."""

    def add(props: dict[str, Any]) -> None:
        props["spec"]["rules"][0]["from"][0]["source"]["namespaces"].append("knative-serving")

    assert_caught(
        "local", "internal-model-callers", named("AuthorizationPolicy", "xgboost-iris-authz"), add,
        "admits the namespace knative-serving, whose proxies forward anyone's request",
    )  # fmt: skip


def test_internal_model_admitting_istio_system_local() -> None:
    def add(props: dict[str, Any]) -> None:
        props["spec"]["rules"][0]["from"][0]["source"]["namespaces"] = ["istio-system"]

    assert_caught(
        "local", "internal-model-callers", named("AuthorizationPolicy", "xgboost-iris-authz"), add,
        "admits the namespace istio-system",
    )  # fmt: skip


def test_internal_model_without_target_burst_capacity_local() -> None:
    """#49: without target-burst-capacity "0" the activator stays on the path, and the model refuses it."""

    def drop(props: dict[str, Any]) -> None:
        del props["metadata"]["annotations"]["autoscaling.knative.dev/target-burst-capacity"]

    assert_caught(
        "local", "internal-model-callers", _internal, drop,
        "target-burst-capacity unset (default 200)",
    )  # fmt: skip


def test_target_burst_capacity_boundaries_local() -> None:
    """ "0" passes; "1" fails; Standard mode (no activator) needs none."""
    resources, settings = shipped("local")

    def judged(value: str | None, mode: str | None = None) -> list[str]:
        out = []
        for r in resources:
            if _internal(r):
                props = {**r.props, "metadata": dict(r.props["metadata"])}
                ann = dict(props["metadata"]["annotations"])
                ann.pop("autoscaling.knative.dev/target-burst-capacity")
                if value is not None:
                    ann["autoscaling.knative.dev/target-burst-capacity"] = value
                if mode is not None:
                    ann["serving.kserve.io/deploymentMode"] = mode
                props["metadata"]["annotations"] = ann
                r = replace(r, props=props)
            out.append(r)
        return [e["message"] for e in entries(out, settings)["internal-model-callers"] if not e["passed"]]

    assert judged("0") == []
    assert any("target-burst-capacity '1'" in m for m in judged("1"))
    assert not any("target-burst-capacity" in m for m in judged(None, "Standard"))


# ------------------------------------------------------------------------------------------------ #24


def _https_server(mode: str | None, credential: str | None = "mlplatform-gateway-tls") -> Any:
    def change(props: dict[str, Any]) -> None:
        server = props["spec"]["ingress"]["istio"]["knative-ingress-gateway"]["servers"][1]
        assert server["port"]["protocol"] == "HTTPS"
        server["tls"] = {k: v for k, v in (("mode", mode), ("credentialName", credential)) if v is not None}

    return change


def _knative(r: Resource) -> bool:
    return r.type.endswith("KnativeServing")


def test_https_server_in_passthrough_gcp_prod() -> None:
    """#24: PASSTHROUGH on 443 applies no HTTP route: every public model is unreachable."""
    assert_caught(
        "gcp-prod", "gateway-https-only", _knative, _https_server("PASSTHROUGH"),
        "servers[1] (port 443, HTTPS) has tls.mode 'PASSTHROUGH'",
    )  # fmt: skip


def test_https_server_tls_boundaries_aws_dev() -> None:
    resources, settings = shipped("aws-dev")
    from test_policy_mutated_plans import failed, mutate

    for mode in ("SIMPLE", "MUTUAL"):
        assert "gateway-https-only" not in failed(mutate(resources, _knative, _https_server(mode)), settings, "aws-dev")
    for mode in ("AUTO_PASSTHROUGH", "ISTIO_MUTUAL", None):
        found = failed(mutate(resources, _knative, _https_server(mode)), settings, "aws-dev")
        assert any(f"tls.mode {mode!r}" in m for m in found["gateway-https-only"]), (mode, found)
    found = failed(mutate(resources, _knative, _https_server("SIMPLE", None)), settings, "aws-dev")
    assert any("has no tls.credentialName" in m for m in found["gateway-https-only"]), found


# ------------------------------------------------------------------------------------------------ #43


def _probe_values(values: list[str]) -> Any:
    def change(props: dict[str, Any]) -> None:
        for rule in props["spec"]["rules"]:
            for cond in rule.get("when", []):
                if cond["key"] == "request.headers[K-Network-Probe]":
                    cond["values"] = values

    return change


def test_gateway_probe_rule_with_any_value_aws_dev() -> None:
    """#43: the gateway's probe rule matching any K-Network-Probe value admits a token-less GET with another value,
    which the queue-proxy passes to the model."""
    assert_caught(
        "aws-dev", "model-endpoint-auth", named("AuthorizationPolicy", "resnet50-authz"), _probe_values(["*"]),
        "GET /v1/models/resnet50 with K-Network-Probe: not-probe",
    )  # fmt: skip


def test_gateway_probe_rule_boundaries_aws_dev() -> None:
    from test_policy_mutated_plans import failed, mutate

    resources, settings = shipped("aws-dev")
    pick = named("AuthorizationPolicy", "resnet50-authz")
    assert "model-endpoint-auth" not in failed(mutate(resources, pick, _probe_values(["probe"])), settings, "aws-dev")
    for values in (["not-probe"], ["probe", "not-probe"], ["*probe"]):
        found = failed(mutate(resources, pick, _probe_values(values)), settings, "aws-dev")
        assert "with K-Network-Probe: not-probe" in " ".join(found.get("model-endpoint-auth", [])), (values, found)


# ------------------------------------------------------------------------------------------------ #46


def _autoscaler_ports(ports: list[str]) -> Any:
    def change(props: dict[str, Any]) -> None:
        for rule in props["spec"]["rules"]:
            principals = [p for f in rule.get("from", []) for p in f.get("source", {}).get("principals", [])]
            if principals == ["cluster.local/ns/knative-serving/sa/controller"]:
                rule["to"][0]["operation"]["ports"] = ports

    return change


def test_autoscaler_admitted_on_the_serving_ports_aws_dev() -> None:
    """#46: the autoscaler's rule on the serving ports lets it read the model server's own /metrics."""
    assert_caught(
        "aws-dev", "model-inference-api-only", named("AuthorizationPolicy", "resnet50-authz"),
        _autoscaler_ports(["8012", "8013"]), "Knative's autoscaler reaches GET /metrics",
    )  # fmt: skip


def test_autoscaler_port_boundaries_aws_dev() -> None:
    from test_policy_mutated_plans import failed, mutate

    resources, settings = shipped("aws-dev")
    pick = named("AuthorizationPolicy", "resnet50-authz")
    assert "model-inference-api-only" not in failed(mutate(resources, pick, _autoscaler_ports(["9090"])), settings, "x")
    found = failed(mutate(resources, pick, _autoscaler_ports(["9090", "8012"])), settings, "aws-dev")
    assert "Knative's autoscaler reaches GET /metrics" in " ".join(found["model-inference-api-only"]), found


# ------------------------------------------------------------------------------------------------ #29


def _inject(name: str, value: str | None, key: str = "annotations") -> Any:
    def change(props: dict[str, Any]) -> None:
        (w,) = [w for w in props["spec"]["workloads"] if w["name"] == name]
        if value is None:
            w.pop(key, None)
        else:
            w.setdefault(key, {})["sidecar.istio.io/inject"] = value

    return change


def test_activator_without_sidecar_gcp_prod() -> None:
    """#29: the activator opting out of injection speaks plain text to STRICT models."""
    assert_caught(
        "gcp-prod", "model-sidecar-injection", _knative, _inject("activator", "false"),
        "(activator) sets annotations.sidecar.istio.io/inject='false'",
    )  # fmt: skip


def test_knative_injection_boundaries_aws_dev() -> None:
    from test_policy_mutated_plans import failed, mutate

    resources, settings = shipped("aws-dev")
    assert "model-sidecar-injection" not in failed(
        mutate(resources, _knative, _inject("activator", "true")), settings, "x"
    )
    # the controller is meant to run without a sidecar (components/platform/knative.py UNMESHED)
    assert "model-sidecar-injection" not in failed(
        mutate(resources, _knative, _inject("controller", "false")), settings, "x"
    )
    found = failed(mutate(resources, _knative, _inject("autoscaler", "False", "labels")), settings, "aws-dev")
    assert "(autoscaler) sets labels.sidecar.istio.io/inject='False'" in " ".join(found["model-sidecar-injection"])


# ------------------------------------------------------------------------------------------------ #30


def _port_level(port: str) -> Any:
    def change(props: dict[str, Any]) -> None:
        props["spec"]["portLevelMtls"] = {port: {"mode": "PERMISSIVE"}}

    return change


def test_activator_request_port_permissive_gcp_prod() -> None:
    """#30: the port-level exception moved to 8012 takes plain text on the activator's request port."""
    assert_caught(
        "gcp-prod", "mesh-mtls-strict", named("PeerAuthentication", "mlplatform-knative-activator-metrics"),
        _port_level("8012"),
        "sets port 8012 of the pods it selects to PERMISSIVE",
    )  # fmt: skip


def test_port_level_boundaries_aws_dev() -> None:
    from test_policy_mutated_plans import failed, mutate

    resources, settings = shipped("aws-dev")
    pick = named("PeerAuthentication", "mlplatform-knative-autoscaler-metrics")
    assert "mesh-mtls-strict" not in failed(mutate(resources, pick, _port_level("9090")), settings, "aws-dev")
    for port in ("8013", "8008", "9091"):
        found = failed(mutate(resources, pick, _port_level(port)), settings, "aws-dev")
        assert f"sets port {port} of the pods" in " ".join(found["mesh-mtls-strict"]), (port, found)


# ------------------------------------------------------------------------------------------------ #20, #31


def _release(chart: str) -> Any:
    return lambda r: r.type.endswith("helm.sh/v3:Release") and str(r.props.get("chart", "")).endswith(chart)


def test_istiod_without_cni_beside_the_cni_agent_gcp_prod() -> None:
    """#20: istio-cni installed but istiod not told: the injector adds the privileged istio-init."""

    def off(props: dict[str, Any]) -> None:
        props["values"]["cni"] = {"enabled": False}

    assert_caught(
        "gcp-prod", "pod-restricted-hardening", _release("istiod"), off,
        "values cni.enabled is False although the stack installs istio-cni",
    )  # fmt: skip


def test_istiod_cni_boundaries_aws_dev() -> None:
    from test_policy_mutated_plans import failed, mutate

    resources, settings = shipped("aws-dev")

    def dropped(props: dict[str, Any]) -> None:
        props["values"].pop("cni")

    found = failed(mutate(resources, _release("istiod"), dropped), settings, "aws-dev")
    assert "values cni.enabled is None" in " ".join(found["pod-restricted-hardening"]), found
    # without the istio-cni agent, istiod's cni.enabled false is the documented istioCni: false set-up (not this rule)
    no_agent = [r for r in resources if r.props.get("name") != "istio-cni"]

    def off(props: dict[str, Any]) -> None:
        props["values"]["cni"] = {"enabled": False}

    found = failed(mutate(tuple(no_agent), _release("istiod"), off), settings, "aws-dev")
    assert "although the stack installs istio-cni" not in " ".join(found.get("pod-restricted-hardening", []))


def test_storage_initializer_privileged_aws_dev() -> None:
    """#31: a Helm-value security context set privileged fails, whatever else it keeps."""

    def privileged(props: dict[str, Any]) -> None:
        props["values"]["kserve"]["storage"]["containerSecurityContext"]["privileged"] = True

    assert_caught(
        "aws-dev", "pod-restricted-hardening", _release("kserve-resources"), privileged,
        "(the storage-initializer): privileged is true",
    )  # fmt: skip


# ------------------------------------------------------------------------------------------------ #26, #27, #34, #35


def _knative_pdb(name: str, bump: int) -> Any:
    def change(props: dict[str, Any]) -> None:
        (pdb,) = [p for p in props["spec"]["podDisruptionBudgets"] if p["name"] == name]
        pdb["minAvailable"] += bump

    return change


def test_activator_pdb_equal_to_replicas_gcp_prod() -> None:
    """#26: activator-pdb minAvailable = the activator's replicas: no activator pod may be evicted."""
    assert_caught(
        "gcp-prod", "pdb-allows-eviction", _knative, _knative_pdb("activator-pdb", 1),
        "(activator-pdb) sets minAvailable 3 with 3 replica(s)",
    )  # fmt: skip


def test_webhook_pdb_equal_to_replicas_on_every_stack() -> None:
    """#27: webhook-pdb minAvailable = high-availability.replicas (1 on dev stacks, 2 on prod)."""
    assert_caught(
        "aws-dev", "pdb-allows-eviction", _knative, _knative_pdb("webhook-pdb", 1),
        "(webhook-pdb) sets minAvailable 1 with 1 replica(s)",
    )  # fmt: skip
    assert_caught(
        "gcp-prod", "pdb-allows-eviction", _knative, _knative_pdb("webhook-pdb", 1),
        "(webhook-pdb) sets minAvailable 2 with 2 replica(s)",
    )  # fmt: skip


def test_certmanager_pdb_chart_default_aws_dev() -> None:
    """#34: an enabled cert-manager PDB without bounds renders minAvailable 1; on 1 replica drains hang."""

    def enable(props: dict[str, Any]) -> None:
        props["values"]["webhook"]["podDisruptionBudget"] = {"enabled": True}

    assert_caught(
        "aws-dev", "pdb-allows-eviction", _release("cert-manager"), enable,
        "values webhook.podDisruptionBudget: minAvailable 1 with 1 replica(s)",
    )  # fmt: skip


def test_certmanager_webhook_single_replica_gcp_prod() -> None:
    """#35: prod's PDBs stay enabled; a webhook at 1 replica then cannot be evicted."""

    def single(props: dict[str, Any]) -> None:
        props["values"]["webhook"]["replicaCount"] = 1

    assert_caught(
        "gcp-prod", "pdb-allows-eviction", _release("cert-manager"), single,
        "values webhook.podDisruptionBudget: minAvailable 1 with 1 replica(s)",
    )  # fmt: skip


def test_certmanager_pdb_boundaries_aws_dev() -> None:
    from test_policy_mutated_plans import failed, mutate

    resources, settings = shipped("aws-dev")

    def with_pdb(pdb: dict[str, Any], replicas: int | None = None) -> list[str]:
        def change(props: dict[str, Any]) -> None:
            props["values"]["podDisruptionBudget"] = pdb
            if replicas is not None:
                props["values"]["replicaCount"] = replicas

        return failed(mutate(resources, _release("cert-manager"), change), settings, "x").get("pdb-allows-eviction", [])

    assert with_pdb({"enabled": False}) == []
    assert with_pdb({}) == []  # the chart's default: disabled
    assert with_pdb({"enabled": True}, 2) == []
    assert with_pdb({"enabled": True, "maxUnavailable": 1}) == []
    assert with_pdb({"enabled": True, "minAvailable": 0}) == []
    assert with_pdb({"enabled": True})
    assert with_pdb({"enabled": True, "minAvailable": 2}, 2)


# ------------------------------------------------------------------------------------------------ #28, #33, #39, #40


def test_knative_ha_single_gcp_prod() -> None:
    """#28: prod KnativeServing high-availability.replicas 1."""

    def single(props: dict[str, Any]) -> None:
        props["spec"]["high-availability"]["replicas"] = 1

    from test_policy_mutated_plans import failed, mutate

    resources, settings = shipped("gcp-prod")
    found = failed(mutate(resources, _knative, single), settings, "gcp-prod")
    # the webhook-pdb (minAvailable replicas - 1 = 1, as rendered for 2) now blocks the single webhook as well
    assert sorted(found) == ["pdb-allows-eviction", "prod-mesh-replicas"], found
    assert "high-availability.replicas is 1 on prod" in found["prod-mesh-replicas"][0]


def test_activator_single_gcp_prod() -> None:
    """#39: one activator on prod."""

    def single(props: dict[str, Any]) -> None:
        (w,) = [w for w in props["spec"]["workloads"] if w["name"] == "activator"]
        w["replicas"] = 1  # as HA_ACTIVATORS = 1 renders it: its PDB then allows 0
        (pdb,) = [p for p in props["spec"]["podDisruptionBudgets"] if p["name"] == "activator-pdb"]
        pdb["minAvailable"] = 0

    assert_caught("gcp-prod", "prod-mesh-replicas", _knative, single, "runs 1 activator replica(s) on prod")


def test_kserve_hpa_floor_gcp_prod() -> None:
    """#33: the KServe controller's HPA may scale to 1 on prod."""

    def single(props: dict[str, Any]) -> None:
        props["spec"]["minReplicas"] = 1

    assert_caught(
        "gcp-prod", "prod-mesh-replicas", lambda r: r.type.endswith("HorizontalPodAutoscaler"), single,
        "may scale to 1 replica(s) on prod",
    )  # fmt: skip


def test_spread_without_zone_gcp_prod() -> None:
    """#40: add-ons spread over hostnames only on prod."""

    def hostname_only(props: dict[str, Any]) -> None:
        props["values"]["topologySpreadConstraints"] = [
            c for c in props["values"]["topologySpreadConstraints"] if c["topologyKey"] != "topology.kubernetes.io/zone"
        ]

    assert_caught(
        "gcp-prod", "prod-mesh-replicas", _release("istiod"), hostname_only,
        "values topologySpreadConstraints spreads over kubernetes.io/hostname only on prod",
    )  # fmt: skip


def test_prod_replica_boundaries() -> None:
    """Two replicas pass on prod; dev stacks are not judged (one replica is their design)."""
    from test_policy_mutated_plans import failed, mutate

    resources, settings = shipped("gcp-prod")

    def two(props: dict[str, Any]) -> None:
        props["spec"]["high-availability"]["replicas"] = 2
        for w in props["spec"]["workloads"]:
            if w["name"] == "activator":
                w["replicas"] = 2

    assert "prod-mesh-replicas" not in failed(mutate(resources, _knative, two), settings, "gcp-prod")

    def unset(props: dict[str, Any]) -> None:
        for w in props["spec"]["workloads"]:
            w.pop("replicas", None)

    # without its own count the activator takes high-availability.replicas (2 on gcp-prod)
    assert "prod-mesh-replicas" not in failed(mutate(resources, _knative, unset), settings, "gcp-prod")
    dev, dev_settings = shipped("aws-dev")
    assert "prod-mesh-replicas" not in failed(dev, dev_settings, "aws-dev")


# ------------------------------------------------------------------------------------------------ R3, istioCni false


def _ns_level(level: str) -> list[str]:
    from policy.rules import StackSettings, run_rules

    model = Resource(
        "kubernetes:serving.kserve.io/v1beta1:InferenceService",
        "m",
        "urn:m",
        {"metadata": {"name": "m", "namespace": "models"}},
    )
    ns = Resource(
        "kubernetes:core/v1:Namespace", "ns", "urn:ns",
        {"metadata": {"name": "models", "labels": {"pod-security.kubernetes.io/enforce": level}}},
    )  # fmt: skip
    return [
        e["message"]
        for e in run_rules([model, ns], StackSettings())
        if e["policy"] == "model-namespace-pod-security" and not e["passed"]
    ]


def test_model_namespace_pod_security_levels() -> None:
    """R3: restricted and baseline pass; privileged (and an unknown level) fail."""
    assert _ns_level("restricted") == []
    assert _ns_level("baseline") == []
    assert _ns_level("privileged") == ["model namespace models enforces Pod Security level privileged; enforce "
                                       "restricted (or baseline while sidecars need it)"]  # fmt: skip
    assert _ns_level("Baseline")


def _local_without_cni(overrides: dict[str, Any] | None = None) -> dict[str, list[str]]:
    import copy
    import json

    from test_policy_mutated_plans import PROJECT

    from components.plan.engine import run_program
    from components.plan.project import read_stack_file
    from policy.rules import StackSettings, resources_from_plan, run_rules

    cfg = read_stack_file(PROJECT, "local")
    config = dict(cfg.config)

    def merged(key: str, extra: dict[str, Any]) -> None:
        old = config.get(key, {})
        value = json.loads(old) if isinstance(old, str) else copy.deepcopy(old)
        value.update(extra)
        config[key] = json.dumps(value) if isinstance(old, str) else value

    merged("mlplatform:platform", {"istioCni": False})
    if overrides:
        merged("mlplatform:policy", {"overrides": overrides})
    result = run_program(
        PROJECT.root, "local", config, cfg.secret_keys, main=PROJECT.main, project=PROJECT.name, outputs="fake"
    )
    out: dict[str, list[str]] = {}
    for e in run_rules(list(resources_from_plan(result)), StackSettings.from_config(config)):
        if not e["passed"] and e["enforcement"] == "mandatory":
            out.setdefault(e["policy"], []).append(e["message"])
    return out


def test_istio_cni_off_needs_its_documented_overrides() -> None:
    """platform.istioCni: false (documented) makes the model and knative-serving namespaces privileged: exactly the
    two rules its documentation names fail, and its overrides with a reason let the stack through."""
    assert sorted(_local_without_cni()) == ["model-namespace-pod-security", "privileged-namespaces-listed"]
    reason = "this cluster cannot chain the Istio CNI plugin; istio-init needs NET_ADMIN"
    overrides = {
        rule: {"enforcement": "advisory", "reason": reason}
        for rule in ("model-namespace-pod-security", "privileged-namespaces-listed")
    }
    assert _local_without_cni(overrides) == {}


# ------------------------------------------------------------------------------------------------ mlplatform check


def _edit_saved(stack: dict[str, Any], name: str, change: Any) -> None:
    """``change`` applied to the named resource's inputs wherever the saved plan holds it (its resources and the
    placeholder rendering the plan judged, judgedResources)."""
    hit = 0
    for key in ("resources", "judgedResources"):
        for r in stack.get(key) or []:
            if r["name"] == name:
                change(r["inputs"])
                hit += 1
    assert hit, name


def test_check_on_a_saved_plan_catches_the_slips(tmp_path: Any, capsys: Any, monkeypatch: Any) -> None:
    """`mlplatform check` over a saved aws-dev plan edited like the slips fails the same rules as the plan."""
    import json

    import policy.check
    from components.plan.cli import EXIT_OK, EXIT_POLICY, main
    from policy.check import load_plan
    from support import saved_plan_text

    # the entries `mlplatform check` judged the file by (policy.check.check, which the CLI calls), read instead of
    # judging the file a second time
    judged: list[tuple[Any, bool, list[dict[str, Any]]]] = []
    check = policy.check.check

    def recorded(saved: Any, *, no_overrides: bool = False) -> list[dict[str, Any]]:
        judged.append((saved, no_overrides, entries := check(saved, no_overrides=no_overrides)))
        return entries

    monkeypatch.setattr(policy.check, "check", recorded)

    code, text = saved_plan_text("aws-dev")
    assert code == EXIT_OK
    capsys.readouterr()
    doc = json.loads(text)
    slips = [
        ("mlplatform-knative-serving", _https_server("PASSTHROUGH"), "gateway-https-only"),
        ("mlplatform-knative-serving", _inject("activator", "false"), "model-sidecar-injection"),
        ("mlplatform-knative-serving", _knative_pdb("webhook-pdb", 1), "pdb-allows-eviction"),
        ("mlplatform-knative-autoscaler-metrics", _port_level("8012"), "mesh-mtls-strict"),
        ("resnet50-authz", _probe_values(["*"]), "model-endpoint-auth"),
        ("resnet50-authz", _autoscaler_ports(["8012"]), "model-inference-api-only"),
    ]
    for name, change, rule in slips:
        edited = json.loads(json.dumps(doc))
        _edit_saved(edited["stacks"][0], name, change)
        path = tmp_path / "edited.json"
        path.write_text(json.dumps(edited))
        judged.clear()
        assert main(["check", str(path)]) == EXIT_POLICY, rule
        capsys.readouterr()
        (stack,) = load_plan(path)
        (saved, no_overrides, entries), *_ = judged  # the first check the CLI ran: the file's one stack
        assert (saved, no_overrides) == (stack, False)
        failing = {e["policy"] for e in entries if not e["passed"] and e["enforcement"] == "mandatory"}
        assert failing == {rule}, (rule, failing)
