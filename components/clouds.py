"""The cloud registry: every fact about a cloud that code outside its own modules needs, in one entry per cloud.

Config validation, the catalog, storage URIs, the serving rules, the cluster factory, webhook reachability, the plan's
placeholders, the tag/label rules and the policy rules all read this registry instead of naming clouds. Adding a
cloud is: its cluster module (a :class:`~components.clusters.base.KubernetesCluster` implementation under
``components/clusters/``), optionally its placeholder module for the plan (``components/plan/<cloud>.py``,
:attr:`Cloud.plan`), its policy module (``policy/clouds/<cloud>.py``, :attr:`Cloud.policy`: until it exists the
rules fail its clusters and pools), one :func:`register` call below, a settings field on ``ClusterSpec`` named by
:attr:`Cloud.spec_field` if it has settings, its machines in ``components/catalog.yaml`` and its cluster and pool
creation times in ``components/deploy_times.yaml`` (docs/extending.md walks through it file by file).

This module imports nothing but the standard library, so the catalog, storage and the policy pack can read it
without importing Pulumi or a cloud SDK. ``tests/test_clouds.py`` checks that outside the registry and each cloud's
own modules (:attr:`Cloud.modules`) only two files name a cloud, and registers a fake fourth cloud to show the
config, the catalog, storage, the serving rules, the placeholders and the policy rules take it from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True)
class TagRule:
    """One cloud's tag (label) rule: lengths, characters, reserved prefixes, and where it is written."""

    key_max: int
    value_max: int
    max_tags: int
    source: str
    key_forbidden: str = ""
    """Characters a key may not contain."""
    reserved_prefix: str | None = None
    """A case-insensitive prefix keys and values may not start with."""
    allowed_symbols: str | None = None
    """When set, keys and values may hold only letters, digits, white space and these symbols."""
    labels: bool = False
    """Tags become labels (``components.clusters.gke.gcp_labels``: lowercased, other characters turned into '_'): a key
    must still start with a letter, and two keys that become the same label are refused."""
    case_insensitive: bool = False
    """Two tag names equal but for case are one tag (one value would be lost): refused."""


@dataclass(frozen=True)
class BucketRule:
    """How a storage form's bucket (container) may be named, and what a message says when it is not.

    The checks run in this order, the first failing one answering: :attr:`pattern`, :attr:`twice`, :attr:`not_an_ip`,
    :attr:`reserved_prefixes`, :attr:`reserved_suffixes`.
    """

    noun: str
    """How messages name it (``s3 bucket``)."""
    pattern: re.Pattern[str]
    shape: str
    """What :attr:`pattern` accepts, in words."""
    twice: tuple[str, str] | None = None
    """(text it may not contain, why) when it is not already refused by :attr:`pattern`."""
    not_an_ip: bool = False
    """A dotted-decimal IPv4 address is refused."""
    reserved_by: str = ""
    reserved_prefixes: tuple[str, ...] = ()
    reserved_suffixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StorageForm:
    """One way a model's ``storageUri`` names storage of a cloud: ``<scheme>://<bucket>/<path>``, or a URL of the
    cloud's own host shape (:attr:`url`, with the groups ``account``, ``container`` and ``path``)."""

    scheme: str
    """:attr:`components.storage.StorageLocation.scheme` (also how :func:`of_scheme` finds the cloud)."""
    shown: str
    """How the accepted forms are listed in messages (``s3://``)."""
    bucket: BucketRule
    url: re.Pattern[str] | None = None
    """The form is an https URL of this shape (else ``<scheme>://``)."""
    host_suffix: str = ""
    """With :attr:`url`: https URLs whose host ends so are this form, never a plain https download."""
    query_credential: tuple[str, str] | None = None
    """(query parameter, what it is) that is a credential of this storage in a URI's query (``sig=``, a SAS token)."""
    anonymous_read: AnonymousRead | None = None
    """How KServe's storage initializer is told to read this storage anonymously (``publicStorage``); None when it
    falls back to anonymous reads by itself."""


@dataclass(frozen=True)
class AnonymousRead:
    """A Secret the model's ServiceAccount lists so that KServe's storage initializer reads a public bucket without
    credentials: its annotations and (non-secret) keys."""

    annotations: Mapping[str, str]
    string_data: Mapping[str, str]


JsonSchema = Mapping[str, object]
"""A fragment of an OpenAPI v3 schema as a CRD gives it (``type``, ``properties``, ``required``, ``enum``, ``items``,
``additionalProperties``, ``x-kubernetes-preserve-unknown-fields``), without its descriptions."""

STRING: JsonSchema = {"type": "string"}
ANY: JsonSchema = {"x-kubernetes-preserve-unknown-fields": True}


def json_object(properties: Mapping[str, JsonSchema], required: tuple[str, ...] = ()) -> JsonSchema:
    """A CRD's closed object schema: these properties only (``additionalProperties: false``), ``required`` ones."""
    out: dict[str, object] = {"additionalProperties": False, "properties": dict(properties), "type": "object"}
    if required:
        out["required"] = list(required)
    return out


def json_enum(*values: str) -> JsonSchema:
    """A string schema that takes ``values`` only."""
    return {"enum": list(values), "type": "string"}


def json_list(items: JsonSchema) -> JsonSchema:
    """A list schema of ``items``."""
    return {"items": items, "type": "array"}


SECRET_KEY_SELECTOR = json_object({"key": STRING, "name": STRING}, ("name",))
"""cert-manager's ``SecretKeySelector`` (a ``...SecretRef`` field of a DNS-01 solver): a Secret's ``name`` and the
``key`` in it."""


@dataclass(frozen=True)
class Cloud:
    """One cloud the package can put a cluster on (or ``existing``: a cluster it is given).

    Everything outside the cloud's own modules reads these fields instead of writing the cloud's name.
    """

    name: str
    """The value of ``mlplatform:cloud``."""
    title: str
    """How messages name the cloud (``AWS``)."""
    cluster: str
    """``module:Class`` of its :class:`~components.clusters.base.KubernetesCluster` implementation, imported only
    when a stack uses this cloud (so planning one cloud never imports another's SDK)."""
    modules: tuple[str, ...]
    """Its own modules (dotted names): the only files besides this one that may name it. Each is a per-cloud path,
    claimed by this cloud only (tests/test_clouds.py): its cluster module (of :attr:`cluster`), a private helper
    ``components/clusters/_*.py`` that only its own modules import, ``components/plan/<name>.py`` or
    ``components/plan/<name>_*.py``, ``policy/clouds/<name>.py``."""
    tag_rule: TagRule
    spec_field: str | None = None
    """The ``mlplatform:cluster`` key holding this cloud's own settings (a field of
    :class:`~components.clusters.spec.ClusterSpec`, refused on every other cloud); None for a cloud without settings
    (then :attr:`required_setting` is None too)."""
    managed: bool = True
    """The package creates the cluster (False: ``existing``, no region, no GPU pools, no cloud identity)."""
    region_pattern: re.Pattern[str] | None = None
    """The shape of a region name."""
    region_example: str | None = None
    price_region: str | None = None
    """The region the catalog's reference prices are for."""
    provider_region_key: str | None = None
    """The default provider's region setting (it must agree with ``mlplatform:region`` when given)."""
    region_ignores_case_and_spaces: bool = False
    """The provider reads ``East US`` and ``eastus`` as one region."""
    required_setting: tuple[str, str] | None = None
    """(key under :attr:`spec_field`, what to give) when the cloud's settings block is required."""
    sharing: tuple[str, ...] = ("none",)
    """GPU sharing strategies its pools support."""
    sharing_why: str = ""
    """Why a strategy is missing from :attr:`sharing` (shown when one is asked for)."""
    device_plugin_shares: bool = False
    """The platform's NVIDIA device plugin applies a pool's sharing (else the cloud shares GPUs itself)."""
    one_share_strategies: tuple[str, ...] = ()
    """Sharing strategies (of :attr:`sharing`) whose pools serve a pod at most one GPU share: the device plugin that
    applies the sharing refuses a request for more (components/clusters ``shares_one_gpu_per_request``). A model
    asking more than one GPU is refused where every pool of its accelerator is such a pool, and kept off them
    (a required node affinity) where some are not."""
    one_share_refusal: str = ""
    """With :attr:`one_share_strategies`: what refuses a request for more than one share there, as a message says it
    (components/clusters/base.py ``one_share_why``)."""
    mig_by_compute_slices: bool = False
    """A pool asks for a MIG profile by its compute slices only (AKS ``gpuInstanceProfile`` MIG1g ... MIG7g), so
    only one profile per compute size can be had (components/clusters/mig.py)."""
    storage_schemes: tuple[str, ...] = ()
    """Schemes of ``components.storage`` whose buckets this cloud's identity can grant."""
    storage_kind: str = ""
    """How messages name its storage."""
    public_sample_buckets: tuple[str, ...] = ()
    """Buckets of this cloud that KServe's samples read, public and in other accounts: ``mlplatform import`` makes a
    model reading one ``publicStorage: true`` (no grant on another account's bucket; red14l break 7)."""
    cluster_tag: str | None = None
    """The tag naming the cluster on every cloud resource."""
    cluster_types: tuple[str, ...] = ()
    """Wire type tokens of its cluster resources: the policy pack's cluster rules apply to them, and fail one they
    cannot read (policy/rules/percloud.py)."""
    pool_types: tuple[str, ...] = ()
    """Wire type tokens of its node pool resources: the GPU rules fail one its policy module cannot read."""
    policy: str | None = None
    """Dotted name of its policy module (``policy/clouds/<cloud>.py``: a ``POLICY``
    :class:`policy.rules.percloud.CloudPolicy` with its share of each generic rule, its own rules, its stateful and
    tag-path types). Without one, its clusters and pools fail the rules that would read them."""
    tag_packages: Mapping[str, str] = field(default_factory=dict)
    """Type-token prefixes of its resources and the Python SDK that defines them (the required-tags rule)."""
    max_public_cidrs: int | None = None
    """Most API allow-list entries the cloud takes (None: no limit found)."""
    private_endpoint_with_public: bool = True
    """The cluster keeps a private API endpoint beside a public one."""
    gpu_billed_apart: bool = False
    """The catalog prices a GPU machine as its VM plus its GPUs (``gpu_type``, ``vm_price``)."""
    zones_in_catalog: bool = False
    """The catalog's availability lists the zones of each region."""
    image_cache_source: re.Pattern[str] | None = None
    """What a GPU pool's ``imageCache.source`` names on this cloud (None: the cloud's pools take no image cache)."""
    image_cache_give: str = ""
    """What to give as ``imageCache.source`` (with :attr:`image_cache_source`), or why the cloud takes none."""
    storage: tuple[StorageForm, ...] = ()
    """The ``storageUri`` forms of its storage (:mod:`components.storage` parses and checks them)."""
    gpu_prices_key: str = ""
    """With :attr:`gpu_billed_apart`: the top-level key of ``catalog.yaml`` holding its per-GPU prices."""
    plan: str | None = None
    """Dotted name of its placeholder module for ``mlplatform plan`` (``components/plan/<cloud>.py``: fakes of its
    resources' computed outputs and provider functions, and what its remote components do inside the provider)."""
    identity_annotation: str | None = None
    """The annotation/label key prefix of its workload identity on service accounts and pods (which the platform
    sets, so a model may not)."""
    kserve_account_settings: tuple[str, str] | None = None
    """(annotation, prefix): the ServiceAccount annotation of its workload identity beside which KServe v0.20.0 reads
    the account's own storage settings, the annotations starting with the prefix, for the storage initializer
    (``mlplatform import`` refuses those settings there: the model's own ServiceAccount carries none)."""
    reserved_namespaces: tuple[str, ...] = ()
    """Namespaces its managed clusters keep for themselves (a model may not take them)."""
    reserved_namespace_prefixes: tuple[str, ...] = ()
    """Namespace prefixes its managed clusters keep for themselves."""
    metadata_hosts: tuple[str, ...] = ()
    """Host names of its instance metadata service (which hands out the node's credentials) besides the link-local
    address every cloud uses."""
    cluster_charts: tuple[str, ...] = ()
    """Charts its cluster layer installs (keys of ``components.versions.CLUSTER_CHARTS``): the keys
    ``cluster.versions`` takes on this cloud. Which of them a stack installs, its module's ``cluster_charts(spec)``
    says."""
    dns01_solver: str | None = None
    """The field of cert-manager's ACME ``dns01`` solver for its DNS service (``spec.acme.solvers[].dns01.<field>`` of
    a ClusterIssuer, cert-manager v1.21.1): the solver its cluster module derives for the stack's zone
    (``DnsAccess.acme_dns01``) and one of the providers ``platform.tls.acmeDns01`` accepts
    (:func:`components.platform.settings.acme_dns01_providers`: the registered clouds' solvers and the non-cloud
    ones). None: the cloud has no DNS service the platform manages."""
    dns_settings: Mapping[str, str] = field(default_factory=dict)
    """Keys ``platform.dns`` takes on this cloud besides the generic ``zone``, ``id`` and ``externalDns`` (camelCase key
    -> what it is, the reference's text): what its cluster module's ``grant_dns_admin`` reads from
    ``DnsZone.settings``. Each is a string of letters, digits, '-', '_' and '.'; a key no registered cloud declares is
    an unknown key, and one another cloud declares is refused on this one (infra/config.py)."""
    dns01_schema: JsonSchema | None = None
    """With :attr:`dns01_solver`: the schema of that solver's value (``spec.acme.solvers[].dns01.<field>`` of the
    ClusterIssuer CRD at cert-manager v1.21.1, without descriptions), which ``platform.tls.acmeDns01.<field>`` is
    checked against before anything is registered (tests/test_clouds.py compares it with the pinned CRD)."""
    outputs: str | None = None
    """``module:Class`` of the ``TypedDict`` of the outputs its cluster component registers besides the generic
    :class:`components.outputs.ClusterOutputs` (EKS: ``oidcProviderArn``, ``vpcId``), in its cluster module; the
    outputs reference of docs/configuration.md lists them per cloud (``infra/docs.py``). None: none."""


_REGISTRY: dict[str, Cloud] = {}
_VERSION = 0
"""Bumped by every change of :data:`_REGISTRY` (:func:`register`, the end of :func:`registered`): :func:`version`."""


def version() -> int:
    """A number that changes whenever the registry does: readers that derive something from it (policy/rules/
    percloud.py ``known_types``, ``owner``) memoise on it."""
    return _VERSION


def register(cloud: Cloud) -> Cloud:
    """Add ``cloud`` to the registry (its name must be new) and return it."""
    if cloud.name in _REGISTRY:
        raise ValueError(f"cloud {cloud.name!r} is registered already")
    if cloud.required_setting and not cloud.spec_field:
        raise ValueError(f"cloud {cloud.name!r}: required_setting needs a spec_field to hold it")
    if bool(cloud.dns01_solver) != bool(cloud.dns01_schema):
        raise ValueError(f"cloud {cloud.name!r}: dns01_solver and dns01_schema go together")
    global _VERSION
    _REGISTRY[cloud.name] = cloud
    _VERSION += 1
    return cloud


@contextmanager
def registered(cloud: Cloud) -> Iterator[Cloud]:
    """``cloud`` in the registry for the ``with`` block only (tests)."""
    global _VERSION
    register(cloud)
    try:
        yield cloud
    finally:
        del _REGISTRY[cloud.name]
        _VERSION += 1


def all_clouds() -> tuple[Cloud, ...]:
    """Every registered cloud, in registration order."""
    return tuple(_REGISTRY.values())


def names(*, managed: bool | None = None) -> tuple[str, ...]:
    """Registered cloud names (only managed or only unmanaged ones when ``managed`` is given)."""
    return tuple(c.name for c in _REGISTRY.values() if managed is None or c.managed == managed)


def find(name: object) -> Cloud | None:
    """The registered cloud called ``name``, or None."""
    return _REGISTRY.get(name) if isinstance(name, str) else None


def get(name: str) -> Cloud:
    """The registered cloud called ``name``; a ``KeyError`` listing the registered ones otherwise."""
    cloud = find(name)
    if cloud is None:
        raise KeyError(f"unknown cloud {name!r}; give one of {', '.join(names())}")
    return cloud


def of_scheme(scheme: str) -> Cloud | None:
    """The cloud whose identity grants storage of ``scheme`` (``s3``), or None (``hf``, ``pvc``, ``oci``)."""
    return next((c for c in _REGISTRY.values() if scheme in c.storage_schemes), None)


def of_cluster_type(type_: str) -> Cloud | None:
    """The cloud whose cluster resources have the wire type ``type_``, or None."""
    return next((c for c in _REGISTRY.values() if type_ in c.cluster_types), None)


def storage_forms() -> tuple[StorageForm, ...]:
    """Every registered cloud's storage forms, in registration order."""
    return tuple(f for c in _REGISTRY.values() for f in c.storage)


def plan_modules() -> tuple[str, ...]:
    """The placeholder modules of the registered clouds (:attr:`Cloud.plan`), in registration order."""
    return tuple(c.plan for c in _REGISTRY.values() if c.plan)


def cluster_types() -> tuple[str, ...]:
    """Every registered cloud's cluster resource types."""
    return tuple(t for c in _REGISTRY.values() for t in c.cluster_types)


def pool_types() -> tuple[str, ...]:
    """Every registered cloud's node pool resource types."""
    return tuple(t for c in _REGISTRY.values() for t in c.pool_types)


def dns01_solvers() -> tuple[str, ...]:
    """The cert-manager ``dns01`` solver fields of the registered clouds' DNS services (:attr:`Cloud.dns01_solver`)."""
    return tuple(c.dns01_solver for c in _REGISTRY.values() if c.dns01_solver)


def dns_settings() -> dict[str, tuple[str, str]]:
    """Every ``platform.dns`` key a registered cloud declares (:attr:`Cloud.dns_settings`) -> (its text, the names of
    the clouds that declare it, comma-separated), in registration order."""
    out: dict[str, tuple[str, str]] = {}
    for c in _REGISTRY.values():
        for key, text in c.dns_settings.items():
            owners = f"{out[key][1]}, {c.name}" if key in out else c.name
            out[key] = (out[key][0] if key in out else text, owners)
    return out


def dns01_schemas() -> dict[str, JsonSchema]:
    """The registered clouds' DNS-01 solver fields and the schema of each one's value (:attr:`Cloud.dns01_schema`)."""
    return {c.dns01_solver: c.dns01_schema for c in _REGISTRY.values() if c.dns01_solver and c.dns01_schema}


def dns01_solver(name: str) -> str:
    """The cert-manager ``dns01`` solver field of cloud ``name``'s DNS service (its cluster module's derived solver);
    a ``KeyError`` when the cloud has none."""
    solver = get(name).dns01_solver
    if solver is None:
        raise KeyError(f"cloud {name!r} has no dns01_solver")
    return solver


def tag_packages() -> dict[str, str]:
    """Type-token prefix -> Python SDK module, over every registered cloud."""
    return {prefix: module for c in _REGISTRY.values() for prefix, module in c.tag_packages.items()}


class View(Mapping[str, _T]):
    """A live, read-only mapping cloud name -> one field, over the clouds for which ``pick`` gives a value."""

    def __init__(self, pick: Callable[[Cloud], _T | None]) -> None:
        self._pick = pick

    def _items(self) -> dict[str, _T]:
        return {c.name: v for c in _REGISTRY.values() if (v := self._pick(c)) is not None}

    def __getitem__(self, key: str) -> _T:
        return self._items()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __repr__(self) -> str:
        return repr(self._items())


# ------------------------------------------------------------------------------------------------ the clouds

_GCP_LABELS = "https://cloud.google.com/resource-manager/docs/labels-overview#requirements"

AWS = register(
    Cloud(
        name="aws",
        title="AWS",
        cluster="components.clusters.eks:EksCluster",
        modules=(
            "components.clusters.eks",
            "components.clusters._aws_iam",
            "components.clusters._karpenter",
            "components.plan.aws",
            "components.plan.aws_eks",
            "policy.clouds.aws",
        ),
        plan="components.plan.aws",
        policy="policy.clouds.aws",
        spec_field="aws",
        # https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/allocation-tag-restrictions.html (key <= 128,
        # value <= 256 Unicode characters, 50 per resource, aws: reserved) and the tagging APIs' pattern
        # ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ (e.g. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Tag.html).
        tag_rule=TagRule(
            128,
            256,
            50,
            "https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/allocation-tag-restrictions.html",
            reserved_prefix="aws:",
            allowed_symbols="_.:/=+-@",
        ),
        region_pattern=re.compile(r"\A[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}\Z", re.ASCII),
        region_example="us-east-1",
        price_region="us-east-1",
        provider_region_key="aws:region",
        sharing=("none", "time-slicing", "mps"),
        sharing_why="EKS GPU pools share GPUs by time-slicing or mps (NVIDIA device plugin); MIG on EKS needs the GPU "
        "operator's MIG manager, which this platform does not configure",
        device_plugin_shares=True,
        # NVIDIA/k8s-device-plugin v0.20.0 internal/rm/rm.go ValidateRequest fails an allocation of more than one
        # shared device ("maximum request size for shared resources is 1") under failRequestsGreaterThanOne, which
        # the platform's config sets for time-slicing and MPS (components/clusters/base.py device_plugin_config).
        one_share_strategies=("time-slicing", "mps"),
        one_share_refusal="the NVIDIA device plugin refuses a request for more than one share "
        "(failRequestsGreaterThanOne)",
        storage_schemes=("s3",),
        storage_kind="s3://",
        # S3 general purpose bucket naming rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/
        # bucketnamingrules.html): 3-63 of a-z 0-9 . -, starting and ending with a letter or digit, no two adjacent
        # periods, not an IP address, and reserved prefixes and suffixes.
        storage=(
            StorageForm(
                "s3",
                "s3://",
                BucketRule(
                    "s3 bucket",
                    re.compile(r"\A[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z", re.ASCII),
                    "3-63 of a-z 0-9 . -, starting and ending with a-z or 0-9",
                    twice=("..", "two adjacent periods"),
                    not_an_ip=True,
                    reserved_by="S3",
                    reserved_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
                    reserved_suffixes=("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"),
                ),
                # red14m W1: the storage initializer signs S3 requests unless its awsAnonymousCredential variable is
                # "true" (python/storage/kserve_storage/kserve_storage.py get_S3_config), and with no AWS credentials
                # in the pod botocore raises NoCredentialsError. KServe sets that variable only from a Secret the
                # ServiceAccount lists with an awsSecretAccessKey key, through its annotation
                # serving.kserve.io/s3-useanoncredential (pkg/credentials/service_account_credentials.go
                # mountSecretCredential, s3/s3_secret.go BuildSecretEnvs, s3/utils.go BuildS3EnvVars; the
                # ServiceAccount's own annotation is read only beside eks.amazonaws.com/role-arn), all v0.20.0.
                # The keys are empty: botocore's EnvProvider.load takes an empty AWS_ACCESS_KEY_ID as no
                # credentials, and unsigned requests use none. gs:// and Azure fall back to anonymous reads by
                # themselves (kserve_storage.py _download_gcs, _download_azure_blob).
                anonymous_read=AnonymousRead(
                    annotations={"serving.kserve.io/s3-useanoncredential": "true"},
                    string_data={"awsAccessKeyID": "", "awsSecretAccessKey": ""},
                ),
            ),
        ),
        # The prefix of the IRSA annotation the cluster module sets (eks.ROLE_ARN_ANNOTATION).
        identity_annotation="eks.amazonaws.com/",
        # kserve/kserve v0.20.0 pkg/credentials/service_account_credentials.go AwsIrsaAnnotationKey: only beside it
        # does CreateSecretVolumeAndEnvFromServiceAccount set S3 variables from the account's annotations
        # (pkg/credentials/s3/s3_service_account.go BuildServiceAccountEnvs).
        kserve_account_settings=("eks.amazonaws.com/role-arn", "serving.kserve.io/s3-"),
        cluster_tag="mlplatform.io/cluster",
        cluster_types=("eks:index:Cluster", "aws:eks/cluster:Cluster"),
        pool_types=("eks:index:ManagedNodeGroup", "eks:index:NodeGroupV2", "aws:eks/nodeGroup:NodeGroup"),
        tag_packages={"aws": "pulumi_aws", "eks": "pulumi_eks", "awsx": "pulumi_awsx"},
        cluster_charts=("karpenter", "cluster-autoscaler"),
        # EC2 snapshot ids: "snap-" and 8 (older) or 17 hex digits (the pinned EC2NodeClass CRD's snapshotID is a free
        # string; aws-samples/bottlerocket-images-cache prints the id snapshot.sh made).
        image_cache_source=re.compile(r"\Asnap-([0-9a-f]{8}|[0-9a-f]{17})\Z", re.ASCII),
        image_cache_give="give the id of an EBS snapshot of a Bottlerocket data volume with the images, snap-...",
        # EKS takes 40 publicAccessCidrs: no AWS page states it; users report the limit in
        # aws/containers-roadmap#2174 ("Current one only supports 40 CIDR blocks") and #1349 ("EKS access lists are
        # limited to 40 CIDRs").
        max_public_cidrs=40,
        # Route 53: the dns01 solver field "route53" ("Use the AWS Route53 API to manage DNS01 challenge records", the
        # ClusterIssuer CRD of cert-manager v1.21.1, upstream/crd-schemas/cert-manager.io/clusterissuer_v1.json;
        # https://cert-manager.io/docs/configuration/acme/dns01/route53/).
        dns01_solver="route53",
        dns01_schema=json_object(
            {
                "accessKeyID": STRING,
                "accessKeyIDSecretRef": SECRET_KEY_SELECTOR,
                "auth": json_object(
                    {
                        "kubernetes": json_object(
                            {
                                "serviceAccountRef": json_object(
                                    {"audiences": json_list(STRING), "name": STRING}, ("name",)
                                )
                            },
                            ("serviceAccountRef",),
                        )
                    },
                    ("kubernetes",),
                ),
                "hostedZoneID": STRING,
                "region": STRING,
                "role": STRING,
                "secretAccessKeySecretRef": SECRET_KEY_SELECTOR,
            }
        ),
        outputs="components.clusters.eks:EksOutputs",
    )
)
GCP = register(
    Cloud(
        name="gcp",
        title="GCP",
        cluster="components.clusters.gke:GkeCluster",
        modules=("components.clusters.gke", "components.plan.gcp", "policy.clouds.gcp"),
        plan="components.plan.gcp",
        policy="policy.clouds.gcp",
        spec_field="gcp",
        # https://cloud.google.com/resource-manager/docs/labels-overview#requirements: keys 1-63, values 0-63, only
        # lowercase letters, digits, '_' and '-', keys start with a lowercase letter, at most 64 labels. Tags become
        # labels through components.clusters.gke.gcp_labels (lowercased, other characters turned into '_').
        tag_rule=TagRule(63, 63, 64, _GCP_LABELS, labels=True),
        region_pattern=re.compile(r"\A[a-z]+-[a-z]+[0-9]{1,2}\Z", re.ASCII),
        region_example="us-central1",
        price_region="us-central1",
        provider_region_key="gcp:region",
        required_setting=("project", "give the Google Cloud project id"),
        sharing=("none", "time-slicing", "mps", "mig"),
        # GKE's own device plugin applies the sharing (gke.SHARING_STRATEGY) and refuses more than one virtual
        # device: GoogleCloudPlatform/container-engine-accelerators@992db81 pkg/gpu/nvidia/gpusharing/gpusharing.go
        # ValidateRequest, time-sharing always ("at most 1 nvidia.com/gpu can be requested on GPU nodes"), MPS on
        # multi-GPU nodes; on a one-GPU MPS node it grants several shares of that one GPU, which is not what
        # resources.gpus asks for, so MPS is refused too. GKE shows the refusal as UnexpectedAdmissionError ("About
        # GPU sharing strategies in GKE", cloud.google.com/kubernetes-engine/docs/concepts/timesharing-gpus).
        one_share_strategies=("time-slicing", "mps"),
        one_share_refusal="GKE's device plugin refuses more than one nvidia.com/gpu on a time-shared node and on a "
        "multi-GPU MPS node (UnexpectedAdmissionError), and on a one-GPU MPS node grants shares of that one GPU, "
        "not several GPUs",
        storage_schemes=("gs",),
        storage_kind="gs://",
        # The buckets of kserve v0.20.0's docs/samples (gs://kfserving-examples 122 times, gs://seldon-models 15),
        # public, which KServe's storage initializer reads anonymously without credentials
        # (python/storage/kserve_storage/kserve_storage.py _download_gcs: storage.Client.create_anonymous_client())
        public_sample_buckets=("kfserving-examples", "seldon-models"),
        storage=(
            # Bucket names: 3-63 of a-z 0-9 . - _ and "cannot be represented as an IP address in dotted-decimal
            # notation" (https://cloud.google.com/storage/docs/buckets#naming). The "goog" prefix rule is not checked:
            # Google's own gsutil skips it too, "since Google can create such buckets and they may be read from"
            # (gsutil storage_url.py).
            StorageForm(
                "gs",
                "gs://",
                BucketRule(
                    "gs bucket",
                    re.compile(r"\A[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]\Z", re.ASCII),
                    "3-63 of a-z 0-9 . - _",
                    not_an_ip=True,
                ),
            ),
        ),
        # The prefix of the Workload Identity annotation the cluster module sets (gke.GSA_ANNOTATION).
        identity_annotation="iam.gke.io/",
        # GKE documents "GKE managed namespaces" (the GKE API's ClusterPolicyConfig.noSystemMutation: "preventing
        # creation and mutation of resources in GKE managed namespaces") without listing them; the names seen on GKE
        # clusters are gke-managed-system, gke-managed-cim, gke-managed-filestorecsi, gke-managed-volumepopulator and
        # gke-gmp-system (kubectl get ns transcripts; no Google page lists them). Google Cloud Managed Service for
        # Prometheus keeps gmp-system and gmp-public ("Do not modify or deploy anything in this namespace":
        # https://cloud.google.com/kubernetes-engine/multi-cloud/docs/azure/how-to/managed-service-prometheus).
        reserved_namespaces=("gke-gmp-system", "gmp-system", "gmp-public"),
        reserved_namespace_prefixes=("gke-managed-",),
        # Google's metadata server names (cloud.google.com/compute/docs/metadata/querying-metadata).
        metadata_hosts=("metadata.google.internal", "metadata"),
        cluster_tag="mlplatform.io/cluster",
        cluster_types=("gcp:container/cluster:Cluster",),
        pool_types=("gcp:container/nodePool:NodePool",),
        tag_packages={"gcp": "pulumi_gcp"},
        # GKE "up to 50 authorized networks (allowed CIDR blocks)" (https://cloud.google.com/kubernetes-engine/docs/
        # best-practices/enterprise-multitenancy, "Restrict network access to the control plane"; the
        # regional-clusters page says the same).
        max_public_cidrs=50,
        gpu_billed_apart=True,
        gpu_prices_key="gcp_gpu_prices",
        zones_in_catalog=True,
        # GKE SecondaryBootDisk.disk_image: "Fully-qualified resource ID for an existing disk image" (GKE API
        # reference, cloud.google.com/python/docs/reference/container/latest/
        # google.cloud.container_v1beta1.types.SecondaryBootDisk);
        # project ids as GcpSpec.project, image names as Compute Engine resource names (RFC 1035, 1-63 characters).
        image_cache_source=re.compile(
            r"\Aprojects/[a-z][-a-z0-9]{4,28}[a-z0-9]/global/images/[a-z]([-a-z0-9]{0,61}[a-z0-9])?\Z", re.ASCII
        ),
        image_cache_give="give a disk image's full id, projects/<project>/global/images/<name>",
        # Cloud DNS: the dns01 solver field "cloudDNS" ("Use the Google Cloud DNS API to manage DNS01 challenge
        # records", the same CRD; https://cert-manager.io/docs/configuration/acme/dns01/google/).
        dns01_solver="cloudDNS",
        # the managed zone's project (cert-manager's cloudDNS solver ``project``, external-dns's ``--google-project``):
        # components/clusters/gke.py grant_dns_admin
        dns_settings={"project": "Google Cloud project of the managed zone. Default: the cluster's project."},
        dns01_schema=json_object(
            {"hostedZoneName": STRING, "project": STRING, "serviceAccountSecretRef": SECRET_KEY_SELECTOR}, ("project",)
        ),
        outputs="components.clusters.gke:GkeOutputs",
    )
)
AZURE = register(
    Cloud(
        name="azure",
        title="Azure",
        cluster="components.clusters.aks:AksCluster",
        modules=("components.clusters.aks", "components.plan.azure", "policy.clouds.azure"),
        plan="components.plan.azure",
        policy="policy.clouds.azure",
        spec_field="azure",
        # MicrosoftDocs/azure-docs articles/azure-resource-manager/management/tag-resources.md, "Limitations": names
        # <= 512 (128 on storage accounts, which this package does not create), values <= 256, 50 per resource, names
        # can't contain < > % & \ ? /. Also Azure/azure-resource-manager-rpc v1.0/resource-api-reference.md. "Tag
        # names are case-insensitive for operations" (same page, #tag-usage-and-recommendations).
        tag_rule=TagRule(
            512,
            256,
            50,
            "https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations",
            key_forbidden="<>%&\\?/",
            case_insensitive=True,
        ),
        region_pattern=re.compile(r"\A[a-z][a-z0-9]*\Z", re.ASCII),
        region_example="eastus",
        price_region="eastus",
        provider_region_key="azure-native:location",
        region_ignores_case_and_spaces=True,
        sharing=("none", "time-slicing", "mps", "mig"),
        device_plugin_shares=True,
        # NVIDIA/k8s-device-plugin v0.20.0 internal/rm/rm.go ValidateRequest fails an allocation of more than one
        # shared device ("maximum request size for shared resources is 1") under failRequestsGreaterThanOne, which
        # the platform's config sets for time-slicing and MPS (components/clusters/base.py device_plugin_config).
        one_share_strategies=("time-slicing", "mps"),
        one_share_refusal="the NVIDIA device plugin refuses a request for more than one share "
        "(failRequestsGreaterThanOne)",
        mig_by_compute_slices=True,
        storage_schemes=("azure",),
        storage_kind="Azure Blob",
        storage=(
            # https://<account>.blob.core.windows.net/<container>/<path>: account names 3-24 of a-z 0-9; container
            # names 3-63 of a-z 0-9 -, "Every hyphen (-) character must be immediately preceded and followed by a
            # letter or number; consecutive hyphens aren't permitted in container names", names "must start or end
            # with a letter or number" (https://learn.microsoft.com/rest/api/storageservices/
            # naming-and-referencing-containers--blobs--and-metadata).
            StorageForm(
                "azure",
                "https://<account>.blob.core.windows.net/",
                BucketRule(
                    "Azure container",
                    re.compile(r"\A[a-z0-9]+(-[a-z0-9]+)*\Z", re.ASCII),
                    "3-63 of a-z 0-9 -, starting and ending with a letter or digit, no two hyphens in a row",
                ),
                url=re.compile(
                    r"\Ahttps://(?P<account>[a-z0-9]{3,24})\.blob\.core\.windows\.net/(?P<container>[a-z0-9-]{3,63})"
                    r"(/(?P<path>.*))?\Z",
                    re.ASCII,
                ),
                host_suffix=".blob.core.windows.net",
                query_credential=(
                    "sig=",
                    "a SAS token (sig=) in the URI would be stored in plain text in the manifests and the state; "
                    "remove the query: the model reads the container with its own Azure identity",
                ),
            ),
        ),
        # The prefix of the workload identity annotation and label the cluster module sets (aks.CLIENT_ID_ANNOTATION,
        # aks.USE_LABEL).
        identity_annotation="azure.workload.identity/",
        # Azure tag names may not contain '/' (tag_rule above).
        cluster_tag="mlplatform.io_cluster",
        cluster_types=("azure-native:containerservice:ManagedCluster",),
        pool_types=("azure-native:containerservice:AgentPool",),
        tag_packages={"azure-native": "pulumi_azure_native"},
        # AKS "up to 200 authorized IP ranges" (MicrosoftDocs/azure-docs
        # articles/aks/api-server-authorized-ip-ranges.md, Limitations).
        max_public_cidrs=200,
        # An AKS private cluster has no public endpoint, a public one no private (components/clusters/spec.py).
        private_endpoint_with_public=False,
        image_cache_give="AKS GPU pools take no image cache: artifact streaming works only for images in Azure "
        "Container Registry, and the KServe runtimes come from Docker Hub and nvcr.io (docs/performance.md)",
        # Azure DNS: the dns01 solver field "azureDNS" ("Use the Microsoft Azure DNS API to manage DNS01 challenge
        # records", the same CRD; https://cert-manager.io/docs/configuration/acme/dns01/azuredns/).
        dns01_solver="azureDNS",
        # the zone's resource group (cert-manager's azureDNS solver ``resourceGroupName``, external-dns's azure.json):
        # components/clusters/aks.py grant_dns_admin
        dns_settings={"resourceGroup": "Resource group of the Azure DNS zone (required)."},
        dns01_schema=json_object(
            {
                "clientID": STRING,
                "clientSecretSecretRef": SECRET_KEY_SELECTOR,
                "environment": json_enum(
                    "AzurePublicCloud", "AzureChinaCloud", "AzureGermanCloud", "AzureUSGovernmentCloud"
                ),
                "hostedZoneName": STRING,
                "managedIdentity": json_object({"clientID": STRING, "resourceID": STRING, "tenantID": STRING}),
                "resourceGroupName": STRING,
                "subscriptionID": STRING,
                "tenantID": STRING,
                "zoneType": json_enum("AzurePublicZone", "AzurePrivateZone"),
            },
            ("resourceGroupName", "subscriptionID"),
        ),
        outputs="components.clusters.aks:AksOutputs",
    )
)
EXISTING = register(
    Cloud(
        name="existing",
        title="an existing cluster",
        cluster="components.clusters.existing:ExistingCluster",
        modules=("components.clusters.existing",),
        spec_field="existing",
        managed=False,
        # An existing cluster gets no cloud tags; GCP's limits (the strictest) keep a stack portable.
        tag_rule=TagRule(63, 63, 64, _GCP_LABELS),
        outputs="components.clusters.existing:ExistingOutputs",
    )
)
