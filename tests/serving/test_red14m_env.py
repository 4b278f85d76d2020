"""red14m W3: the env order decides whether Kubernetes expands ``$(NAME)`` ("defined earlier in the list",
kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/); main rendered env in
name order, so ``AREA=$(ZONE)-west`` came before ``ZONE`` and stayed as written."""

from __future__ import annotations

import pytest
from serving_support import model, plan

from components.credentials import env_credential
from components.errors import SpecError
from components.serving.spec import ModelSpec


def _env(p: object) -> list[dict[str, object]]:
    return p.predictor()["model"]["env"]  # type: ignore[attr-defined, no-any-return]


def test_a_variable_comes_after_the_one_it_references() -> None:
    # main (9c2eedb): [AREA, ZONE]; AREA stayed "$(ZONE)-west"
    env = _env(plan(model(env={"ZONE": "eu", "AREA": "$(ZONE)-west", "BETA": "1"})))
    assert env == [
        {"name": "BETA", "value": "1"},
        {"name": "ZONE", "value": "eu"},
        {"name": "AREA", "value": "$(ZONE)-west"},
    ]


def test_the_order_is_the_same_whatever_order_the_map_was_written_in() -> None:
    # the Pulumi CLI hands the program the stack's map with its keys sorted (Go encoding/json); the plan reads the
    # file: both must render one list
    a = _env(plan(model(env={"ZONE": "eu", "AREA": "$(ZONE)-west"})))
    b = _env(plan(model(env={"AREA": "$(ZONE)-west", "ZONE": "eu"})))
    assert a == b == [{"name": "ZONE", "value": "eu"}, {"name": "AREA", "value": "$(ZONE)-west"}]


def test_a_secret_variable_referenced_inside_a_url_comes_first_and_is_no_credential() -> None:
    # main: refused as "a credential in env" (the reference looked like a password in the URL), and the Secret
    # variable was rendered after env, so the reference would not have expanded
    spec = model(
        env={"DB_URL": "postgres://app:$(DB_PASS)@db.models:5432/features"},
        secretEnv={"DB_PASS": {"secret": "db", "key": "password"}},
    )
    assert _env(plan(spec)) == [
        {"name": "DB_PASS", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        {"name": "DB_URL", "value": "postgres://app:$(DB_PASS)@db.models:5432/features"},
    ]


def test_a_password_written_beside_a_reference_is_still_a_credential() -> None:
    assert env_credential("DB_URL", "postgres://app:hunter2@$(DB_HOST)/x")
    assert not env_credential("DB_URL", "postgres://app:$(DB_PASS)@$(DB_HOST)/x")
    # $$( is an escaped $, not a reference: what follows is written out
    assert env_credential("DB_URL", "postgres://app:$$(hunter2)@db/x")


def test_a_cycle_is_refused() -> None:
    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(model(env={"A": "$(B)", "B": "x-$(A)"}))
    assert str(e.value) == (
        "ModelSpec.env.A: $(B) is not allowed; $(A) is reached again through its own references; Kubernetes expands a "
        "reference only to a variable defined earlier in the list, so one of them would stay as written; break the "
        "cycle"
    )


def test_a_self_reference_is_refused() -> None:
    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(model(env={"SELF": "$(SELF)/bin"}))
    assert str(e.value) == (
        "ModelSpec.env.SELF: $(SELF)/bin is not allowed; it references itself, $(SELF); Kubernetes expands a "
        "reference only to a variable defined earlier in the list, so it would stay as written"
    )


def test_an_escaped_reference_orders_nothing() -> None:
    env = _env(plan(model(env={"A": "$$(Z)", "Z": "1"})))
    assert [e["name"] for e in env] == ["A", "Z"]


def test_a_stack_runtimes_env_is_ordered_and_a_cycle_refused() -> None:
    from test_stack_runtime import ACME

    from components.serving.stack_runtime import RuntimeSpec, rendered

    spec = RuntimeSpec.model_validate({**ACME, "env": {"AREA": "$(ZONE)-west", "ZONE": "eu"}})
    container = rendered("acme", spec)["spec"]["containers"][0]
    assert container["env"] == [{"name": "ZONE", "value": "eu"}, {"name": "AREA", "value": "$(ZONE)-west"}]
    with pytest.raises(SpecError) as e:
        RuntimeSpec.model_validate({**ACME, "env": {"PATH": "$(PATH):/opt/bin"}})
    assert str(e.value) == (
        "RuntimeSpec.env.PATH: $(PATH):/opt/bin is not allowed; it references itself, $(PATH); Kubernetes expands a "
        "reference only to a variable defined earlier in the list, so it would stay as written"
    )
