"""GKE: does a request waiting for a cold start keep its load balancer connection? (rev16 defect 12)

gke.py said "not checked here". Checked: the gateway Service's ``externalTrafficPolicy`` decides whether a node the
cold start adds joins the load balancer's backends (cloud.google.com/kubernetes-engine/docs/concepts/
service-load-balancer, "Effect of externalTrafficPolicy"). The rendered gateway Service leaves it unset (Kubernetes'
default ``Cluster``: every node is a backend), and the docs say what that means for a waiting request.
"""

from __future__ import annotations

import inspect

from components.clusters.gke import GkeCluster
from support import ROOT, upstream_dir


def test_the_gke_lb_note_says_what_decides_the_backends_and_what_the_gateway_sets() -> None:
    istio = (upstream_dir() / "chart-values" / "istio-gateway-1.30.3.yaml").read_text()
    assert 'externalTrafficPolicy: ""' in istio  # the chart leaves it to Kubernetes' default, Cluster
    note = " ".join((inspect.getdoc(GkeCluster.load_balancer_annotations) or "").split())
    assert "not checked here" not in note
    assert "externalTrafficPolicy" in note and "Cluster" in note
    doc = " ".join((ROOT / "docs" / "components" / "model-service.md").read_text().split())
    assert "leaves `externalTrafficPolicy` unset, so it is `Cluster`" in doc
