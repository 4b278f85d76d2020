"""The mlplatform Pulumi program: read and validate the stack's config once, then wire the components."""

from infra.program import main

main()
