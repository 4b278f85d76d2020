"""The cloud registry (components/clouds.py): the only place besides each cloud's own modules that names the clouds,
and enough, with a cluster module and catalog data, for a fourth cloud: the stack config, the catalog lookups, the
cluster factory and the policy pack's cluster rules take it from the registry alone (issue #15, "Design")."""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib
import json
import re
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
import yaml

from components import catalog, clouds
from components.clusters import cloud_outputs, create_cluster, rendered_endpoint, shares_one_gpu_per_request
from components.clusters.spec import ApiEndpoint, ClusterSpec, tags_problem
from components.errors import SpecError
from infra.config import load
from policy.rules import ALL_RULES, Resource, StackSettings, run_rules
from policy.rules.base import Facts

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("components", "infra", "policy")

SERVICE_WORDS = (
    "amazonaws", "googleapis", "googleusercontent", "azurecr", "route53", "ec2", "ecr", "irsa", "entra", "bottlerocket",
    "cloudwatch", "eventbridge", "sqs", "sts", "arn", "gserviceaccount", "keyvault", "msi",
)  # fmt: skip
"""Service and host vocabulary that names one cloud without its name (``sts.amazonaws.com``, ``route53``,
``arn:aws:iam``, ``ec2:DescribeInstances``, ``*.iam.gserviceaccount.com``, Azure Key Vault). Not ``iam`` nor
``kms``: AWS and Google Cloud both call their services so, and the generic rules (policy/rules/iam.py,
``kms-key-rotation``) are about every cloud's."""
CLOUD_WORD = re.compile(
    r"(?i)(?<![a-z0-9])(eks|gke|aks|aws|gcp|azure|google|amazon|microsoft|pulumi_aws|pulumi_gcp|pulumi_azure_native|"
    r"s3|gs|az|" + "|".join(SERVICE_WORDS) + r")(?![a-z])|windows\.net|cloud\.google|azure\.com|amazon\.com|"
    r"gcr\.io|pkg\.dev"
)
"""What in a string names a cloud: a cloud's, its Kubernetes service's, its vendor's or its SDK's name, its storage
scheme or its service and host vocabulary (:data:`SERVICE_WORDS`; Google's registries ``gcr.io`` and
``*-docker.pkg.dev``), as a word of its own (``aws:region``, ``s3://``,
``on gcp``, not ``awsx`` nor ``Tags``). Strings are split at camelCase boundaries first (:func:`_split_camel`), so
``azureDNS`` and ``awsAccount`` are found; ``amazonaws`` and ``googleapis`` are words of the vocabulary."""
CLOUD_WORDS = frozenset(
    {"eks", "gke", "aks", "aws", "gcp", "azure", "google", "amazon", "microsoft", "s3", "gs", "az", *SERVICE_WORDS}
)
"""The same words, looked for among the words of an identifier (snake_case and CamelCase parts: ``pulumi_aws``,
``GCP_PROJECT``, ``AwsShape``, ``_eks_cluster``, ``Route53``, not ``awsx``)."""
_WORD_OF_IDENTIFIER = re.compile(r"[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*(?![a-z])|[0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _split_camel(text: str) -> str:
    """``azureDNS`` -> ``azure DNS``, ``AKSCluster`` -> ``AKS Cluster``: a cloud's name at the start of a camelCase
    word, or an all-caps run before a capitalised word, is a word of its own."""
    return _CAMEL.sub(" ", text)


@functools.cache
def catalog_words() -> re.Pattern[str]:
    """What in a string names a cloud by its catalog data or its region shape (review of #15, rev15d finding 3): a
    region of the catalog (each machine's and system machine's regions, price regions), a machine type
    (``g6.xlarge``, ``g2-standard-4``, ``Standard_NC4as_T4_v3``), a cloud's own accelerator name where it differs
    from the catalog's cloud-neutral one (``gpu_type``: ``nvidia-tesla-t4``), and any string of a cloud's region
    shape (``Cloud.region_pattern``) where that shape is specific enough to be a region (it refuses a plain word, the
    protocol name ``grpc-v2`` and the accelerator names: Azure's ``[a-z][a-z0-9]*`` takes any word and Google
    Cloud's ``[a-z]+-[a-z]+[0-9]{1,2}`` takes ``nvidia-l4``, so their regions are found by the catalog's list). The
    catalog's
    accelerator names (``nvidia-l4``) are no cloud's: every cloud's pools take them. Read from catalog.yaml and the
    shipped registry once (a cloud registered by a test adds nothing)."""
    data = yaml.safe_load(catalog.DATA_FILE.read_text(encoding="utf-8"))
    neutral = set(data["accelerators"])
    words: set[str] = set()
    for m in [*data["machines"], *data["system_machines"].values()]:
        words.add(m["type"])
        if m.get("gpu_type") and m["gpu_type"] not in neutral:
            words.add(m["gpu_type"])
    for per_cloud in data["availability"].values():
        for regions in per_cloud["types"].values():
            words.update(regions if isinstance(regions, list) else regions.keys())
    words.update(c.price_region for c in clouds.all_clouds() if c.price_region)
    shapes = [
        c.region_pattern.pattern.removeprefix(r"\A").removesuffix(r"\Z")
        for c in clouds.all_clouds()
        if c.region_pattern is not None and not any(map(c.region_pattern.fullmatch, ["name", "grpc-v2", *neutral]))
    ]
    alternatives = "|".join([*(re.escape(w) for w in sorted(words, key=len, reverse=True)), *shapes])
    return re.compile(rf"(?<![A-Za-z0-9_.-])(?:{alternatives})(?![A-Za-z0-9_.-])", re.ASCII)


def _names_in_string(text: str) -> bool:
    return bool(CLOUD_WORD.search(_split_camel(text)) or catalog_words().search(text))


def _folded(node: ast.AST) -> str | None:
    """The text of a concatenation of string constants (``"arn:" + "a" + "ws:iam::"``), of ``%`` formatting (``"a%s"
    % "ws"``; what is not a constant is a space) and of ``"".join`` of constants (``"".join(("a", "ws"))``), or
    None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _folded(node.left), _folded(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and (template := _folded(node.left)) is not None:
        values = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        texts = [_folded(v) for v in values]
        try:
            return template % tuple(t if t is not None else " " for t in texts)
        except (TypeError, ValueError, KeyError):
            return template
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and (sep := _folded(node.func.value)) is not None
        and len(node.args) == 1
        and isinstance(node.args[0], (ast.List, ast.Tuple))
    ):
        texts = [_folded(v) for v in node.args[0].elts]
        return sep.join(t if t is not None else " " for t in texts)
    if isinstance(node, ast.JoinedStr):
        parts = [_folded(v) if not isinstance(v, ast.FormattedValue) else " " for v in node.values]
        return "".join(p for p in parts if p is not None)
    return None


def _names_a_cloud(identifier: str) -> bool:
    return bool({w.lower() for w in _WORD_OF_IDENTIFIER.findall(identifier)} & CLOUD_WORDS)


NOT_A_CLOUD: dict[tuple[str, str], str] = {
    ("import", "google.protobuf"): "protobuf's Python package lives in the google namespace: it is the wire format of "
    "Pulumi's resource monitor (the plan engine's mocks answer in it), not a cloud",
}
"""(kind, text) pairs the scan reads as a cloud's name that are none, and why."""

OTHERS: dict[str, str] = {
    "components/clusters/spec.py": "the cluster layer's config model: its per-cloud settings blocks (cluster.aws, "
    "cluster.gcp, cluster.azure) are typed fields of ClusterSpec that the cloud modules read and the generated docs "
    "list, with their validators and messages",
    "components/versions.py": "the one pin table of every chart, the cluster layer's too: Karpenter's charts are "
    "published at public.ecr.aws (oci:// addresses), and upgrades (docs/upgrading.md) edit this file only",
}
"""The files besides the registry and the clouds' own modules that may name a cloud, and why (at most two)."""

TEMPORARY: frozenset[str] = frozenset()
"""Files that still name a cloud while their knowledge moves into the clouds' modules: none (the policy rules' moved
into policy/clouds/, issue #15). A file would leave it as soon as it names no cloud, so the set only shrinks."""


def own_files() -> set[str]:
    """The registry and every registered cloud's own modules (:attr:`components.clouds.Cloud.modules`), as paths."""
    return {"components/clouds.py"} | {m.replace(".", "/") + ".py" for c in clouds.all_clouds() for m in c.modules}


def _docstrings(tree: ast.AST) -> set[int]:
    """The string constants that are docstrings or bare string statements (attribute docstrings)."""
    return {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}


def cloud_names(source: str) -> list[tuple[int, str, str]]:
    """Where ``source`` names a cloud: (line, kind, text) for each string (not a docstring), name, attribute, imported
    module, import alias, function or class name, parameter and keyword argument that :data:`CLOUD_WORD` finds, less
    :data:`NOT_A_CLOUD`."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    hits: set[tuple[int, str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            found = [(node.lineno, "str", node.value)] if _names_in_string(node.value) else []
        elif isinstance(node, (ast.BinOp, ast.JoinedStr, ast.Call)) and (text := _folded(node)) is not None:
            found = [(node.lineno, "str", text)] if _names_in_string(text) else []
        elif isinstance(node, ast.Attribute):
            found = [(node.lineno, "attr", node.attr)] if _names_a_cloud(node.attr) else []
        elif isinstance(node, ast.Name):
            found = [(node.lineno, "name", node.id)] if _names_a_cloud(node.id) else []
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found = [(node.lineno, "def", node.name)] if _names_a_cloud(node.name) else []
        elif isinstance(node, (ast.arg, ast.keyword)):
            found = [(node.lineno, "arg", node.arg)] if node.arg and _names_a_cloud(node.arg) else []
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] + (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            )
            aliases = [a.asname for a in node.names if a.asname]
            found = [(node.lineno, "import", m) for m in [*modules, *aliases] if _names_a_cloud(m)]
        else:
            continue
        hits.update(hit for hit in found if (hit[1], hit[2]) not in NOT_A_CLOUD)
    return sorted(hits)


def naming_files() -> dict[str, list[tuple[int, str, str]]]:
    """Python files under components/, infra/ and policy/, outside the registry and the clouds' own modules, that
    name a cloud, with where."""
    own = own_files()
    found: dict[str, list[tuple[int, str, str]]] = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in own and (hits := cloud_names(path.read_text(encoding="utf-8"))):
                found[rel] = hits
    return found


def test_only_the_registry_the_clouds_modules_and_two_others_name_a_cloud() -> None:
    """Adding a cloud is its modules, one registry entry and catalog data: no other file names a cloud (issue #15).
    The scan finds exactly the two :data:`OTHERS`: no file holds a single allowed hit any more (cert-manager's cloud
    DNS-01 solvers are the registry's ``Cloud.dns01_solver``, the per-cloud cluster outputs each cloud module's
    ``TypedDict``, ``Cloud.outputs``)."""
    found = naming_files()
    assert len(OTHERS) <= 2
    new = {rel: hits[:5] for rel, hits in found.items() if rel not in OTHERS and rel not in TEMPORARY}
    assert not new, f"these files name a cloud: move what they know into the cloud's modules (registry) {new}"
    assert set(found) == set(OTHERS) | TEMPORARY, (
        f"{sorted((set(OTHERS) | TEMPORARY) - set(found))} name no cloud any more: remove them from OTHERS/TEMPORARY"
    )


DATA_SUFFIXES = (".yaml", ".yml", ".json", ".md", ".txt")
DATA_FILES: dict[str, str] = {
    "components/catalog.yaml": "catalog data: each cloud's machines, prices, regions, keyed by the registry's names "
    "(docs/extending.md, step 5)",
    "components/coldstart.yaml": "per-cloud cold-start data (nodeSteps, defaultProvisioner), keyed by the registry's "
    "names (docs/extending.md, step 5)",
    "components/deploy_times.yaml": "creation times keyed by each cloud's type tokens; a registered cluster or pool "
    "type without its entry is reported unknown (docs/extending.md, step 5; components/deploytime.py)",
    "policy/rules/policies_page.md": "the prose of docs/policies.md, which names the clouds' services as their "
    "documentation does (docs/extending.md, step 6)",
    "policy/rules/policy_sources.json": "each rule's upstream sources, cloud documentation among them "
    "(docs/extending.md, step 6)",
    "policy/clouds/karpenter_scoped.json": "the AWS policy module's data (policy/clouds/aws.py reads it): Karpenter's "
    "conditioned controller statements, pinned to the reference template by tests/policy/test_policy_fix17l.py",
}
"""The data files under components/, infra/ and policy/ that code reads and that name a cloud, and why each may."""


def naming_data_files() -> dict[str, list[tuple[int, str]]]:
    """Data files (:data:`DATA_SUFFIXES`) under components/, infra/ and policy/ with lines (YAML comments aside)
    that name a cloud, with where."""
    found: dict[str, list[tuple[int, str]]] = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix not in DATA_SUFFIXES or not path.is_file():
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            hits = [(i, line) for i, line in enumerate(lines, 1) if not line.lstrip().startswith("#")]
            if hits := [(i, line.strip()) for i, line in hits if _names_in_string(line)]:
                found[path.relative_to(ROOT).as_posix()] = hits
    return found


def test_data_files_that_name_a_cloud_are_the_allowed_ones() -> None:
    """The scan covers the YAML/JSON/Markdown that code reads too (review of #15, finding 4): a new data file naming a
    cloud fails here until it is moved into a cloud's data or allowed with its reason."""
    found = naming_data_files()
    new = {rel: hits[:3] for rel, hits in found.items() if rel not in DATA_FILES}
    assert not new, f"these data files name a cloud: {new}"
    assert sorted(set(DATA_FILES) - set(found)) == [], "name no cloud any more: remove them from DATA_FILES"


def test_the_clouds_own_modules_exist() -> None:
    """A misspelt module in :attr:`Cloud.modules` would exempt nothing and hide nothing: each is a file."""
    missing = sorted(rel for rel in own_files() if not (ROOT / rel).is_file())
    assert not missing


@functools.cache
def _imports_of_modules(root: Path) -> dict[str, frozenset[str]]:
    """What each module under components/, infra/ and policy/ of ``root`` imports (any import statement: the module
    of ``import m`` and of ``from m import n``, and ``m.n``). Parsed once per test process: the sources do not change
    while the suite runs, and :func:`_importers` asks for many modules."""
    imports: dict[str, frozenset[str]] = {}
    for top in SCANNED:
        for path in (root / top).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names: set[str] = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names.update([node.module, *(f"{node.module}.{a.name}" for a in node.names)])
            imports[path.relative_to(root).with_suffix("").as_posix().replace("/", ".")] = frozenset(names)
    return imports


def _importers(module: str) -> set[str]:
    """The modules under components/, infra/ and policy/ that import ``module`` (any import statement)."""
    return {importer for importer, names in _imports_of_modules(ROOT).items() if module in names}


def exemption_problems(registered: tuple[clouds.Cloud, ...]) -> list[str]:
    """Why a module in a cloud's :attr:`Cloud.modules` is not that cloud's own (so the scan must not exempt it).

    A cloud's own module is one of: its cluster module (the module of :attr:`Cloud.cluster`,
    ``components/clusters/<service>.py``); a private helper of the cluster layer (``components/clusters/_*.py``) that
    no module outside the cloud's own imports (``_aws_iam``, ``_karpenter``: only ``eks.py`` imports them);
    ``components/plan/<cloud>.py`` or ``components/plan/<cloud>_*.py``; ``policy/clouds/<cloud>.py``. And no two
    clouds claim one module. Without this, listing a generic module (``components.catalog``) under a cloud would
    silence the scan for it (review of #15, finding 8)."""
    problems: list[str] = []
    claims: dict[str, list[str]] = {}
    for c in registered:
        own = set(c.modules)
        for m in c.modules:
            claims.setdefault(m, []).append(c.name)
            if m == c.cluster.split(":")[0] and m.startswith("components.clusters."):
                continue
            if re.fullmatch(
                rf"components\.plan\.{re.escape(c.name)}(_[a-z0-9_]+)?|policy\.clouds\.{re.escape(c.name)}", m
            ):
                continue
            if re.fullmatch(r"components\.clusters\._[a-z0-9_]+", m):
                if strangers := sorted(_importers(m) - own):
                    problems.append(f"{m} (claimed by {c.name}) is imported by {', '.join(strangers)}, not its own")
                continue
            problems.append(f"{m} (claimed by {c.name}) is not a per-cloud path")
    problems += [f"{m} is claimed by {', '.join(by)}" for m, by in claims.items() if len(by) > 1]
    return problems


def test_no_generic_module_imports_a_clouds_module() -> None:
    """The seam points one way: a cloud's modules may import generic ones, never the reverse (spec.py imported
    aks.SERVICE_CIDR: review of #15, finding 5). Only the factory reaches a cloud's module, by name from the registry
    (importlib, :func:`components.clusters.cluster_module`)."""
    own = {m for c in clouds.all_clouds() for m in c.modules}
    wrong = {m: sorted(_importers(m) - own) for m in own}
    assert {m: by for m, by in wrong.items() if by} == {}


def test_the_clouds_modules_use_only_public_names_of_generic_modules() -> None:
    """A fourth cloud's author codes against public helpers (``int_of``, ``taints_of_list``, ``K8S_NAME``...), never
    a generic module's underscore names (review of #15, finding 9)."""
    own = {m for c in clouds.all_clouds() for m in c.modules}
    private: list[str] = []
    for m in sorted(own):
        tree = ast.parse((ROOT / (m.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module not in own:
                private += [f"{m}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert private == []


def test_only_per_cloud_modules_are_exempt_from_the_scan() -> None:
    """Each exempt module is a per-cloud path claimed by one cloud; a generic module listed under a cloud, a shared
    private helper and a module two clouds claim are refused."""
    assert exemption_problems(clouds.all_clouds()) == []
    bad = (
        dataclasses.replace(
            ACME, modules=("components.catalog", "components.clusters._common", "components.plan.acme")
        ),
        dataclasses.replace(ACME, name="acme2", modules=("components.plan.acme",)),
    )
    assert exemption_problems(bad) == [
        "components.catalog (claimed by acme) is not a per-cloud path",
        "components.clusters._common (claimed by acme) is imported by "
        + ", ".join(sorted(_importers("components.clusters._common")))
        + ", not its own",
        "components.plan.acme (claimed by acme2) is not a per-cloud path",
        "components.plan.acme is claimed by acme, acme2",
    ]


def test_the_scan_sees_each_way_of_naming_a_cloud() -> None:
    """The scan is not blind: strings (``awsAccount`` too: camelCase is split), names, attributes and imports are
    found; docstrings, words that only contain a cloud's name and :data:`NOT_A_CLOUD` are not."""
    source = (
        '"""Doc naming aws."""\n'
        "import pulumi_gcp\n"
        "from google.protobuf import struct_pb2\n"
        'CLOUDS = ("aws", "on gcp or azure", "s3://b", "awsAccount", "Tags")\n'
        "GCP_PROJECT = x.eks\n"
        "y = x.awsx_thing + x.AwsShape + x.aws_region + x.Tags + args\n"
        'WHY = 1\n"""An attribute docstring naming azure."""\n'
        "def gcp_labels(aks_pool, *, s3=1): return f(az=2)\n"
        "class EksThing: pass\n"
        "import os as aws_os\n"
    )
    assert cloud_names(source) == [
        (2, "import", "pulumi_gcp"),
        (4, "str", "aws"),
        (4, "str", "awsAccount"),
        (4, "str", "on gcp or azure"),
        (4, "str", "s3://b"),
        (5, "attr", "eks"),
        (5, "name", "GCP_PROJECT"),
        (6, "attr", "AwsShape"),
        (6, "attr", "aws_region"),
        (9, "arg", "aks_pool"),
        (9, "arg", "az"),
        (9, "arg", "s3"),
        (9, "def", "gcp_labels"),
        (10, "def", "EksThing"),
        (11, "import", "aws_os"),
    ]


def test_the_scan_sees_regions_machine_types_and_the_clouds_accelerator_names() -> None:
    """What evaded the scan (review of #15, rev15d finding 3): a region (``us-east-1``, ``us-central1``, ``eastus``,
    and any string of AWS's region shape, ``ap-southeast-7``), a machine type of the catalog, a cloud's own
    accelerator name (``nvidia-tesla-t4``). Not the catalog's cloud-neutral accelerator names nor ``grpc-v2``."""
    source = (
        'A = ("us-east-1", "zone us-central1", "eastus", "ap-southeast-7")\n'
        'B = ("g6.xlarge", "a2-highgpu-1g", "Standard_NC4as_T4_v3", "nvidia-tesla-t4")\n'
        'C = ("nvidia-l4", "grpc-v2", "nvidia-h100-80gb", "us-east-1x", "v1.eastus.x")\n'
    )
    assert cloud_names(source) == [
        (1, "str", "ap-southeast-7"),
        (1, "str", "eastus"),
        (1, "str", "us-east-1"),
        (1, "str", "zone us-central1"),
        (2, "str", "Standard_NC4as_T4_v3"),
        (2, "str", "a2-highgpu-1g"),
        (2, "str", "g6.xlarge"),
        (2, "str", "nvidia-tesla-t4"),
    ]


def test_the_scan_sees_service_vocabulary_camel_case_and_concatenation() -> None:
    """What evaded the scan (review of #15, finding 4): a cloud's name at the start of a camelCase string, its hosts
    and services without its name, and a name split over concatenated strings. Not machine type names
    (``p4d.24xlarge``): those are catalog data."""
    source = (
        'A = ("azureDNS", "sts.amazonaws.com", "www.googleapis.com/auth/cloud-platform", "x.blob.core.windows.net")\n'
        'B = ("ec2:DescribeInstances", "route53", "myregistry.azurecr.io", "Tags", "awsx", "kustomize")\n'
        'C = "a" + "ws:region"\n'
        'D = f"{x}.g" + "ke.io"\n'
        "class Route53Zone: pass\n"
    )
    assert cloud_names(source) == [
        (1, "str", "azureDNS"),
        (1, "str", "sts.amazonaws.com"),
        (1, "str", "www.googleapis.com/auth/cloud-platform"),
        (1, "str", "x.blob.core.windows.net"),
        (2, "str", "ec2:DescribeInstances"),
        (2, "str", "myregistry.azurecr.io"),
        (2, "str", "route53"),
        (3, "str", "aws:region"),
        (4, "str", " .gke.io"),
        (5, "def", "Route53Zone"),
    ]


def test_the_scan_sees_all_caps_names_percent_formatting_join_and_registries() -> None:
    """What still evaded the scan (review of #15, rev15c finding 6): an all-caps name before a capitalised word in a
    string (``AKSCluster``), a name built by ``%`` formatting or ``"".join`` of constants, and Google's registry hosts
    (gcr.io, Artifact Registry's ``LOCATION-docker.pkg.dev``:
    https://cloud.google.com/artifact-registry/docs/docker/names). ``KServe`` and ``"".join(parts)`` are none."""
    source = (
        'A = ("AKSCluster", "AWSCluster", "EKSNodeGroup", "KServeModel", "HTTPRoute")\n'
        'B = "a%s:region" % "ws"\n'
        'C = "%s.g%s" % (x, "ke.io")\n'
        'D = "".join(("a", "ws:iam"))\n'
        'E = "".join(parts)\n'
        'F = ("gcr.io/p/i", "us-docker.pkg.dev/p/r/i")\n'
    )
    assert cloud_names(source) == [
        (1, "str", "AKSCluster"),
        (1, "str", "AWSCluster"),
        (1, "str", "EKSNodeGroup"),
        (2, "str", "aws:region"),
        (3, "str", " .gke.io"),
        (4, "str", "aws:iam"),
        (6, "str", "gcr.io/p/i"),
        (6, "str", "us-docker.pkg.dev/p/r/i"),
    ]


def test_a_new_file_naming_a_cloud_fails_the_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard holds: a hand-written cloud list in a new file outside the clouds' modules is refused."""
    for rel in {*OTHERS, *TEMPORARY, "components/new.py"}:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text('X = "aws"\n' if rel != "components/versions.py" else "X = 1\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert "components/new.py" in naming_files()
    with pytest.raises(AssertionError, match=re.escape("components/new.py")):
        test_only_the_registry_the_clouds_modules_and_two_others_name_a_cloud()
    (tmp_path / "components/new.py").unlink()
    with pytest.raises(AssertionError, match=re.escape("versions.py'] name no cloud any more")):
        test_only_the_registry_the_clouds_modules_and_two_others_name_a_cloud()


def test_registry_facts_agree_with_the_cloud_modules() -> None:
    """What the registry says of a cloud and what its module does are the same facts (spot checks of the ones a
    stack check reads without building the cluster)."""
    from components.clusters import aks, eks, existing, gke

    assert clouds.get("aws").device_plugin_shares is eks.NEEDS_DEVICE_PLUGIN
    assert clouds.get("azure").device_plugin_shares is aks.NEEDS_DEVICE_PLUGIN
    assert not clouds.get("gcp").device_plugin_shares  # GKE shares GPUs itself (gke.SHARING_STRATEGY)
    assert set(gke.SHARING_STRATEGY) < set(clouds.get("gcp").sharing)
    classes = {c.name: c.cluster for c in clouds.all_clouds()}
    assert {k: classes[k] for k in ("aws", "gcp", "azure", "existing")} == {
        "aws": f"{eks.__name__}:{eks.EksCluster.__name__}",
        "gcp": f"{gke.__name__}:{gke.GkeCluster.__name__}",
        "azure": f"{aks.__name__}:{aks.AksCluster.__name__}",
        "existing": f"{existing.__name__}:{existing.ExistingCluster.__name__}",
    }
    for c in clouds.all_clouds():
        # a cloud with settings names its ClusterSpec field; one without needs none (docs/extending.md, step 1)
        assert c.spec_field is None or c.spec_field in ClusterSpec.model_fields, c.name
        assert c.required_setting is None or c.spec_field is not None, c.name
        # its own cluster outputs are declared in its cluster module (components/outputs.py keeps the generic ones)
        own = cloud_outputs(c.name)
        assert own is None or own.__module__ == c.cluster.split(":")[0], c.name
    # The workload identity prefixes a model may not set are those the cluster modules write.
    assert eks.ROLE_ARN_ANNOTATION.startswith(str(clouds.get("aws").identity_annotation))
    assert gke.GSA_ANNOTATION.startswith(str(clouds.get("gcp").identity_annotation))
    assert aks.CLIENT_ID_ANNOTATION.startswith(str(clouds.get("azure").identity_annotation))
    assert aks.USE_LABEL.startswith(str(clouds.get("azure").identity_annotation))
    # The namespaces the cluster layer installs into are reserved to models (Karpenter's is kube-system).
    from components.clusters import _karpenter
    from components.serving.spec import reserved_namespaces

    assert _karpenter.NAMESPACE in reserved_namespaces()
    # Each managed cloud's webhook-reach rule covers its cluster component's type.
    for c in clouds.all_clouds():
        rules = getattr(importlib.import_module(c.cluster.split(":")[0]), "WEBHOOK_REACH", {})
        assert set(rules) <= set(c.cluster_types) and (bool(rules) == c.managed), c.name


# ------------------------------------------------------------------------------------------------ a fourth cloud

CALLS: list[tuple[str, Any]] = []
"""What the fake cloud's module was asked (precheck, constructor)."""


class AcmeCluster:
    """The fake cloud's cluster implementation: records what ``create_cluster`` gives it."""

    def __init__(self, name: str, args: Any, opts: Any = None) -> None:
        CALLS.append(("cluster", (name, args.region, args.cluster_name, dict(args.tags))))


def precheck(region: str, spec: ClusterSpec, pools: Mapping[str, Any], storage_uris: Mapping[str, str]) -> None:
    """The fake cloud's own pre-registration check: at most 1 node per pool (so the test can see it run)."""
    CALLS.append(("precheck", (region, sorted(pools))))
    for name, pool in pools.items():
        if pool.max_nodes > 1:
            raise SpecError(f"cluster.gpuPools.{name}.maxNodes", pool.max_nodes, "acme pools take at most 1 node")


def provider_config_problem(raw: Mapping[str, Any], spec: ClusterSpec) -> str | None:
    """The fake cloud's provider settings check."""
    return "acme:token: a value is not allowed; remove it" if "acme:token" in raw else None


class AcmeOutputs(TypedDict):
    """What an Acme cluster registers besides `ClusterOutputs` (the fake cloud's own outputs)."""

    acmeAccount: Annotated[str, "The Acme account the cluster is billed to."]


ACME_SOLVER = "acmeZones"
"""The fake cloud's DNS service's cert-manager dns01 solver field (a real cloud's is a field of the ClusterIssuer CRD:
tests/test_inputs.py compares the shipped clouds' with the schema)."""

CLUSTER_TYPE = "acme:k8s/cluster:Cluster"
ACME = clouds.Cloud(
    name="acme",
    title="Acme",
    cluster=f"{__name__}:AcmeCluster",
    modules=(),
    # no spec_field: the cloud has no settings block of its own, and ClusterSpec no field for it
    tag_rule=clouds.TagRule(32, 64, 10, "fake tag rule of tests/test_clouds.py", key_forbidden=":"),
    region_pattern=re.compile(r"\Aacme-[a-z]+-[0-9]\Z", re.ASCII),
    region_example="acme-east-1",
    price_region="acme-east-1",
    provider_region_key="acme:region",
    sharing=("none", "time-slicing"),
    device_plugin_shares=True,
    one_share_strategies=("time-slicing",),
    cluster_tag="mlplatform.io/cluster",
    cluster_types=(CLUSTER_TYPE,),
    max_public_cidrs=2,
    storage=(
        clouds.StorageForm(
            "acme",
            "acme://",
            clouds.BucketRule("acme bucket", re.compile(r"\A[a-z]{3,10}\Z"), "3-10 of a-z", not_an_ip=True),
        ),
    ),
    storage_schemes=("acme",),
    plan="acme_plan_module",
    identity_annotation="id.acme.example/",
    reserved_namespaces=("acme-system",),
    dns01_solver=ACME_SOLVER,
    dns01_schema=clouds.json_object({"zone": clouds.STRING}),
    outputs=f"{__name__}:AcmeOutputs",
)


def _acme_catalog() -> catalog.Catalog:
    """catalog.yaml plus the fake cloud's machines, prices and regions."""
    return catalog.parse(_acme_data())


def _acme_data(*, first: bool = False) -> dict[str, Any]:
    """catalog.yaml's data plus the fake cloud's; with ``first``, its entries stand before the other clouds' in every
    list and map (where a new cloud's data goes in the file must not matter)."""
    data = _acme_data_last()
    if not first:
        return data
    data["machines"] = [m for m in data["machines"] if m["cloud"] == "acme"] + [
        m for m in data["machines"] if m["cloud"] != "acme"
    ]
    for key in ("sources", "spec_sources", "system_machines", "control_planes", "load_balancers", "availability"):
        mine = next(k for k in data[key] if k.startswith("acme"))
        data[key] = {mine: data[key][mine], **{k: v for k, v in data[key].items() if k != mine}}
    return data


def _acme_data_last() -> dict[str, Any]:
    data = yaml.safe_load(catalog.DATA_FILE.read_text(encoding="utf-8"))
    data["sources"]["acme-list"] = {"date": "2026-08-01", "citation": "fake price list of tests/test_clouds.py"}
    data["spec_sources"]["acme"] = "fake machine shapes of tests/test_clouds.py"
    data["machines"].append(
        {"cloud": "acme", "accelerator": "nvidia-l4", "gpus": 1, "type": "acme.l4", "vcpus": 8, "memory_gib": 32,
         "price": {"usd": 1.25, "source": "acme-list"}}
    )  # fmt: skip
    data["system_machines"]["acme"] = {
        "type": "acme.std4", "vcpus": 4, "memory_gib": 16, "price": {"usd": 0.2, "source": "acme-list"}
    }  # fmt: skip
    data["control_planes"]["acme"] = {"standard": {"name": "Acme control plane", "usd": 0.1, "source": "acme-list"}}
    data["load_balancers"]["acme"] = {"name": "Acme LB", "usd": 0.02, "source": "acme-list"}
    data["availability"]["acme"] = {
        "source": "acme-list",
        "types": {"acme.l4": ["acme-east-1"], "acme.std4": ["acme-east-1", "acme-west-1"]},
    }
    return data


@pytest.fixture
def acme() -> Iterator[clouds.Cloud]:
    """The fake cloud registered, with its catalog data installed, for one test."""
    CALLS.clear()
    old = None
    try:
        with clouds.registered(ACME):
            old = catalog.install(_acme_catalog())
            yield ACME
    finally:
        if old is not None:
            catalog.install(old)


REACH = {"publicCidrs": ["203.0.113.0/24"], "deployFrom": ["203.0.113.0/24"]}
FILE = "stacks/Pulumi.acme.yaml"


def _raw(cfg: dict[str, Any], **more: str) -> dict[str, str]:
    out = {f"mlplatform:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}
    return {**out, **more}


def _stack(**cluster: Any) -> dict[str, Any]:
    pools = {"l4": {"accelerator": "nvidia-l4", "maxNodes": 1}}
    return {"cloud": "acme", "region": "acme-east-1", "cluster": {"apiAccess": REACH, "gpuPools": pools, **cluster}}


def test_unregistered_cloud_is_refused() -> None:
    with pytest.raises(SpecError) as e:
        load(_raw({**_stack(), "cloud": "zeta"}), frozenset(), FILE)
    assert str(e.value) == f"{FILE}: mlplatform:cloud: zeta is not allowed; give one of {', '.join(clouds.names())}"


def test_the_checks_that_list_clouds_hold_with_a_fourth_cloud(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The tests that once listed the clouds by hand (review of #15, findings 3 and 6; rev15c finding 3) derive what
    they expect from the registry: with a fourth cloud registered (no spec field, no settings; its cluster module has
    only what docs/extending.md calls required) and its catalog data placed before the other clouds' in
    catalog.yaml, they still pass, so adding a cloud edits no test: the catalog tests (system machines, the
    validation cases), the registry facts and the bad-input cases whose lines list the clouds or the storage URI forms
    (the fourth cloud's ``acme://`` among them)."""
    import sys
    import types

    import test_catalog

    module = types.ModuleType("acme_cluster_module")

    class Outputs(AcmeOutputs):
        """The fake cloud's own outputs, declared in its cluster module."""

    Outputs.__module__ = module.__name__
    vars(module).update(AcmeCluster=AcmeCluster, AcmeOutputs=Outputs, **_required_of_a_cluster_module())
    monkeypatch.setitem(sys.modules, "acme_cluster_module", module)
    # no placeholder module (optional: docs/extending.md, step 2), so `mlplatform plan` runs with the cloud registered
    fourth = dataclasses.replace(
        ACME, cluster="acme_cluster_module:AcmeCluster", outputs="acme_cluster_module:AcmeOutputs", plan=None
    )
    old = None
    try:
        with clouds.registered(fourth):
            data = _acme_data(first=True)
            old = catalog.install(catalog.parse(data))
            monkeypatch.setattr(test_catalog, "RAW", data)
            _listing_checks(test_catalog)
            _bad_input_checks(tmp_path, capsys)
    finally:
        if old is not None:
            catalog.install(old)  # after the cloud left the registry, as the acme fixture does


def _listing_checks(test_catalog: Any) -> None:
    test_registry_facts_agree_with_the_cloud_modules()
    test_unregistered_cloud_is_refused()
    assert exemption_problems(clouds.all_clouds()) == []
    test_catalog.test_other_error_texts()
    test_catalog.test_machine_fields()
    test_catalog.test_ordering_and_constants()
    test_catalog.test_error_texts(("oci", "nvidia-l4", 1), "unknown cloud 'oci'; give one of {managed}")
    assert "acme" in test_catalog.managed()
    test_catalog.test_system_machines_control_planes_load_balancers()
    for case in test_catalog.test_validation.pytestmark[0].args[1]:
        test_catalog.test_validation(*case)  # RAW is catalog.yaml with the fourth cloud's data first
    test_catalog.test_spot_discount_validation()


def _required_of_a_cluster_module() -> dict[str, Any]:
    """The names docs/extending.md says a managed cloud's cluster module must define ("- defines `NAME`" in its
    step 1), each with a value for the fake cloud."""
    text = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    values: dict[str, Any] = {"WEBHOOK_REACH": {CLUSTER_TYPE: lambda resources, cluster: []}}
    required = re.findall(r"^- defines `(\w+)`", text, re.M)
    assert required, "docs/extending.md names nothing a cluster module must define"
    return {name: values[name] for name in required}


def test_extending_md_says_which_cluster_module_names_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/extending.md and the registry test agree (rev15c finding 3): a managed cloud's cluster module with only
    the names the page calls required passes the registry check, and without any one of them fails it; the page's
    "Optional names" table lists none of them."""
    import sys
    import types

    text = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    table = text[text.index("Optional names of the module") :]
    table = table[: table.index("\n\n", table.index("|"))]
    optional = set(re.findall(r"^\| `(\w+)", table, re.M))
    required = _required_of_a_cluster_module()
    assert optional and not optional & set(required)
    for leave_out in [None, *required]:
        module = types.ModuleType("acme_cluster_module")
        vars(module).update(AcmeCluster=AcmeCluster, **{k: v for k, v in required.items() if k != leave_out})
        monkeypatch.setitem(sys.modules, "acme_cluster_module", module)
        # no own outputs (Cloud.outputs None): only the module names the page lists are in question
        with clouds.registered(dataclasses.replace(ACME, cluster="acme_cluster_module:AcmeCluster", outputs=None)):
            if leave_out is None:
                test_registry_facts_agree_with_the_cloud_modules()
            else:
                with pytest.raises(AssertionError):
                    test_registry_facts_agree_with_the_cloud_modules()


def _bad_input_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The bad-input cases whose lines list the registry's clouds or cluster keys, refused with their line (the
    fourth cloud in it) by `mlplatform plan`."""
    from bad_inputs.test_bad_inputs import CASES, expected

    from components.plan.cli import EXIT_INVALID, main

    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text(
        f"name: mlplatform\nruntime: python\nmain: {ROOT / 'infra'}/\nstackConfigDir: stacks\n"
    )
    listing = [
        c
        for c in CASES
        if re.search(r"\{(clouds|clouds_or|cluster_keys|storage_forms)\}", c.read_bytes().decode("utf-8", "replace"))
    ]
    assert {c.stem for c in listing} >= {"missing-cloud", "type-cloud-list", "empty-file", "config-empty"} | {
        "storage-ftp",
        "storage-http-blob",
        "storage-uppercase-scheme",
    }
    for case in listing:
        shutil.copy(case, tmp_path / "stacks" / f"Pulumi.{case.stem}.yaml")
        line = expected(case)
        assert "acme" in line or "{cluster_keys}" in case.read_text(encoding="utf-8", errors="replace"), line
        code = main(["plan", "--project", str(tmp_path), "--stack", case.stem, "--no-tree"])
        err = capsys.readouterr().err
        assert (code, err) == (EXIT_INVALID, line + "\n"), (case.name, err[-600:])


def test_fourth_cloud_config(acme: clouds.Cloud) -> None:
    """The stack config reads the new cloud's region shape, tag rule, catalog, sharing, provider settings and
    own checks from the registry and its module."""
    cfg = load(_raw(_stack()), frozenset(), FILE).config
    assert (cfg.cloud, cfg.region) == ("acme", "acme-east-1")
    assert ("precheck", ("acme-east-1", ["l4"])) in CALLS

    def refused(cfg: dict[str, Any], **more: str) -> str:
        with pytest.raises(SpecError) as e:
            load(_raw(cfg, **more), frozenset(), FILE)
        return str(e.value)

    assert (
        refused({"cloud": "acme"})
        == f"{FILE}: mlplatform:region: null is not allowed; give the acme region, e.g. acme-east-1"
    )
    assert refused({**_stack(), "region": "us-east-1"}).startswith(
        f"{FILE}: mlplatform:region: us-east-1 is not allowed; not a region name on acme (like acme-east-1)"
    )
    assert refused({**_stack(), "tags": {"a:b": "x"}}) == (
        f"{FILE}: mlplatform:tags: a:b is not allowed; acme tag names may not contain : (fake tag rule of "
        "tests/test_clouds.py)"
    )
    many = {"publicCidrs": ["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"], "deployFrom": ["203.0.113.0/24"]}
    assert "give at most 2 on acme" in refused(_stack(apiAccess=many))
    assert "mlplatform:cluster.gpuPools.l4.accelerator: nvidia-t4 is not allowed" in refused(
        _stack(gpuPools={"l4": {"accelerator": "nvidia-t4", "maxNodes": 1}})
    )
    assert refused(
        _stack(gpuPools={"l4": {"accelerator": "nvidia-l4", "maxNodes": 1, "sharing": {"strategy": "mps"}}})
    ) == (
        f"{FILE}: mlplatform:cluster.gpuPools.l4.sharing.strategy: mps is not allowed; acme does not offer mps; give "
        "one of none, time-slicing"
    )
    assert refused(_stack(gpuPools={"l4": {"accelerator": "nvidia-l4", "maxNodes": 3}})) == (
        f"{FILE}: mlplatform:cluster.gpuPools.l4.maxNodes: 3 is not allowed; acme pools take at most 1 node"
    )
    assert refused(_stack(aws={"gpuProvisioner": "karpenter"})) == (
        f"{FILE}: mlplatform:cluster.aws: "
        + '{"gpuProvisioner": "karpenter"} is not allowed; settings for aws do not apply to cloud acme'
    )
    assert refused(_stack(), **{"acme:region": "acme-west-1"}).startswith(
        f"{FILE}: acme:region: acme-west-1 is not allowed; give acme-east-1 (mlplatform:region)"
    )
    assert refused(_stack(), **{"acme:token": "t"}) == f"{FILE}: acme:token: a value is not allowed; remove it"
    assert tags_problem("acme", {f"k{i}": "v" for i in range(10)}) == (
        "tags",
        "10 tags",
        "give at most 9 on acme (fake tag rule of tests/test_clouds.py)",
    )
    assert shares_one_gpu_per_request("acme", "time-slicing")
    assert not shares_one_gpu_per_request("acme", "mps")  # not in its one_share_strategies


def _tls(dns01: dict[str, Any]) -> dict[str, Any]:
    return {"tls": {"issuer": "acme", "acmeEmail": "ops@company.io", "acmeDns01": dns01}}


def test_fourth_cloud_dns01_solver() -> None:
    """A cloud's cert-manager DNS-01 solver is its registry entry's (``Cloud.dns01_solver``): registering the fourth
    cloud adds its solver to the providers ``platform.tls.acmeDns01`` accepts (the non-cloud ones and every
    registered cloud's, in order), and its module reads it with ``clouds.dns01_solver``; unregistered, it is
    refused in one line like any field cert-manager does not have."""
    from components.platform.settings import ACME_DNS01_OTHER_PROVIDERS, PlatformSettings, acme_dns01_providers

    shipped = acme_dns01_providers()
    assert ACME_SOLVER not in shipped
    with pytest.raises(SpecError, match=rf'acmeDns01\.{ACME_SOLVER}: \{{"zone": "z"\}} is not allowed; not a field of'):
        PlatformSettings.model_validate(_tls({ACME_SOLVER: {"zone": "z"}}))
    with clouds.registered(ACME):
        assert clouds.dns01_solver("acme") == ACME_SOLVER
        assert acme_dns01_providers() == tuple(sorted({*shipped, ACME_SOLVER}))
        assert set(acme_dns01_providers()) == {*ACME_DNS01_OTHER_PROVIDERS, *clouds.dns01_solvers()}
        settings = PlatformSettings.model_validate(_tls({ACME_SOLVER: {"zone": "z"}}))
        assert settings.tls.acme_dns01 == {ACME_SOLVER: {"zone": "z"}}
        with pytest.raises(SpecError, match=f"give exactly one cert-manager DNS-01 provider: one of .*{ACME_SOLVER}"):
            PlatformSettings.model_validate(_tls({}))
    assert acme_dns01_providers() == shipped
    with pytest.raises(KeyError, match="has no dns01_solver"):
        clouds.dns01_solver("existing")


def test_fourth_cloud_outputs(acme: clouds.Cloud) -> None:
    """A cloud's own cluster outputs are its module's ``TypedDict`` named by its registry entry (``Cloud.outputs``):
    the factory finds it and the outputs reference of docs/configuration.md lists it under the cloud, without
    touching the generic contract (components/outputs.py)."""
    from components import outputs
    from infra.docs import outputs_reference

    assert cloud_outputs("acme") is AcmeOutputs
    assert "acmeAccount" not in outputs.ClusterOutputs.__optional_keys__ | outputs.ClusterOutputs.__required_keys__
    doc = outputs_reference()
    section = doc.split("#### Cluster outputs on `acme` (`AcmeOutputs`, test_clouds.py)\n", 1)[1].split("\n#", 1)[0]
    assert "What an Acme cluster registers besides `ClusterOutputs`" in section
    assert "| `acmeAccount` | str | The Acme account the cluster is billed to. |" in section
    assert cloud_outputs("existing") is not None  # every shipped cloud declares its own (tests/test_outputs.py)


def test_the_walk_through_documents_every_registry_field() -> None:
    """docs/extending.md's registry step lists every field of ``Cloud`` (a fourth cloud's author fills them from
    there: ``dns01_solver`` and ``outputs`` too)."""
    doc = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    step = doc.split("## 4. The registry entry", 1)[1].split("\n## 5.", 1)[0]
    named = {
        n
        for line in step.splitlines()
        if line.startswith("| `")
        for n in re.findall(r"`([a-z0-9_]+)`", line.split("|")[1])
    }
    assert [f.name for f in dataclasses.fields(clouds.Cloud) if f.name not in named] == []


def test_fourth_cloud_catalog(acme: clouds.Cloud) -> None:
    """Catalog lookups of the new cloud: its machines, regions, reference price region and refusals."""
    assert "acme" in catalog._clouds()
    machine = catalog.machine_for("acme", "nvidia-l4", 1, "acme-east-1")
    assert (machine.instance_type, machine.price.usd_per_hour, machine.price.region) == ("acme.l4", 1.25, "acme-east-1")
    assert catalog.regions("acme") == ("acme-east-1", "acme-west-1")
    assert catalog.offered("acme", "acme-east-1") == {"nvidia-l4": (1,)}
    with pytest.raises(catalog.CatalogError, match=r"acme-west-1"):
        catalog.machine_for("acme", "nvidia-l4", 1, "acme-west-1")
    assert catalog.system_machine("acme").instance_type == "acme.std4"


API_ENDPOINT = {CLUSTER_TYPE: lambda inputs: ApiEndpoint(True, tuple(inputs.get("allow", ())), False)}
"""The fake cloud's reader of its rendered cluster's API endpoint (components.clusters.rendered_endpoint)."""


def test_fourth_cloud_rendered_endpoint(acme: clouds.Cloud) -> None:
    """How a rendered cluster declares its API endpoint is read by its cloud's module (``API_ENDPOINT``), found
    through the registry; a type no cloud registers has none."""
    assert rendered_endpoint(CLUSTER_TYPE, {"allow": ["203.0.113.0/24"]}) == ApiEndpoint(
        True, ("203.0.113.0/24",), False
    )
    assert rendered_endpoint("zeta:k8s/cluster:Cluster", {}) is None


def test_fourth_cloud_cluster_factory(acme: clouds.Cloud) -> None:
    """create_cluster builds the class the registry names, with the managed-cluster arguments."""
    spec = ClusterSpec.model_validate({"apiAccess": REACH})
    create_cluster(
        "mlp", cloud="acme", region="acme-east-1", spec=spec, environment="dev", tags={"o": "t"}, cluster_name="c"
    )
    assert CALLS == [("cluster", ("mlp", "acme-east-1", "c", {"o": "t"}))]


CLUSTER_RULES = (
    "api-endpoint-restricted",
    "secrets-encryption",
    "audit-logs",
    "workload-identity",
    "cluster-network-policy",
    "cluster-hardening",
)
"""The mandatory rules that read a cluster: each fails one no cloud's share of it reads (policy/rules/percloud.py)."""


def _findings(resources: list[Resource], environment: str = "dev") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for entry in run_rules(resources, StackSettings(facts=Facts(environment=environment))):
        if not entry["passed"]:
            out.setdefault(entry["policy"], []).append(entry["message"])
    return out


def test_policy_cluster_rules_fail_closed_on_a_registered_cluster_they_cannot_read(acme: clouds.Cloud) -> None:
    """A cluster of a registered cloud without a policy module (Cloud.policy) fails each cluster rule (and is
    protected on prod), instead of passing unchecked."""
    urn = f"urn:pulumi:acme::mlplatform::{CLUSTER_TYPE}::c"
    cluster = Resource(type=CLUSTER_TYPE, name="c", urn=urn, props={})
    found = _findings([cluster], "prod")
    for rule in CLUSTER_RULES:
        assert found.get(rule) == [
            f"cluster type {CLUSTER_TYPE} (cloud acme) is not read by {rule} in its policy module (none: "
            "components.clouds.Cloud.policy): add its share before deploying it"
        ], rule
    assert any("can be destroyed by accident" in m for m in found["prod-protect-stateful"])


ZETA_CLUSTER = "zeta:kubernetes/cluster:KubernetesCluster"
ZETA_POOL = "zeta:kubernetes/nodePool:NodePool"


def test_policy_rules_refuse_a_cluster_of_an_unregistered_cloud() -> None:
    """Without a registry entry a cluster and a node pool of an unknown provider still fail the cluster rules and
    the GPU rules, and the cluster is protected on prod: the rules do not need to know a cloud to refuse reading it
    as a pass (issue #15: "a fourth cloud's cluster would pass them unchecked"). Before the registry-driven rules
    these resources passed every rule."""
    urn = "urn:pulumi:zeta::mlplatform::"
    cluster = Resource(type=ZETA_CLUSTER, name="c", urn=f"{urn}{ZETA_CLUSTER}::c", props={})
    pool = Resource(type=ZETA_POOL, name="p", urn=f"{urn}{ZETA_POOL}::p", props={"maxNodes": 1000})
    found = _findings([cluster, pool], "prod")
    why = (
        f"{ZETA_CLUSTER} looks like a cluster of a cloud the registry does not know (components/clouds.py): register "
        "the cloud and its policy module before deploying it"
    )
    for rule in CLUSTER_RULES:
        assert found.get(rule) == [why], rule
    assert any("KubernetesCluster c can be destroyed by accident" in m for m in found["prod-protect-stateful"])
    for rule in ("gpu-pool-taint-label", "gpu-budget"):
        assert found[rule] == [
            f"the GPU rules cannot read the node pools of a {t} (no gpu-pools share of its cloud's policy module "
            "reads it): teach it this cloud's pool types before its GPU pools can pass"
            for t in (ZETA_CLUSTER, ZETA_POOL)
        ], rule


def test_unregistered_lookalikes_are_recognised_by_their_class_name_only() -> None:
    """What counts as an unknown cloud's cluster or pool: the class part of the type token, on a provider that is no
    registered cloud's and no Kubernetes, engine or project type (a Karpenter NodePool is a Kubernetes object, read
    by its cloud's share; a registered cloud's other types are its policy module's to list)."""
    from policy.rules.percloud import kind

    assert kind(ZETA_CLUSTER) == "cluster"
    assert kind("zeta:compute/agentPool:AgentPool") == "pool"
    assert kind("zeta:compute/workerGroup:WorkerGroup") == "pool"
    assert kind("zeta:storage/bucket:Bucket") is None
    assert kind("kubernetes:karpenter.sh/v1:NodePool") is None
    assert kind("mlplatform:index:ModelService") is None
    assert kind("gcp:container/cluster:Cluster") == "cluster"
    assert kind("gcp:container/nodePool:NodePool") == "pool"
    assert kind("gcp:sql/databaseInstance:DatabaseInstance") is None


def test_gpu_rules_fail_closed_on_a_cluster_whose_pools_they_cannot_read(acme: clouds.Cloud) -> None:
    """A registered cloud's cluster (here with a pool of 1000 untainted, unlabelled GPU nodes the rules cannot read)
    fails both GPU rules instead of passing as a cluster with no GPU pools (review of #15, finding 1)."""
    urn = f"urn:pulumi:acme::mlplatform::{CLUSTER_TYPE}::c"
    pool = Resource(type="acme:k8s/nodePool:NodePool", name="p", urn=f"{urn}-pool", props={"maxNodes": 1000})
    found = _findings([Resource(type=CLUSTER_TYPE, name="c", urn=urn, props={}), pool], "prod")
    why = [
        f"the GPU rules cannot read the node pools of a {t} (no gpu-pools share of its cloud's policy module reads "
        "it): teach it this cloud's pool types before its GPU pools can pass"
        for t in (CLUSTER_TYPE, pool.type)
    ]
    # the pool type is the registered cloud's but not in its pool_types: it fails too (rev15 finding 1; before, a
    # registered provider's unlisted pool passed unread)
    assert found["gpu-pool-taint-label"] == why
    assert found["gpu-budget"] == why


def test_a_policy_module_makes_the_rules_read_a_fourth_cloud(acme: clouds.Cloud) -> None:
    """The fourth cloud's policy module (Cloud.policy) is all the rules need: its shares judge its cluster (a
    finding of its own reader, no longer the fail-closed one), its own rule is listed, and a cluster its share
    passes passes."""
    import sys
    import types

    from policy.rules import percloud
    from policy.rules.base import Rule

    def secrets(res: Resource, facts: Facts) -> Iterator[str]:
        if res.type == CLUSTER_TYPE and res.props.get("kms") is not True:
            yield "acme secrets are not encrypted: set kms"

    own = Rule("acme-only", "An Acme rule.", "mandatory", "cluster", check_resource=lambda r, f: iter(()))
    module = types.ModuleType("acme_policy_module")
    module.POLICY = percloud.CloudPolicy(  # type: ignore[attr-defined]
        cloud="acme",
        parts={"secrets-encryption": percloud.Part(types=(CLUSTER_TYPE,), summary="Acme KMS", check=secrets)},
        rules=(("secrets-encryption", own),),
    )
    sys.modules["acme_policy_module"] = module
    try:
        with_policy = dataclasses.replace(ACME, name="acme2", policy="acme_policy_module")
        with clouds.registered(with_policy):
            urn = f"urn:pulumi:acme::mlplatform::{CLUSTER_TYPE}::c"
            bare = _findings([Resource(type=CLUSTER_TYPE, name="c", urn=urn, props={})])
            assert bare["secrets-encryption"] == ["acme secrets are not encrypted: set kms"]
            assert "audit-logs" in bare  # no share of audit-logs: still fails closed
            good = _findings([Resource(type=CLUSTER_TYPE, name="c", urn=urn, props={"kms": True})])
            assert "secrets-encryption" not in good
            names = [r.name for r in percloud.with_own_rules(ALL_RULES)]
            assert names[names.index("secrets-encryption") + 1] == "acme-only"
    finally:
        del sys.modules["acme_policy_module"]


def test_required_tags_fail_closed_when_a_clouds_sdk_cannot_be_read() -> None:
    """A registered cloud whose SDK is not importable: required-tags cannot tell whether its resources take tags, and
    says so instead of passing them as untaggable (review of #15, finding 1)."""
    sdk = dataclasses.replace(ACME, tag_packages={"acme": "acme_sdk_that_is_not_installed"})
    with clouds.registered(sdk):
        urn = "urn:pulumi:acme::mlplatform::acme:storage/bucket:Bucket::b"
        found = _findings([Resource(type="acme:storage/bucket:Bucket", name="b", urn=urn, props={})], "prod")
    assert found["required-tags"] == [
        "cannot tell whether acme:storage/bucket:Bucket takes tags: its class is not importable from "
        "acme_sdk_that_is_not_installed here (install the SDK in the policy pack's venv)"
    ]


def test_webhook_reachability_fails_closed_on_a_registered_cluster_without_a_model(acme: clouds.Cloud) -> None:
    """The webhook-reachability check has a model per cloud; a registered cloud without one is a problem, not a
    pass (review of #15, finding 1)."""
    from components.clusters.reachability import Rendered, webhook_problems

    assert webhook_problems([Rendered(CLUSTER_TYPE, "c", {})]) == [
        f"c: no model of how a {CLUSTER_TYPE} control plane reaches webhooks on its nodes "
        "(components/clusters/reachability.py): add one for this cloud"
    ]
    assert webhook_problems([Rendered("kubernetes:core/v1:Namespace", "n", {})]) == []


def test_fourth_cloud_storage(acme: clouds.Cloud) -> None:
    """A cloud's storage form (scheme, bucket rule) is parsed, checked and owned from its registry entry alone."""
    from components.storage import parse_storage_uri, schemes

    assert parse_storage_uri("acme://models/llama").cloud == "acme"
    with pytest.raises(SpecError, match=r"'Models1' is not a valid acme bucket name \(3-10 of a-z\)"):
        parse_storage_uri("acme://Models1/llama")
    assert "acme://" in schemes()


def test_fourth_cloud_serving_rules(acme: clouds.Cloud) -> None:
    """Its workload identity keys and its own namespaces are refused to a model, from the registry entry."""
    from components.serving.kspec import platform_key_problem
    from components.serving.spec import reserved_namespaces

    assert platform_key_problem("id.acme.example/client") == (
        "id.acme.example/* keys are the cloud identity of the model's storage, which the platform sets; remove it"
    )
    assert "acme-system" in reserved_namespaces()


def test_fourth_cloud_placeholders(acme: clouds.Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cloud's placeholder module (Cloud.plan) answers for its types and functions in a plan with placeholders."""
    import sys
    import types

    from components.plan import fakes

    module = types.ModuleType("acme_plan_module")
    vars(module).update(
        FAKES={CLUSTER_TYPE: lambda name, inputs: {"endpoint": f"https://{name}.acme.example"}},
        IDS={CLUSTER_TYPE: lambda out: out["endpoint"]},
        CALLS={"acme:index:getZones": lambda args: {"names": ["acme-east-1a"]}},
        placeholders=lambda config, project: {"acmeAccount": "0"},
    )
    monkeypatch.setitem(sys.modules, "acme_plan_module", module)
    out = fakes.fake_outputs(CLUSTER_TYPE, "c", {})
    assert out == {"endpoint": "https://c.acme.example"}
    assert fakes.fake_id(CLUSTER_TYPE, "c", out) == "https://c.acme.example"
    assert fakes.CALLS["acme:index:getZones"]({}) == {"names": ["acme-east-1a"]}
    assert fakes.use_placeholders({}, "mlplatform")["acmeAccount"] == "0"


def test_the_project_files_name_no_cloud() -> None:
    """The root project file and the policy pack's (outside the scanned folders) describe the package without naming a
    cloud, so a fourth cloud edits neither (rev15e defect 5: Pulumi.yaml's description said EKS, GKE, AKS)."""
    for rel in ("Pulumi.yaml", "policy/PulumiPolicy.yaml"):
        lines = (ROOT / rel).read_text(encoding="utf-8").splitlines()
        hits = [line for line in lines if not line.lstrip().startswith("#") and _names_in_string(line)]
        assert hits == [], rel


_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}


def test_architecture_lists_the_data_files_that_name_clouds() -> None:
    """docs/architecture.md says how many data files name clouds and which: exactly :data:`DATA_FILES`."""
    text = " ".join((ROOT / "docs/architecture.md").read_text(encoding="utf-8").split())
    sentence = r"([A-Z][a-z]+) data files that code reads name clouds(.*?)(?:The project files|`tests/test_clouds\.py`)"
    m = re.search(sentence, text)
    assert m, "docs/architecture.md: the data-file sentence is gone"
    assert _NUMBERS[m.group(1).lower()] == len(DATA_FILES)
    named = set(re.findall(r"`([\w./-]+\.(?:yaml|json|md))`", m.group(2)))
    assert {n.rsplit("/", 1)[-1] for n in named} == {rel.rsplit("/", 1)[-1] for rel in DATA_FILES}


def test_the_dns_zones_per_cloud_keys_are_the_registrys() -> None:
    """``platform.dns`` keys only one cloud reads are declared by its registry entry (``Cloud.dns_settings``), not by
    the generic models (rev15e defect 3: ``project`` and ``resourceGroup`` were generic fields, ignored by the clouds
    that do not read them): the seam's ``DnsZone`` carries them as ``settings``, and ``DnsSpec`` has exactly the
    generic keys and the declared ones."""
    import dataclasses

    from components.clusters.base import DnsZone
    from components.platform.settings import DnsSpec

    assert [f.name for f in dataclasses.fields(DnsZone)] == ["name", "id", "settings"]
    keys = {f.alias or n for n, f in DnsSpec.model_fields.items()}
    assert keys == {"zone", "id", "externalDns", *clouds.dns_settings()}
    assert {k: v[1] for k, v in clouds.dns_settings().items()} == {
        k: c.name for c in clouds.all_clouds() for k in c.dns_settings
    }
