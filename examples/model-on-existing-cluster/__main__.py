"""Serve the scikit-learn iris sample on a cluster you already run, from your own Pulumi program.

The cluster must already run the mlplatform add-ons (Istio, Knative, KServe; Prometheus Operator when monitoring is
on), e.g. installed by the `local` stack of this repository. This program only adds the model.
"""

import pulumi

from components.clusters.existing import ExistingCluster, ExistingClusterArgs
from components.platform.handles import PlatformHandles
from components.serving.model_service import ModelService, ModelServiceArgs
from components.serving.spec import AccessSpec, ModelSpec, ResourcesSpec, ScalingSpec, SloSpec

config = pulumi.Config()

cluster = ExistingCluster("cluster", ExistingClusterArgs(context=config.get("context")))
platform = PlatformHandles(
    cluster=cluster,
    domain=config.get("domain") or "127.0.0.1.sslip.io",
    deployment_mode="Knative",
    monitoring=config.get_bool("monitoring") is not False,
)

iris = ModelService(
    "sklearn-iris",
    ModelServiceArgs(
        platform=platform,
        spec=ModelSpec(
            namespace="demo",
            format="sklearn",
            storage_uri="gs://kfserving-examples/models/sklearn/1.0/model",
            public_storage=True,
            resources=ResourcesSpec(cpu="500m", memory="1Gi"),
            scaling=ScalingSpec(min_replicas=0, max_replicas=3, target=5),
            access=AccessSpec(mode="public", allow_anonymous=True),
            slo=SloSpec(latency_p95_ms=250, error_rate_percent=1.0),
        ),
    ),
)

pulumi.export("url", iris.url)
pulumi.export("internalUrl", iris.internal_url)
pulumi.export("serviceAccount", iris.service_account)
