"""The namespace models live in: Pod Security labels and Istio sidecar injection.

``ModelService`` creates its namespace itself (``createNamespace: true``, the default). When several models share a
namespace, create one :class:`ModelNamespace` and give every model ``createNamespace: false`` with the namespace in
``PlatformHandles.ready`` (the stack program does this).

Pod Security: model namespaces audit and warn at ``restricted``, and enforce:

- with Istio CNI (the default), ``baseline``. Every container we render meets ``restricted``: the model container
  gets its security context from ModelService; the storage-initializer from the platform
  (``kserve.storage.containerSecurityContext`` with a RuntimeDefault seccomp profile, for KServe's ``default``
  ClusterStorageContainer); the Istio sidecar from istiod (``global.proxy`` seccomp profile; with CNI there is no
  ``istio-init``); Knative's queue-proxy from ``secure-pod-defaults``. We do not *enforce* ``restricted`` yet
  because KServe v0.20.0's pod webhook may not apply the ClusterStorageContainer's security context to the injected
  storage-initializer (kserve#5373; the fix, kserve#5855, came after v0.20.0): enforcing would reject every model
  pod that downloads from storage. ``ENFORCE_RESTRICTED`` flips this once the pinned KServe carries the fix; until
  then a violation shows as a warning and an audit event, and tests check that our pods meet ``restricted``.
- without Istio CNI, ``privileged``: Istio's ``istio-init`` init container needs NET_ADMIN and NET_RAW, which
  even ``baseline`` forbids.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.errors import SpecError
from components.naming import child_name, child_opts, is_dns_label, standard_labels, type_token
from components.outputs import ModelNamespaceOutputs
from components.platform.handles import PlatformHandles

POD_SECURITY_AUDIT = "restricted"
LEVELS = ("privileged", "baseline", "restricted")
ENFORCE_RESTRICTED = False
"""Enforce ``restricted`` (not only audit/warn) where the platform allows it; see the module docstring."""


def enforce_level(platform: PlatformHandles) -> str:
    """The Pod Security level model namespaces enforce: ``baseline`` where the platform allows ``restricted``
    (see the module docstring), ``privileged`` without Istio CNI."""
    if platform.pod_security not in LEVELS:
        raise SpecError("platform.podSecurity", platform.pod_security, "give one of " + ", ".join(LEVELS))
    if platform.pod_security == "restricted" and not ENFORCE_RESTRICTED:
        return "baseline"
    return platform.pod_security


def namespace_labels(namespace: str, platform: PlatformHandles) -> dict[str, str]:
    """The labels of a model namespace."""
    return {
        **standard_labels("model-namespace", namespace),
        "istio-injection": "enabled",
        "pod-security.kubernetes.io/enforce": enforce_level(platform),
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": POD_SECURITY_AUDIT,
        "pod-security.kubernetes.io/audit-version": "latest",
        "pod-security.kubernetes.io/warn": POD_SECURITY_AUDIT,
        "pod-security.kubernetes.io/warn-version": "latest",
    }


def create_namespace(
    name: str, namespace: str, platform: PlatformHandles, parent: pulumi.Resource
) -> list[pulumi.Resource]:
    """Declare the namespace ``namespace`` (``<name>-namespace``) and its STRICT mTLS ``PeerAuthentication``
    (``<name>-mtls``) as children of ``parent``; returns both, for models to depend on.

    The platform makes mTLS STRICT mesh-wide; the namespace's own policy keeps its models STRICT even on a mesh
    configured otherwise (a cluster the platform did not set up).
    """
    ns = k8s.core.v1.Namespace(
        child_name(name, "namespace"),
        metadata={"name": namespace, "labels": namespace_labels(namespace, platform)},
        opts=child_opts(parent, depends_on=list(platform.ready), provider=platform.cluster.provider),
    )
    mtls = k8s.apiextensions.CustomResource(
        child_name(name, "mtls"),
        api_version="security.istio.io/v1",
        kind="PeerAuthentication",
        metadata={"name": "default", "namespace": namespace, "labels": standard_labels("model-namespace", namespace)},
        spec={"mtls": {"mode": "STRICT"}},
        opts=child_opts(parent, depends_on=[*platform.ready, ns], provider=platform.cluster.provider),
    )
    return [ns, mtls]


@dataclass(frozen=True)
class ModelNamespaceArgs:
    """Arguments of :class:`ModelNamespace`. ``namespace``: the Kubernetes namespace name (DNS-1123 label)."""

    platform: PlatformHandles
    namespace: str


class ModelNamespace(pulumi.ComponentResource):
    """One namespace shared by several models (children: ``<name>-namespace``, ``<name>-mtls``).

    Output: ``namespace``.
    """

    namespace: pulumi.Output[str]

    def __init__(self, name: str, args: ModelNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if not is_dns_label(args.namespace):
            raise SpecError(
                "namespace",
                args.namespace,
                "give a Kubernetes namespace name: lowercase letters, digits and '-', at most 63",
            )
        super().__init__(type_token("ModelNamespace"), name, None, opts)
        ns, _ = create_namespace(name, args.namespace, args.platform, self)
        self.namespace = ns.urn.apply(lambda _: args.namespace)
        outputs: ModelNamespaceOutputs = {"namespace": self.namespace}
        self.register_outputs(dict(outputs))
