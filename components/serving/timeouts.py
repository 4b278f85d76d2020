"""The timeout chain of a model's request against its cold-start budget, read from the rendered InferenceService.

A request that reaches a model at zero replicas waits for the pod (GPU node boot, image pull, model load) on every
hop before it gets an answer. Each hop and what bounds it (Knative mode):

- ingress / local gateway route: no timeout. Istio's HTTPRoute ``timeout`` is disabled unless set
  (istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute), net-istio 1.21 sets none
  (pkg/reconciler/ingress/resources/virtual_service.go ``makeVirtualServiceRoute``: retries only), nor does KServe
  v0.20.0 (ingress_reconciler.go ``createIngress``); Istio 1.30.3 turns the stream idle timeout off on its HTTP
  listeners (pilot/pkg/networking/core/listener_builder.go: ``StreamIdleTimeout = 0``).
- activator: the revision's ``timeoutSeconds`` for the whole request, the wait for a pod included, and its
  ``responseStartTimeoutSeconds`` (cmd/activator/main.go, knative/serving 1.21); KServe sets both from the
  predictor's ``timeout`` (reconcilers/knative/ksvc_reconciler.go, v0.20.0). Without it Knative's defaults apply:
  300 s each (config/core/configmaps/defaults.yaml; pkg/apis/config/defaults.go).
- queue-proxy: the same revision timeouts, once the pod runs.
- Knative's progress deadline (``serving.knative.dev/progress-deadline``): the revision fails if its first pod is not
  ready in time.
- ``pulumi up`` (``pulumi.com/timeoutSeconds``): how long the deploy waits for Ready.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.platform.knative import MAX_REVISION_TIMEOUT
from components.serving import _runtime

KNATIVE_DEFAULT_TIMEOUT = 300
"""``revision-timeout-seconds`` (and the response-start default): Knative 1.21's defaults.yaml."""
GATEWAY_ROUTE_TIMEOUT: int | None = None
"""Istio route timeout on KServe's and net-istio's VirtualServices: none (see the module docstring)."""


def _seconds(value: str) -> int:
    if value.endswith("m"):
        return int(value[:-1]) * 60
    if value.endswith("h"):
        return int(value[:-1]) * 3600
    return int(value.removesuffix("s"))


def budget(isvc: Mapping[str, Any]) -> int:
    """The cold-start budget of a rendered InferenceService (GPUs and format decide it, as in :mod:`_runtime`)."""
    model = isvc["spec"]["predictor"]["model"]
    gpus = int(model.get("resources", {}).get("limits", {}).get(_runtime.GPU_RESOURCE, 0))
    if gpus == 0:
        return _runtime.CPU_READY_SECONDS
    load = _runtime.LLM_LOAD_SECONDS if model["modelFormat"]["name"] == "huggingface" else _runtime.MODEL_LOAD_SECONDS
    return _runtime.GPU_NODE_BOOT_SECONDS + _runtime.IMAGE_PULL_SECONDS + load


def chain(isvc: Mapping[str, Any]) -> dict[str, int | None]:
    """Each hop's limit in seconds (None: unbounded) for a rendered InferenceService in Knative mode."""
    ann = isvc["metadata"].get("annotations", {})
    predictor = isvc["spec"]["predictor"]
    timeout = predictor.get("timeout")
    revision = int(timeout) if timeout is not None else KNATIVE_DEFAULT_TIMEOUT
    return {
        "gateway route": GATEWAY_ROUTE_TIMEOUT,
        "activator timeoutSeconds": revision,
        "activator responseStartTimeoutSeconds": revision if timeout is not None else KNATIVE_DEFAULT_TIMEOUT,
        "progress deadline": _seconds(ann[_runtime.PROGRESS_DEADLINE]) if _runtime.PROGRESS_DEADLINE in ann else None,
        "pulumi timeoutSeconds": int(ann["pulumi.com/timeoutSeconds"]),
    }


def problems(isvc: Mapping[str, Any]) -> list[str]:
    """Where the chain of a rendered Knative-mode InferenceService is shorter than the model's cold-start budget."""
    need = budget(isvc)
    name = f"{isvc['metadata'].get('namespace')}/{isvc['metadata']['name']}"
    out = []
    hops = chain(isvc)
    for hop in ("gateway route", "activator timeoutSeconds", "activator responseStartTimeoutSeconds"):
        limit = hops[hop]
        if limit is not None and limit < need + _runtime.REQUEST_SECONDS and limit < int(MAX_REVISION_TIMEOUT):
            out.append(f"{name}: {hop} {limit}s < cold start {need}s + request {_runtime.REQUEST_SECONDS}s")
        if limit is not None and limit < need:
            out.append(f"{name}: {hop} {limit}s < cold start {need}s")
        if limit is not None and limit > int(MAX_REVISION_TIMEOUT):
            out.append(f"{name}: {hop} {limit}s > max-revision-timeout-seconds {MAX_REVISION_TIMEOUT}")
    deadline = hops["progress deadline"]
    if deadline is None or deadline < need:
        out.append(f"{name}: progress deadline {deadline}s < cold start {need}s")
    pulumi_wait = hops["pulumi timeoutSeconds"]
    if pulumi_wait is not None and deadline is not None and pulumi_wait < deadline:
        out.append(f"{name}: pulumi timeoutSeconds {pulumi_wait}s < progress deadline {deadline}s")
    return out
