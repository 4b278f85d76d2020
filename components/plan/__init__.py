"""The offline plan: run a Pulumi program in process under the SDK's mocks and record what it declares.

The package face loads the engine (and so the Pulumi runtime) only when ``run_function`` or ``run_program`` is asked
for, so importing a light module of the package (``components.plan.project``, the stack-file reader) does not.
"""

from typing import Any

from components.records import SECRET_TEXT, UNKNOWN_TEXT, PlanResult, Registration

__all__ = ["SECRET_TEXT", "UNKNOWN_TEXT", "PlanResult", "Registration", "run_function", "run_program"]


def __getattr__(name: str) -> Any:
    if name in ("run_function", "run_program"):
        from components.plan import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
