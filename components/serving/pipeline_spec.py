"""Typed pipeline settings: one value of ``mlplatform:pipelines`` (the key is the pipeline name), or ``Pipeline`` args.

A pipeline is KServe's ``InferenceGraph`` (``serving.kserve.io/v1alpha1``, KServe v0.20.0): a router pod that runs a
graph of nodes, starting at the node ``root``. The fields keep the CRD's names and meaning (config/crd/full/
serving.kserve.io_inferencegraphs.yaml; pkg/apis/serving/v1alpha1/inference_graph.go), and what the router does with
them is read from its source, cmd/router/main.go at v0.20.0:

- ``Sequence``: steps run in order (``routeStep``); a step's ``data: $response`` sends it the previous step's
  response instead of the graph's request (only from the second step: ``step.Data == "$response" && i > 0``); a
  step's ``condition`` is a GJSON path looked up in the previous response, and when it finds nothing the sequence
  stops and returns that response; a ``Hard`` step that answers outside 2xx stops the sequence with its answer.
- ``Switch``: the first step whose ``condition`` finds something in the *request* runs (``pickupRouteByCondition``:
  ``gjson.GetBytes(input, route.Condition).Exists()``); none: 404.
- ``Ensemble``: every step runs in parallel; the response maps each step's ``name`` (else its index) to its answer;
  the first failed ``Hard`` step decides the response.
- ``Splitter``: one step, picked at random by ``weight`` (``pickupRoute``: a number in [0, 100) against the
  running sum of the weights), which must add up to 100 (the admission webhook, inference_graph_validation.go
  ``validateInferenceGraphSplitterWeight``).

A step names exactly one target (webhook ``validateInferenceGraphSingleStepTargets``): ``serviceName``, a model of
the same stack in the pipeline's namespace (the controller looks it up in the graph's namespace,
pkg/controller/v1alpha1/inferencegraph/controller.go ``Reconcile``); ``nodeName``, another node of this pipeline;
or ``serviceUrl``, an http:// URL outside the stack's models (https:// is refused: the router would send it as plain
HTTP from inside the mesh, cmd/router/main.go ``callService``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.credentials import QUERY_CREDENTIAL, local_host_problem, looks_like_credential, redact_uri
from components.naming import is_dns_label
from components.serving.spec import AccessSpec, ModelSpec, own_namespace
from components.spec import Spec, did_you_mean, field_error, value_error

ROOT_NODE = "root"
"""``GraphRootNodeName`` (pkg/apis/serving/v1alpha1/inference_graph.go, KServe v0.20.0): where the router starts
(cmd/router/main.go ``graphHandler``); the webhook refuses a graph without it (``validateInferenceGraphRouterRoot``)."""
ROUTER_TYPES = ("Sequence", "Splitter", "Ensemble", "Switch")
"""The CRD's ``routerType`` enum (serving.kserve.io_inferencegraphs.yaml, v0.20.0)."""
_NODE_NAME = re.compile(r"\A[A-Za-z0-9]([-_A-Za-z0-9]{0,61}[A-Za-z0-9])?\Z", re.ASCII)
_GRAPH_NAME = re.compile(r"\A[a-z]([-a-z0-9]*[a-z0-9])?\Z", re.ASCII)
"""KServe's ``GraphNameFmt`` (inference_graph_validation.go, v0.20.0)."""
_PAIRS = {"(": ")", "[": "]", "{": "}"}


def gjson_problem(path: str) -> str | None:
    """Why ``path`` is not a GJSON path the router can use, or None.

    Checked as far as the syntax is written down (tidwall/gjson v1.18.0, the version KServe v0.20.0's go.mod pins,
    SYNTAX.md): components separated by ``.`` or ``|``; ``\\`` escapes the next character; queries ``#(...)`` and
    ``#(...)#``, multipaths ``[...]`` and ``{...}``, and string literals ``"..."`` inside them must be closed. A
    path this accepts may still find nothing in a given document: that is the condition's meaning, not an error.
    """
    if not path:
        return "give a GJSON path, such as instances.0.kind or instances.#(score>0.5)"
    if not path.isprintable() or not path.isascii():
        return "give a GJSON path of printable ASCII characters"
    stack: list[str] = []
    in_string = False
    separator_before = False
    i = 0
    while i < len(path):
        c = path[i]
        if c == "\\":
            if i + 1 == len(path):
                return "a GJSON path cannot end with the escape character \\ (it escapes the next character)"
            i += 2
            separator_before = False
            continue
        if not in_string and not stack and c in ".|":
            if separator_before and i > 1:  # a leading ".." reads JSON Lines (SYNTAX.md); elsewhere it is empty
                return "a GJSON path has an empty component (two separators in a row)"
            separator_before = True
            i += 1
            continue
        separator_before = False
        if in_string:
            in_string = c != '"'
        elif c == '"' and stack:
            in_string = True
        elif c in _PAIRS:
            stack.append(_PAIRS[c])
        elif c in ")]}" and (not stack or stack.pop() != c):
            return f"GJSON path has an unmatched {c!r} at character {i + 1}"
        i += 1
    if in_string:
        return 'GJSON path has an unclosed string literal (")'
    if stack:
        return f"GJSON path has an unclosed query or multipath: {stack[-1]!r} missing"
    if path[-1] in ".|" and not path.endswith(("\\.", "\\|")):
        return f"a GJSON path cannot end with {path[-1]!r} (a separator needs a component after it)"
    return None


class StepSpec(Spec):
    """One step of a node: exactly one of ``serviceName``, ``nodeName``, ``serviceUrl``, and how the router uses
    it."""

    service_name: str | None = None
    """A model of this stack, in the pipeline's namespace, that the step calls (its inference endpoint)."""
    node_name: str | None = None
    """Another node of this pipeline that the step runs."""
    service_url: str | None = None
    (
        "An http:// URL outside this stack's models that the router POSTs to; the platform adds no access rule for "
        "it. https:// is refused: KServe's router sends it as plain HTTP from inside the mesh."
    )
    name: str | None = None
    """The step's name (``stepName``): the key of its answer in an Ensemble's response; unique within the node."""
    weight: int | None = Field(default=None, ge=0, le=100)
    """Splitter only: percent of requests (0-100) this step gets; the node's weights add up to 100."""
    condition: str | None = None
    (
        "A GJSON path. Switch (required): the step runs when the path finds something in the request. Sequence: the "
        "sequence stops before this step when the path finds nothing in the previous step's response."
    )
    data: Literal["$request", "$response"] | None = None
    (
        "Sequence only: what the step receives, the graph's request (``$request``, the default) or the previous "
        "step's response (``$response``; not on the first step)."
    )
    dependency: Literal["Soft", "Hard"] | None = None
    (
        "``Hard``: in a Sequence or Ensemble, a non-2xx answer of this step becomes the node's answer. Default "
        "(``Soft``): it does not."
    )
    map_predictions_to_instances: bool | None = None
    """Sequence only: send the previous response's ``predictions`` as this step's ``instances``."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and (not v or not v.isprintable() or v != v.strip()):
            raise value_error("give a step name of printable characters without edge spaces")
        return v

    @field_validator("condition")
    @classmethod
    def _condition(cls, v: str | None) -> str | None:
        if v is not None and (why := gjson_problem(v)):
            raise value_error(why)
        return v

    @field_validator("service_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.fullmatch(r"https?://[!-~]+", v, re.ASCII):
            raise value_error("give an http:// URL (https:// is refused below)", redact_uri(v))
        authority = v.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        if "@" in authority:
            raise value_error(
                "credentials in the URL (user:password@) would be stored in plain text in the InferenceGraph and the "
                "state; give the URL without them",
                redact_uri(v),
            )
        if not authority.rsplit(":", 1)[0]:
            raise value_error("give an http(s) URL with a host", v)
        query = v.split("://", 1)[1].partition("?")[2] or v.partition("#")[2]
        if query and (QUERY_CREDENTIAL.search(query) or looks_like_credential(query)):
            raise value_error(
                "a credential in the URL's query would be stored in plain text in the InferenceGraph and the state; "
                "give the URL without it",
                redact_uri(v),
            )
        if why := _ssrf_problem(authority):
            raise value_error(why, v)
        if v.startswith("https://"):
            # KServe v0.20.0's router, in the mesh (its sidecar's admin port answers), rewrites an https step to
            # plain http and leaves TLS to an Istio TLS origination (cmd/router/main.go callService, isInIstioMesh),
            # which the platform does not render: the previous step's answer would leave the cluster unencrypted, to
            # port 80 (rev14h defect 2)
            raise value_error(
                "the pipeline router sends an https:// step as plain HTTP from inside the mesh (KServe v0.20.0 "
                "cmd/router/main.go callService) and the platform renders no TLS origination for it, so the previous "
                "step's answer would leave the cluster unencrypted; call a model of this stack (serviceName) or an "
                "http:// service inside the cluster instead, or remove the step",
                redact_uri(v),
            )
        return v

    @model_validator(mode="after")
    def _one_target(self) -> StepSpec:
        given = [k for k, v in (("serviceName", self.service_name), ("nodeName", self.node_name)) if v is not None]
        if self.service_url is not None:
            given.append("serviceUrl")
        if not given:
            raise field_error(
                "serviceName", None, "give the step's target: one of serviceName (a model), nodeName or serviceUrl"
            )
        if len(given) > 1:
            # KServe's webhook refuses more than one (InvalidTargetError, inference_graph_validation.go)
            values = {"serviceName": self.service_name, "nodeName": self.node_name, "serviceUrl": self.service_url}
            shown = redact_uri(str(values[given[1]])) if given[1] == "serviceUrl" else values[given[1]]
            raise field_error(
                given[1], shown, f"give one of serviceName, nodeName, serviceUrl, not {' and '.join(given)}"
            )
        return self

    @property
    def target(self) -> str:
        """The step's target as written: the model, the node or the URL."""
        return self.service_name or self.node_name or self.service_url or ""


class NodeSpec(Spec):
    """One node of the graph: a router type and its steps."""

    router_type: Literal["Sequence", "Splitter", "Ensemble", "Switch"]
    """How the node runs its steps: ``Sequence``, ``Splitter``, ``Ensemble`` or ``Switch`` (KServe's names)."""
    steps: list[StepSpec] = Field(min_length=1, max_length=100)
    """The steps (at least one)."""

    @model_validator(mode="after")
    def _steps(self) -> NodeSpec:
        kind = self.router_type
        names: set[str] = set()
        for i, step in enumerate(self.steps):
            at = f"steps.{i}"
            if step.name is not None:
                if step.name in names:
                    # DuplicateStepNameError (inference_graph_validation.go)
                    raise field_error(f"{at}.name", step.name, "give each step of a node its own name")
                names.add(step.name)
            if kind == "Splitter" and step.weight is None:
                raise field_error(f"{at}.weight", None, "a Splitter step needs a weight (percent, 0-100)")
            if kind != "Splitter" and step.weight is not None:
                raise field_error(f"{at}.weight", step.weight, f"weight applies to Splitter steps only, not {kind}")
            if kind == "Switch" and step.condition is None:
                raise field_error(
                    f"{at}.condition",
                    None,
                    "a Switch step needs a condition (a GJSON path the request must match to take this step)",
                )
            if kind in ("Splitter", "Ensemble") and step.condition is not None:
                raise field_error(
                    f"{at}.condition", step.condition, f"the router ignores condition in {kind} nodes; remove it"
                )
            if kind != "Sequence":
                for key, value in (
                    ("data", step.data),
                    ("mapPredictionsToInstances", step.map_predictions_to_instances),
                ):
                    if value is not None:
                        raise field_error(f"{at}.{key}", value, f"{key} applies to Sequence steps only, not {kind}")
            elif i == 0 and step.data == "$response":
                raise field_error(
                    f"{at}.data",
                    step.data,
                    "the first step of a Sequence receives the request; give $request or drop it",
                )
            elif i == 0 and step.condition is not None:
                # routeStep tests a Sequence step's condition on the previous step's response, and before the first
                # step there is none: gjson.ValidBytes(nil) fails and every request gets 500 "invalid response"
                # (kserve/kserve cmd/router/main.go ``routeStep``, Sequence branch).
                raise field_error(
                    f"{at}.condition",
                    step.condition,
                    "the first step of a Sequence has no earlier response to test, so the router would answer 500 to "
                    "every request; remove it",
                )
            if kind in ("Splitter", "Switch") and step.dependency is not None:
                # handleSplitterORSwitchNode only logs a failed Hard step and returns its answer either way
                # (cmd/router/main.go): the setting would promise what the router does not do.
                raise field_error(
                    f"{at}.dependency",
                    step.dependency,
                    f"the router ignores dependency in {kind} nodes (it returns the step's answer either way); "
                    "remove it",
                )
        if kind == "Ensemble":
            # The router keys each answer by the step's name, or its index when it has none (cmd/router/main.go,
            # Ensemble branch): a name that is another unnamed step's index would overwrite that answer.
            unnamed = {str(i) for i, step in enumerate(self.steps) if step.name is None}
            for i, step in enumerate(self.steps):
                if step.name is not None and step.name in unnamed:
                    raise field_error(
                        f"steps.{i}.name",
                        step.name,
                        f"the router keys an unnamed step's answer by its index, and step {step.name} has no name: "
                        "its answer would be overwritten; give another name, or name every step",
                    )
        if kind == "Splitter":
            total = sum(s.weight or 0 for s in self.steps)
            if total != 100:
                raise field_error(
                    "steps", f"weights adding up to {total}", "give Splitter weights that add up to 100 (KServe's rule)"
                )
        return self


class PipelineScalingSpec(Spec):
    """Replicas of the pipeline's router."""

    min_replicas: int = Field(default=1, ge=0, le=1000)
    """Fewest router replicas; 0 scales to zero (Knative mode, public pipelines only)."""
    max_replicas: int = Field(default=3, ge=1, le=1000)
    """Most router replicas, at least ``minReplicas``."""

    @model_validator(mode="after")
    def _bounds(self) -> PipelineScalingSpec:
        if self.max_replicas < self.min_replicas:
            raise field_error("maxReplicas", self.max_replicas, f"give an integer >= minReplicas ({self.min_replicas})")
        return self


class PipelineSpec(Spec):
    """One pipeline (KServe InferenceGraph). See docs/components/pipeline.md for every field with an example."""

    namespace: str = "models"
    """Kubernetes namespace the router runs in; the models its steps name by ``serviceName`` are in it too."""
    create_namespace: bool = True
    """Create the namespace with this pipeline; give false when it exists (the stack program creates it)."""
    nodes: dict[str, NodeSpec]
    """The graph's nodes by name; ``root`` is where requests start."""
    access: AccessSpec
    """Who can call the pipeline: ``public`` (with ``jwt`` or ``allowAnonymous``) or ``internal``, as a model."""
    scaling: PipelineScalingSpec = PipelineScalingSpec()
    """Router replicas."""

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str) -> str:
        return own_namespace(v, "pipeline")

    @model_validator(mode="after")
    def _no_extra_paths(self) -> PipelineSpec:
        if self.access.extra_paths:
            # The router takes POST on any path (pipeline.py's AuthorizationPolicy) and routes by its graph; a
            # model's extra paths have no meaning here, and accepting them silently would promise what is not rendered.
            raise field_error(
                "access.extraPaths",
                self.access.extra_paths,
                "a pipeline's router takes POST on any path and routes by its graph; remove extraPaths",
            )
        return self

    @model_validator(mode="after")
    def _graph(self) -> PipelineSpec:
        for name in self.nodes:
            if not _NODE_NAME.match(name):
                raise field_error(
                    "nodes", name, "give node names of letters, digits, '-' and '_' (at most 63), such as root"
                )
        if ROOT_NODE not in self.nodes:
            raise field_error(
                "nodes", ", ".join(self.nodes) or "none", "give a node named root: the router starts there (KServe)"
            )
        for node_name, node in self.nodes.items():
            for i, step in enumerate(node.steps):
                if step.node_name is not None and step.node_name not in self.nodes:
                    raise field_error(
                        f"nodes.{node_name}.steps.{i}.nodeName",
                        step.node_name,
                        "give a node of this pipeline: " + ", ".join(self.nodes),
                    )
        if cycle := find_cycle(self.nodes):
            raise field_error(
                f"nodes.{cycle[0]}",
                " -> ".join(cycle),
                "a node may not reach itself through nodeName steps (the router would recurse until it fails)",
            )
        unreached = sorted(set(self.nodes) - reachable(self.nodes))
        if unreached:
            raise field_error(
                f"nodes.{unreached[0]}",
                unreached[0],
                "no step reaches this node from root; call it with nodeName or remove it",
            )
        depth, calls = graph_size(self.nodes)
        if depth > MAX_GRAPH_DEPTH:
            raise field_error(
                "nodes",
                f"a chain of {depth} nodes from root",
                f"give at most {MAX_GRAPH_DEPTH} nodes along any chain of nodeName steps (the platform's limit)",
            )
        if calls > MAX_GRAPH_CALLS:
            raise field_error(
                "nodes",
                f"{calls} steps from root, each nodeName step counting its node's steps again",
                f"give a graph of at most {MAX_GRAPH_CALLS} steps counted so (the platform's limit on the graph its "
                "checks walk: every branch of a Switch or Splitter counts, though a request runs one)",
            )
        return self


def _edges(nodes: Mapping[str, NodeSpec], name: str) -> list[str]:
    return [s.node_name for s in nodes[name].steps if s.node_name is not None]


def find_cycle(nodes: dict[str, NodeSpec]) -> list[str] | None:
    """A cycle of ``nodeName`` references as the node names along it (first repeated last), or None. Iterative (a
    long chain of nodes would exhaust Python's recursion: red14h break 5)."""
    state: dict[str, int] = {}
    for start in [ROOT_NODE, *sorted(nodes)]:
        if start not in nodes or start in state:
            continue
        path = [start]
        todo = [iter(_edges(nodes, start))]
        state[start] = 1
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                todo.pop()
                state[path.pop()] = 2
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state and nxt in nodes:
                state[nxt] = 1
                path.append(nxt)
                todo.append(iter(_edges(nodes, nxt)))
    return None


MAX_GRAPH_DEPTH = 32
"""The most nodes along a chain of ``nodeName`` steps from ``root`` (root counted). KServe v0.20.0 sets no bound: the
admission webhook checks names, root, one target per step and Splitter weights only (pkg/apis/serving/v1alpha1/
inference_graph_validation.go ``validateInferenceGraph``) and the CRD has no ``maxItems`` or ``maxProperties``
(config/crd/full/serving.kserve.io_inferencegraphs.yaml); its router recurses through ``executeStep`` and
``routeStep`` once per node (cmd/router/main.go). The platform's limit keeps the walks of the graph
(components/serving/pipeline.py ``_slowest_path``, components/serving/timeouts.py ``graph_wait``) within Python's
recursion (red14h break 5: 500 nodes in a chain ended in RecursionError); docs/components/pipeline.md, "Checks"."""
MAX_GRAPH_CALLS = 10_000
"""The most steps the plan's walks of the graph visit, each ``nodeName`` step visiting its node's steps again (a node
two steps name is visited twice). The router calls every step of a Sequence or Ensemble and one of a Switch or
Splitter (cmd/router/main.go ``routeStep``, ``pickupRoute``, ``pickupRouteByCondition``), but the walks
(:func:`components.serving.timeouts.graph_wait`, pipeline.py ``_slowest_path``) try every branch of a Switch or
Splitter, as either may be taken, and a branch that reaches a node at another clock walks it again: counting one
branch would let through a chain of Switch nodes whose two branches reach the next node at different clocks, whose
walks may double at each node (reasoned from the memo keys, not measured). So every branch counts and the refusal
says so (red14j break 12: it said "a request may run each"). Counted before any walk, so a graph of a few nodes that
each name the next twice (2^n steps, red14h break 1) is refused in one line instead of walked for
hours. KServe v0.20.0 sets no bound (:data:`MAX_GRAPH_DEPTH`)."""


def graph_size(nodes: Mapping[str, NodeSpec]) -> tuple[int, int]:
    """The longest chain of nodes from ``root`` through ``nodeName`` steps, and how many steps a request walking every
    branch runs (a node's steps, plus for each ``nodeName`` step its node's count), for an acyclic graph (checked
    first, :func:`find_cycle`). Iterative, and each node is counted once, so it is linear in the graph's size."""
    depth: dict[str, int] = {}
    calls: dict[str, int] = {}
    todo = [ROOT_NODE] if ROOT_NODE in nodes else []
    while todo:
        name = todo[-1]
        below = [n for n in _edges(nodes, name) if n in nodes]
        pending = [n for n in below if n not in calls]
        if pending:
            todo.extend(pending)
            continue
        todo.pop()
        if name not in calls:
            depth[name] = 1 + max((depth[n] for n in below), default=0)
            calls[name] = len(nodes[name].steps) + sum(calls[n] for n in below)
    return depth.get(ROOT_NODE, 0), calls.get(ROOT_NODE, 0)


def reachable(nodes: dict[str, NodeSpec]) -> set[str]:
    """The nodes the router can reach from ``root``."""
    seen: set[str] = set()
    todo = [ROOT_NODE]
    while todo:
        name = todo.pop()
        if name in seen or name not in nodes:
            continue
        seen.add(name)
        todo.extend(_edges(nodes, name))
    return seen


def check_pipeline_name(name: str, namespace: str) -> str | None:
    """Why ``name`` cannot name a pipeline in ``namespace``, or None.

    KServe's ``GraphNameFmt`` (a DNS-1035 label); Knative names the router's Service ``<name>`` and its first revision
    ``<name>-00001``, and the public host is ``<name>-<namespace>.<domain>``, each within a 63-character label.
    """
    if not is_dns_label(name) or not _GRAPH_NAME.match(name):
        return (
            "give a DNS-1035 label: lowercase letters, digits and '-', starting with a letter and ending with a "
            "letter or digit (KServe's InferenceGraph name rule)"
        )
    host = f"{name}-{namespace}"
    if len(host) > 63:
        return f"'{host}' is {len(host)} characters; keep <name>-<namespace> within 63"
    return None


def _callers(namespace: str, allowed: list[str]) -> set[str]:
    return {*allowed, namespace}


def member_access_problem(pipeline: PipelineSpec, model: ModelSpec) -> str | None:
    """Why the pipeline may not call ``model``, or None.

    The router calls a member model as itself (its ServiceAccount in the pipeline's namespace, which is the model's)
    and forwards no header of the caller's: ``PROPAGATE_HEADERS`` is unset in KServe v0.20.0's default router config
    (charts/kserve-resources/files/common/configmap.yaml, ``router`` has no ``headers``), so
    ``compiledHeaderPatterns`` is empty in cmd/router/main.go ``callService`` and ``Authorization`` never reaches the
    model. Hence:

    - a public ``jwt`` model would refuse every call of the router (its ALLOW policy needs a token's principal);
    - whoever may call the pipeline may, through it, call every member, so the pipeline's access must be as narrow as
      each member's: a model with ``allowAnonymous`` may be called by any pipeline; an internal model by a public
      pipeline with ``jwt`` (the pipeline is then the model's authenticated front door) or by an internal pipeline
      whose callers the model admits too, never by an anonymous pipeline.
    """
    p, m = pipeline.access, model.access
    if m.mode == "public" and m.allow_anonymous:
        return None
    if m.mode == "public":
        return (
            "a public jwt model refuses the router: KServe's router forwards no Authorization header "
            "(PROPAGATE_HEADERS is unset); give the model access.mode: internal (the pipeline's namespace is "
            "admitted) or allowAnonymous"
        )
    if p.mode == "public" and p.allow_anonymous:
        return "an anonymous pipeline would open this internal model to everyone; give the pipeline jwt"
    if p.mode == "internal":
        wider = sorted(
            _callers(pipeline.namespace, p.allowed_namespaces) - _callers(model.namespace, m.allowed_namespaces)
        )
        if wider:
            return (
                f"the pipeline admits namespaces the model does not ({', '.join(wider)}); add them to the model's "
                "access.allowedNamespaces or remove them from the pipeline's"
            )
    return None


def pipeline_problems(
    name: str, spec: PipelineSpec, models: Mapping[str, ModelSpec], deployment_mode: str
) -> list[tuple[str, object, str]]:
    """What stops ``spec`` from running as pipeline ``name`` beside ``models`` (the stack's, by name) on a platform
    in ``deployment_mode``: (key path relative to the pipeline, value, accepted). Shared by :class:`Pipeline` and the
    stack config check, so both give the same line."""
    problems: list[tuple[str, object, str]] = []
    if why := check_pipeline_name(name, spec.namespace):
        problems.append(("", name, why))
    for model_name, model in models.items():
        if model.namespace != spec.namespace:
            continue
        if re.fullmatch(rf"{re.escape(model_name)}(-predictor(-[0-9]{{5}})?(-private)?)?", name):
            # also the Services of the model's predictor revisions, <model>-predictor-00001 and its -private (the
            # SKS's private Service, serverlessservice/resources/services.go ``MakePrivateService``)
            problems.append(
                (
                    "",
                    name,
                    f"model {model_name} in namespace {spec.namespace} already uses this name (KServe names its "
                    "Services <model> and <model>-predictor, Knative the predictor's revisions' <model>-predictor-"
                    "00001 and -private, and the router's <pipeline>); rename the pipeline",
                )
            )
        elif re.fullmatch(rf"{re.escape(name)}-[0-9]{{5}}(-private)?", model_name):
            # Knative names the router's revisions <pipeline>-00001, -00002 ... (pkg/reconciler/configuration/
            # resources/revision.go ``MakeRevision``: ChildName(config, "-%05d")) and gives each a Service of that
            # name (the PodAutoscaler and ServerlessService take the revision's name, revision/resources/names and
            # autoscaling/resources/names; serverlessservice/resources/services.go ``MakePublicService`` the SKS's;
            # knative/serving knative-v1.21.3): KServe's Service <model> for such a model would be the same object
            problems.append(
                (
                    "",
                    name,
                    f"Knative names the router's revisions {name}-00001, {name}-00002 ..., and model {model_name} in "
                    f"namespace {spec.namespace} has one of those names; rename the pipeline or the model",
                )
            )
    if deployment_mode == "Standard":
        if spec.access.mode == "public":
            problems.append(
                (
                    "access.mode",
                    "public",
                    "in Standard mode KServe v0.20.0 gives an InferenceGraph no route through the gateway (a "
                    "Deployment and a Service only: pkg/controller/v1alpha1/inferencegraph/raw_ig.go); give internal, "
                    "or use platform.deploymentMode: Knative",
                )
            )
        if spec.scaling.min_replicas == 0:
            problems.append(
                ("scaling.minReplicas", 0, "scale to zero needs platform.deploymentMode: Knative; give >= 1")
            )
    elif spec.access.mode == "internal" and spec.scaling.min_replicas == 0:
        problems.append(
            (
                "scaling.minReplicas",
                0,
                "an internal pipeline cannot scale to zero in Knative mode (Knative's activator would stand between "
                "caller and router and hide the caller); give >= 1",
            )
        )
    for node_name, node in spec.nodes.items():
        for i, step in enumerate(node.steps):
            path = f"nodes.{node_name}.steps.{i}"
            if step.service_name is not None:
                member = models.get(step.service_name)
                if member is None:
                    here = sorted(k for k, v in models.items() if v.namespace == spec.namespace)
                    hint = did_you_mean(step.service_name, here)
                    problems.append(
                        (
                            f"{path}.serviceName",
                            step.service_name,
                            f"{hint}give a model of this stack in namespace {spec.namespace}: "
                            + (", ".join(here) or "none"),
                        )
                    )
                elif member.namespace != spec.namespace:
                    problems.append(
                        (
                            f"{path}.serviceName",
                            step.service_name,
                            f"the model is in namespace {member.namespace}, the pipeline in {spec.namespace}; KServe "
                            "resolves serviceName in the graph's namespace (inferencegraph/controller.go): move one",
                        )
                    )
                elif (why := member_access_problem(spec, member)) or (why := grpc_member_problem(member)):
                    problems.append((f"{path}.serviceName", step.service_name, why))
            if step.service_url is not None and (why := _in_stack_namespace(step.service_url, spec, models)):
                problems.append((f"{path}.serviceUrl", step.service_url, why))
    return problems


def grpc_member_problem(member: ModelSpec) -> str | None:
    """Why the router cannot call ``member``: it serves gRPC (rev14e defect 2). KServe v0.20.0's router sends every
    step as a plain HTTP POST with a JSON body (cmd/router/main.go ``callService``: ``http.NewRequest(http.MethodPost,
    serviceUrl, ...)`` and ``client.Do``), on the model's v1/v2 REST path (:func:`components.serving.pipeline.
    step_path`); a model served over gRPC (``protocol: grpc-v2``, or a container whose port is gRPC, h2c) answers
    no such call, and its AuthorizationPolicy admits only the gRPC paths on it (components/serving/_auth.py
    ``INFERENCE_API``). A transformer in front is an HTTP server (its port is http), which the router can call."""
    if member.transformer is not None:
        return None
    grpc_port = member.container is not None and member.container.port.protocol == "grpc"
    if member.effective_protocol != "grpc-v2" and not grpc_port:
        return None
    served = "protocol grpc-v2" if member.effective_protocol == "grpc-v2" else "a gRPC (h2c) container port"
    return (
        f"the model serves gRPC ({served}), and KServe's router calls every step with a plain HTTP POST "
        "(cmd/router/main.go); give a model served over v1 or v2 REST"
    )


def _in_stack_namespace(url: str, spec: PipelineSpec, models: Mapping[str, ModelSpec]) -> str | None:
    """Why a step must not call ``url``: a Service in a namespace of the stack's models (the pipeline's own included),
    named any way the cluster DNS resolves it (``<svc>``, ``<svc>.<ns>``, ``<svc>.<ns>.svc``,
    ``<svc>.<ns>.svc.cluster.local``, with or without the trailing dot). There the router would reach a model's
    Service (``<m>``, ``<m>-predictor``, a Knative revision's ``<m>-predictor-00001`` or its ``-private``) or another
    pipeline's without the check that the pipeline is no wider than the model: only serviceName reaches the stack's
    own models (red team of #14: an anonymous pipeline fronted internal models through such hosts)."""
    authority = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if authority.startswith("["):
        # an IPv6 literal (RFC 3986 IP-literal, in brackets), which names no Service: its colons are no port
        # separator (red team #14f read "[::ffff" of http://[::ffff:127.0.0.1]/x as a Service); _ssrf_problem
        # judges the address
        return None
    host = authority.rsplit(":", 1)[0].lower().rstrip(".")
    labels = host.split(".")
    if len(labels) == 1:
        service, namespace = labels[0], spec.namespace
    elif len(labels) == 2 or labels[2:] in (["svc"], ["svc", "cluster", "local"]):
        service, namespace = labels[0], labels[1]
    else:
        return None
    if namespace != spec.namespace and namespace not in {m.namespace for m in models.values()}:
        return None
    for model_name, model in models.items():
        if model.namespace == namespace and re.fullmatch(
            rf"{re.escape(model_name)}(-predictor)?(-[0-9]{{5}})?(-private)?", service
        ):
            return (
                f"this is model {model_name} of the stack; name it with serviceName: {model_name} (the pipeline's "
                "access is then checked against the model's)"
            )
    return (
        f"{service} is a Service in namespace {namespace}, where this stack's models and pipelines run: a step "
        "reaches the stack's models only by serviceName (so that the pipeline's access is checked against the "
        "model's), and another pipeline not at all; give serviceName, or a URL outside these namespaces"
    )


def _ssrf_problem(authority: str) -> str | None:
    """Why the router must not call ``authority``: the node's metadata service (cloud credentials), loopback, or the
    Kubernetes API (with the router's own identity)."""
    host = authority[1:].split("]", 1)[0] if authority.startswith("[") else authority.rsplit(":", 1)[0]
    host = host.lower().rstrip(".")
    if host.split(".")[0] == "kubernetes" and host.split(".")[1:2] in ([], ["default"]):
        return "this is the Kubernetes API; a pipeline step calls models and model servers, not the API server"
    if what := local_host_problem(f"http://{authority}", "the router pod"):
        return f"the router pod would call it: {what}; give a model server's URL"
    return None
