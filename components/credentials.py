"""Plain-text credentials: recognise them where a secret reference belongs, and keep them out of error lines.

Pure functions shared by the specs (``ModelSpec``, ``PlatformSettings``, ``ModelService``'s storage check) and the
stack config loader, so a Python caller and a stack file are refused with the same line.

What counts as a credential is deliberately narrow, to keep false positives low (docs/configuration.md, "What is
refused, and why"):

- a value whose env name or flag ends with a word that says it is one (``TOKEN``, ``SECRET``, ``PASSWORD``,
  ``API_KEY`` ...: :func:`credential_name`), unless it is a ``$(NAME)`` reference to another variable;
- a value, or a word inside it, shaped like a vendor token with a fixed prefix: Hugging Face ``hf_``, AWS access key
  ids ``AKIA``/``ASIA``, GitHub ``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_`` and ``github_pat_``, GitLab ``glpat-``,
  Google API keys ``AIza`` + 35 characters, OpenAI-style ``sk-``, Slack ``xox?-``, a PEM private key;
- a JSON Web Token (``eyJ<base64url>.eyJ<base64url>.<signature>``: a JOSE header and a JSON claims set, both objects,
  so both start with ``{"`` which base64url-encodes to ``eyJ``);
- an HTTP ``Bearer <token>`` or ``Basic <base64 user:password>`` value (RFC 6750, RFC 7617); an Azure Storage
  connection string's ``AccountKey=`` or ``SharedAccessSignature=`` part; a URL anywhere in the value with
  ``user:password@`` (``--db=postgres://app:pw@db/x``) or a token-long user alone (``https://<token>@github.com``);
  a Stripe-style secret or restricted key ``sk_live_``/``sk_test_``/``rk_...`` (docs.stripe.com/keys); an Azure
  shared access signature's ``sig=`` in a URL query (learn.microsoft.com/azure/storage/common/storage-sas-overview).

Leading and trailing whitespace is ignored when matching (a token with a space in front is still a token).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from components import clouds, envrefs

PLAIN_TEXT = "[plain text]"
"""What an error line shows instead of a credential."""

_CREDENTIAL_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])("
    r"hf_[A-Za-z0-9]{20,}|(AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{22,}"
    r"|glpat-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}|sk-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"
    r")(?![A-Za-z0-9])"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s:]*:[^/?#@\s]+@"
    r"|(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9_-]{20,}@"
    r"|(?<![A-Za-z0-9])[sr]k_(live|test)_[A-Za-z0-9]{16,}"
    r"|[?&]sig=[A-Za-z0-9%+/=]{10,}",
    re.ASCII,
)
"""Token shapes with a fixed, case-sensitive prefix, searched in a value."""
_TOKEN_ANY_CASE = re.compile(
    r"\A(Bearer|Basic)\s+\S{8}|(?<![A-Za-z])(AccountKey|SharedAccessKey|SharedAccessSignature)=", re.I | re.A
)
"""An HTTP ``Authorization`` value of the form ``Bearer <token>``, and the key parts of an Azure Storage connection
string (``AccountKey=``: learn.microsoft.com/azure/storage/common/storage-configure-connection-string;
``SharedAccessSignature=``: the Azure SDK's connection string keys, e.g. azure_storage src/connection_string.rs)."""


_SECRET_NAME_PARTS = frozenset(
    (
        "KEY", "KEYS", "APIKEY", "ACCESSKEY", "PRIVATEKEY", "AUTH", "AUTHORIZATION", "PASS", "PASSWD", "PASSWORD",
        "PASSWORDS", "PASSPHRASE", "PWD", "SECRET", "SECRETS", "TOKEN", "TOKENS", "CREDENTIAL", "CREDENTIALS",
        "SIGNATURE",
    )
)  # fmt: skip
"""Name components that say a value is a credential, for masking only (:func:`secret_name`)."""

_NAME_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", re.ASCII)


def secret_name(name: str) -> bool:
    """Whether a key named ``name`` (an env name, a map key, a flag, a query parameter) may hold a credential, for
    keeping its value out of error lines: :func:`env_credential`'s names, or any name component (split at
    non-letters and at camelCase) KEY(S), APIKEY, ACCESSKEY, PRIVATEKEY, AUTH, AUTHORIZATION, PASS, PASSWD,
    PASSWORD(S), PASSPHRASE, PWD, SECRET(S), TOKEN(S), CREDENTIAL(S) or SIGNATURE, in any case (``OPENAI_KEY``,
    ``AUTH``, ``clientSecret``, ``X-Amz-Signature``). Wider than what is refused in ``env`` (red team #14g break 3d):
    a false mask only hides a value from an error line, a miss prints a credential. ``MODEL_KEYS_DIR`` is masked
    (KEYS), on purpose; a name of lowercase ``key``/``keys`` alone (``key``, ``key0``: the field of a toleration, a
    ``secretKeyRef``, a ``{secret, key}`` reference) is not, while ``KEY`` and ``Key`` are."""
    if _CREDENTIAL_NAME.search(name) or name.upper().endswith("PWD"):
        return True
    parts = [part for part in _NAME_PART.findall(name) if not part.isdigit()]
    if parts and all(part in ("key", "keys") for part in parts):
        return False  # a field spelt key (a toleration's, a secretKeyRef's), not KEY or OPENAI_KEY
    return any(part.upper() in _SECRET_NAME_PARTS for part in parts)


_QUERY_SECRET_NAMES = frozenset(("sig", "code", "key", "keys"))
"""Query parameters that carry a credential though no name component says so: an Azure SAS ``sig``, an OAuth
authorization ``code`` (RFC 6749 4.1.2), an API ``key``; :func:`secret_name` covers the rest (``token``,
``access_token``, ``signature``, ``X-Amz-Signature``, ``X-Amz-Credential``, ``X-Goog-Signature``,
``X-Goog-Credential``, ``client_secret``, ``password``, ``api-key``)."""

_QUERY_PARAM = re.compile(r"[?&#;]([^=&#;?\s]+)=[^&#;\s]", re.ASCII)
_ASSIGNMENT = re.compile(r"(?:\A|(?<=[\s,;&?]))-{0,2}([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*\S", re.ASCII)
# every repetition that can run past a separator is bounded (256 characters: no user information is longer), so a
# search stays linear in the length of a value of any size (an arg may be 131071 bytes)
_USERINFO_NO_SCHEME = re.compile(
    r"(?<![A-Za-z0-9+.-]:)//[^/?#@\s]+@"  # //user:password@host, a scheme-relative URI
    r"|(?:\A|(?<=[\s=,;'\"(]))[^/?#@\s:=]{1,256}:[^/?#@\s]{0,256}@"  # user:password@host/... (an image)
    r"(?![A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})"  # not name:tag@sha256:<digest>
    r"|(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}://[^@\s:]{0,256}:[^@\s]{0,256}@"  # a password with / ? #
    r"|(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s]+@",  # a user alone, of any length
    re.ASCII,
)
_AUTHORIZATION = re.compile(
    r"(?<![A-Za-z])(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|(?<![A-Za-z])(proxy-)?authorization\s*[:=]\s*\S",
    re.I | re.A,
)


def shows_credential(value: str) -> bool:
    """Whether an error line must not show ``value``: a credential shape (:func:`looks_like_credential`), or, for
    display only (nothing is refused by these): user information in a URI without a scheme (``//u:p@host``,
    ``u:p@ghcr.io/a/s``), a query or fragment parameter that carries a credential (``?token=``, ``&X-Amz-Signature=``,
    ``?code=``: :func:`secret_name`, :data:`_QUERY_SECRET_NAMES`), ``NAME=value`` or ``--name=value`` with a
    credential name (``MY_TOKEN=...``, ``--password=...``), and an ``Authorization``/``Bearer``/``Basic`` value
    anywhere in the text (red team #14g break 3)."""
    if looks_like_credential(value):
        return True
    if _USERINFO_NO_SCHEME.search(value) or _AUTHORIZATION.search(value):
        return True
    for match in _QUERY_PARAM.finditer(value):
        name = unquote(match.group(1))
        if name.lower() in _QUERY_SECRET_NAMES or secret_name(name):
            return True
    return any(secret_name(m.group(1)) for m in _ASSIGNMENT.finditer(value))


def credential_path(parts: Sequence[str], value: Any = None, fields: Collection[str] = ()) -> bool:
    """Whether ``value``, at key path ``parts`` (``["models", "p", "env", "DB_PASSWORD"]``), must not be shown in an
    error line whatever its type (a number, a boolean, a list: red team #14g break 3a):

    - under ``secretEnv``, anything but a ``{secret, key}`` reference (a value in its place is the secret itself), and
      for that reference's own ``secret`` and ``key``, which name a Kubernetes Secret and one of its keys (break 3b);
    - else when the last name that is not a list index is a credential name (:func:`secret_name`), unless it is one
      of ``fields``, a spec's own field (``llm.huggingfaceTokenKey`` names a Secret's key, ``storageSecret`` a
      Secret: components.errors.show shows a spec's fields), outside ``env``."""
    names = [p for p in parts if not p.isdigit()]
    for i, part in enumerate(names[:-1]):
        if part in ("secretEnv", "secret_env"):
            rest = names[i + 1 :]
            if len(rest) == 1:
                return not _reference(value)
            return not (len(rest) == 2 and rest[1] in ("secret", "key"))
    if not names:
        return False
    last, parent = names[-1], (names[-2] if len(names) > 1 else "")
    if last in fields and parent != "env":
        return False
    return secret_name(last)


def _reference(value: Any) -> bool:
    """Whether ``value`` is a ``{secret, key}`` reference to a Kubernetes Secret (a spec, or a map of those keys to
    text), not a secret."""
    if isinstance(value, Mapping):
        return set(value) <= {"secret", "key"} and all(isinstance(v, str) for v in value.values())
    return hasattr(value, "secret") and hasattr(value, "key") and not isinstance(value, str)


def looks_like_credential(value: str) -> bool:
    """Whether ``value`` (stripped) holds a token of a known shape (see the module docstring)."""
    text = value.strip()
    return _TOKEN.search(text) is not None or _TOKEN_ANY_CASE.search(text) is not None


_CREDENTIAL_ENDINGS = (
    ("TOKEN",), ("PASSWORD",), ("PASSWD",), ("PASS",), ("SECRET",), ("CREDENTIAL",), ("CREDENTIALS",), ("APIKEY",),
    ("API", "KEY"), ("ACCESSKEY",), ("ACCESS", "KEY"), ("ACCESS", "KEY", "ID"), ("SECRETKEY",), ("SECRET", "KEY"),
    ("PRIVATEKEY",), ("PRIVATE", "KEY"),
)  # fmt: skip
"""The words a credential's name ends with (:func:`credential_name`)."""
_NAME_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])", re.ASCII)


def credential_name(name: str) -> bool:
    """Whether an env name or a flag (without its dashes) says its value is a credential, which is then refused in
    plain text: the name split into words at ``_``, ``-``, ``.`` and camelCase (``hf-token``, ``HF_TOKEN``,
    ``apiKey`` alike) ends with the words TOKEN, PASSWORD, PASSWD, PASS, SECRET, CREDENTIAL(S), API KEY (or APIKEY),
    ACCESS KEY (or ACCESSKEY), ACCESS KEY ID, SECRET KEY (or SECRETKEY) or PRIVATE KEY (or PRIVATEKEY), in any case.

    Whole trailing words, not a search in the name (red14l break 2: ``TOKEN`` inside ``MAX_NUM_BATCHED_TOKENS``
    refused vLLM's ``--max-num-batched-tokens=8192``, and so were ``--tokenizer``, ``--tokenizer-mode``,
    ``--max-tokens``, KServe's ``--tokenizer_revision`` and the env ``TOKENIZERS_PARALLELISM``): ``--hf-token``,
    ``--token``, ``--api-key``, ``--password``, ``DB_PASSWORD``, ``OPENAI_API_KEY``, ``AWS_SECRET_ACCESS_KEY`` are
    credentials; ``--max-tokens``, ``--tokenizer``, ``TOKENIZERS_PARALLELISM``, ``--token-file`` (a path) are not.
    Masking in error lines is wider (:func:`secret_name`)."""
    words = tuple(w for w in re.split(r"[_.\-]+", _NAME_WORD_BREAK.sub("_", name).upper()) if w)
    return any(words[-len(ending) :] == ending for ending in _CREDENTIAL_ENDINGS)


_ENV_REFERENCE = re.compile(r"\A\$\([^()$=\s]+\)\Z")
"""A whole value ``$(NAME)``: Kubernetes replaces it with the container's variable NAME ("Use environment variables
to define arguments", kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/: "you can
define an argument for a Pod using any of the techniques available for defining environment variables, including
ConfigMaps and Secrets"; the same ``$(VAR_NAME)`` form in env values: .../define-interdependent-environment-
variables/), so ``--api-key $(API_KEY)`` with ``API_KEY`` from ``secretEnv`` holds no credential in plain text."""


def env_credential(name: str, value: str) -> bool:
    """Whether the environment variable ``name=value`` carries a credential: by its name (:func:`credential_name`),
    unless the value is a ``$(NAME)`` reference to another variable (:data:`_ENV_REFERENCE`), or by its value's
    shape (:func:`looks_like_credential`)."""
    if _ENV_REFERENCE.match(value.strip()):
        return False
    # red14m W3: postgres://app:$(DB_PASS)@db holds a reference to a Secret's variable, not a password; what is
    # written around the references is judged (kubernetes third_party/forked/golang/expansion/expand.go syntax)
    return credential_name(name) or looks_like_credential(envrefs.without_references(value))


_FLAG = re.compile(r"\A-{1,2}([A-Za-z0-9][A-Za-z0-9_.-]*)(=(.*))?\Z", re.ASCII | re.S)


def arg_credential(args: Sequence[str], i: int) -> bool:
    """Whether ``args[i]`` carries a credential, by the env rule (:func:`env_credential`) applied to flags: a value of
    a known token shape, ``--NAME=value`` with a credential name (:func:`credential_name`: ``--password=...``,
    ``--api-key=...``, ``--hf-token=...``, as an env ``NAME`` is judged), or the value after a ``--NAME`` flag with
    one (``--password hunter2``); a ``$(NAME)`` reference (``--api-key $(API_KEY)``) is none."""
    if looks_like_credential(args[i]):
        return True
    # a flag's dashes are an env name's underscores: --api-key as API_KEY
    if (m := _FLAG.match(args[i])) is not None and m[2] is not None:
        return bool(m[3]) and env_credential(m[1].replace("-", "_"), m[3])
    if i > 0 and not args[i].startswith("-") and (flag := _FLAG.match(args[i - 1])) is not None and flag[2] is None:
        return env_credential(flag[1].replace("-", "_"), args[i])
    return False


def redact_uri(uri: str) -> str:
    """``uri`` with its user information (``user:password@``), and a query or fragment that may hold a credential,
    replaced by ``[plain text]``, for an error line that must not show a credential."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        scheme, rest = "", uri
    head = f"{scheme}{sep}"
    cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=-1)
    tail = ""
    if cut >= 0:
        tail = rest[cut:]
        rest = rest[:cut]
        if QUERY_CREDENTIAL.search(tail) or looks_like_credential(tail[1:]):
            tail = tail[0] + PLAIN_TEXT
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = PLAIN_TEXT + "@" + authority.rpartition("@")[2]
    return f"{head}{authority}{slash}{path}{tail}"


QUERY_CREDENTIAL = re.compile(r"sig=|signature|token|key|password|passwd|secret|credential|auth", re.I | re.A)
"""A query or fragment that may carry a credential (an Azure SAS ``sig=``, presigned-URL signatures, tokens): the
whole of it is redacted; any other query (``?versionId=3``) is shown."""

_ACME_CREDENTIAL_KEY = re.compile(
    r"(secret|password|passwd|token|apikey|api_key|accesskey|access_key|privatekey|credential|\Aauth\Z|\Akey\Z)", re.I
)


def acme_credential_problem(solver: Any, path: str = "") -> tuple[str, str] | None:
    """A plain-text credential in the cert-manager DNS-01 solver map: (key path below acmeDns01, the field to give).

    cert-manager takes every DNS provider credential from a Kubernetes Secret (``...SecretRef`` fields, e.g.
    route53 ``accessKeyIDSecretRef`` and ``secretAccessKeySecretRef``: cert-manager pkg/apis/acme/v1/types_issuer.go,
    ACMEIssuerDNS01ProviderRoute53); a value in the stack file would reach the ClusterIssuer and the state in plain
    text. Maps and lists are searched to any depth; a scalar of any type (a number too) under a credential-named key
    counts, and so does a string of a known token shape (:func:`looks_like_credential`) under any key.
    """
    items: list[tuple[str, Any]]
    if isinstance(solver, Mapping):
        items = [(str(k), v) for k, v in solver.items()]
    elif isinstance(solver, list):
        items = [(str(i), v) for i, v in enumerate(solver)]
    else:
        return None
    for key, value in items:
        here = f"{path}.{key}" if path else key
        if isinstance(value, Mapping | list):
            if key.endswith(("SecretRef", "KeyRef")):
                continue
            found = acme_credential_problem(value, here)
            if found:
                return found
        elif value is None or isinstance(value, bool):
            continue
        elif _ACME_CREDENTIAL_KEY.search(key) and not key.isdigit():
            # a scalar under a ...SecretRef key is refused too (it may be the credential itself): give the ref's map
            return here, key if key.endswith(("SecretRef", "KeyRef")) else f"{key}SecretRef"
        elif isinstance(value, str) and looks_like_credential(value):
            return here, "a ...SecretRef field"
    return None


def _metadata_hosts() -> set[str]:
    """The registered clouds' metadata server names (:attr:`components.clouds.Cloud.metadata_hosts`); the clouds
    also serve instance metadata at the link-local 169.254.169.254, refused below as link-local."""
    return {host for c in clouds.all_clouds() for host in c.metadata_hosts}


def local_host_problem(uri: str, caller: str) -> str | None:
    """Why ``uri``'s host is not a service for ``caller`` (the pod that would call it) to fetch from: the caller
    itself (loopback, unspecified), or the node's cloud metadata service (a metadata name or a link-local address),
    which hands out the node's cloud credentials; None otherwise."""
    authority = uri.partition("://")[2].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = authority[1:].split("]", 1)[0] if authority.startswith("[") else authority.rsplit(":", 1)[0]
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is {caller} itself"
    if host in _metadata_hosts():
        return f"{host} is the node's cloud metadata server"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        # ::ffff:a.b.c.d is the IPv4 address a.b.c.d on a dual-stack socket (RFC 4291 2.5.5.2), which Python's
        # is_loopback does not see through before 3.13 (red team #14f: http://[::ffff:127.0.0.1]/x)
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_unspecified:
        return f"{host} is {caller} itself"
    if ip.is_link_local:
        return f"{host} is link-local, where the node's cloud metadata service answers"
    return None
