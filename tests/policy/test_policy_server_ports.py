"""``model-server-port-intact`` (policy/rules/serverports.py, rev17g g22-g24) on shipped and cover plans mutated the
way a slip in components/serving/server_args.py would let through: an MLServer port env in another case, a kserve
port flag abbreviated, a port flag on KServe's agent port beside a logger."""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import serverports
from support import rules_named

RULE = "model-server-port-intact"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"


def _failures(resources: Any, settings: Any) -> list[str]:
    from policy.rules import run_rules

    return [
        e["message"]
        for e in run_rules(list(resources), settings, rules=rules_named(RULE))
        if e["policy"] == RULE and not e["passed"]
    ]


def _named(name: str) -> Any:
    return lambda r: r.type == ISVC and r.k8s_name == name


@pytest.mark.parametrize(
    ("env", "failed"),
    [
        ("mlserver_http_port", True),  # pydantic-settings: case-insensitive (rev17g g22)
        ("MLSERVER_HTTP_PORT", True),
        ("Mlserver_Grpc_Port", True),
        ("mlserver_metrics_port", True),
        ("MLSERVER_HOST", True),
        ("MLSERVER_MODEL_NAME", False),
        ("HTTP_PORT", False),
    ],
)
def test_an_mlserver_port_env_in_any_case_fails(env: str, failed: bool) -> None:
    from support import mutated_resources, rules_plan

    resources, settings = rules_plan("gcp-prod")
    assert _failures(resources, settings) == []

    def change(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["model"]["env"] = [{"name": env, "value": "9000"}]

    msgs = _failures(mutated_resources(resources, _named("sklearn-iris"), change, exactly=1), settings)
    expected = [
        f"models/sklearn-iris spec.predictor.model.env {env} moves or rebinds an MLServer server (MLServer 1.7.1 reads "
        "MLSERVER_* settings case-insensitively), off the port KServe routes to: requests to the model fail"
    ]
    assert msgs == (expected if failed else []), msgs


@pytest.mark.parametrize(
    ("args", "failed"),
    [
        (["--http_port=9000"], True),
        (["--http_p=9000"], True),  # argparse allow_abbrev (rev17g g24)
        (["--h", "9000"], True),  # --help too: argparse exits on the ambiguous option
        (["--grpc-port", "9001"], True),
        (["--grpc_p=8081"], True),
        (["--workers=2"], False),
        (["--model_name=x"], False),
        (["--", "--http_port=1"], False),  # argparse reads every argument after "--" as positional
    ],
)
def test_a_port_flag_on_a_runtime_model_fails_in_any_abbreviation(args: list[str], failed: bool) -> None:
    from support import mutated_resources, rules_plan

    resources, settings = rules_plan("gcp-prod")

    def change(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["model"]["args"] = args

    msgs = _failures(mutated_resources(resources, _named("sklearn-iris"), change, exactly=1), settings)
    assert (len(msgs) == 1) if failed else (msgs == []), msgs
    if failed:
        word = "abbreviates" if args[0] == "--h" else "sets kserve model_server"
        assert msgs[0].startswith(f"models/sklearn-iris spec.predictor.model.args {args[0]!r} {word}"), msgs


@pytest.mark.parametrize(
    ("args", "logger", "failed"),
    [
        (["--grpc_port=9081"], True, True),  # the agent's port beside a logger (rev17g g23)
        (["--grpc_p", "9081"], True, True),
        (["--http_port=9081"], True, True),
        (["--grpc_port=9081"], False, False),  # no agent in the pod
        (["--grpc_port=9000"], True, False),
        (["--http_port=8081"], False, True),  # the container declares 8080
        (["--http_port=8080"], True, False),
    ],
)
def test_a_custom_container_keeps_its_declared_port_and_off_the_agents(
    args: list[str], logger: bool, failed: bool
) -> None:
    from support import cover_plan, mutated_resources

    resources, settings = cover_plan("cover-aws-node-groups")
    assert _failures(resources, settings) == []

    def change(props: dict[str, Any]) -> None:
        transformer = props["spec"]["transformer"]
        transformer["containers"][0]["args"] = args
        if logger:
            transformer["logger"] = {"mode": "all", "url": "http://vector.request-logs.svc.cluster.local:8080/"}

    msgs = _failures(mutated_resources(resources, _named("resnet50"), change, exactly=1), settings)
    assert (len(msgs) == 1) if failed else (msgs == []), msgs


def test_a_transformer_on_its_declared_port_passes() -> None:
    """cover-gcp-standard's bert transformer runs with --http_port=8081 and declares containerPort 8081."""
    from support import cover_plan

    resources, settings = cover_plan("cover-gcp-standard")
    assert _failures(resources, settings) == []


@pytest.mark.parametrize(
    ("arg", "option"),
    [("--http_port", "http_port"), ("--http-p=1", "http_port"), ("--grpc_p", "grpc_port"), ("--ht", "http_port"),
     ("--g", "ambiguous"), ("--grpc", "ambiguous"), ("--h", "ambiguous"), ("--", None), ("-h", None),
     ("--http_portx", None), ("--workers", None), ("http_port", None), ("--grpc_max_send_message_length", None)],
)  # fmt: skip
def test_port_flag(arg: str, option: str | None) -> None:
    assert serverports.port_flag(arg) == option
