"""Typed platform settings (``mlplatform:platform`` in a stack file)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import Field, create_model, field_validator, model_validator
from pydantic.alias_generators import to_snake

from components import clouds
from components.credentials import PLAIN_TEXT, acme_credential_problem, redact_uri
from components.errors import show_key
from components.platform.requestlog_spec import RequestLogsSpec
from components.spec import Spec, field_error, missing_error, value_error
from components.versions import CHARTS

_DOMAIN = re.compile(r"\A(?=.{1,253}\Z)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z", re.ASCII)
_EMAIL = re.compile(r"\A[!-?A-~]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,63}\Z", re.ASCII)
_DURATION = re.compile(r"\A[0-9]+(s|m|h|d|w|y)\Z", re.ASCII)
_QUANTITY = re.compile(r"\A[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?\Z", re.ASCII)


_SECRET_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_ZONE_ID = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.]{0,127}$")


def _secret_key(v: str | None) -> str | None:
    if v is not None and not _SECRET_KEY.match(v):
        raise value_error(
            "give the name of a top-level config key (letters, digits, _), set with pulumi config set --secret"
        )
    return v


class _DnsBase(Spec):
    """A public DNS zone the platform may write in: cert-manager answers ACME DNS-01 challenges there, and
    (``externalDns``) external-dns publishes the wildcard record of the domain on the gateway's address. Both get a
    cloud identity scoped to this zone (the cloud's workload identity). A cloud's own keys of the zone are declared by
    its registry entry (:attr:`components.clouds.Cloud.dns_settings`) and added to :data:`DnsSpec` as fields; the
    stack's cloud reads its own (``DnsZone.settings``), another cloud's are refused (infra/config.py)."""

    zone: str
    """DNS name of the zone: the platform's ``domain`` or a parent of it (e.g. ``example.com``)."""
    id: str | None = None
    (
        "How the cloud names the zone: the Route 53 hosted zone id (aws, required), the Cloud DNS managed zone name "
        "(gcp, required), the Azure DNS zone name (azure; default ``zone``)."
    )
    external_dns: bool = True
    """Run external-dns (pinned chart) to create ``*.<domain>`` and ``<domain>`` on the gateway's address."""

    @field_validator("zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        if not _DOMAIN.match(v):
            raise value_error("give the zone's DNS name such as example.com (lowercase)")
        return v

    @field_validator("id")
    @classmethod
    def _ident(cls, v: str | None) -> str | None:
        if v is not None and not _ZONE_ID.match(v):
            raise value_error(_IDENT)
        return v

    @model_validator(mode="after")
    def _cloud_keys(self) -> _DnsBase:
        for key, value in self.cloud_settings().items():
            if not _ZONE_ID.match(value):
                raise field_error(key, value, _IDENT)
        return self

    def cloud_settings(self) -> dict[str, str]:
        """The clouds' own keys given (:attr:`components.clouds.Cloud.dns_settings`), camelCase as in the stack file."""
        keys = clouds.dns_settings()
        return {
            alias: value
            for name, info in type(self).model_fields.items()
            if (alias := info.alias or name) in keys and isinstance(value := getattr(self, name), str)
        }


_IDENT = "give the cloud's name of the zone: letters, digits, '-', '_', '.'"


def _dns_spec() -> type[_DnsBase]:
    """:class:`_DnsBase` with a field for each key a registered cloud declares (:func:`components.clouds.dns_settings`,
    read when this module is imported): optional strings documented by the registry's text."""
    fields: dict[str, Any] = {
        to_snake(key): (str | None, Field(None, alias=key, description=f"{text} Only on {owners}."))
        for key, (text, owners) in clouds.dns_settings().items()
    }
    return create_model("DnsSpec", __base__=_DnsBase, __doc__=_DnsBase.__doc__, __module__=__name__, **fields)


if TYPE_CHECKING:
    DnsSpec = _DnsBase
else:
    DnsSpec = _dns_spec()


class TlsSpec(Spec):
    """TLS for the ingress gateway: who signs its wildcard certificate for the domain."""

    issuer: Literal["self-signed", "acme"] = "self-signed"
    (
        "``self-signed`` (a CA made by cert-manager signs the certificate) or ``acme`` (Let's Encrypt; needs "
        "``acmeEmail`` and ``acmeDns01``)."
    )
    acme_email: str | None = None
    """E-mail address the ACME account registers with; required when issuer is ``acme``."""
    acme_server: str = "https://acme-v02.api.letsencrypt.org/directory"
    """ACME directory URL. Default: Let's Encrypt production."""
    acme_dns01: dict[str, Any] | None = None
    (
        "cert-manager DNS-01 solver (the ``dns01`` map of a ClusterIssuer solver), e.g. "
        "``{route53: {region: us-east-1}}``. With ``platform.dns`` it is derived from the zone (and cert-manager "
        "gets a cloud identity on it); keys given here are laid over the derived solver. Without ``platform.dns`` "
        "it is required for ``acme`` and must carry its own credentials (secret references)."
    )

    @model_validator(mode="after")
    def _email(self) -> TlsSpec:
        if self.issuer == "acme" and not self.acme_email:
            raise field_error("acmeEmail", None, "give the e-mail address ACME registers with when issuer is acme")
        fields = type(self).model_fields
        given = [f for f in ("acme_email", "acme_server", "acme_dns01") if getattr(self, f) != fields[f].default]
        if self.issuer == "self-signed" and given:
            key = fields[given[0]].alias or given[0]
            value = getattr(self, given[0])
            # the solver's map may hold a credential (checked with issuer: acme only): its providers are shown
            value = redact_uri(value) if given[0] == "acme_server" else value
            value = ", ".join(map(str, value)) if isinstance(value, dict) else value
            raise field_error(key, value, "ACME settings apply to issuer: acme only; give issuer: acme or remove them")
        if not re.fullmatch(r"https://[a-z0-9.-]+(:[0-9]{1,5})?(/[!-~]*)?", self.acme_server, re.ASCII):
            raise field_error("acmeServer", redact_uri(self.acme_server), "give the https:// URL of an ACME directory")
        dns01 = self.acme_dns01
        if dns01 is not None:
            known = acme_dns01_providers()
            found = acme_credential_problem(dns01)
            if found:  # first: a credential is never echoed by the lines below
                raise field_error(
                    f"acmeDns01.{found[0]}",
                    PLAIN_TEXT,
                    f"a credential here would be stored in plain text in the ClusterIssuer and the state; give "
                    f"{found[1]} (the name and key of a Kubernetes Secret in the cert-manager namespace)",
                )
            for key in dns01:
                if key not in acme_dns01_fields():
                    raise field_error(
                        f"acmeDns01.{key}",
                        shown(dns01[key]),
                        "not a field of cert-manager's DNS-01 solver; give one of " + ", ".join(known),
                    )
            providers = [k for k in dns01 if k != "cnameStrategy"]
            if len(providers) != 1:
                raise field_error(
                    "acmeDns01",
                    ", ".join(sorted(providers)) or "{}",
                    "give exactly one cert-manager DNS-01 provider: one of " + ", ".join(known),
                )
            for path, value, accepted in acme_dns01_problems(dns01):
                if value is MISSING:
                    raise missing_error(f"acmeDns01.{path}", accepted)
                raise field_error(f"acmeDns01.{path}", value, accepted)
        if self.acme_email is not None:
            if not _EMAIL.match(self.acme_email):
                raise field_error("acmeEmail", self.acme_email, "give an e-mail address")
            domain = self.acme_email.rpartition("@")[2].lower()
            if _LETSENCRYPT.match(self.acme_server) and domain in LETSENCRYPT_FORBIDDEN_MAIL_DOMAINS:
                raise field_error(
                    "acmeEmail",
                    self.acme_email,
                    f"Let's Encrypt refuses contact addresses at {domain} (a domain reserved for examples); give an "
                    "address that receives mail",
                )
        return self


_REF = clouds.SECRET_KEY_SELECTOR
ACME_DNS01_OTHER_PROVIDERS: dict[str, clouds.JsonSchema] = {
    "acmeDNS": clouds.json_object({"accountSecretRef": _REF, "host": clouds.STRING}, ("accountSecretRef", "host")),
    "akamai": clouds.json_object(
        {
            "accessTokenSecretRef": _REF,
            "clientSecretSecretRef": _REF,
            "clientTokenSecretRef": _REF,
            "serviceConsumerDomain": clouds.STRING,
        },
        ("accessTokenSecretRef", "clientSecretSecretRef", "clientTokenSecretRef", "serviceConsumerDomain"),
    ),
    "cloudflare": clouds.json_object({"apiKeySecretRef": _REF, "apiTokenSecretRef": _REF, "email": clouds.STRING}),
    "digitalocean": clouds.json_object({"tokenSecretRef": _REF}, ("tokenSecretRef",)),
    "rfc2136": clouds.json_object(
        {
            "nameserver": clouds.STRING,
            "protocol": clouds.json_enum("TCP", "UDP"),
            "tsigAlgorithm": clouds.STRING,
            "tsigKeyName": clouds.STRING,
            "tsigSecretSecretRef": _REF,
        },
        ("nameserver",),
    ),
    "webhook": clouds.json_object(
        {"config": clouds.ANY, "groupName": clouds.STRING, "solverName": clouds.STRING}, ("groupName", "solverName")
    ),
}
"""cert-manager's DNS-01 providers that are no registered cloud's DNS service (each cloud's is its registry entry's
:attr:`~components.clouds.Cloud.dns01_solver`, with :attr:`~components.clouds.Cloud.dns01_schema`), and the schema of
each one's value: object fields of ``spec.acme.solvers[].dns01`` in the ClusterIssuer v1 CRD schema at cert-manager
v1.21.1 (/work/shared/upstream/crd-schemas/cert-manager.io/clusterissuer_v1.json; tests/test_inputs.py compares
them, without descriptions)."""
CNAME_STRATEGY = clouds.json_enum("None", "Follow")
"""``spec.acme.solvers[].dns01.cnameStrategy`` in the same CRD."""


def acme_dns01_schema() -> dict[str, clouds.JsonSchema]:
    """Every field of the ``dns01`` solver and its schema: the non-cloud providers, the registered clouds' solvers
    (:func:`components.clouds.dns01_schemas`) and ``cnameStrategy``."""
    return {**ACME_DNS01_OTHER_PROVIDERS, **clouds.dns01_schemas(), "cnameStrategy": CNAME_STRATEGY}


MISSING = object()
"""The value :func:`schema_problems` reports for a required field that is not given."""


def shown(value: Any) -> Any:
    """A value as an error line shows it: a scalar as it is, a map or list as compact JSON."""
    return json.dumps(value, separators=(", ", ": ")) if isinstance(value, dict | list) else value


def schema_problems(value: Any, schema: clouds.JsonSchema, path: str) -> list[tuple[str, Any, str]]:
    """(key path, value, what is accepted) for every place ``value`` breaks ``schema`` (a CRD's structural schema:
    closed objects, their required fields, strings, enums, lists; ``x-kubernetes-preserve-unknown-fields`` takes
    anything), as the API server's validation of the custom resource would refuse it."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    kind = schema.get("type")
    if kind == "object":
        props = cast("dict[str, clouds.JsonSchema]", schema.get("properties", {}))
        if not isinstance(value, dict):
            return [(path, shown(value), "give a map with the fields " + ", ".join(props))]
        out: list[tuple[str, Any, str]] = []
        for key, item in value.items():
            here = f"{path}.{show_key(key)}"
            if key not in props:
                out.append((here, shown(item), f"not a field here; give one of {', '.join(props)}"))
            else:
                out.extend(schema_problems(item, props[key], here))
        for key in cast("list[str]", schema.get("required", [])):
            if key not in value:
                out.append((f"{path}.{key}", MISSING, f"give {key}: cert-manager requires it here"))
        return out
    if kind == "array":
        if not isinstance(value, list):
            return [(path, shown(value), "give a list")]
        items = cast("clouds.JsonSchema", schema["items"])
        return [p for i, item in enumerate(value) for p in schema_problems(item, items, f"{path}.{i}")]
    if kind == "string":
        if not isinstance(value, str):
            return [(path, shown(value), "give a string")]
        enum = cast("list[str]", schema.get("enum", []))
        if enum and value not in enum:
            return [(path, value, "give one of " + ", ".join(enum))]
    return []


def acme_dns01_problems(dns01: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """(key path below ``acmeDns01``, value, what is accepted) for each value of ``platform.tls.acmeDns01`` the
    ClusterIssuer CRD of cert-manager v1.21.1 refuses: a provider's value not a map, a field it does not have or of
    another type, ``cnameStrategy`` other than ``None``/``Follow``. A provider's own required fields are left to
    :func:`acme_dns01_missing` (with ``platform.dns`` the cloud's derived solver fills them)."""
    schemas = acme_dns01_schema()
    out: list[tuple[str, Any, str]] = []
    for key, value in dns01.items():
        schema = schemas[key]
        if key != "cnameStrategy":
            schema = {k: v for k, v in schema.items() if k != "required"}
        out.extend(schema_problems(value, schema, key))
    return out


def acme_dns01_missing(dns01: dict[str, Any], derived: str | None) -> list[tuple[str, str]]:
    """(key path below ``acmeDns01``, what to give) for each required field of the solver's provider that the
    rendered solver would lack: ``derived`` is the stack's cloud's solver field when ``platform.dns`` gives a zone
    (cert-manager's derived solver fills that provider's fields, components/platform/certmanager.py
    ``acme_solver``), else None."""
    schemas = acme_dns01_schema()
    out: list[tuple[str, str]] = []
    for key, value in dns01.items():
        if key == "cnameStrategy" or key == derived or not isinstance(value, dict):
            continue
        for field in cast("list[str]", schemas[key].get("required", [])):
            if field not in value:
                out.append((f"{key}.{field}", f"give {field}: cert-manager's {key} solver requires it"))
    return out


def acme_dns01_providers() -> tuple[str, ...]:
    """cert-manager's DNS-01 providers, sorted: :data:`ACME_DNS01_OTHER_PROVIDERS` and the registered clouds' solvers
    (:func:`components.clouds.dns01_solvers`). With the shipped clouds they are the object fields of the dns01 solver
    in cert-manager v1.21.1's ClusterIssuer CRD (a test compares them with the schema)."""
    return tuple(sorted({*ACME_DNS01_OTHER_PROVIDERS, *clouds.dns01_solvers()}))


def acme_dns01_fields() -> tuple[str, ...]:
    """Every field of the ``dns01`` solver: the providers (:func:`acme_dns01_providers`) and ``cnameStrategy`` (a
    string)."""
    return (*acme_dns01_providers(), "cnameStrategy")


LETSENCRYPT_FORBIDDEN_MAIL_DOMAINS = frozenset({"example.com", "example.net", "example.org"})
"""Domains Let's Encrypt refuses in a contact address (letsencrypt/boulder policy/pa.go, ``forbiddenMailDomains``:
the RFC 2606 section 3 example domains)."""
_LETSENCRYPT = re.compile(r"\Ahttps://acme(-staging)?(-v02)?\.api\.letsencrypt\.org/", re.ASCII)


class EmailAlerts(Spec):
    """Alerts by e-mail (Alertmanager ``email_configs``)."""

    to: str
    """Recipient address(es), comma-separated."""
    sender: str = Field(alias="from")
    """Sender address."""
    smarthost: str
    """SMTP server as ``host:port`` (e.g. ``smtp.example.com:587``)."""
    auth_username: str | None = None
    """SMTP user name, when the server needs one."""
    auth_password_key: str | None = None
    """Top-level config key holding the SMTP password as a secret (``pulumi config set --secret``)."""

    @field_validator("to", "sender")
    @classmethod
    def _address(cls, v: str) -> str:
        if any("@" not in part for part in v.split(",")):
            raise value_error("give e-mail addresses (comma-separated)")
        return v

    @field_validator("smarthost")
    @classmethod
    def _smarthost(cls, v: str) -> str:
        host, _, port = v.rpartition(":")
        if not host or not port.isdigit():
            raise value_error("give host:port, e.g. smtp.example.com:587")
        return v

    @field_validator("auth_password_key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        return _secret_key(v)


class SlackAlerts(Spec):
    """Alerts to a Slack incoming webhook (Alertmanager ``slack_configs``)."""

    api_url_key: str
    """Top-level config key holding the incoming-webhook URL as a secret."""
    channel: str | None = None
    """Channel to post in (default: the webhook's)."""

    @field_validator("api_url_key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        return _secret_key(v)


class PagerDutyAlerts(Spec):
    """Alerts to PagerDuty Events API v2 (Alertmanager ``pagerduty_configs``)."""

    routing_key_key: str
    """Top-level config key holding the integration (routing) key as a secret."""

    @field_validator("routing_key_key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        return _secret_key(v)


class WebhookAlerts(Spec):
    """Alerts to any HTTP endpoint (Alertmanager ``webhook_configs``)."""

    url_key: str
    """Top-level config key holding the URL as a secret (URLs often carry tokens)."""

    @field_validator("url_key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        return _secret_key(v)


class AlertingSpec(Spec):
    """Where alerts go: one Alertmanager receiver with every integration given here. Credentials are never in the
    stack file: each ``...Key`` names a top-level config key set with ``pulumi config set --secret``."""

    email: EmailAlerts | None = None
    """Send alerts by e-mail."""
    slack: SlackAlerts | None = None
    """Post alerts to Slack."""
    pagerduty: PagerDutyAlerts | None = None
    """Page through PagerDuty."""
    webhook: WebhookAlerts | None = None
    """POST alerts to a webhook."""

    @property
    def configured(self) -> bool:
        """Whether any receiver integration is given."""
        return any(x is not None for x in (self.email, self.slack, self.pagerduty, self.webhook))

    def secret_keys(self) -> dict[str, str]:
        """Config keys that must hold secrets, by the key path (below ``platform.monitoring.alerting``) naming them."""
        out: dict[str, str] = {}
        if self.email is not None and self.email.auth_password_key:
            out[self.email.auth_password_key] = "email.authPasswordKey"
        if self.slack is not None:
            out[self.slack.api_url_key] = "slack.apiUrlKey"
        if self.pagerduty is not None:
            out[self.pagerduty.routing_key_key] = "pagerduty.routingKeyKey"
        if self.webhook is not None:
            out[self.webhook.url_key] = "webhook.urlKey"
        return out


class MonitoringSpec(Spec):
    """Prometheus, Alertmanager, Grafana and GPU metrics (kube-prometheus-stack)."""

    enabled: bool = True
    (
        "Install kube-prometheus-stack, the DCGM exporter where needed, and each model's PodMonitor, SLO alerts and "
        "dashboard. With ``false`` each model's NetworkPolicy admits no scraper at all on its metrics ports (15090, "
        "15020, and 9091 in Knative mode): a Prometheus of your own cannot scrape the models, and Istio's app probes "
        "on 15020 still work (the kubelet comes from the node)."
    )
    retention: str = "15d"
    """How long Prometheus keeps metrics: a Prometheus duration such as ``15d`` or ``720h``."""
    storage_size: str = "50Gi"
    """Size of Prometheus's persistent volume: a Kubernetes quantity such as ``50Gi``."""
    managed_dcgm: bool = False
    """The cloud runs a DCGM exporter (GKE managed DCGM, AKS managed GPU pools): do not install ours."""
    alerting: AlertingSpec = AlertingSpec()
    """Where Alertmanager sends alerts (platform alerts and every model's SLO alerts). Default: nowhere (the plan
    warns when models have SLOs)."""

    @field_validator("retention")
    @classmethod
    def _retention(cls, v: str) -> str:
        if not _DURATION.match(v):
            raise value_error("give a Prometheus duration such as 15d or 720h")
        return v

    @field_validator("storage_size")
    @classmethod
    def _size(cls, v: str) -> str:
        if not _QUANTITY.match(v):
            raise value_error("give a Kubernetes quantity such as 50Gi")
        return v


class PlatformSettings(Spec):
    """``mlplatform:platform``: the add-ons that make a cluster a model-serving platform."""

    deployment_mode: Literal["Knative", "Standard"] = "Knative"
    (
        "KServe's deployment mode: ``Knative`` (scale to zero, revisions, canaries) or ``Standard`` (Deployments and "
        "HPA)."
    )
    ha: bool | None = None
    (
        "Run the add-ons highly available: extra replicas, PodDisruptionBudgets and zone spread. Default: true when "
        "environment is prod."
    )
    domain: str = "example.com"
    """Lowercase DNS domain of the public models, served at ``https://<model>-<namespace>.<domain>``."""
    tls: TlsSpec = TlsSpec()
    """TLS for the ingress gateway."""
    dns: DnsSpec | None = None
    (
        "The public DNS zone of ``domain``: cert-manager solves ACME there and external-dns publishes the wildcard "
        "record, each with a cloud identity scoped to the zone. Default: none (create the record by hand: "
        "docs/components/platform.md, DNS)."
    )
    monitoring: MonitoringSpec = MonitoringSpec()
    """Metrics, alerts and dashboards."""
    gpu_support: Literal["device-plugin", "gpu-operator"] = "device-plugin"
    (
        "``device-plugin`` (NVIDIA device plugin, where the cluster needs it) or ``gpu-operator`` (NVIDIA GPU operator "
        "with driver and toolkit off)."
    )
    istio_cni: bool = True
    (
        "Use Istio CNI instead of privileged init containers, so model namespaces can enforce the ``restricted`` Pod "
        "Security level. With ``false`` the model, knative-serving and request-logs namespaces enforce ``privileged`` "
        "(``istio-init`` needs NET_ADMIN and NET_RAW), which the mandatory policies "
        "``model-namespace-pod-security`` and ``privileged-namespaces-listed`` refuse: such a stack records an "
        "override of both with its reason (``mlplatform:policy`` ``overrides``, docs/policies.md)."
    )
    gateway_service_type: Literal["LoadBalancer", "NodePort", "ClusterIP"] = "LoadBalancer"
    (
        "The ingress gateway's Service type; give ``NodePort`` where no load-balancer controller runs (kind, k3d), or "
        "Helm waits for an address forever."
    )
    versions: dict[str, str] = Field(default_factory=dict)
    (
        "Chart version overrides by chart key of components/versions.py, as quoted strings; charts released together "
        "(Istio's, KServe's) need one version."
    )
    keda: bool | None = None
    (
        "Install KEDA (pinned chart), which scales models on the model server's own metrics (``scaling.metric: "
        "llm-queue``, ``llm-running`` or ``llm-kv-cache``, Standard mode). Default: installed when a model asks "
        "for it."
    )
    allow_unsupported_versions: bool = False
    """Accept chart and Kubernetes versions outside the compatibility table (docs/versions.md)."""
    request_logs: RequestLogsSpec | None = None
    (
        "Request logging (docs/components/platform.md, Request logs): the collector, its store and retention. "
        "Installed with defaults when a model has a ``logger``. Default: none."
    )
    warm_capacity: dict[str, int] = Field(default_factory=dict)
    (
        "GPU nodes kept warm per GPU pool (``{<pool>: <nodes>}``, at most the pool's ``maxNodes``): low-priority "
        "placeholder pods hold them and any model pre-empts them, so its cold start skips the node boot. Each warm "
        "node costs its pool's hourly price all the time (docs/performance.md, Warm capacity). Default: none."
    )

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        if not _DOMAIN.match(v):
            raise value_error("give a DNS domain such as models.example.com (lowercase)")
        return v

    @model_validator(mode="after")
    def _dns_and_acme(self) -> PlatformSettings:
        dns = self.dns
        if dns is not None and self.domain != dns.zone and not self.domain.endswith("." + dns.zone):
            raise field_error("dns.zone", dns.zone, f"give the zone of the domain {self.domain} (it or a parent of it)")
        if self.tls.issuer == "acme" and dns is None and not self.tls.acme_dns01:
            raise field_error(
                "tls.acmeDns01",
                None,
                "give platform.dns (the zone; cert-manager then gets a cloud identity on it) or a cert-manager DNS-01 "
                "solver with its credentials: the gateway's wildcard certificate is issued only through DNS-01",
            )
        return self

    def secret_keys(self) -> dict[str, str]:
        """Config keys that must hold secrets, by the key path (below ``mlplatform:``) naming them."""
        return {
            key: f"platform.monitoring.alerting.{path}" for key, path in self.monitoring.alerting.secret_keys().items()
        }

    @model_validator(mode="after")
    def _warm(self) -> PlatformSettings:
        for pool, nodes in self.warm_capacity.items():
            if nodes < 0:
                raise field_error(
                    f"warmCapacity.{pool}",
                    nodes,
                    "give the GPU nodes to keep warm, an integer from 0 to the pool's maxNodes",
                )
        return self

    @field_validator("versions")
    @classmethod
    def _versions(cls, v: dict[str, str]) -> dict[str, str]:
        for key, version in v.items():
            if key not in CHARTS:
                raise field_error(
                    show_key(key),
                    shown(version),
                    f"{key} is not a chart of the platform; give versions for " + ", ".join(CHARTS),
                )
            if not isinstance(version, str) or not version:
                raise field_error(show_key(key), shown(version), f"give {key}'s version as a quoted string")
        return v
