"""Where KServe v0.20.0 looks for the Knative Service CRD (rev16 defect 11).

The docs and components/platform/kserve.py cited ``cmd/manager/main.go``; at v0.20.0 that file checks only the
ClusterServingRuntime CRD, and the Knative ``Service``, Istio ``VirtualService`` and Gateway API ``HTTPRoute`` checks
are in ``pkg/controller/v1beta1/inferenceservice/controller.go`` ``SetupWithManager`` (lines 629, 644, 708; read in
kserve/kserve at tag v0.20.0).
"""

from __future__ import annotations

import inspect

from components.platform import kserve
from support import ROOT

CONTROLLER = "pkg/controller/v1beta1/inferenceservice/controller.go"


def test_the_knative_service_crd_check_is_cited_where_kserve_makes_it() -> None:
    row = next(
        line
        for line in (ROOT / "docs" / "components" / "platform.md").read_text().splitlines()
        if line.startswith("| `KnativeServing` (Knative mode), `istio-base` | `kserve` |")
    )
    assert CONTROLLER in row and "SetupWithManager" in row and "cmd/manager/main.go" not in row
    source = " ".join(inspect.getsource(kserve).split())
    assert f"v0.20.0 {CONTROLLER} ``SetupWithManager``: ``IsCrdAvailable`` for the Knative ``Service``" in source
