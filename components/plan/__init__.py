"""The offline plan: run a Pulumi program in process under the SDK's mocks and record what it declares."""

from components.plan.engine import run_function, run_program
from components.records import SECRET_TEXT, UNKNOWN_TEXT, PlanResult, Registration

__all__ = ["SECRET_TEXT", "UNKNOWN_TEXT", "PlanResult", "Registration", "run_function", "run_program"]
