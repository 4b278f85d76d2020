"""The rule table for README.md and docs/policies.md, generated from the registry (never copied by hand)."""

from __future__ import annotations

from collections.abc import Iterable

from policy.rules import ALL_RULES, Rule
from policy.rules.kubernetes import PRIVILEGED_NAMESPACES

START = "<!-- policy-table:start -->"
END = "<!-- policy-table:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(rules: Iterable[Rule] | None = None) -> str:
    """The markdown table of rules: name, default enforcement, area and what it checks."""
    lines = [
        "| Policy | Enforcement | Area | What it checks |",
        "|---|---|---|---|",
    ]
    for rule in ALL_RULES if rules is None else rules:
        lines.append(f"| `{rule.name}` | {rule.enforcement} | {rule.area} | {_cell(rule.description)} |")
    return "\n".join(lines) + "\n"


def marked_table() -> str:
    """The table between the README markers (markers included)."""
    return f"{START}\n{markdown_table()}{END}\n"


def between_markers(text: str) -> str | None:
    """The text between the markers in ``text`` (markers included), or None when they are absent."""
    start = text.find(START)
    end = text.find(END)
    if start < 0 or end < start:
        return None
    return text[start : end + len(END)] + "\n"


SOURCES: tuple[tuple[str, str], ...] = (
    (
        "model-sidecar-injection",
        (
            "Istio's injector webhook selects namespaces labelled `istio-injection: enabled` (default revision) and "
            'skips pods labelled `sidecar.istio.io/inject: "false"` (istio/istio manifests/charts/istio-control/'
            "istio-discovery/templates/mutatingwebhook.yaml, an older version than 1.30.3; istio.io analyzer "
            "IST0102 NamespaceNotInjected); a pod without a sidecar is outside mTLS and authorization."
        ),
    ),
    (
        "workload-identity-trust",
        (
            "IRSA: `StringEquals` on `<issuer>:sub` = `system:serviceaccount:<ns>:<name>` and `<issuer>:aud` = "
            "`sts.amazonaws.com`, the issuer being the `Principal.Federated` provider's (AWS EKS user guide, "
            '"Assign IAM roles to Kubernetes service accounts"; not retrieved in the session that wrote the '
            "rule). GKE: member `serviceAccount:<project>.svc.id.goog[<ns>/<name>]` with "
            "`roles/iam.workloadIdentityUser`, pool equal to the cluster's `workloadIdentityConfig.workloadPool`."
            " Azure: `subject` `system:serviceaccount:<ns>:<name>`, https `issuer`, `audiences` "
            "`[api://AzureADTokenExchange]` (Microsoft Graph federatedIdentityCredential; "
            "Azure/azure-workload-identity docs)."
        ),
    ),
    (
        "storage-read-least-privilege",
        (
            "S3: no `s3:*`/`*` action, no `*` or wildcard bucket, `s3:GetObject` on `<bucket>/<prefix>...`, "
            "`s3:ListBucket` with an `s3:prefix` condition, no `AmazonS3FullAccess`/`AmazonS3ReadOnlyAccess`. "
            "GCS: read role (`roles/storage.objectViewer`) on one bucket, no `allUsers`, no project-level "
            "`roles/storage.*`. Azure: Storage Blob Data Reader (2a2b9908-6ea1-4ae2-8e65-a410df84e7d1) on "
            "`.../blobServices/default/containers/<c>`; any other role on a storage scope fails, and so do Owner "
            "(8e3af657-a8ff-443c-a75c-2fe8c4bcb635), Contributor (b24988ac-6180-42a0-ab88-20f7382dd24c), User Access "
            "Administrator and Role Based Access Control Administrator on a management group, subscription, resource "
            "group or storage account: `*` actions include listing the account keys, and the two administrators may "
            "assign themselves any data role (MicrosoftDocs/azure-docs articles/role-based-access-control/"
            "built-in-roles/privileged.md; lower scopes inherit: scope-overview.md). Not checked: a GCS grant covers "
            "the whole bucket (prefix scoping would need an IAM condition the platform does not render)."
        ),
    ),
    (
        "workload-identity-binding",
        (
            "The chain a model's cloud access depends on: the InferenceService's `serviceAccountName` names a "
            "ServiceAccount the stack declares (the ServiceAccount admission plugin refuses pods naming one that "
            "does not exist: kubernetes/kubernetes plugin/pkg/admission/serviceaccount/admission.go), that "
            "ServiceAccount carries the cloud's annotation, and the IRSA trust `sub`, GKE member or Azure subject "
            "names exactly it; a cloud identity on a ServiceAccount no model in that namespace runs as fails. "
            "ServiceAccounts created by Helm charts from their values count (cert-manager and external-dns: "
            "`serviceAccount.name`, else the chart's fullname template; their `_helpers.tpl`), so the DNS identities "
            "are tied the same way. An Azure federated credential's `issuer` is the AKS cluster's own "
            "`oidcIssuerProfile.issuerUrl` (MicrosoftDocs/azure-docs articles/aks/workload-identity-deploy-cluster.md):"
            " equal to it where the cluster's outputs are visible (CrossGuard stack policies), taken from the cluster "
            "(a dependency on the ManagedCluster) in a plan, so a fixed string fails. Where the identities' outputs "
            "are visible (CrossGuard), each ServiceAccount must be trusted by the binding of the very identity its "
            "annotation names (the Google service account's `email`, the identity's `clientId`; a binding belongs to "
            "the identity it depends on, or to the e-mail in `projects/{PROJECT_ID}/serviceAccounts/{EMAIL}`, IAM "
            "API projects.serviceAccounts.get), so swapped bindings fail."
        ),
    ),
    (
        "internal-model-callers",
        (
            'Istio (istio.io/latest/docs/reference/config/security/authorization-policy/): "If there are no ALLOW '
            'policies for the workload, allow the request"; a rule without `from` matches every source and `*` is a '
            "wildcard. An internal model is covered by an ALLOW policy (its own, namespace-wide or the mesh root's) "
            "and every ALLOW rule covering it names its callers by namespace or principal."
        ),
    ),
    (
        "model-jwt-rules",
        (
            "Istio 1.30.3's RequestAuthentication CRD (shared/upstream/crd-schemas/security.istio.io/"
            'requestauthentication_v1.json): `issuer` "Identifies the issuer that issued the JWT", `jwksUri` is the '
            '"URL of the provider\'s public key set"; `forwardOriginalToken` "If set to true, the original token will '
            "be kept for the upstream request\" (the model would hold every caller's bearer token)."
        ),
    ),
    (
        "mesh-mtls-strict",
        (
            "Istio 1.30.3 `pilot/pkg/model/authentication.go`: the mesh policy is the namespace-wide "
            "PeerAuthentication in the root namespace (`istio-system`, `pkg/config/mesh/mesh.go`); absent or "
            "UNSET means PERMISSIVE; a namespace UNSET inherits the mesh's; a selector with empty matchLabels is "
            "namespace-wide; only the oldest namespace-wide policy of a namespace counts."
        ),
    ),
    (
        "internal-model-cluster-local",
        (
            "KServe v0.20.0: Knative mode reads `networking.knative.dev/visibility` (`pkg/constants/constants.go`"
            " `VisibilityLabel`, `reconcilers/ingress/ingress_reconciler.go`); Standard mode reads "
            "`networking.kserve.io/visibility` (`NetworkVisibility`, `kube_ingress_reconciler.go`, "
            "`httproute_reconciler.go`). The mode is the InferenceService's `serving.kserve.io/deploymentMode` "
            "(legacy Serverless/RawDeployment normalised by `ParseDeploymentMode`), else the kserve-resources "
            "release's `kserve.controller.deploymentMode` (chart default Knative)."
        ),
    ),
    (
        "model-endpoint-auth",
        (
            "A model is public when KServe publishes it: the visibility label its deployment mode reads (as for "
            "`internal-model-cluster-local`) is not `cluster-local`; the `mlplatform.io/access` annotation is ours "
            "and KServe does not read it. Istio (istio.io/latest/docs/concepts/security/#authorization-policies): "
            "RequestAuthentication alone lets token-less requests through; a request is allowed when any ALLOW "
            "rule matches. Besides an ALLOW policy requiring a request principal, a token-less request from the "
            "internet is sent through the public gateway, the local gateway, the activator and the pods by "
            "`components/serving/requestpath.py` over the plan's policies; it must not reach the model."
        ),
    ),
    (
        "pipeline-endpoint-auth",
        (
            "KServe v0.20.0 runs a graph's router as a Knative Service `<name>` whose labels are the graph's "
            "(pkg/controller/v1alpha1/inferencegraph/knative_reconciler.go `createKnativeService`), so it is public "
            "unless labelled cluster-local; the router calls each step itself and forwards only `PROPAGATE_HEADERS` "
            "(cmd/router/main.go `callService`, unset by default): whoever reaches the router reaches every member. "
            "A token-less request from the internet is sent by `components/serving/requestpath.py` "
            "`pipeline_routes` and `through_pipeline` over the plan's policies (at minReplicas, and from zero when "
            "it scales to zero); it must reach neither."
        ),
    ),
    (
        "internal-pipeline-cluster-local",
        (
            "The graph's labels become the router's Knative Service's (knative_reconciler.go "
            "`createKnativeService`, KServe v0.20.0), and Knative keeps a Service off the public gateway with "
            "`networking.knative.dev/visibility: cluster-local`; in Standard mode KServe makes no gateway route for "
            "a graph (raw_ig.go) and reads `networking.kserve.io/visibility` for models. Judged like "
            "`internal-model-cluster-local`, and `pipeline_routes` from the internet must be empty."
        ),
    ),
    (
        "internal-pipeline-activator-off",
        (
            "knative/serving knative-v1.21.3: with `TargetBurstCapacity == 0` the excess burst capacity is 0 "
            "(pkg/autoscaler/scaling/autoscaler.go `Scale`) and KPA serves the revision without the activator "
            "when `want > 0 && ExcessBurstCapacity >= 0` (pkg/reconciler/autoscaling/kpa/kpa.go); knative/docs "
            'target-burst-capacity.md: "`0` means the Activator is only in path when scaled to 0". KServe copies '
            "the graph's annotations to the router's revision and sets min-scale from `minReplicas` "
            "(`SetAutoScalingAnnotations`, pkg/controller/v1alpha1/utils/utils.go; unset: "
            "`constants.DefaultMinReplicas` = 1), v0.20.0."
        ),
    ),
    (
        "pipeline-service-account",
        (
            "KServe v0.20.0 runs the router pod as `spec.serviceAccountName` with `automountServiceAccountToken: "
            "false` on the pod (knative_reconciler.go `createKnativeService`, raw_ig.go); the router's mesh "
            "identity (its ServiceAccount) is what member models see. The ServiceAccount's own "
            "`automountServiceAccountToken: false` keeps any other pod run as it without an API token."
        ),
    ),
    (
        "pipeline-step-predictor-host",
        (
            "KServe v0.20.0 makes an InferenceService's top-level host `<name>.<namespace>.svc.cluster.local` an "
            "ExternalName Service to knative-local-gateway (pkg/controller/v1beta1/inferenceservice/reconcilers/"
            "ingress/ingress_reconciler.go); a step called there reaches the model as the gateway, not as the "
            "router, which an internal model refuses (docs/components/pipeline.md)."
        ),
    ),
    (
        "pipeline-member-access",
        (
            "The router forwards none of the caller's headers (cmd/router/main.go `callService`, "
            "`PROPAGATE_HEADERS` unset in the default router config), so a member sees the router. For the internet "
            "without a token and a pod of each namespace the router's AuthorizationPolicies name (and one elsewhere), "
            "`through_pipeline` must not reach a member that `routes` does not reach directly; a public jwt pipeline "
            "is the one front door allowed to an internal model (the access table of docs/components/pipeline.md)."
        ),
    ),
    (
        "model-service-account",
        (
            'Kubernetes core/v1 ServiceAccount `automountServiceAccountToken`: "indicates whether pods running as '
            "this service account should have an API token automatically mounted. Can be overridden at the pod "
            'level." (API field documentation, as the pulumi-kubernetes SDK reproduces it): false on the '
            "ServiceAccount, and not true on the pod. A model runs as its own ServiceAccount, never `default`, "
            "never shared (each carries one model's cloud identity)."
        ),
    ),
    (
        "model-pdb",
        (
            "KServe v0.20.0 labels predictor pods `serving.kserve.io/inferenceservice: <name>` "
            "(`constants.InferenceServicePodLabelKey`, `components/predictor.go`) and `component: predictor`; a "
            "PodDisruptionBudget selecting anything else protects nothing."
        ),
    ),
    (
        "gateway-https-only",
        (
            "Istio Gateway CRD (shared/upstream/crd-schemas/networking.istio.io/gateway_v1.json) "
            '`servers[].tls.httpsRedirect`: "If set to true, the load balancer will send a 301 redirect for all '
            "http connections, asking the clients to use HTTPS\"; the Knative operator's KnativeServing CRD "
            "(knative-v1.21.4, crd-schemas/operator.knative.dev/knativeserving_v1beta1.json) overrides the "
            "`knative-ingress-gateway` servers with the same field; without servers the operator applies "
            "net-istio's default gateway, one plain HTTP server on port 80 (knative-extensions/net-istio "
            "config/202-gateway.yaml, read on the main branch). Gateway API (kubernetes-sigs/gateway-api "
            'apis/v1/gateway_types.go `RouteNamespaces`): `from` defaults to `Same`, "Only Routes in the same '
            "namespace may be used by this Gateway\". Every shipped stack's TLS is on (self-signed or ACME), so "
            "the rule applies to all."
        ),
    ),
    (
        "pod-restricted-hardening",
        (
            "Pod Security Standards, Restricted (kubernetes.io/docs/concepts/security/pod-security-standards): "
            "every container sets `allowPrivilegeEscalation: false` and drops `ALL` capabilities; "
            "`runAsNonRoot: true` and a `RuntimeDefault`/`Localhost` seccomp profile on the container or the pod. "
            "Model namespaces audit and warn at restricted (components/serving/namespace.py); the storage-"
            "initializer's context is kserve-resources v0.20.0 `kserve.storage.containerSecurityContext`; the "
            "sidecars' seccomp profile is istiod 1.30.3 `global.proxy.seccompProfile` (default `{}`). Written "
            "exception: a model with an explicit `runtime` leaves `runAsNonRoot` to that runtime "
            "(components/serving/_runtime.py)."
        ),
    ),
    (
        "pdb-allows-eviction",
        (
            "Istio 1.30.3 charts: the gateway renders `podDisruptionBudget` only with more than one minimum "
            "replica (`manifests/charts/gateway/templates/poddisruptionbudget.yaml`); istiod renders "
            "`pdb.minAvailable` (default 1) or a truthy `pdb.maxUnavailable` when "
            "`global.defaultPodDisruptionBudget.enabled` and more than one minimum replica "
            "(`istio-discovery/templates/poddisruptionbudget.yaml`). Other charts: any "
            "`podDisruptionBudget`/`pdb` map with `maxUnavailable: 0`, `minAvailable: 100%`, or `minAvailable` >="
            " the replicas given beside it."
        ),
    ),
    (
        "prod-mesh-replicas",
        (
            "Istio 1.30.3 gateway chart values (shared/upstream/chart-values/istio-gateway-1.30.3.yaml): autoscaling "
            'is on by default with `minReplicas: 1`, and the PodDisruptionBudget "can be only enabled if autoscaling '
            'is enabled with minReplicas > 1 or if autoscaling is disabled but replicaCount > 1"; istiod alike '
            "(`autoscaleMin`, `global.defaultPodDisruptionBudget.enabled`). On prod the floor is 2 with a PDB."
        ),
    ),
    (
        "aks-entra-only",
        (
            '`disableLocalAccounts`: "If set to true, getting static credentials will be disabled for this cluster" '
            "(ManagedCluster.DisableLocalAccounts, learn.microsoft.com .NET API reference); with Azure RBAC only "
            "data-plane roles grant API access (MicrosoftDocs/azure-docs articles/aks/manage-azure-rbac.md)."
        ),
    ),
    (
        "helm-version-pinned",
        (
            'Helm reads `--version` as a constraint, "a specific tag (e.g. 1.1.1) or ... a valid range" '
            "(helm/helm `cmd/helm/flags.go`): only a whole `X.Y.Z` (optional `v`, pre-release/build allowed, "
            "ASCII digits, nothing after) names one chart."
        ),
    ),
    (
        "model-metrics-prometheus-only",
        (
            "The injector excludes 15090, 15021 and 15020 from inbound redirection (`-d 15090,15021,15020`, istio/"
            "istio manifests/charts/istio-control/istio-discovery/files/injection-template.yaml, 1.30.3): no Istio "
            "policy applies there, only a NetworkPolicy. A pod is isolated for ingress when a NetworkPolicy of its "
            "namespace selects it with `Ingress` in `policyTypes`; a peer with `podSelector` alone selects pods of "
            "the policy's namespace, with `namespaceSelector` too, those pods of the selected namespaces "
            "(kubernetes.io/docs/concepts/services-networking/network-policies/). Evaluated by "
            "`components/serving/requestpath.py` `admits` (and Istio's `decide` on the intercepted 9091). A "
            "pipeline's router pods are judged the same, selected by `serving.kserve.io/inferencegraph: <name>` "
            "(`constants.InferenceGraphLabel`, set on them by KServe v0.20.0 knative_reconciler.go and raw_ig.go)."
        ),
    ),
    (
        "model-inference-api-only",
        (
            "KServe v0.20.0 model servers answer `GET /metrics` and `POST /v2/repository/models/{name}/load|unload` "
            "beside inference (python/kserve/kserve/protocol/rest/server.py, v2_endpoints.py); Triton 23.05 also "
            "`/v2/repository/index`, `/v2/logging`, `/v2/trace/setting`, `/v2/models/stats`, shared-memory paths "
            "(triton-inference-server/server v2.34.0 src/http_server.cc). Istio allows a request any ALLOW rule "
            "matches (istio.io/latest/docs/reference/config/security/authorization-policy/); every hop is "
            "evaluated by `components/serving/requestpath.py` `routes`."
        ),
    ),
    (
        "mesh-path-normalization",
        (
            "`meshConfig.pathNormalization`: NONE, BASE (Istio's default), MERGE_SLASHES, DECODE_AND_MERGE_SLASHES, "
            "each adding to the one before; `%2F`/`%5C` are decoded only by DECODE_AND_MERGE_SLASHES, and the "
            "normalized path is both matched by authorization policies and sent to the server "
            "(istio.io/latest/docs/reference/config/security/normalization/; istio.io/latest/docs/ops/"
            'best-practices/security/ "Customize your system on path normalization": recommended, the strictest; '
            "NONE and BASE are vulnerable to CVE-2021-31920 per Red Hat OpenShift Service Mesh docs, "
            '"Updating the path normalization configuration").'
        ),
    ),
    (
        "gateway-metrics-prometheus-only",
        (
            "The gateway chart's Service targets 80, 443 and 15021 (manifests/charts/gateway/values.yaml, Istio "
            "1.30.3), knative-local-gateway's 8081 and 8444 (net-istio knative-v1.21.3 config/203-local-gateway.yaml); "
            "15090/15020 are Envoy's and pilot-agent's stats. NetworkPolicy semantics as for the models' rule."
        ),
    ),
    (
        "gpu-pool-taint-label",
        (
            "The taint must be exactly `nvidia.com/gpu=present:NoSchedule` (clouds spell the effect "
            "`NO_SCHEDULE`); `PreferNoSchedule` lets CPU pods onto GPU nodes."
        ),
    ),
    (
        "cluster-network-policy",
        (
            "A NetworkPolicy has no effect without a plugin that enforces it (kubernetes.io network-policies, "
            '"Prerequisites"). EKS: vpc-cni `enableNetworkPolicy`, a `configurationValues.enableNetworkPolicy` '
            "winning over the flag (pulumi/pulumi-eks v4.3.0 nodejs/eks/addons/cni-addon.ts "
            "`mergeConfigurationValues`); GKE: `datapathProvider: ADVANCED_DATAPATH` (default `LEGACY_DATAPATH`, "
            "pulumi_gcp 10.2) or `networkPolicy.enabled`; AKS: `networkProfile.networkPolicy` Azure, Calico or Cilium "
            "(`none` is the default, pulumi_azure_native 3.29 `NetworkPolicy` enum). Existing clusters: the stack's "
            "`cluster.existing.networkPolicy`, warned by `network-policy-enforced`."
        ),
    ),
    (
        "cluster-hardening",
        (
            "Each check guards a setting the cluster components make: GKE `enableLegacyAbac`, "
            "`issueClientCertificate`, `enablePrivateNodes`, `enableShieldedNodes`, `enableSecureBoot`, prod "
            "`deletionProtection` (pulumi_gcp 10.2 docstrings); EKS `nodeAssociatePublicIpAddress` (pulumi-eks "
            "defaults it to true, nodes/nodegroup.ts), launch-template and EC2NodeClass `encrypted` and public IPs "
            "(pulumi_aws 7.51; Karpenter ec2nodeclass_v1 CRD schema); AKS `enableNodePublicIP`, Key Vault "
            "`enableRbacAuthorization` (default false) and `enablePurgeProtection` (pulumi_azure_native 3.29)."
        ),
    ),
    (
        "iam-least-privilege",
        (
            'Principal `*` / `{"AWS": "*"}` is everyone, anonymous included (AWS IAM User Guide, "Principal": "Do '
            'not leave your role accessible to everyone!"); a Federated trust without Condition admits every '
            "identity of the provider; `iam:PassRole` must name the role (Karpenter's reference policy "
            '`AllowPassingInstanceRole`); GCP basic roles are "highly permissive" (cloud.google.com/iam/docs/'
            "understanding-roles); Azure assignments inherit down from subscription and resource group "
            "(learn.microsoft.com/azure/role-based-access-control/scope-overview)."
        ),
    ),
)
"""What each security rule relies on upstream, with the source (docs/policies.md)."""


def policies_page() -> str:
    """docs/policies.md: how the pack runs, the rule table, overrides and the privileged-namespace list."""
    namespaces = "\n".join(f"| `{ns}` | {_cell(why)} |" for ns, why in PRIVILEGED_NAMESPACES.items())
    sources = "\n".join(f"| `{name}` | {_cell(text)} |" for name, text in SOURCES)
    return f"""# Policies

The guardrails are one set of rules (`policy/rules/`) run in three places, over the same resource shape
(`policy.rules.Resource`: type, wire-name inputs, protect, provider inputs) with the same stack settings:

- offline, by `mlplatform plan`, over every resource the stack registers (exit 1 when a mandatory rule fails; the
  JSON's `policies` list has one entry per finding, and one passing entry per rule that found nothing);
- offline, by `mlplatform check PLAN.json [--stack NAME]`, over a plan saved with `mlplatform plan --json` (a CI
  artefact made elsewhere): the same Policies table, exit 1 when a mandatory rule fails, 0 otherwise, 2 with one line
  for a file that is not a plan (missing, not JSON, wrong shape, a stack the plan does not hold);
- by the Pulumi CLI, as a CrossGuard pack: `pulumi preview --policy-pack policy/ --policy-pack-config cfg.json`,
  where `python -m policy.rules config stacks/Pulumi.<stack>.yaml > cfg.json` writes the stack's facts
  (environment, required tags, GPU budget, API opt-in, anonymous models) and enforcement levels.

Regenerate this page with `python -m policy.rules docs > docs/policies.md`; the table below is also in the README.

{marked_table()}
## Gating `pulumi up` on both

A deploy pipeline runs the offline gates first, then the CrossGuard pack on the real preview, and only then the
update:

```sh
mlplatform plan --stack prod --json plan.json        # exit 1: a mandatory rule failed; the plan is the CI artefact
mlplatform check plan.json --stack prod --strict --no-overrides   # the gate again in the deploying job
python -m policy.rules config stacks/Pulumi.prod.yaml > policy-config.json
pulumi preview --stack prod --policy-pack policy/ --policy-pack-config policy-config.json   # stack rules gate here
pulumi up --stack prod --policy-pack policy/ --policy-pack-config policy-config.json
```

What each step can stop, and when:

- The offline gates (`mlplatform plan`, `mlplatform check`) run before any cloud call and exit 1 on a mandatory
  failure; nothing has been applied.
- In the pack, a rule that can decide from one resource is a `ResourceValidationPolicy`: it runs once for each
  resource on its inputs (Pulumi docs, "Policies": www.pulumi.com/docs/discovery-governance/concepts/policy-as-code/
  policies/), "immediately before they are created or updated", and during an update "the first policy violation
  will halt the deployment" (pulumi/pulumi-policy README). The identity rules are of this kind: an IAM trust
  document, an S3 policy document, a storage role assignment or a federated credential that fails
  `workload-identity-trust` or `storage-read-least-privilege` stops `pulumi up` before that resource is created.
- A rule that relates resources is a `StackValidationPolicy`: it runs once with every resource of the stack, after
  they are registered (pulumi/docs#11508: stack policies run after the resources are known, so they are "most
  useful during a preview"). During `pulumi up` a mandatory stack violation makes the command fail, but the
  resources it saw may already exist. These rules gate on `pulumi preview --policy-pack` and on the offline gates,
  not on the update: `workload-identity-binding`, `model-endpoint-auth`, `internal-model-callers`,
  `mesh-mtls-strict`, `internal-model-cluster-local`, `model-service-account`, `model-pdb`,
  `model-sidecar-injection`, the GPU budget and the other rules listed as stack rules in `policy/pack.py` (a rule
  with a stack check is built as a stack policy).
- Stack policies see each resource's outputs and what it depends on (pulumi-policy's `PolicyResource.props`,
  `dependencies`, `property_dependencies`); the offline gates see inputs and the plan's `dependsOn`. Where that
  differs the rule says how it decides in each: an Azure federated credential's issuer must equal the AKS cluster's
  `oidcIssuerProfile.issuerURL` output in the pack, and must be taken from that cluster (depend on it) offline.

So `pulumi up` must run only after `pulumi preview` with the pack passed, in the same job, on the same commit. In
CI that is three jobs in order on one commit, each failing the pipeline on a non-zero exit:

1. `plan` (no cloud credentials): `mlplatform plan --stack prod --json plan.json`, kept as the artefact;
2. `gate` (no cloud credentials): `mlplatform check plan.json --stack prod --strict --no-overrides`;
3. `deploy` (cloud credentials): the pack config, `pulumi preview --policy-pack ...`, then `pulumi up --policy-pack
   ...` with the same pack and config, so the per-resource identity rules stop the update itself.

## What the plan JSON keeps for `check`

Per stack: `resources` (type, name, URN, parent, provider, `dependsOn`, inputs in wire names; secrets as `[secret]`,
values known only after deploy as `(known after deploy)`), `policies` (the plan's verdict), `judgedResources` (the
placeholder rendering the plan judged unknown documents over, in the same shape as `resources`; present when it
judged any, see "Values known only after deploy"), `cost` (for the budget rules) and `settings`, every key of which
`check` requires (a missing key is refused with one line, exit 2, never judged by a default: a plan without
`environment` would otherwise be judged as dev):

| Key | From the validated stack config (infra/config.py) |
|---|---|
| `environment` | `mlplatform:environment` |
| `requiredTags`, `maxGpus`, `overrides` | `mlplatform:policy` (each override: `enforcement`, `reason`) |
| `allowPublicApi` | `mlplatform:cluster.apiAccess.allowWorld` |
| `anonymousModels` | models with `access.allowAnonymous: true`, as `namespace/name` |
| `budget` | `mlplatform:budget` (USD per month, or null) |
| `models` | per model (`namespace/name`), the objects the program renders for it (`Kind/namespace/name`) |
| `pipelines` | per pipeline (`namespace/name`), the objects the program renders for it (`Kind/namespace/name`) |

`check` validates `settings` as the stack file is validated (the same `PolicySpec`), so a hand-edited plan cannot
turn a rule off with a value the stack file would refuse. `models` lists, per model, its InferenceService,
ServiceAccount, AuthorizationPolicy and NetworkPolicy, the RequestAuthentication of a public JWT model, the
PodDisruptionBudget from 2 minimum replicas, and the Namespace and its PeerAuthentication when the model creates its
namespace (`policy.rules.model_objects`). Rules iterate resources, so a plan with a model's objects deleted from
`resources` would pass them vacuously: `check` fails (exit 1, one line per missing object naming the
model and the kind) when an object `settings.models` declares is not in the plan. `pipelines` does the same for each
pipeline: its InferenceGraph, the router's ServiceAccount, AuthorizationPolicy and NetworkPolicy, the
RequestAuthentication of a public JWT pipeline, the PodDisruptionBudget from 2 minimum replicas and its namespace's
objects (`policy.rules.pipeline_objects`).

## The budget rules under CrossGuard

`budget` and `budget-advisory` compare the plan's cost estimate (components/cost.py, built by `mlplatform plan`
over the recorded plan with the catalog's prices) with `mlplatform:budget`. A CrossGuard stack policy receives
neither: pulumi-policy 1.21.0 (`pulumi_policy/policy.py`) gives it `StackValidationArgs` with `resources`,
`get_config()` and `stack_tags` only. The pack therefore marks both policies not applicable with the reason
(`StackValidationArgs.not_applicable`, which "Marks the policy as not applicable"; the analyzer lists it under
`not_applicable`), never as passed: the budget is gated by `mlplatform plan` or `mlplatform check PLAN.json`.

## One parse of the stack config

The rules never read the stack file's text. `mlplatform plan` reads the settings from the model the program
validated (`infra.config.StackConfig`: `budget: "1_000"` is 1000, `maxGpus: 8.0` is 8, as the program reads them),
records them in the plan, and `check` and the CrossGuard pack config read them back through the same validation.

Two ways a mandatory rule could be switched off without a recorded reason are closed:

- an override whose `reason` is blank (whitespace) is not applied: the rule keeps its default level and its entry
  says "the stack's override to ... is ignored: its reason is blank";
- `policy.requiredTags: []` does not switch `required-tags` off: every taggable resource then fails it with "policy.
  requiredTags is empty"; to stop checking tags, disable the rule with an override and its reason.

## Values known only after deploy

A plain plan, like `pulumi preview`, does not know values a deploy computes. A rule never passes silently over a
document it could not read: its passing entry carries `unchecked`, naming each such document (for example "trust
policy of role resnet50-storage-role"), and the Policies table shows it. `workload-identity-trust` and
`storage-read-least-privilege` read documents built from ARNs and e-mails: in a plain plan of aws-dev they are
unknown.

The offline gates still judge them (policy/judged.py):

- `mlplatform plan` runs the program a second time with typed placeholders (`outputs="fake"`,
  `components/plan/fakes.py`, the values `--placeholders` shows) when a mandatory rule reports unchecked documents,
  and those rules judge the placeholder rendering; their entries carry `judgedOver: "placeholders"`. The structure
  of each document (statements, actions, condition keys, the ServiceAccount it names) is what the code builds and is
  the same in both renderings; only deploy-computed values are placeholders. A trust policy without its `sub`
  condition fails the plain aws-dev plan.
- `mlplatform plan --json` saves that rendering with the plan (`judgedResources`), and `mlplatform check` (which
  runs no program) judges the same rules over it the same way: on an untampered plan `check` gives exactly the
  plan's `policies` entries, `judgedOver` included, so `check --strict --no-overrides` passes every unmodified
  shipped stack and fails the trust policy without its `sub` (tests/policy/test_policy_check_pipeline.py runs the
  documented commands over every shipped stack). A plan saved with `--placeholders` is judged directly.
- A saved plan without `judgedResources` (edited, or from an older version) leaves those rules `unchecked`, and
  `--strict` fails a mandatory rule that left documents unchecked (exit 1).
- A secret in the saved plan (`[secret]`) is read as unknown, never compared as if it were the value.
- Not only documents: every mandatory rule that reads resources names, through its `unknown` hook
  (`policy.rules.base.reading`), each value it compares that is known only after deploy or NaN (a PeerAuthentication
  mode, an EKS cluster's `publicAccessCidrs` or log types, istiod's path normalization, a tag map, a
  PodDisruptionBudget bound...). Such a value is judged over `judgedResources` like a document, and `--strict` fails
  a rule still left with one: the unknown marker placed where the program writes a literal never makes a rule pass.
  A NaN PodDisruptionBudget bound fails `pdb-allows-eviction` outright. `prod-protect-stateful` (reads the `protect`
  option) and `budget` (reads the cost estimate) read no resource property.

## What `check` trusts

`check` refuses (exit 2, one line) a plan with no stacks or a stack with no resources: an empty plan would pass
every rule. The `overrides` saved in a stack's `settings` are trusted as written: whoever can edit the plan file can
lower a rule's enforcement (with a reason). A gate that must not trust them runs `check --no-overrides`: every rule
at its default enforcement; the stack's reviewed overrides then live in the stack file, and the plan job is where
they apply.

`--no-overrides` drops only `settings.overrides`. The other settings switch rules on or off as much as an override
does and are trusted like one, as the plan file states them: `environment` (the prod-only rules: a prod plan
relabelled `staging` is judged as staging), `requiredTags` (a shorter list checks fewer tags), `maxGpus` (the GPU
budget), `allowPublicApi` (a Kubernetes API open to 0.0.0.0/0), `anonymousModels` (public models without a token),
`budget` (the monthly ceiling), and `networkPolicy`. `check` does not cross-check them against the resources (an
`environment` tag saying `prod` on a stack whose settings say `staging` passes). A gate that must not trust the
editor of the plan file either regenerates the plan itself from the reviewed stack file (`mlplatform plan`) or
compares the saved `settings` with the stack file's before `check`.

What `check` refuses besides (exit 2, one line naming the file, the key path, the value and what is accepted): JSON
that `mlplatform plan --json` never writes (NaN, Infinity, a number literal beyond the largest float such as `1e309`,
an integer of more than 30 digits, a string with a lone surrogate such as `\\ud800`, a key given twice, values
nested deeper than 64 levels), a file that is not a regular file or is larger than 64 MiB, a stack name or a URN
given twice, a stack name with control characters, a `cloud` that is not a printable name, a resource type that
is not an ASCII `package:module:Type`, a `provider` that is not the URN of a `pulumi:providers:<package>` resource
of the plan for the resource's own package (the rules read its inputs as the resource's default tags, so a provider
pointed at another resource with a hand-written `defaultTags` would decide `required-tags`), a `parent` that is not
the URN of a resource of the plan, a NetworkPolicy, AuthorizationPolicy, RequestAuthentication or InferenceService
value of a shape its API never takes, a malformed `cost`, and a stack without every rule's entry in `policies`.

`judgedResources` must be the placeholder rendering of the same plan: `check` refuses (exit 2, one line) a stack
whose resources or judged rendering hold a URN of another stack, of two projects, or whose type is not the
resource's `type`; a resource with a value known only after deploy that `judgedResources` does not hold under the
same URN and type (deleting a bad document from the judged rendering only would leave its rule judging nothing);
a judged resource that is not one of the plan's resources (a judged rendering copied from another stack); and a
value known only after deploy in `resources` where `judgedResources` has no value to fill it in. The judged pass
runs over `resources` with only their unknown values filled in from `judgedResources` (and, for a cloud resource,
the top-level arguments the plain plan leaves out because a provider function's answer is unknown there: an Azure
federated credential's `issuer`, a role assignment's `principalId`, a GKE cluster's `nodeLocations`): every value
`resources` knows is judged as written, so a bad value edited into `resources` beside an unknown marker fails its
rule as it would without the marker.

This ties the two lists together; it does not protect them. The plan file has no signature or checksum: whoever can
edit it can rewrite `resources`, `judgedResources` and `policies` consistently (a bad trust policy replaced by a
clean one in all three), and `check` then passes it. `check` gates a plan only as far as the plan file is trusted;
the CrossGuard pack, which judges what `pulumi up` really sends, is the gate that does not depend on the file.

`check` also holds the plan to its own verdict: a mandatory failure recorded in the saved `policies` that `check`
(with the saved overrides) does not reproduce fails the check (exit 1) with one line naming the rules ("the saved
plan recorded N mandatory failure(s) check does not reproduce"): the resources or the judged rendering were edited
after the plan judged them. A plan file is data its editor controls: whoever deletes both the failures and the
documents can only leave the documents `unchecked`, which `--strict` fails; the CrossGuard pack judges the real
documents during `pulumi up`.

## What each security rule relies on

| Rule | Upstream semantics (source) |
|---|---|
{sources}

## Not checked (yet)

- Offline, a GKE member or Azure federated credential is matched with the ServiceAccounts by the name it trusts,
  not with the identity the ServiceAccount's annotation names: the plan has no e-mail or client id (outputs). Two
  bindings swapped between two models therefore pass the offline gates and fail only the CrossGuard pack.
- A RequestAuthentication without `audiences` passes `model-jwt-rules`: the stack file allows a JWT without
  audiences (`access.jwt.audiences` is optional), and every shipped stack sets them.
- The request-path rules (`model-metrics-prometheus-only`, `model-inference-api-only`,
  `gateway-metrics-prometheus-only`) judge the NetworkPolicies as rendered; whether the cluster enforces them is read
  from the cluster the platform creates by the mandatory `cluster-network-policy` (EKS vpc-cni, GKE Dataplane V2,
  AKS network policy); on an existing cluster it is the stack's fact (`cluster.existing.networkPolicy`), and where
  it is not `enforced` the advisory `network-policy-enforced` warns (a warning, not a failure: the stack file
  records the fact and the program warns the same; the serving path stays under Istio either way). An ipBlock
  peer, a named port or a namespace selected by another label than `kubernetes.io/metadata.name` is not evaluated:
  the rule fails with "does not evaluate" rather than pass.
- `cluster-hardening` guards only what the cluster components set today. Not hardened by the code, so not checked:
  AKS node disks use platform-managed keys (no `enableEncryptionAtHost`, no disk encryption set), the AKS Key Vault
  keeps `publicNetworkAccess: enabled`; EKS and GKE deletion protection on a dev or staging stack is off by design
  (only prod is checked) and no shipped stack is an EKS prod stack. An EKS add-on resource for `vpc-cni` without
  `configurationValues` is not judged (the plan does not model pulumi-eks's computed values; the `eks:index:Cluster`
  and its `VpcCniAddon` are).
- `model-inference-api-only` tries a fixed list of admin requests (and three encodings of them) with the mesh's
  normalization as `components/serving/requestpath.py` models it; `mesh-path-normalization` keeps the rendered
  normalization equal to that model.
- No shipped stack runs KServe in Standard mode, so the mutation run does not reach a Standard-mode visibility slip;
  `tests/policy/test_policy_identity_ties.py` plans the local stack in Standard mode and checks that slip.

## Changing a rule's enforcement on one stack

```yaml
config:
  mlplatform:policy:
    requiredTags: [environment, owner, cost-center]   # default: environment, owner
    maxGpus: 16                                      # GPU budget: sum of max nodes x GPUs per node; default 64
    overrides:
      prod-model-replicas:
        enforcement: advisory                        # mandatory | advisory | disabled
        reason: "batch model; a cold start is acceptable"   # at least 10 characters, shown in the plan
```

## Stack facts the rules read

Offline they come from the validated stack config; in the CrossGuard pack, from each policy's config (schema in
`policy/pack.py`: `environment`, `requiredTags`, `maxGpus`, `allowPublicApi`, `anonymousModels`, `networkPolicy`),
read through the same validation.

| Fact | From |
|---|---|
| environment | `mlplatform:environment` (prod-only rules: `prod-model-replicas`, `prod-protect-stateful`) |
| required tags | `mlplatform:policy.requiredTags`; GCP label keys are lowercased as GCP requires |
| GPU budget | `mlplatform:policy.maxGpus` (Karpenter: `spec.limits`; others: max nodes x GPUs per node) |
| API opt-in | `mlplatform:cluster.apiAccess.allowWorld` |
| anonymous models | a model's `access.allowAnonymous: true`, or annotation `mlplatform.io/allow-anonymous: "true"` |
| NetworkPolicy enforced | managed: read by `cluster-network-policy`; existing: `cluster.existing.networkPolicy` |

## Mutation run

`benchmarks/policy_mutations.py` applies realistic one-line slips to a temporary copy of the project (clusters,
platform, serving and the rules themselves: IRSA trust without `sub`, S3 read on every bucket or without its `/`
boundary, mesh-wide mTLS PERMISSIVE, an internal model losing its visibility label, a model namespace losing
`istio-injection`, a model ServiceAccount mounting its token, a gateway PDB in Helm values that blocks drains, a
chart version `X.Y`, a PreferNoSchedule GPU taint, ...). Each mutation names the rule that must catch it; every
shipped stack is planned under the mutated code like `mlplatform plan` (the headline count) and like
`mlplatform plan --placeholders`, and the slip counts as caught only when that rule fails mandatory where it does
not on the unmutated code. A mutation whose text is not exactly once in its file fails the run (exit 1). Slips in
`policy/rules` are judged by the rule boundary tests instead. Run it with
`PYTHONPATH=. .venv/bin/python benchmarks/policy_mutations.py [--jobs N] [--json rows.json]` (several minutes; not
part of `make test`).

Besides those, the run holds the slips the issue #17 review asked for: an Azure federated credential with a fixed
issuer or IRSA's audience, the Azure storage grant as Blob Data Contributor or Owner, a GKE member or an identity
grant naming another namespace or the model's name instead of its ServiceAccount, a model running as another
ServiceAccount, a model AuthorizationPolicy flipped to DENY, an internal model open to every caller, a JWT rule
whose issuer is its JWKS URL or that forwards the token, the prod gateway's or istiod's autoscaler floor at 1, AKS
local accounts, GKE node metadata, Karpenter's IMDS hop limit and the mesh PeerAuthentication in the wrong
namespace. Last run (59 mutations, 46 in the source): caught by their rule in the plain plan 44/44, with
`--placeholders` 44/44, rule slips caught by the rule tests 13/13; two chart-version slips are refused by the
program before any policy runs (the stack config validation) and are not counted.

Since then the run holds 17 request-path slips (14 in the source, 3 in `policy/rules/network.py`), run with
`--only`: a model NetworkPolicy opening 15090 to every source, admitting Prometheus-labelled pods of every namespace,
isolating egress instead of ingress, selecting none of the model's pods or closing the serving ports; caller rules
losing their path allow-list or Triton's `notPaths`, or widened to `/v2/*`; the mesh's path normalization BASE or
dropped; the gateway NetworkPolicy opening its metrics ports, closing knative-local-gateway's ports, selecting no
gateway pod or admitting Prometheus-labelled pods of every namespace. Last run of those: caught by their rule in the
plain plan 14/14, with `--placeholders` 14/14, rule slips caught by the rule tests 3/3.

The cluster and IAM slips (29, run with `--only`): the NetworkPolicy enforcement of each cloud's network plugin
turned off (EKS vpc-cni, GKE legacy datapath, AKS `none`); GKE legacy ABAC, a client certificate, public nodes,
Shielded Nodes or Secure Boot off, deletion protection off on prod; EKS, Karpenter and AKS nodes with public IPs,
unencrypted EKS and Karpenter volumes, the AKS Key Vault on access policies or without purge protection; node roles
trusted by every AWS principal, Karpenter passing any role, its read list widened to `ec2:*` on `*`, its queue
writable by everyone; the GKE node service account given `roles/editor` or `roles/container.admin`; the AKS
control-plane identity given Contributor on the subscription; and 5 slips in the rules. Last run: caught by their
rule in the plain plan 24/24, with `--placeholders` 24/24, rule slips caught by the rule tests 5/5.

The pipeline slips (15, run with `--only`; no shipped stack has a pipeline, so each plans the local stack with two
added through the mutation's `config`, a public jwt one and an internal one, as tests/policy/test_policy_pipeline.py
does): in components/serving/pipeline.py the router's ALLOW rule losing its request-principal source or flipped to
DENY, the internal pipeline losing its cluster-local label or getting Standard mode's, losing
`target-burst-capacity: "0"` or rendered at `minReplicas: 0`, the router as the default ServiceAccount or its
ServiceAccount mounting a token, the router's NetworkPolicy selecting by the model label, steps at KServe's top-level
host, the internal router open to every caller; in pipeline_spec.py an anonymous pipeline over an internal model no
longer refused (planned with such a pipeline); and 3 slips in the rules. Last run: caught by their rule in the plain
plan 12/12, with `--placeholders` 12/12, rule slips caught by the rule tests 3/3.

The cluster and IAM slips of the hostile review of #17 (13, run with `--only`;
tests/policy/test_policy_rev17_cluster.py holds their boundary cases, plan and `mlplatform check` tests): the EKS
secrets KMS key without rotation (`kms-key-rotation` is mandatory for AWS KMS and Cloud KMS; Key Vault keys are the
advisory `keyvault-key-rotation`, as AKS's KMS plugin needs the new key version's id after a rotation), the EKS
private endpoint off, authentication mode `API_AND_CONFIG_MAP`, the default EBS StorageClass unencrypted, node roles
given `AmazonEC2ContainerRegistryPowerUser`, Karpenter's queue denying every TLS call (its SecureTransport condition
inverted), AKS `nodeOSUpgradeChannel` None; and 6 slips in the rules. Last run: caught by their rule in the plain
plan 7/7, with `--placeholders` 7/7, rule slips caught by the rule tests 6/6 (each by its own boundary case, since
each mutation's copy holds `benchmarks/`).

## Rendered manifests

`make test` also renders every stack (`mlplatform plan --all --manifests DIR`) and scans the output: checkov's
Kubernetes checks plus the repo's own checks for InferenceService (`policy/checkov_checks`: CKV_MLP_1 security
context, CKV_MLP_2 requests and limits), kubernetes-validate in strict mode for Kubernetes 1.33 and 1.34, and every
custom resource against the upstream CRD schema. A check may only be skipped by a `checkov.io/skip<n>:
<CHECK_ID>=<reason>` annotation on the object itself.

## Namespaces allowed to run privileged pods

| Namespace | Why |
|---|---|
{namespaces}
"""
