"""A plan as Markdown, for a pull-request comment: counts, then a compact table of only what would change."""

from __future__ import annotations

from collections import Counter

from .runner import StepResult
from .step import Action

_SIGNS = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-/+", Action.DELETE: "-"}
_MAX_CHANGES = 3  # per row; the rest is counted


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def plan_markdown(results: list[StepResult], *, environment: str, resource_group: str) -> str:
    changing = [r for r in results if r.action is not None and r.action is not Action.NOOP]
    counts = Counter(r.action for r in changing)
    failed = [r for r in results if r.failed]
    lines = [f"### foundry-litellm plan: `{environment}` ({resource_group})", ""]
    summary = ", ".join(f"{counts.get(a, 0)} to {a.value}" for a in (Action.CREATE, Action.UPDATE, Action.REPLACE,
                                                                       Action.DELETE))
    unchanged = len(results) - len(changing) - len(failed)
    lines.append(f"**{summary}** · {unchanged} unchanged" + (f" · {len(failed)} failed" if failed else ""))
    lines.append("")
    if not changing and not failed:
        lines.append("No changes: the environment matches the configuration.")
        return "\n".join(lines) + "\n"
    lines += ["| | Step | Resource | Changes |", "|---|---|---|---|"]
    for r in changing:
        shown = [f"`{_cell(c.describe())}`" for c in r.changes[:_MAX_CHANGES]]
        if len(r.changes) > _MAX_CHANGES:
            shown.append(f"and {len(r.changes) - _MAX_CHANGES} more")
        if r.note and r.action is not Action.CREATE:  # a create's "known after apply" notes are noise here
            shown.append(_cell(r.note))
        name = r.resource_id.rsplit("/", 1)[-1] if r.resource_id else ""
        sign = _SIGNS[r.action] if r.action is not None else ""
        lines.append(f"| {sign} | {_cell(r.title)} | `{_cell(name)}` | {'<br>'.join(shown)} |")
    for r in failed:
        lines.append(f"| ! | {_cell(r.title)} | | failed: {_cell(r.error.message if r.error else r.note)} |")
    return "\n".join(lines) + "\n"
