"""The marker for a value only a deploy knows, shared by the plan engine and the policy rules (no Pulumi import)."""

from __future__ import annotations

UNKNOWN_TEXT = "(known after deploy)"


class Unknown:
    """Marks a value that is only known after a deploy (an ARN, an endpoint): present, but not inspectable."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        """The one instance."""
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return UNKNOWN_TEXT


UNKNOWN = Unknown()
