"""The mlplatform Pulumi program (config reading and wiring only)."""
