"""Each new rule over a shipped stack's real plan, mutated the way the rule guards against.

The plans are rendered with the engine's fake outputs (components/plan/engine.py ``outputs="fake"``), so documents
built from values known only after deploy (IRSA trust policies, Workload Identity members, Azure scopes) are there
in full. Each test checks that the rule passes on the shipped plan and that it saw the document (nothing left
unchecked), then changes one thing in one recorded resource and expects that rule, and only that rule, to fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest

from components.errors import SpecError
from components.plan.project import find_project, read_stack_file
from policy.rules import ALL_RULES, Facts, Resource, StackSettings, run_rules
from support import ROOT, mutated_resources, rule_entries, rules_plan

PROJECT = find_project(ROOT)


shipped = rules_plan
"""A shipped stack's plan as the rules see it, planned once per test process (tests/support.py)."""

mutate = mutated_resources
"""The resources with ``change`` applied to every one ``pick`` selects, at least one (tests/support.py)."""


class _Entries(Mapping[str, list[dict[str, Any]]]):
    """Each rule's entries for a plan, by rule: ``[rule]`` alone judges the plan with that rule only (``run_rules``
    with one rule: each rule judges the resources on its own), reading every rule judges the plan once with all."""

    def __init__(self, resources: Sequence[Resource], settings: StackSettings) -> None:
        self._resources, self._settings = resources, settings
        self._all: dict[str, list[dict[str, Any]]] | None = None

    def _every(self) -> dict[str, list[dict[str, Any]]]:
        if self._all is None:
            self._all = {}
            for e in rule_entries(self._resources, self._settings):
                self._all.setdefault(e["policy"], []).append(e)
        return self._all

    def __getitem__(self, rule: str) -> list[dict[str, Any]]:
        if self._all is not None:
            return self._all[rule]
        chosen = [r for r in ALL_RULES if r.name == rule]
        if not chosen:
            raise KeyError(rule)
        return run_rules(self._resources, self._settings, chosen)

    def __iter__(self) -> Iterator[str]:
        return iter(self._every())

    def __len__(self) -> int:
        return len(self._every())


def entries(resources: list[Resource] | tuple[Resource, ...], settings: StackSettings) -> _Entries:
    """Each rule's entries (``run_rules``) for the plan, by rule. A plan :func:`shipped` returned is judged once per
    test process (tests/support.py ``rule_entries``); every call gets its own copy. Reading one rule of another plan
    (a mutated one) judges it with that rule only."""
    if isinstance(resources, tuple):
        every = _Entries(resources, settings)
        every._every()  # a shipped plan: its cached judgement (tests/support.py rule_entries)
        return every
    return _Entries(resources, settings)


def failed(
    resources: list[Resource] | tuple[Resource, ...], settings: StackSettings, stack: str
) -> dict[str, list[str]]:
    return {
        rule: [e["message"] for e in es if not e["passed"]]
        for rule, es in entries(resources, settings).items()
        # advisory rules shipped stacks report by design: Key Vault rotation, the local cluster's NetworkPolicy warning
        if any(not e["passed"] for e in es) and rule not in ("keyvault-key-rotation", "network-policy-enforced")
    }


def assert_caught(
    stack: str,
    rule: str,
    pick: Callable[[Resource], bool],
    change: Callable[[dict[str, Any]], None],
    fragment: str,
    also: tuple[str, ...] = (),
) -> None:
    """``rule`` (and the rules ``also`` names, none else) fails the mutated plan, one message with ``fragment``."""
    resources, settings = shipped(stack)
    base = entries(resources, settings)[rule]
    assert all(e["passed"] for e in base), base
    assert not any(e.get("unchecked") for e in base), f"{rule} left documents unchecked on the fake-output plan"
    found = failed(mutate(resources, pick, change), settings, stack)
    assert sorted(found) == sorted([rule, *also]), found
    assert any(fragment in m for m in found[rule]), found[rule]


def named(type_suffix: str, name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.endswith(type_suffix) and r.name == name


def edit_json(key: str, fn: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        doc = json.loads(props[key])
        fn(doc)
        props[key] = json.dumps(doc)

    return change


# ------------------------------------------------------------------------------------------------ identity


def _drop_sub(doc: dict[str, Any]) -> None:
    equals = doc["Statement"][0]["Condition"]["StringEquals"]
    for k in [k for k in equals if k.endswith(":sub")]:
        del equals[k]


def test_irsa_trust_without_sub_aws_dev() -> None:
    assert_caught(
        "aws-dev", "workload-identity-trust", named(":Role", "resnet50-storage-role"),
        edit_json("assumeRolePolicy", _drop_sub), "every ServiceAccount of the cluster may assume the role",
    )  # fmt: skip


def test_irsa_trust_loosened_to_stringlike_aws_dev() -> None:
    def loosen(doc: dict[str, Any]) -> None:
        cond = doc["Statement"][0]["Condition"]
        sub = next(k for k in cond["StringEquals"] if k.endswith(":sub"))
        cond["StringLike"] = {sub: "system:serviceaccount:models:*"}
        del cond["StringEquals"][sub]

    assert_caught(
        "aws-dev", "workload-identity-trust", named(":Role", "mlplatform-karpenter-controller"),
        edit_json("assumeRolePolicy", loosen), "only StringEquals pins one ServiceAccount",
    )  # fmt: skip


def test_gke_member_for_a_whole_namespace_gcp_prod() -> None:
    def widen(props: dict[str, Any]) -> None:
        props["member"] = props["member"].split("[")[0] + "[models/*]"

    assert_caught(
        "gcp-prod", "workload-identity-trust", named("iAMMember:IAMMember", "resnet-triton-workload-identity"), widen,
        "one Kubernetes ServiceAccount",
    )  # fmt: skip


def test_azure_subject_widened_azure_staging() -> None:
    def widen(props: dict[str, Any]) -> None:
        props["subject"] = "system:serviceaccount:models:*"

    assert_caught(
        "azure-staging", "workload-identity-trust", lambda r: r.type.endswith("FederatedIdentityCredential"), widen,
        "is not one ServiceAccount",
    )  # fmt: skip


def test_plain_plan_says_what_it_could_not_check() -> None:
    resources, settings = shipped("aws-dev", "unknown")
    (entry,) = entries(resources, settings)["workload-identity-trust"]
    assert entry["passed"]
    assert "trust policy of role resnet50-storage-role" in entry["unchecked"]


# ------------------------------------------------------------------------------------------------ storage


def test_s3_grant_to_every_bucket_aws_dev() -> None:
    def every_bucket(doc: dict[str, Any]) -> None:
        doc["Statement"][0]["Resource"] = "arn:aws:s3:::*"

    assert_caught(
        "aws-dev", "storage-read-least-privilege", named(":RolePolicy", "resnet50-storage-read"),
        edit_json("policy", every_bucket), "a bucket wildcard reaches every bucket",
    )  # fmt: skip


def test_s3_list_without_prefix_aws_dev() -> None:
    def unscoped(doc: dict[str, Any]) -> None:
        del doc["Statement"][1]["Condition"]

    assert_caught(
        "aws-dev", "storage-read-least-privilege", named(":RolePolicy", "resnet50-storage-read"),
        edit_json("policy", unscoped), "add a Condition on s3:prefix",
    )  # fmt: skip


def test_gcs_admin_role_gcp_prod() -> None:
    def admin(props: dict[str, Any]) -> None:
        props["role"] = "roles/storage.objectAdmin"

    assert_caught(
        "gcp-prod", "storage-read-least-privilege", lambda r: r.type.endswith("bucketIAMMember:BucketIAMMember"),
        admin, "a model reads", also=("iam-least-privilege",),  # fix17l: the bucket's roles are the platform's two
    )  # fmt: skip


def test_azure_grant_on_the_account_azure_staging() -> None:
    def account(props: dict[str, Any]) -> None:
        props["scope"] = props["scope"].split("/blobServices")[0]

    assert_caught(
        "azure-staging", "storage-read-least-privilege", named(":RoleAssignment", "bert-onnx-storage-read"), account,
        "scope it to one blob container",
    )  # fmt: skip


# ------------------------------------------------------------------------------------------------ mesh and models


@pytest.mark.parametrize("stack", ["aws-dev", "gcp-prod", "azure-staging"])
def test_mesh_wide_permissive(stack: str) -> None:
    def permissive(props: dict[str, Any]) -> None:
        props["spec"]["mtls"]["mode"] = "PERMISSIVE"

    assert_caught(
        stack, "mesh-mtls-strict", named("PeerAuthentication", "mlplatform-mesh-mtls"), permissive,
        "mesh-wide PeerAuthentication istio-system/default mode is PERMISSIVE",
    )  # fmt: skip


def test_model_namespace_permissive_gcp_prod() -> None:
    def permissive(props: dict[str, Any]) -> None:
        props["spec"]["mtls"]["mode"] = "PERMISSIVE"

    assert_caught(
        "gcp-prod", "mesh-mtls-strict", named("PeerAuthentication", "models-mtls"), permissive,
        "sets namespace models to PERMISSIVE",
    )  # fmt: skip


def test_internal_model_visibility_local() -> None:
    """The shipped local stack's internal model passes as planned (issue #12's serving fix, no allowance); without its
    label KServe publishes it, and both the visibility rule and the endpoint rule (it is public now) fail."""
    resources, settings = shipped("local")
    isvc = "InferenceService"
    assert all(e["passed"] for e in entries(resources, settings)["internal-model-cluster-local"])

    def lose_label(props: dict[str, Any]) -> None:
        del props["metadata"]["labels"]["networking.knative.dev/visibility"]

    broken = mutate(resources, named(isvc, "xgboost-iris-isvc"), lose_label)
    found = failed(broken, settings, "local")
    assert found == {
        "internal-model-cluster-local": [
            "internal model models/xgboost-iris is published on the public gateway: KServe in Knative mode reads the "
            "label networking.knative.dev/visibility: cluster-local (it has none)"
        ],
        "model-endpoint-auth": [
            "public model models/xgboost-iris has no AuthorizationPolicy requiring a request principal (JWT); "
            "RequestAuthentication alone lets token-less requests through. Set access.jwt, or access.allowAnonymous: "
            "true explicitly"
        ],
    }


def test_a_port_rule_without_a_source_opens_a_jwt_model_aws_dev() -> None:
    """A slip the structural check misses: a rule with only ``to`` beside the JWT rule still leaves the policy
    "requiring a principal" by shape, but Istio allows a request any rule matches (requestpath decides)."""

    def open_port(props: dict[str, Any]) -> None:
        props["spec"]["rules"].append({"to": [{"operation": {"ports": ["8012"]}}]})

    resources, settings = shipped("aws-dev")
    found = failed(mutate(resources, named("AuthorizationPolicy", "resnet50-authz"), open_port), settings, "aws-dev")
    # the same rule also opens the server's admin paths: model-inference-api-only fails too
    assert sorted(found) == ["model-endpoint-auth", "model-inference-api-only"], found
    assert found["model-endpoint-auth"] == [
        "public model models/resnet50 answers a request from the internet without a token, through the public "
        "gateway to the activator, the public gateway to the pods: an ALLOW rule admits it without a request "
        "principal (Istio allows a request that any ALLOW rule matches); requests that reached it: POST "
        "/v1/models/resnet50:predict, GET /v1/models/resnet50, GET /v1/models, POST /v2/models/resnet50/infer, GET "
        "/v2/models/resnet50/ready, GET /v2/models/stats, POST /openai/v1/chat/completions, GET /, POST "
        "/v2/repository/models/resnet50/unload, GET /metrics, GET /v1/models/resnet50 with K-Network-Probe: not-probe"
    ]
    assert "the internet reaches POST /v2/repository/models/resnet50/unload" in found["model-inference-api-only"][0]


def test_model_service_account_mounts_its_token_gcp_prod() -> None:
    def mount(props: dict[str, Any]) -> None:
        props["automountServiceAccountToken"] = True

    assert_caught(
        "gcp-prod", "model-service-account", named("ServiceAccount", "qwen-chat-sa"), mount,
        "ServiceAccount models/qwen-chat-sa of model models/qwen-chat mounts its API token",
    )  # fmt: skip


def test_models_share_a_service_account_aws_dev() -> None:
    def share(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["serviceAccountName"] = "resnet50-sa"

    assert_caught(
        "aws-dev", "model-service-account", named("InferenceService", "sklearn-iris-isvc"), share,
        "share ServiceAccount models/resnet50-sa",
    )  # fmt: skip


# ------------------------------------------------------------------------------------------------ availability


def test_gateway_pdb_in_helm_values_blocks_drains_gcp_prod() -> None:
    def block(props: dict[str, Any]) -> None:
        props["values"]["podDisruptionBudget"] = {"minAvailable": 2}

    assert_caught(
        "gcp-prod", "pdb-allows-eviction", named("helm.sh/v3:Release", "mlplatform-istio-gateway"), block,
        "renders a PodDisruptionBudget with minAvailable 2 with 2 replica(s)",
    )  # fmt: skip


def test_istiod_pdb_in_helm_values_blocks_drains_gcp_prod() -> None:
    def block(props: dict[str, Any]) -> None:
        props["values"]["pdb"] = {"minAvailable": 2}

    assert_caught(
        "gcp-prod", "pdb-allows-eviction", named("helm.sh/v3:Release", "mlplatform-istiod"), block,
        "(istiod) renders a PodDisruptionBudget with minAvailable 2",
    )  # fmt: skip


def test_model_pdb_selects_nothing_gcp_prod() -> None:
    """The PDB's selector misspelt: the model has no budget (model-pdb), and the budget protects no pod the plan
    renders (pdb-protects-pods, fix17m)."""

    def typo(props: dict[str, Any]) -> None:
        props["spec"]["selector"]["matchLabels"] = {"serving.kserve.io/inferenceservices": "qwen-chat"}

    resources, settings = shipped("gcp-prod")
    found = failed(mutate(resources, named("PodDisruptionBudget", "qwen-chat-pdb"), typo), settings, "gcp-prod")
    assert sorted(found) == ["model-pdb", "pdb-protects-pods"], found
    assert any(
        "model models/qwen-chat keeps 2 replicas but no PodDisruptionBudget selects its pods" in m
        for m in found["model-pdb"]
    )
    assert any(
        "PodDisruptionBudget models/qwen-chat-pdb selects {'serving.kserve.io/inferenceservices': 'qwen-chat'}" in m
        and "it protects nothing" in m
        for m in found["pdb-protects-pods"]
    ), found


def test_chart_version_shortened_aws_dev() -> None:
    def shorter(props: dict[str, Any]) -> None:
        props["version"] = "v0.20"

    assert_caught(
        "aws-dev", "helm-version-pinned", lambda r: r.type.endswith("helm.sh/v3:Release") and
        str(r.props.get("chart", "")).endswith("kserve-resources"), shorter, "'v0.20' is not an exact version",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("stack", "pick", "effect"),
    [
        ("aws-dev", lambda r: r.type == "kubernetes:karpenter.sh/v1:NodePool", "PreferNoSchedule"),
        ("gcp-prod", lambda r: r.type == "gcp:container/nodePool:NodePool" and "guestAccelerators" in
         r.props.get("nodeConfig", {}), "PREFER_NO_SCHEDULE"),
    ],
)  # fmt: skip
def test_gpu_taint_prefer_no_schedule(stack: str, pick: Callable[[Resource], bool], effect: str) -> None:
    def soften(props: dict[str, Any]) -> None:
        spec = props["spec"]["template"]["spec"] if "spec" in props else props["nodeConfig"]
        for t in spec["taints"]:
            t["effect"] = effect

    assert_caught(stack, "gpu-pool-taint-label", pick, soften, "has no taint nvidia.com/gpu=present:NoSchedule")


def test_empty_required_tags_on_a_shipped_stack() -> None:
    resources, settings = shipped("aws-dev")
    emptied = replace(settings, facts=replace(settings.facts, required_tags=()))
    found = failed(resources, emptied, "aws-dev")
    assert list(found) == ["required-tags"]
    assert all(m.startswith("policy.requiredTags is empty") for m in found["required-tags"])


# ------------------------------------------------------------------------------------------------ enforcement

SECURITY_RULES = {
    "resource-types-known": "mandatory",  # fails closed on types no rule reads (policy/rules/percloud.py)
    "api-endpoint-restricted": "mandatory",
    "api-endpoint-world-opt-in": "advisory",  # the stack opted in (allowWorld); still shown
    "secrets-encryption": "mandatory",
    "audit-logs": "mandatory",
    "workload-identity": "mandatory",
    "workload-identity-trust": "mandatory",
    "storage-read-least-privilege": "mandatory",
    "request-log-write-only": "mandatory",
    "imdsv2-required": "mandatory",
    "kms-key-rotation": "mandatory",
    "keyvault-key-rotation": "advisory",  # AKS KMS (legacy) needs the new key version's id after a rotation
    "prod-protect-stateful": "mandatory",
    "gpu-pool-taint-label": "mandatory",
    "required-tags": "mandatory",
    "helm-version-pinned": "mandatory",
    "no-privileged-containers": "mandatory",
    "privileged-namespaces-listed": "mandatory",
    "pdb-allows-eviction": "mandatory",
    "pdb-protects-pods": "mandatory",
    "no-load-balancer-services": "mandatory",
    "isvc-gpu-scheduling": "mandatory",
    "model-endpoint-auth": "mandatory",
    "mesh-mtls-strict": "mandatory",
    "internal-model-cluster-local": "mandatory",
    "model-service-account": "mandatory",
    "workload-identity-binding": "mandatory",
    "model-sidecar-injection": "mandatory",
    "model-namespace-pod-security": "mandatory",
    "model-pdb": "mandatory",
    "model-jwt-rules": "mandatory",
    "internal-model-callers": "mandatory",
    "prod-mesh-replicas": "mandatory",
    "aks-entra-only": "mandatory",
    "model-metrics-prometheus-only": "mandatory",
    "model-inference-api-only": "mandatory",
    "mesh-path-normalization": "mandatory",
    "gateway-metrics-prometheus-only": "mandatory",
    "network-policy-enforced": "advisory",  # the cluster's fact, recorded in the stack file; the program warns too
    "cluster-network-policy": "mandatory",  # read from the cluster resources the platform creates
    "cluster-hardening": "mandatory",
    "iam-least-privilege": "mandatory",
    "gateway-https-only": "mandatory",
    "pod-restricted-hardening": "mandatory",
    "pipeline-endpoint-auth": "mandatory",
    "internal-pipeline-cluster-local": "mandatory",
    "internal-pipeline-activator-off": "mandatory",
    "pipeline-service-account": "mandatory",
    "pipeline-step-predictor-host": "mandatory",
    "pipeline-member-access": "mandatory",
    "gpu-pool-disruption": "mandatory",
    "warm-capacity-preemptible": "mandatory",
    "gateway-key-rotation": "mandatory",
    "standard-gateway-api": "mandatory",
    "authz-path-shapes": "mandatory",
    "istio-cni-bin-dir": "mandatory",  # GKE nodes read CNI binaries elsewhere: pods never start (review #17b slip 2)
    "model-declared-secrets": "mandatory",  # a private image never pulls, a secret read as text (slips 13, 14)
    "object-store-private": "mandatory",  # a public or key-open request-log store (rev17c c04, c05, c08)
    "request-log-collector-ingress": "mandatory",  # any pod writes request records (rev17c p01)
    "request-log-retention": "mandatory",  # request bodies kept forever, not retentionDays (rev17l 04, fix17q)
    "external-dns-owner-id": "mandatory",  # stacks on one zone delete each other's records (rev17c p09)
    "keda-ha-values": "mandatory",  # KEDA's PDBs under the chart's keys and zone spread on prod (rev17d p03, p05)
    "acme-production-directory": "mandatory",  # no Let's Encrypt staging issuer (rev17d p10)
    "pod-security-version-latest": "mandatory",  # no pinned Pod Security version (rev17d s03)
    "queue-proxy-admin-port": "mandatory",  # 8022 from the model's own pods only (rev17d s02)
    "istio-cni-namespace": "mandatory",  # istio-cni where GKE admits system-node-critical pods (rev17d p13)
    "timeouts-cover-cold-start": "mandatory",  # availability: the load balancer cuts a cold start (rev17c p10)
    "gpu-pool-disk-fits": "mandatory",  # availability: a model whose images do not fit the node never starts (rev16b)
    "multi-gpu-avoids-shared-pools": "mandatory",  # availability: a 2-GPU pod fails on a shared GPU (fixshare)
    "cold-start-from-zero-pulls": "mandatory",  # availability: a cache or pre-pull credited from zero (rev17f s03)
    "node-pools-span-zones": "mandatory",  # availability: a pool in fewer zones, fixed at creation (rev17c c16)
    "gpu-operator-no-second-driver": "mandatory",  # a second driver on a node with one loaded (rev17c p08)
    "aws-dns-records-scoped": "mandatory",  # Route 53 changes on the stack's zone, TXT-only for cert-manager (rev17d)
    "aws-controller-grants-scoped": "mandatory",  # Karpenter and cluster-autoscaler on their own cluster (rev17d)
    "karpenter-controller-ha": "mandatory",  # the chart's 2 replicas (rev17d c07)
    "gpu-node-expiry": "mandatory",  # GPU nodes replaced onto new AMIs (rev17d c04)
    "sqs-queue-encrypted": "mandatory",  # (rev17d c08)
    "system-pool-on-demand": "mandatory",  # (rev17d c11)
    # (rev17d c12); availability: no pool admits the pod by its affinity or grants its GPUs (rev17i i25, fix17h)
    "node-selectors-match-pools": "mandatory",
    "images-tagged": "mandatory",  # no mutable :latest or untagged image (rev17e s12)
    "llm-query-scoped": "mandatory",  # another model's series scale this one (rev17e s06, s08)
    "llm-scrape-merged-stats": "mandatory",  # availability: the scaler reads nothing (rev17e s07)
    "jwt-audiences-rendered": "mandatory",  # tokens minted for another audience accepted (rev17e s17)
    "helm-workload-identity-pod-label": "mandatory",  # availability: the DNS identity's pods get no token (rev17f s16)
    "gpu-memory-fits": "mandatory",  # availability: weights larger than the GPUs' memory never load (rev16b note)
    "pods-fit-nodes": "mandatory",  # availability: a pod no node holds stays Pending (rev17g P8)
    "model-server-port-intact": "mandatory",  # traffic: a server moved off the port the mesh routes to (rev17g)
    "karpenter-gpu-limit-covers-nodes": "mandatory",  # availability: scale-out stops short of maxNodes (rev17i i11)
    "karpenter-arch-admits-types": "mandatory",  # availability: a NodePool no instance type satisfies (rev17i i13)
    "karpenter-spot-interruptions": "mandatory",  # availability: spot GPU nodes reclaimed undrained (rev17i i12)
    "aks-gpu-driver-installed": "mandatory",  # availability: GPU nodes without a driver advertise no GPU (rev17i i09)
    "gke-gpu-driver-installed": "mandatory",  # availability: the same on GKE (rev17j j01)
    "model-slo-alerts": "mandatory",  # availability: SLO alerts that never fire or never page (rev17l 26, 29, 30)
    "monitors-selected": "mandatory",  # availability: monitors and alert rules Prometheus never loads (rev17l 21, 24)
    "system-workload-limits": "mandatory",  # availability: a system pod without a memory limit (rev17l 23)
}
"""The enforcement level of every security, isolation and availability rule, pinned here (not only in the docs)."""


def test_enforcement_of_every_security_rule_is_pinned() -> None:
    from policy.pack import build_policies

    levels = {r.name: r.enforcement for r in ALL_RULES}
    assert {k: levels.get(k) for k in SECURITY_RULES} == SECURITY_RULES
    pack = {p.name: p.enforcement_level.value for p in build_policies() if p.enforcement_level is not None}
    assert {k: pack.get(k) for k in SECURITY_RULES} == SECURITY_RULES
    others = set(levels) - set(SECURITY_RULES)
    assert others == {
        "gpu-budget",
        "model-container-limits",
        "prod-model-replicas",
        "budget",
        "budget-advisory",
        "llm-model-size-given",  # not a security rule: the cold start's input (rev16)
    }


def test_a_blank_override_reason_keeps_the_rule() -> None:
    from policy.rules import Override

    resources, settings = shipped("aws-dev")
    mutated = mutate(resources, named("PeerAuthentication", "mlplatform-mesh-mtls"),
                     lambda p: p["spec"]["mtls"].update(mode="PERMISSIVE"))  # fmt: skip
    blank = replace(settings, overrides={"mesh-mtls-strict": Override("disabled", "          ")})
    (entry, *_) = [e for e in entries(mutated, blank)["mesh-mtls-strict"] if not e["passed"]]
    assert entry["enforcement"] == "mandatory" and "reason" not in entry
    assert entry["message"].endswith("(the stack's override to disabled is ignored: its reason is blank)")


def test_settings_come_from_the_validated_config() -> None:
    """The rules read what infra.config.StackConfig accepted, refused with the program's own line otherwise."""
    from components.spec import validate_as
    from infra.config import TOP_LEVEL_KEYS, StackConfig, parse_raw

    base = dict(read_stack_file(PROJECT, "gcp-prod").config)
    # "1_000" is text YAML 1.1 would read as 1000 but the Pulumi CLI passes as a string; the config refuses it
    refused = {**base, "mlplatform:budget": "1_000"}
    with pytest.raises(SpecError) as e:
        StackSettings.from_config(refused)
    assert e.value.message == 'stack config: mlplatform:budget: "1_000" is not allowed; give a number'
    # maxGpus must be an integer as the stack file gives it (strict): 8.0 is refused, as the program refuses it
    with pytest.raises(SpecError) as e:
        StackSettings.from_config({**base, "mlplatform:policy": json.dumps({"maxGpus": 8.0})})
    assert e.value.message == "stack config: mlplatform:policy.maxGpus: 8.0 is not allowed; give a whole number"
    # a decimal top-level value reaches the program as text ("2500.5"): the rules get the validated number
    cfg = {**base, "mlplatform:budget": "2500.5", "mlplatform:policy": json.dumps({"maxGpus": 8})}
    values = parse_raw({k.split(":", 1)[1]: v for k, v in cfg.items()})
    model: StackConfig = validate_as(StackConfig, {k: v for k, v in values.items() if k in TOP_LEVEL_KEYS})
    s = StackSettings.from_config(cfg)
    assert (s.budget, s.facts.max_gpus) == (model.budget, model.policy.max_gpus) == (2500.5, 8)
    assert isinstance(s.budget, float) and isinstance(s.facts.max_gpus, int)
    assert s.facts == StackSettings.from_stack_config(model).facts
    assert StackSettings.from_config({**cfg, "mlplatform:budget": "1000"}).budget == 1000.0
    assert isinstance(Facts().max_gpus, int)
