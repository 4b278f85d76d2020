"""CrossGuard entry point: ``pulumi preview --policy-pack policy/``. Serves the pack; blocks until the CLI stops it."""

from pulumi_policy import PolicyPack

from policy.pack import PACK_NAME, build_policies

PolicyPack(name=PACK_NAME, policies=build_policies())
