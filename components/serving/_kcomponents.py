"""What a model's transformer, explainer and batcher become: the InferenceService's ``transformer`` and ``explainer``
and the predictor's ``batcher``, and the policies that keep each component as protected as the predictor.

Pure functions (no resources). Sources are kserve/kserve at tag v0.20.0 unless named otherwise.

**Who calls whom.** KServe labels every pod of an InferenceService ``serving.kserve.io/inferenceservice: <name>`` and
``component: predictor|transformer|explainer`` (components/transformer.go, explainer.go and predictor.go
``buildObjectMeta``: ``constants.KServiceComponentLabel``). With a transformer, the model's public host and its
top-level cluster host lead to the transformer (Knative: ingress_reconciler.go ``createIngress``, the route's Host
``set`` to ``<name>-transformer.<ns>.svc.cluster.local``; Standard: kube_ingress_reconciler.go ``createRawIngress``);
requests to ``/v1/models/<x>:explain`` lead to the explainer (``constants.ExplainPrefix``). The transformer and the
explainer call the predictor at ``<name>-predictor.<ns>`` (``--predictor_host``: transformer_custom.go,
explainer_custom.go, explainer_art.go) with their own mesh identity, the model's ServiceAccount. What reaches the
predictor of the caller is at most its token: KServe's Python model server passes on ``x-request-id``,
``x-b3-traceid`` and ``authorization`` only (python/kserve/kserve/model.py ``_FORWARDABLE_HEADERS``,
``append_forwardable_headers``), a transformer of your own may pass on nothing, and an internal model's caller (a
namespace) is never passed on. So the predictor must admit the component itself:

- each component gets its own ALLOW AuthorizationPolicy, selected by the component label: the same callers as the
  model (JWT principal, allowed namespaces, or anyone) on its own inference API, plus Knative's probes;
- the predictor's policy then selects the predictor's pods only, and also admits the model's ServiceAccount (the
  transformer and the explainer) on its inference API; every other caller needs what it needed before;
- in Knative mode the predictor never scales to zero and keeps Knative's activator out of its path once pods exist
  (``target-burst-capacity: "0"`` on the predictor: KServe copies a component's ``annotations`` to its revision,
  predictor.go ``buildObjectMeta``, ksvc_reconciler.go), as for an internal model (components/serving/_auth.py):
  at zero, or while it buffers, the activator calls the predictor as itself and the component's identity is lost;
- the RequestAuthentication already selects every pod of the model (``serving.kserve.io/inferenceservice``), so a
  component checks tokens like the predictor; so does the PodMonitor (each component's sidecar exposes 15090) and the
  model's NetworkPolicy (in Standard mode a component serving on another port gets its own NetworkPolicy rule).
"""

from __future__ import annotations

from typing import Any

from components import coldstart
from components.naming import child_name
from components.serving import _auth, _runtime, llm_scaling
from components.serving.kcomponents import AGENT_PORT, ComponentSpec, ExplainerSpec
from components.serving.logger_spec import REQUEST_ID_HEADER, VERSION_ANNOTATION
from components.serving.spec import ModelSpec

COMPONENT_LABEL = "component"
"""``constants.KServiceComponentLabel`` (pkg/constants/constants.go)."""
PREDICTOR, TRANSFORMER, EXPLAINER = "predictor", "transformer", "explainer"


TRANSFORMER_CONTAINER = "transformer-container"
"""``constants.TransformerContainerName``: a collocated transformer in the predictor's pod."""


def components(spec: ModelSpec) -> list[str]:
    """The model's components with pods of their own besides the predictor, in KServe's order."""
    transformer = spec.transformer if spec.transformer is not None and not spec.transformer.collocated else None
    return [c for c, given in ((TRANSFORMER, transformer), (EXPLAINER, spec.explainer)) if given is not None]


def component_selector(name: str, component: str) -> dict[str, Any]:
    """The workload selector of one component's pods."""
    return {"matchLabels": {_runtime.ISVC_LABEL: name, COMPONENT_LABEL: component}}


def service_account_principal(name: str, namespace: str) -> str:
    """The mesh identity every component of model ``name`` runs as (its ServiceAccount ``<name>-sa``)."""
    return _auth.principal(namespace, child_name(name, "sa"))


def _security_context(run_as_user: int | None = None) -> dict[str, Any]:
    """A component's security context: the platform's restricted one, with ``runAsNonRoot`` always (no runtime
    decides a component's user) and its container's ``runAsUser`` when it gives one."""
    return _runtime.hardened_context(run_as_non_root=True, run_as_user=run_as_user)


def _env(c: ComponentSpec | ExplainerSpec, protocol: str | None) -> list[dict[str, Any]]:
    out = _runtime.env_entries(c.env, c.secret_env)
    if protocol is not None:
        out.append({"name": _runtime.PROTOCOL_ENV, "value": protocol})
    return out


def _resources(c: ComponentSpec | ExplainerSpec) -> dict[str, Any]:
    amounts = {"cpu": c.resources.cpu, "memory": c.resources.memory}
    return {"requests": dict(amounts), "limits": dict(amounts)}


def _container(spec: ModelSpec, c: ComponentSpec | ExplainerSpec, protocol: str | None) -> dict[str, Any]:
    """A component's ``kserve-container``: image, command, args, one port, env, probes, resources, our security
    context (the same probe rendering as the predictor's custom container)."""
    box = c.container
    assert box is not None
    out: dict[str, Any] = {"name": _runtime.CONTAINER_NAME, "image": box.image}
    if box.command:
        out["command"] = list(box.command)
    if c.args:
        out["args"] = list(c.args)
    out["ports"] = [{"name": box.port.name, "containerPort": box.port.number, "protocol": "TCP"}]
    variables = _env(c, protocol)
    if variables:
        out["env"] = variables
    for key, probe in (
        ("readinessProbe", box.readiness_probe),
        ("livenessProbe", box.liveness_probe),
        ("startupProbe", box.startup_probe),
    ):
        if probe is not None:
            out[key] = _runtime._probe(probe, box.port)
    out["resources"] = _resources(c)
    out["securityContext"] = _security_context(box.run_as_user)
    return out


def _extension(
    spec: ModelSpec, c: ComponentSpec | ExplainerSpec, given: _runtime.PredictorInputs, component: str
) -> dict[str, Any]:
    """A component's ``ComponentExtensionSpec`` and pod settings: the model's ServiceAccount, its own scaling, the
    model's pod labels (KServe adds the component label), its own node selector and tolerations or else the model's
    (not the GPU ones), and the model's pull secrets."""
    mode = given.deployment_mode
    predictor_metric = spec.scaling.resolved_metric(mode)
    out: dict[str, Any] = {
        "serviceAccountName": given.service_account,
        "minReplicas": c.scaling.min_replicas,
        "maxReplicas": c.scaling.max_replicas,
    }
    metric = c.scaling.resolved_metric(mode, predictor_metric)
    target = c.scaling.resolved_target(mode, predictor_metric)
    if mode == "Standard" and llm_scaling.is_llm(spec.scaling.metric):
        # The model's serving.kserve.io/autoscalerClass is keda, and KServe v0.20.0 checks every component against
        # it: validateScalingKedaCompExtension refuses a scaleMetric ("ScaleMetric is not supported for KEDA") and
        # admits a Resource metric, cpu with a Utilization target of 1-100 (inference_service_validation.go), which
        # the KEDA reconciler of the component turns into a ``cpu`` trigger with ``value`` and metricType
        # Utilization (reconcilers/keda/keda_reconciler.go getKedaMetrics). The Standard-mode metric is cpu.
        out["autoScaling"] = {
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": metric, "target": {"type": "Utilization", "averageUtilization": target}},
                }
            ]
        }
    else:
        out["scaleMetric"] = metric
        out["scaleTarget"] = target
    if mode == "Knative":
        # the stack's runtimes of the model's namespace decide its cold start, as for the predictor's own timeout
        # (rev14f defect 5)
        budget = _runtime.cold_start_budget_seconds(spec, coldstart.cluster_facts(given.cloud, given.gpu), given.stack)
        cold = _runtime.component_cold_start_seconds(c.scaling.min_replicas, spec.scaling.min_replicas, budget)
        # Always rendered (rev14i N5): without it KServe v0.20.0 leaves the component's revision timeoutSeconds unset
        # (reconcilers/knative/ksvc_reconciler.go: "If timeoutSeconds is not set by isvc ... Knative" applies its
        # own), and Knative 1.21's revision-timeout-seconds is 300 (config/core/configmaps/defaults.yaml), so a request
        # through the component was cut at 300 s where the predictor allows its whole timeout, and at the predictor's
        # in Standard mode. The default is the predictor's timeout, as in Standard mode, plus the component's own
        # start when it can be at zero, and never less than the cold start plus a request (Knative's 300 s default
        # would cut the first request while the component, or the predictor behind it, starts from zero:
        # _runtime.component_cold_start_seconds).
        out["timeout"] = (
            c.timeout
            if c.timeout is not None
            else _runtime.knative_component_timeout_seconds(
                cold, _runtime.predictor_timeout_seconds(spec, given), c.scaling.min_replicas
            )
        )
        if c.container_concurrency is not None:
            out["containerConcurrency"] = c.container_concurrency
    else:
        # Standard mode: the component's ``timeout`` is the request timeout of its HTTPRoute rules, 60 s without it
        # (KServe v0.20.0 reconcilers/ingress/httproute_reconciler.go resolveTimeout; the top-level host goes to the
        # transformer when there is one); its call to the predictor may take the predictor's whole ``timeout``, so
        # the default is the predictor's (_runtime.request_timeout_seconds; rev14h defect 1), as in Knative mode.
        out["timeout"] = c.timeout if c.timeout is not None else _runtime.predictor_timeout_seconds(spec, given)
    labels = {**spec.labels, **given.pod_labels}
    if labels:
        out["labels"] = labels
    # the component's own node selector and tolerations when it gives them, else the model's
    selector = c.node_selector if c.node_selector is not None else spec.node_selector
    if selector:
        out["nodeSelector"] = dict(selector)
    tolerations = c.tolerations if c.tolerations is not None else spec.tolerations
    if tolerations:
        out["tolerations"] = [t.rendered() for t in tolerations]
    if spec.image_pull_secrets:
        out["imagePullSecrets"] = [{"name": n} for n in spec.image_pull_secrets]
    if c.logger is not None and given.request_log_url is not None:
        # the component's own ComponentExtensionSpec.logger (component.go, v0.20.0): the agent in its pods posts
        # to the platform's collector, with the model's version annotation (logger_spec.ComponentLoggerSpec)
        out["logger"] = {
            "mode": c.logger.mode,
            "url": given.request_log_url,
            "metadataAnnotations": [VERSION_ANNOTATION],
            "metadataHeaders": [REQUEST_ID_HEADER],
        }
    return out


def transformer(spec: ModelSpec, given: _runtime.PredictorInputs) -> dict[str, Any]:
    """The InferenceService's ``transformer``: one custom container (KServe's only transformer)."""
    t = spec.transformer
    assert t is not None
    container = _container(spec, t, t.protocol)
    if t.storage_uri is not None:
        # CustomTransformer.GetStorageUri reads STORAGE_URI (transformer_custom.go); the transformer reconciler then
        # adds the storage initializer (components/transformer.go, v0.20.0)
        container["env"] = [*container.get("env", []), {"name": _runtime.STORAGE_URI_ENV, "value": t.storage_uri}]
    return {**_extension(spec, t, given, TRANSFORMER), "containers": [container]}


def explainer(spec: ModelSpec, given: _runtime.PredictorInputs) -> dict[str, Any]:
    """The InferenceService's ``explainer``: ``art`` (KServe's image, our container settings) or one custom
    container."""
    e = spec.explainer
    assert e is not None
    out = _extension(spec, e, given, EXPLAINER)
    if e.art is None:
        container = _container(spec, e, None)
        if e.storage_uri is not None:
            # CustomExplainer.GetStorageUri reads STORAGE_URI (explainer_custom.go); the explainer reconciler then
            # adds the storage initializer (components/explainer.go)
            container["env"] = [*container.get("env", []), {"name": _runtime.STORAGE_URI_ENV, "value": e.storage_uri}]
        out["containers"] = [container]
        return out
    art: dict[str, Any] = {"type": e.art.type}
    if e.art.config:
        art["config"] = dict(e.art.config)
    if e.args:
        art["args"] = list(e.args)
    variables = _env(e, None)
    if variables:
        art["env"] = variables
    art["resources"] = _resources(e)
    art["securityContext"] = _security_context()
    out["art"] = art
    return out


def isvc_spec(spec: ModelSpec, given: _runtime.PredictorInputs, predictor: dict[str, Any]) -> dict[str, Any]:
    """The InferenceService's ``spec``: the predictor (with its batcher, and kept off the activator when a component
    calls it in Knative mode), the transformer and the explainer."""
    if spec.batcher is not None:
        batcher: dict[str, Any] = {}
        if spec.batcher.max_batch_size is not None:
            batcher["maxBatchSize"] = spec.batcher.max_batch_size
        if spec.batcher.max_latency is not None:
            batcher["maxLatency"] = spec.batcher.max_latency
        predictor["batcher"] = batcher
    if components(spec) and given.deployment_mode == "Knative":
        predictor["annotations"] = {**predictor.get("annotations", {}), _runtime.TARGET_BURST_CAPACITY: "0"}
    out: dict[str, Any] = {"predictor": predictor}
    if spec.transformer is not None and spec.transformer.collocated:
        # KServe's collocation: transformer-container beside kserve-container, the only one declaring a port
        # (Knative serves one port per pod; predictor.go buildPodSpec, kserve/website collocation.md). Beside a
        # runtime's server (the predictor's model), the transformer-container is the predictor's one container:
        # buildPodSpec puts it after the runtime's kserve-container, which declares no port in the runtimes we
        # install (upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml), and GetImplementations still
        # finds the model alone (no container is named kserve-container: predictor.go, v0.20.0)
        side = {**_container(spec, spec.transformer, spec.transformer.protocol), "name": TRANSFORMER_CONTAINER}
        if "model" in predictor:
            predictor["containers"] = [side]
        else:
            server = {k: v for k, v in predictor["containers"][0].items() if k != "ports"}
            predictor["containers"] = [server, side]
    elif spec.transformer is not None:
        out["transformer"] = transformer(spec, given)
    if spec.explainer is not None:
        out["explainer"] = explainer(spec, given)
    return out


def component_ports(spec: ModelSpec, component: str, deployment_mode: str) -> list[str]:
    """The pod ports requests reach a component on: the queue-proxy's (Knative), else the port KServe's
    Standard-mode Service targets: the agent's 9081 when the component logs (service_reconciler.go
    ``createDefaultSvc``: ``componentExt.Logger != nil``, the component's own extension), else its container's."""
    if deployment_mode == "Knative":
        return list(_auth.QUEUE_PORTS)
    c = spec.transformer if component == TRANSFORMER else spec.explainer
    box = c.container if c is not None else None
    target = _auth.standard_target_port(
        agent=c is not None and c.logger is not None,
        transformer_port=None,
        server_port=box.port.number if box is not None else None,
    )
    return [str(target if target is not None else 8080)]


def predictor_authorization(name: str, spec: ModelSpec, deployment_mode: str, policy: dict[str, Any]) -> dict[str, Any]:
    """The predictor's ALLOW policy with components: the predictor's pods only, and the model's ServiceAccount (its
    transformer and explainer) admitted on the predictor's inference API."""
    if not components(spec):
        return policy
    ports = _auth.serving_ports(deployment_mode, spec)
    rule = {
        "from": [{"source": {"principals": [service_account_principal(name, spec.namespace)]}}],
        "to": _auth.inference_operations(spec, ports),
    }
    return {**policy, "selector": component_selector(name, PREDICTOR), "rules": [*policy["rules"], rule]}


def component_authorization(name: str, spec: ModelSpec, deployment_mode: str, component: str) -> dict[str, Any]:
    """A component's ALLOW policy: the model's callers (as :func:`components.serving._auth.authorization_policy`
    admits them) on the component's inference API (a transformer's protocol, the v1 API of an explainer, which
    serves ``:explain`` there) and Knative's probes."""
    protocol = spec.transformer.protocol if component == TRANSFORMER and spec.transformer else "v1"
    # The component's own API: the predictor's allow-list for the component's protocol, with the model's extraPaths
    api_spec = spec.model_copy(update={"protocol": protocol, "format": None, "container": None})
    ports = component_ports(spec, component, deployment_mode)
    api = _auth.inference_operations(api_spec, ports)
    access = spec.access
    if access.mode == "public" and access.allow_anonymous:
        rules: list[dict[str, Any]] = [{"to": api}]
    elif access.mode == "public":
        rules = [{"from": [{"source": {"requestPrincipals": ["*"]}}], "to": api}]
    else:
        rules = [{"from": [{"source": {"namespaces": _auth.callers(spec)}}], "to": api}]
    if deployment_mode == "Knative":
        rules.extend(_auth.knative_rules(ports))
    return {"selector": component_selector(name, component), "action": "ALLOW", "rules": rules}


def component_network_policy(name: str, spec: ModelSpec, deployment_mode: str, component: str) -> dict[str, Any] | None:
    """Standard mode: a NetworkPolicy rule opening a component's own serving port when the model's NetworkPolicy
    (which selects every pod of the model) does not (components/serving/_netpol.py); None otherwise."""
    if deployment_mode == "Knative":
        return None
    ports = [int(p) for p in component_ports(spec, component, deployment_mode)]
    if set(ports) <= {int(p) for p in _auth.serving_ports(deployment_mode, spec)}:
        return None
    return {
        "podSelector": component_selector(name, component),
        "policyTypes": ["Ingress"],
        "ingress": [{"ports": [{"protocol": "TCP", "port": p} for p in ports]}],
    }


def agent_port(spec: ModelSpec) -> int | None:
    """The agent's port when KServe injects its agent into the predictor's pods (a batcher or a logger:
    agent_injector.go ``InjectAgent``, v0.20.0), else None."""
    return AGENT_PORT if spec.batcher is not None or spec.logger is not None else None
