"""The mlplatform policy pack: pure rules (policy.rules), their CrossGuard wrappers (policy.pack) and the pack's
entry point (__main__.py, which serves the pack to the Pulumi CLI and is never imported by tests)."""
