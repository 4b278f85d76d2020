"""``python -m policy.rules [table|docs|config STACK_FILE]``: the README table, docs/policies.md, a pack config."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Print the requested document on stdout."""
    p = argparse.ArgumentParser(prog="python -m policy.rules", description=__doc__)
    sub = p.add_subparsers(dest="what")
    sub.add_parser("table", help="the markdown rule table with the README markers (default)")
    sub.add_parser("docs", help="docs/policies.md")
    cfg = sub.add_parser("config", help="the CrossGuard --policy-pack-config JSON for a stack file")
    cfg.add_argument("stack_file", type=Path)
    args = p.parse_args(argv)
    from policy.rules import docs

    if args.what == "docs":
        sys.stdout.write(docs.policies_page())
    elif args.what == "config":
        from components.errors import SpecError
        from components.plan.project import find_project, read_stack_file
        from policy.pack import pack_config
        from policy.rules import StackSettings

        path = args.stack_file.resolve()
        try:
            # a stack file the program would refuse is refused here too: one line naming the file (exit 2), as
            # mlplatform plan prints it, never a traceback
            project = find_project(path.parent)
            stack = path.name[len("Pulumi.") : -len(".yaml")]
            stack_cfg = read_stack_file(project, stack)
            settings = StackSettings.from_config(stack_cfg.config, namespace=project.name, stack_file=stack_cfg.path)
        except SpecError as e:
            print(str(e), file=sys.stderr)
            return 2
        print(json.dumps(pack_config(settings), indent=2))
    else:
        sys.stdout.write(docs.marked_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
