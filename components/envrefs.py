"""``$(NAME)`` references between a container's environment variables, and the order that makes them expand.

Kubernetes expands ``$(NAME)`` in an env ``value`` only from a variable "defined earlier in the list"
(kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/); a reference to a
later one stays as written. The syntax is that of kubernetes third_party/forked/golang/expansion/expand.go: ``$$`` is
an escaped ``$``, ``$(`` up to the next ``)`` is a reference, anything else after ``$`` is literal.

A stack file's ``env`` map reaches the program with its keys in name order (the Pulumi CLI hands the program its
config as JSON written by Go's encoding/json, which sorts map keys), so the order the user wrote is not known to the
program: mlplatform renders the variables so that each comes after the ones it references (:func:`ordered`), in name
order otherwise, plain ``env`` before ``secretEnv``. The plan and ``pulumi up`` read the same map and render the same
list. A cycle (``A=$(B)``, ``B=$(A)``, or ``A=$(A)``) cannot be ordered and is refused (:func:`cycle_problem`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def references(value: str) -> list[str]:
    """The names ``value`` references, as Kubernetes' ``expansion.Expand`` reads it (``$$`` is an escaped ``$``)."""
    out: list[str] = []
    i = 0
    while i < len(value) - 1:
        if value[i] != "$":
            i += 1
            continue
        nxt = value[i + 1]
        if nxt == "$":
            i += 2
        elif nxt == "(" and (close := value.find(")", i + 2)) >= 0:
            out.append(value[i + 2 : close])
            i = close + 1
        else:
            i += 1
    return out


def without_references(value: str) -> str:
    """``value`` with each ``$(NAME)`` reference replaced by a space (what is written there is not the value)."""
    out: list[str] = []
    i = 0
    while i < len(value):
        if value.startswith("$$", i):
            out.append("$$")
            i += 2
        elif value.startswith("$(", i) and (close := value.find(")", i + 2)) >= 0:
            out.append(" ")
            i = close + 1
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def ordered(env: Mapping[str, str], secret_names: Iterable[str] = ()) -> list[str]:
    """The names of ``env`` and ``secret_names`` in the order to render them: every variable after the variables of
    this list its value references, otherwise ``env`` in name order, then the Secret variables in name order. A
    cycle's variables come last, in that order (the spec refuses a cycle: :func:`cycle_problem`)."""
    rank = {name: (0, name) for name in env}
    rank.update({name: (1, name) for name in secret_names if name not in rank})
    needs = {name: {r for r in references(env.get(name, "")) if r in rank and r != name} for name in rank}
    done: list[str] = []
    placed: set[str] = set()
    while len(done) < len(rank):
        ready = [n for n in rank if n not in placed and needs[n] <= placed]
        if not ready:
            done += sorted((n for n in rank if n not in placed), key=rank.__getitem__)
            break
        first = min(ready, key=rank.__getitem__)
        done.append(first)
        placed.add(first)
    return done


def cycle_problem(env: Mapping[str, str], secret_names: Iterable[str] = ()) -> tuple[str, str, str] | None:
    """``(name, value, why)`` for the first variable (in name order) whose value references itself or a variable that
    references it back, which no order can expand; None when there is none."""
    names = set(env) | set(secret_names)
    graph = {name: [r for r in references(value) if r in names] for name, value in env.items()}
    for name in sorted(env):
        if name in graph[name]:
            return (
                name,
                env[name],
                f"it references itself, $({name}); Kubernetes expands a reference only to a variable defined earlier "
                "in the list, so it would stay as written",
            )
        seen: set[str] = set()
        stack = list(graph.get(name, []))
        while stack:
            cur = stack.pop()
            if cur == name:
                return (
                    name,
                    env[name],
                    f"$({name}) is reached again through its own references; Kubernetes expands a reference only "
                    "to a variable defined earlier in the list, so one of them would stay as written; break the cycle",
                )
            if cur not in seen:
                seen.add(cur)
                stack.extend(graph.get(cur, []))
    return None


def platform_reference_problem(env: Mapping[str, str], platform_names: Iterable[str]) -> tuple[str, str, str] | None:
    """``(name, value, why)`` for the first variable (in name order) whose value references a variable the platform
    renders after the user's (a component's ``PROTOCOL``, a custom container's ``STORAGE_URI``), which Kubernetes
    leaves as written (it expands a reference only to a variable defined earlier in the list; red14o W6); None when
    there is none."""
    later = set(platform_names)
    for name in sorted(env):
        hit = next((r for r in references(env[name]) if r in later), None)
        if hit is not None:
            return (
                name,
                env[name],
                f"$({hit}) is set by the platform after your variables, and Kubernetes expands a reference only to a "
                f"variable defined earlier in the list, so it would stay as written; write its value instead",
            )
    return None
