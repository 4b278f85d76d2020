"""The request-log collector: when it is installed, its exact Vector configuration, its hardening, and who may post
to it (components/platform/requestlog.py, with its sources)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from platform_support import LOCAL, obj_named, plan_platform, releases

from components.clusters.base import LogStore
from components.platform import requestlog
from components.platform.requestlog_spec import RequestLogsSpec
from support import plan_config

CE = [
    "ce-id",
    "ce-type",
    "ce-source",
    "ce-time",
    "ce-inferenceservicename",
    "ce-namespace",
    "ce-component",
    "ce-endpoint",
    "ce-annotations",
    "ce-metadata",
    "content-type",
]
XFCC = "x-forwarded-client-cert"
HEADERS = [*CE, XFCC]


def _vector(result: Any) -> dict[str, Any]:
    return releases(result)["vector"]  # type: ignore[no-any-return]


def test_nothing_asks_nothing_is_installed() -> None:
    result = plan_platform()
    assert "vector" not in releases(result)
    assert not [r for r in result.resources if "request-logs" in r.name]


def test_a_model_that_logs_installs_the_collector_with_the_defaults() -> None:
    result = plan_platform(request_log_namespaces=("models",))
    rel = _vector(result)
    assert (rel["chart"], rel["version"], rel["namespace"]) == ("vector", "0.56.0", "request-logs")
    assert rel["repository"] == "https://helm.vector.dev"
    sink = rel["values"]["customConfig"]["sinks"]["store"]
    assert sink["key_prefix"] == "request-logs/{{ namespace }}/{{ model }}/{{ version }}/date=%F/"


def test_the_exact_vector_configuration_on_an_object_store() -> None:
    result = plan_platform({"requestLogs": {"prefix": "logs/inference", "retentionDays": 7}})
    assert _vector(result)["values"]["customConfig"] == {
        "data_dir": "/vector-data-dir",
        "sources": {
            "http": {
                "type": "http_server",
                "address": "0.0.0.0:8080",
                "method": "POST",
                "path": "/",
                "strict_path": False,
                "decoding": {"codec": "bytes"},
                "framing": {"method": "bytes"},
                "headers": HEADERS,
            }
        },
        "transforms": {
            "record": {
                "type": "remap",
                "inputs": ["http"],
                "source": requestlog.RECORD_VRL,
                "drop_on_abort": True,
                "drop_on_error": True,
            }
        },
        "sinks": {
            "store": {
                "type": "aws_s3",
                "bucket": "fake-logs",
                "region": "us-east-1",
                "inputs": ["record"],
                "healthcheck": {"enabled": False},
                "key_prefix": "logs/inference/{{ namespace }}/{{ model }}/{{ version }}/date=%F/",
                "encoding": {"codec": "json"},
                "framing": {"method": "newline_delimited"},
                "compression": "gzip",
                "batch": {"timeout_secs": 60},
            }
        },
    }


def test_the_record_carries_model_version_and_request_id() -> None:
    vrl = requestlog.RECORD_VRL
    for field, source in (
        ('"request_id"', '."ce-id"'),
        ('"x_request_id"', 'metadata."X-Request-Id"[0]'),
        ('"model"', '."ce-inferenceservicename"'),
        ('"namespace"', "peer.namespace"),
        ('"service_account"', "peer.service_account"),
        ('"version"', 'annotations."mlplatform.io/model-version"'),
        ('"payload"', ".message"),
    ):
        line = next(x for x in vrl.splitlines() if x.strip().startswith(field))
        assert source in line, line
    # every header the program reads is one the source keeps
    for header in (
        "ce-id",
        "ce-annotations",
        "ce-metadata",
        "ce-namespace",
        "ce-inferenceservicename",
        "content-type",
        XFCC,
    ):
        assert f'."{header}"' in vrl and header in HEADERS


def test_the_azure_sink_keys_blobs_with_blob_prefix() -> None:
    store = LogStore(
        sink={"type": "azure_blob", "account_name": "a", "container_name": "request-logs"}, key_option="blob_prefix"
    )
    sink = requestlog.sink(store, "p")
    assert sink["blob_prefix"] == "p/{{ namespace }}/{{ model }}/{{ version }}/date=%F/" and "key_prefix" not in sink


def test_hardened_values_and_ha() -> None:
    dev = _vector(plan_platform({"requestLogs": {}}))["values"]
    prod = _vector(plan_platform({"requestLogs": {}}, environment="prod"))["values"]
    assert (dev["replicas"], dev["podDisruptionBudget"]["enabled"]) == (1, False)
    assert (prod["replicas"], prod["podDisruptionBudget"]) == (2, {"enabled": True, "minAvailable": 1})
    assert dev["role"] == "Aggregator"
    assert dev["podSecurityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "runAsGroup": 65534,
        "fsGroup": 65534,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert dev["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert dev["serviceAccount"] == {
        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/p-request-logs"}
    }
    assert dev["nodeSelector"] == {"mlplatform.io/pool": "system"}
    assert dev["persistence"] == {"enabled": False}


def test_the_namespace_is_restricted_and_only_model_pods_may_post() -> None:
    result = plan_platform({"requestLogs": {}}, request_log_namespaces=("models", "team-a", "models"))
    ns = obj_named(result, "Namespace", "request-logs")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    netpol = obj_named(result, "NetworkPolicy", "vector-ingress")
    assert netpol["spec"] == {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "vector", "app.kubernetes.io/instance": "vector"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchExpressions": [
                                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["models", "team-a"]}
                            ]
                        },
                        "podSelector": {
                            "matchExpressions": [{"key": "serving.kserve.io/inferenceservice", "operator": "Exists"}]
                        },
                    }
                ],
                "ports": [{"protocol": "TCP", "port": 8080}],
            }
        ],
    }


def _admits(spec: dict[str, Any], namespace: str, labels: dict[str, str], port: int) -> bool:
    """NetworkPolicy semantics for one ingress connection (kubernetes.io/docs/concepts/services-networking/
    network-policies: a peer with both selectors matches pods that satisfy both; rules are ORed)."""
    for rule in spec["ingress"]:
        if port not in [p["port"] for p in rule["ports"]]:
            continue
        for peer in rule["from"]:
            (ns_expr,) = peer["namespaceSelector"]["matchExpressions"]
            (pod_expr,) = peer["podSelector"]["matchExpressions"]
            if namespace in ns_expr["values"] and pod_expr["key"] in labels:
                return True
    return False


def test_who_reaches_the_collector() -> None:
    spec = requestlog.network_policy(["models"])
    model_pod = {"serving.kserve.io/inferenceservice": "iris"}
    assert _admits(spec, "models", model_pod, 8080)
    assert not _admits(spec, "models", {"app": "notebook"}, 8080)  # another pod of the model namespace
    assert not _admits(spec, "apps", model_pod, 8080)  # a namespace with no logging model
    assert not _admits(spec, "models", model_pod, 8686)  # Vector's API port
    assert requestlog.network_policy([])["ingress"] == []  # the stack asked, no model logs: nobody may post


def test_on_an_existing_cluster_the_records_stay_on_a_volume_with_a_warning() -> None:
    result = plan_config({**LOCAL, "platform": {"domain": "models.example.com", "requestLogs": {"volumeSize": "20Gi"}}})
    values = _vector(result)["values"]
    assert values["persistence"] == {"enabled": True, "size": "20Gi"}
    assert values["customConfig"]["sinks"]["store"] == {
        "type": "file",
        "inputs": ["record"],
        "healthcheck": {"enabled": False},
        "path": "/vector-data-dir/request-logs/{{ namespace }}/{{ model }}/{{ version }}/date=%F/requests.ndjson",
        "encoding": {"codec": "json"},
        "framing": {"method": "newline_delimited"},
    }
    assert [w for w in result.warnings if "nothing deletes them" in w]


def test_the_store_request_carries_the_settings() -> None:
    req = requestlog.store_request(RequestLogsSpec(bucket="b-logs", prefix="x/y"))
    assert (req.bucket, req.prefix, req.retention_days, req.volume_size) == ("b-logs", "x/y", 30, "10Gi")


def test_a_key_that_does_nothing_on_the_cluster_is_one_line_from_python() -> None:
    """Red team #17d IG: ``volumeSize`` where the records go to a bucket changed nothing in the plan; the cluster's
    module says so (components/clusters ``request_log_key_problem``), from Python as from a stack file."""
    from components.errors import SpecError

    with pytest.raises(SpecError) as e:
        plan_platform({"requestLogs": {"volumeSize": "20Gi"}})  # the fake cluster is on aws
    assert str(e.value) == (
        "platform.requestLogs.volumeSize: 20Gi is not allowed; the records go to an S3 bucket, not to a volume "
        "(volumeSize sizes the collector's volume on an existing cluster); remove volumeSize"
    )


def _event(**headers: str) -> dict[str, str]:
    """What the http_server source makes of one event KServe's agent posts: the body as ``message`` and the kept
    ``ce-`` headers as fields (pkg/logger/worker.go: ``metadata`` and ``annotations`` are JSON strings)."""
    return {
        "message": '{"instances": [[6.8, 2.8, 4.8, 1.4]]}',
        "ce-type": "org.kubeflow.serving.inference.request",
        "ce-time": "2026-12-01T10:00:00Z",
        "ce-source": "http://localhost:9081/",
        "ce-namespace": "models",
        "ce-inferenceservicename": "fraud",
        "ce-endpoint": "",
        "ce-annotations": json.dumps({"mlplatform.io/model-version": "v7"}),
        "content-type": "application/json",
        XFCC: _xfcc("models", "fraud-sa"),
        **headers,
    }


def _xfcc(namespace: str, service_account: str, sent: str = "") -> str:
    """``x-forwarded-client-cert`` as the collector's sidecar forwards it: what the client sent (``sent``), then, after
    a ``,``, the element Envoy appends for the mTLS peer, ``By=<own URI>;Hash=<digest>;Subject="...";URI=<peer URI>``
    (Istio 1.30.3 sidecar inbound: APPEND_FORWARD with Subject, URI and DNS; envoy conn_manager_utility.cc
    ``mutateXfccRequestHeader``; components/platform/requestlog.py module docstring)."""
    element = (
        "By=spiffe://cluster.local/ns/request-logs/sa/vector;"
        "Hash=4f1f1a0d6a3b5d8e9c2a7b6e0d1c3f5a8b9e7d6c5b4a3f2e1d0c9b8a7f6e5d4c;"
        f'Subject="";URI=spiffe://cluster.local/ns/{namespace}/sa/{service_account}'
    )
    return f"{sent},{element}" if sent else element


def test_the_record_vrl_joins_a_calls_records_by_its_x_request_id() -> None:
    """rev14 defect 6: the transformer's and the predictor's records of one call carry different ``ce-id`` (each
    agent makes its own: pkg/logger/handler.go ``getOrCreateID``), and the same ``X-Request-Id`` (the transformer
    forwards it: python/kserve/kserve/model.py ``_FORWARDABLE_HEADERS``), which the agents put in the ``metadata``
    extension (logger.metadataHeaders). The program runs in a VRL runtime (vrl-python, a locked dev dependency)."""
    import vrl_python  # locked dev dependency (pyproject.toml): the program runs, it is never skipped

    runtime = vrl_python.VRLRuntime()
    metadata = json.dumps({"X-Request-Id": ["0f6c1d2e-call-1"]})
    records = [
        runtime.execute(
            requestlog.RECORD_VRL, _event(**{"ce-id": ce_id, "ce-component": c, "ce-metadata": metadata})
        ).processed_event
        for ce_id, c in (("a1", "transformer"), ("b2", "predictor"))
    ]
    assert [r["request_id"] for r in records] == ["a1", "b2"]
    assert [r["x_request_id"] for r in records] == ["0f6c1d2e-call-1", "0f6c1d2e-call-1"]
    assert records[1] == {
        "request_id": "b2",
        "x_request_id": "0f6c1d2e-call-1",
        "type": "org.kubeflow.serving.inference.request",
        "time": "2026-12-01T10:00:00Z",
        "source": "http://localhost:9081/",
        "namespace": "models",
        "service_account": "fraud-sa",
        "model": "fraud",
        "version": "v7",
        "component": "predictor",
        "endpoint": "",
        "content_type": "application/json",
        "payload": '{"instances": [[6.8, 2.8, 4.8, 1.4]]}',
    }
    # without the header (a call that had none) the field is null and the record is still written
    bare = runtime.execute(requestlog.RECORD_VRL, _event(**{"ce-id": "c3", "ce-component": "predictor"}))
    assert bare.processed_event["x_request_id"] is None


def _frames(source: dict[str, Any], body: bytes) -> list[bytes]:
    """The frames Vector 0.56.0's ``http_server`` source cuts one request body into: its ``framing``, else the
    decoding's default stream framing, NewlineDelimited for ``codec: bytes`` (src/sources/http_server.rs
    ``decoding.default_stream_framing()``; lib/codecs/src/decoding/mod.rs ``default_stream_framing``); ``bytes``
    framing gives the whole body as one frame (lib/codecs/src/decoding/framing/bytes.rs ``decode_eof``), newline
    framing a frame per line (framing/character_delimited.rs ``decode``)."""
    assert source["decoding"] == {"codec": "bytes"}
    method = source.get("framing", {"method": "newline_delimited"})["method"]
    if method == "bytes":
        return [body]
    assert method == "newline_delimited", method
    return body.splitlines()


def test_a_multi_line_body_is_one_record() -> None:
    """rev14h defect 3: KServe's agent posts a request or response as one CloudEvent body (pkg/logger/worker.go
    ``event.SetData``); a pretty-printed JSON request or a streamed (SSE) LLM response has many lines, and the source's
    default newline framing made a record of each line. The rendered source keeps the body whole."""
    source = _vector(plan_platform({"requestLogs": {}}))["values"]["customConfig"]["sources"]["http"]
    sse = b'data: {"choices": [{"delta": {"content": "Hi"}}]}\n\ndata: {"choices": []}\n\ndata: [DONE]\n\n'
    pretty = b'{\n  "instances": [[6.8, 2.8, 4.8, 1.4]]\n}\n'
    for body in (sse, pretty):
        assert _frames(source, body) == [body]


# ------------------------------------------------------------------------------------------------ in the mesh (#14)


def test_the_collector_namespace_is_in_the_mesh_at_the_platforms_level() -> None:
    """exp14r F2: ``request-logs`` had no ``istio-injection`` label, so the collector ran without a sidecar and Istio's
    auto mTLS had each model's sidecar post request and response bodies to it in plain text. Now it is injected like
    knative-serving and the model namespaces, at the platform's meshed Pod Security level (``restricted`` with Istio
    CNI; ``privileged`` without, where the injected istio-init needs NET_ADMIN)."""
    for settings, level in (({}, "restricted"), ({"istioCni": False, "monitoring": {"enabled": False}}, "privileged")):
        result = plan_platform({**settings, "requestLogs": {}}, request_log_namespaces=("models",))
        labels = obj_named(result, "Namespace", "request-logs")["metadata"]["labels"]
        assert labels["istio-injection"] == "enabled"
        assert [labels[f"pod-security.kubernetes.io/{m}"] for m in ("enforce", "audit", "warn")] == [level] * 3


def _policy_objects(namespaces: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    from platform_support import objects

    result = plan_platform({"requestLogs": {}}, request_log_namespaces=namespaces)
    (mtls,) = [o for o in objects(result, "PeerAuthentication") if o["metadata"]["namespace"] == "request-logs"]
    return mtls, obj_named(result, "AuthorizationPolicy", "vector-writers")


def test_the_collector_is_strict_mtls_and_admits_only_the_logging_namespaces() -> None:
    from support import validate_custom_resource

    mtls, authz = _policy_objects(("team-a", "models", "team-a"))
    assert (mtls["apiVersion"], mtls["metadata"]["namespace"], mtls["spec"]) == (
        "security.istio.io/v1",
        "request-logs",
        {"mtls": {"mode": "STRICT"}},
    )
    assert (authz["apiVersion"], authz["metadata"]["namespace"]) == ("security.istio.io/v1", "request-logs")
    assert authz["spec"] == {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "vector", "app.kubernetes.io/instance": "vector"}},
        "action": "ALLOW",
        "rules": [
            {
                "from": [{"source": {"namespaces": ["models", "team-a"]}}],
                "to": [{"operation": {"ports": ["8080"], "methods": ["POST"]}}],
            }
        ],
    }
    for obj in (mtls, authz):
        assert validate_custom_resource(obj) == []


def _istio_admits(spec: dict[str, Any], peer_namespace: str | None, port: int, method: str) -> bool:
    """Istio's verdict on one request to a workload that only this ALLOW policy selects (istio/api 1.30.3
    security/v1beta1/authorization_policy.proto: no matching ALLOW policy denies; a rule matches when one ``from``
    source and one ``to`` operation match; ``source.namespaces`` is the mTLS peer's namespace, none in plain text)."""
    assert spec["action"] == "ALLOW"
    for rule in spec["rules"]:
        sources = [f["source"] for f in rule["from"]]
        operations = [t["operation"] for t in rule["to"]]
        if any(peer_namespace in s["namespaces"] for s in sources) and any(
            str(port) in o["ports"] and method in o["methods"] for o in operations
        ):
            return True
    return False


def test_who_may_post_through_the_mesh() -> None:
    spec = requestlog.authorization_policy(["models"])
    assert _istio_admits(spec, "models", 8080, "POST")  # KServe's agent in a logging model's pod
    assert not _istio_admits(spec, "team-b", 8080, "POST")  # a namespace with no logging model
    assert not _istio_admits(spec, None, 8080, "POST")  # plain text: no peer identity
    assert not _istio_admits(spec, "models", 8686, "POST")  # Vector's API port
    assert not _istio_admits(spec, "models", 8080, "GET")
    nobody = requestlog.authorization_policy([])  # the stack asked, no model logs: an ALLOW that matches nothing
    assert nobody["rules"] == [] and not _istio_admits(nobody, "models", 8080, "POST")


def test_the_collector_starts_with_its_sidecar_and_its_policies() -> None:
    """A collector pod created before istiod's injection webhook (and, with Istio CNI, the CNI agent) runs without a
    sidecar; one started before its AuthorizationPolicy admits any mesh workload. The release waits for all."""
    from platform_support import release_reg

    result = plan_platform({"requestLogs": {}}, request_log_namespaces=("models",))
    waits = set(release_reg(result, "vector").depends_on)
    for name in ("istiod", "istio-cni"):
        assert release_reg(result, name).urn in waits, name
    for kind, name in (("PeerAuthentication", "p-request-logs-mtls"), ("AuthorizationPolicy", "p-request-logs-authz")):
        assert result.one(f"kubernetes:security.istio.io/v1:{kind}", name).urn in waits, kind


# ------------------------------------------------------------------------------------------------ attribution (#14)


def _record(**headers: str) -> dict[str, Any]:
    import vrl_python  # locked dev dependency (pyproject.toml)

    result = vrl_python.VRLRuntime().execute(requestlog.RECORD_VRL, _event(**{"ce-id": "a1", **headers}))
    return result.processed_event  # type: ignore[no-any-return]


def _dropped(**headers: str) -> bool:
    """Whether the program aborts on the event: the transform's ``drop_on_abort`` (asserted in the exact
    configuration above) then drops it (vector v0.56.0 remap.cue)."""
    with pytest.raises(RuntimeError) as e:
        _record(**headers)
    return "aborted" in str(e.value)


def test_the_record_namespace_is_the_senders_mesh_identity() -> None:
    """exp14r F2: the key's namespace came from the sender's ``ce-namespace`` header, so a model of one namespace
    could write under another team's prefix. The namespace must be the one of the mTLS identity the collector's
    sidecar forwards, and the record names the sending ServiceAccount."""
    record = _record()
    assert (record["namespace"], record["service_account"], record["model"]) == ("models", "fraud-sa", "fraud")
    # a sender that also carries DNS SANs (Envoy puts them after URI)
    assert _record(**{XFCC: _xfcc("models", "fraud-sa") + ";DNS=fraud.models.svc"})["namespace"] == "models"


def test_a_record_naming_another_namespace_is_dropped() -> None:
    assert _dropped(**{XFCC: _xfcc("team-a", "fraud-sa")})  # team-a's model claims ce-namespace models
    assert _dropped(**{XFCC: _xfcc("models-x", "fraud-sa")})  # a prefix of the name is not the name
    assert _dropped(**{XFCC: _xfcc("model", "fraud-sa")})


def test_a_record_without_a_mesh_identity_is_dropped() -> None:
    no_xfcc = _event(**{"ce-id": "a1"})
    del no_xfcc[XFCC]
    import vrl_python

    with pytest.raises(RuntimeError, match="aborted"):
        vrl_python.VRLRuntime().execute(requestlog.RECORD_VRL, no_xfcc)
    assert _dropped(**{XFCC: ""})
    # Envoy writes "URI=" for a peer certificate without a URI SAN
    assert _dropped(**{XFCC: 'By=spiffe://cluster.local/ns/request-logs/sa/vector;Hash=ab;Subject="CN=x";URI='})


def test_an_identity_the_sender_writes_itself_counts_for_nothing() -> None:
    """The sender may send its own ``x-forwarded-client-cert``; Envoy keeps it and appends the real element after a
    ``,`` (APPEND_FORWARD). Only that last element is read."""
    forged_models = 'By=x;Hash=y;Subject="";URI=spiffe://cluster.local/ns/models/sa/fraud-sa'
    assert _dropped(**{XFCC: _xfcc("team-a", "evil-sa", sent=forged_models)})
    # the other way round: a models sender that prepends another team's identity is still read as models
    forged_team = "URI=spiffe://cluster.local/ns/team-a/sa/x"
    assert _record(**{XFCC: _xfcc("models", "fraud-sa", sent=forged_team)})["namespace"] == "models"
    # a forged value cannot end the header: the real element always follows it
    assert _dropped(**{XFCC: _xfcc("team-a", "evil-sa", sent=forged_models + ";DNS=")})
