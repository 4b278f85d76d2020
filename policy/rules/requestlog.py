"""The request-log writer may only create objects under its prefix.

The platform's collector (components/platform/requestlog.py) is the only identity in a stack that writes to object
storage; its grant is a child of the Platform named ``<platform>-request-logs-write`` (and, on a cloud whose writer
needs a role of its own, ``<platform>-request-logs-writer-role``): :data:`LOG_WRITER_SUFFIXES`.
``storage-read-least-privilege``, whose promise is that models only read, leaves those resources to this rule
(each cloud's share of it skips them with :func:`is_log_writer`), which holds them to write-only and to the prefix.

How each cloud's grant is read is that cloud's share of this rule in its policy module (policy/clouds/<cloud>.py,
through :mod:`policy.rules.percloud`): the object-store action or role that only creates objects, the bucket and
prefix it is scoped to, and what the plan cannot know yet (values known only after deploy are unknown in a plain
plan; the rule says so).
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.rules import percloud
from policy.rules.base import Facts, Resource, Rule

RULE = "request-log-write-only"
LOG_WRITE_SUFFIX = "-request-logs-write"
"""The name every request-log write grant ends with (``child_name(<platform>-request-logs, "write")``)."""
LOG_WRITER_SUFFIXES = (LOG_WRITE_SUFFIX, "-request-logs-writer-role")
"""Names of the request-log collector's grant and (where the cloud needs one) its role
(components/platform/requestlog.py): the one identity that writes."""


def is_log_writer(res: Resource) -> bool:
    """Whether ``res`` is the request-log writer's grant (or its role), which this rule judges."""
    return res.name.endswith(LOG_WRITER_SUFFIXES)


def _check(res: Resource, facts: Facts) -> Iterator[str]:
    if is_log_writer(res):
        yield from percloud.check_resource(RULE)(res, facts)


def _unknown(res: Resource) -> str | None:
    return percloud.unknown(RULE)(res) if is_log_writer(res) else None


STORE_RULE = "object-store-private"
"""Every object store the plan creates (the request-log bucket or storage account) refuses public and key access."""


def _store_unknown(res: Resource) -> str | None:
    return percloud.unknown(STORE_RULE)(res)


RULES = [
    Rule(
        name=RULE,
        description="The request-log collector's grant creates objects under its prefix and nothing else: {clouds}.",
        enforcement="mandatory",
        area="identity",
        check_resource=_check,
        unknown=_unknown,
        remediation="grant the request-log writer object creation under its prefix only",
    ),
    Rule(
        name=STORE_RULE,
        description=("Every object store the plan creates refuses anonymous access and account-wide keys: {clouds; }."),
        enforcement="mandatory",
        area="identity",
        check_resource=percloud.check_resource(STORE_RULE),
        check_stack=percloud.check_stack(STORE_RULE),
        unknown=_store_unknown,
        remediation="keep the settings the platform gives its request-log store (rev17c c04, c05, c08)",
    ),
]
