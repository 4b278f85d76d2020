"""The plan engine on tiny programs: what it records, and how it answers for outputs."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.errors import SpecError
from components.plan.engine import SECRET_TEXT, UNKNOWN_TEXT, run_function


class Box(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:Box", name, None, opts)
        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=pulumi.Output.secret("kc"), opts=pulumi.ResourceOptions(parent=self)
        )
        ns = k8s.core.v1.Namespace(
            f"{name}-ns", metadata={"name": "models"}, opts=pulumi.ResourceOptions(parent=self, provider=self.provider)
        )
        self.cm = k8s.core.v1.ConfigMap(
            f"{name}-cm",
            metadata={"name": "cfg", "namespace": ns.metadata.name},
            data={"uid": ns.id, "token": pulumi.Output.secret("s3cr3t")},
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[ns], protect=True),
        )
        self.register_outputs({"uid": ns.id, "name": ns.metadata.name})


def program() -> None:
    box = Box("box")
    pulumi.export("namespace_uid", box.cm.data)


def test_records_type_name_parent_provider_dependencies_and_options() -> None:
    result = run_function(program, stack="dev")
    assert [r.type for r in result.resources] == [
        "mlplatform:index:Box",
        "pulumi:providers:kubernetes",
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:ConfigMap",
    ]
    box = result.one("mlplatform:index:Box")
    cm = result.one("kubernetes:core/v1:ConfigMap")
    ns = result.one("kubernetes:core/v1:Namespace")
    provider = result.one("pulumi:providers:kubernetes")
    assert box.parent is None and not box.custom
    assert box.urn == "urn:pulumi:dev::mlplatform::mlplatform:index:Box::box"
    assert cm.urn == "urn:pulumi:dev::mlplatform::mlplatform:index:Box$kubernetes:core/v1:ConfigMap::box-cm"
    assert cm.parent == box.urn and ns.parent == box.urn
    assert cm.provider_urn == provider.urn
    assert cm.depends_on == [ns.urn]
    assert cm.property_dependencies["metadata"] == [ns.urn]
    assert cm.protect is True and ns.protect is False
    assert result.children(box) == [provider, ns, cm]


def test_preview_mode_shows_computed_values_as_unknown_and_secrets_hidden() -> None:
    result = run_function(program, outputs="unknown")
    cm = result.one("kubernetes:core/v1:ConfigMap")
    assert cm.wire_inputs()["data"] == {"uid": UNKNOWN_TEXT, "token": SECRET_TEXT}
    assert cm.wire_inputs()["metadata"] == {"name": "cfg", "namespace": "models"}
    assert cm.plain_inputs()["data"] == {"token": "s3cr3t"}
    provider = result.one("pulumi:providers:kubernetes")
    assert provider.wire_inputs()["kubeconfig"] == SECRET_TEXT
    box = result.one("mlplatform:index:Box")
    assert box.outputs["name"] == "models"
    assert repr(box.outputs["uid"]) == UNKNOWN_TEXT


def test_fake_mode_gives_values_and_stack_outputs() -> None:
    result = run_function(program, outputs="fake")
    cm = result.one("kubernetes:core/v1:ConfigMap")
    assert cm.plain_inputs()["data"] == {"uid": "box-ns-id", "token": "s3cr3t"}
    assert cm.wire_inputs()["data"]["token"] == SECRET_TEXT
    assert "namespace_uid" in result.stack_outputs


def test_program_errors_propagate_and_nothing_after_them_is_registered() -> None:
    def bad() -> None:
        raise SpecError("cluster.x", 3, "give 4")

    with pytest.raises(SpecError, match=r"^cluster.x: 3 is not allowed; give 4$"):
        run_function(bad)


def test_warnings_the_program_logs_are_kept_in_order() -> None:
    def warns() -> None:
        box = Box("box")
        pulumi.log.warn("first, about the box", resource=box)
        pulumi.log.info("not a warning")
        pulumi.log.error("second")

    result = run_function(warns)
    assert sorted(result.warnings) == ["first, about the box", "second"]
    assert run_function(program).warnings == []


def test_runs_are_independent() -> None:
    first = run_function(program, stack="a")
    second = run_function(program, stack="b")
    assert len(first.resources) == len(second.resources) == 4
    assert all(r.urn.startswith("urn:pulumi:b::") for r in second.resources)


def test_resource_methods_are_answered_under_mocks() -> None:
    """The stock mock monitor has no Call(): a resource method such as eks.Cluster.get_kubeconfig failed."""
    import pulumi_eks as eks

    def prog() -> None:
        cluster = eks.Cluster("c", skip_default_node_group=True)
        pulumi.export("kubeconfig", cluster.get_kubeconfig())

    result = run_function(prog, outputs="fake")
    assert '"current-context": "eks"' in result.stack_outputs["kubeconfig"].value
