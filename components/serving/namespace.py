"""The namespace models live in: Pod Security labels and Istio sidecar injection.

``ModelService`` creates its namespace itself (``createNamespace: true``, the default). When several models share a
namespace, create one :class:`ModelNamespace` and give every model ``createNamespace: false`` with the namespace in
``PlatformHandles.ready`` (the stack program does this).

Pod Security: ``enforce: baseline`` with ``audit``/``warn: restricted``. Model pods themselves meet ``restricted``
(ModelService sets their security context), but KServe's storage-initializer does not yet (kserve#5373), so
enforcing ``restricted`` would reject every model that downloads from storage. ``baseline`` forbids Istio's
``istio-init`` container (NET_ADMIN, NET_RAW), so without Istio CNI (``PlatformHandles.pod_security`` is then
``privileged``) the namespace enforces ``privileged``. Once the platform gives the storage-initializer a seccomp
profile (``kserve.storage.containerSecurityContext``), ``restricted`` can be enforced.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.errors import SpecError
from components.naming import child_name, child_opts, is_dns_label, standard_labels, type_token
from components.platform.handles import PlatformHandles

POD_SECURITY_ENFORCE = "baseline"
POD_SECURITY_AUDIT = "restricted"


def enforce_level(platform: PlatformHandles) -> str:
    """The Pod Security level model namespaces enforce: ``baseline``, or ``privileged`` when the platform's sidecars
    need it (no Istio CNI)."""
    return POD_SECURITY_ENFORCE if platform.pod_security in ("restricted", "baseline") else platform.pod_security


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
        self.register_outputs({"namespace": self.namespace})
