"""What each command does, between the CLI's parsing and the runner."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from . import config as config_module
from .engine import Options, Pipeline, Session, failures, first_failure
from .errors import ToolError
from .output import print_json, results_json, results_table, stderr_console
from .runner import Outcome, StepResult
from .state_backends import open_backend
from .step import Action

Confirm = Callable[[str, bool], None]


def _pipeline() -> Pipeline:
    import steps

    return steps


def _summary(results: list[StepResult]) -> str:
    counts: dict[str, int] = {}
    for r in results:
        key = r.action.value if r.outcome is Outcome.PLANNED and r.action else r.outcome
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))


def _pending(results: list[StepResult]) -> bool:
    return any(r.action not in (None, Action.NOOP) for r in results)


def _outputs_of(session: Session) -> dict[str, Any]:
    from steps import deployment_outputs

    produced = deployment_outputs(session.ctx)
    session.state.set("outputs", produced)
    return produced


def access_gaps(session: Session, verbs: tuple[str, ...] = ("write",)) -> list[str] | None:
    """What the caller may not do in the resource group that the deployment needs (read from
    Microsoft.Authorization/permissions before any write); None when the rights cannot be read."""
    from . import access, azure_ops

    ctx = session.ctx
    ids = [step.resource_id(ctx) for step in session.steps]
    try:
        pager = ctx.clients.get("authorization").permissions.list_for_resource_group(ctx.resource_group)
        permissions = [{"actions": p.actions or [], "notActions": p.not_actions or []} for p in pager]
    except Exception as exc:
        if azure_ops.is_not_found(exc):  # no group yet: whoever may create it holds the rights inside it
            return []
        if azure_ops.status_code(exc) == 403:
            ctx.warn("access", access.Need("Microsoft.Authorization/permissions/read", ctx.group_id,
                                           access.READERS).refused("your rights were not checked"))
            return None
        raise
    needs = [need for verb in verbs for need in access.group_needs(ids, ctx.group_id, verb)]
    return [need.refused("deploy would fail there") for need in access.missing(needs, permissions)]


def deploy(opts: Options, *, plan: bool, confirm: Confirm) -> bool:
    """Returns True when changes were pending (what --detailed-exitcode reports)."""
    if not plan and not opts.yes and not sys.stdin.isatty():
        confirm("", False)  # refuses before anything is sent: there is no one to ask
    with Session(opts, require_openai=True, pipeline=_pipeline(), operation="plan" if plan else "deploy") as session:
        runner = session.runner()
        if plan or not opts.yes:
            for gap in access_gaps(session) or []:
                session.ctx.warn(gap, gap)
            planned = runner.plan()
            session.close_reporter()
            if plan:
                _print_results("plan", planned, opts, session)
                if failures(planned):
                    raise first_failure(planned)
                return _pending(planned)
            if not _pending(planned):
                produced = _outputs_of(session)
                _print_results("deploy", planned, opts, session, produced)
                return False
            stderr_console().print(results_table(planned, title="planned changes", show_all=False))
            confirm(f"Apply these changes to {session.config.resource_group}?", opts.yes)
            runner = session.runner()
        results = runner.deploy()
        session.close_reporter()
        if failures(results):
            _print_results("deploy", results, opts, session)
            raise first_failure(results)
        produced = _outputs_of(session)
        _print_results("deploy", results, opts, session, produced)
        return _pending(results)


def status(opts: Options) -> None:
    with Session(opts, require_openai=False, pipeline=_pipeline(), operation="status") as session:
        results = session.runner().status()
        session.close_reporter()
        from steps import gateway_health

        health = gateway_health(session.ctx, results)
        _print_results("status", results, opts, session, extra={"gateway_health": health})
        if failures(results):
            raise first_failure(results)


def destroy(opts: Options, *, confirm: Confirm) -> None:
    if not opts.yes and not sys.stdin.isatty():
        confirm("", False)  # refuses before anything is sent: there is no one to ask
    with Session(opts, require_openai=False, pipeline=_pipeline(), operation="destroy") as session:
        config = session.config
        confirm(f"Destroy environment '{config.environment}' (resource group {config.resource_group}, "
                f"subscription {config.subscription_id})? Data in it is lost.", opts.yes)
        results = session.runner().destroy()
        session.close_reporter()
        _print_results("destroy", results, opts, session)
        if failures(results):
            raise first_failure(results)
        session.state.set("outputs", {})


def outputs(config_path: Path | None, state_dir: Path, fmt: str, subscription: str | None) -> None:
    config = config_module.load(config_path, require_openai=False, subscription_id=subscription)
    store = open_backend(config.state, config.environment, state_dir)
    if not store.exists():
        raise ToolError(f"environment '{config.environment}' has not been deployed (no state at {store.describe()})",
                        hint="run 'foundry-litellm deploy' first")
    produced = store.load().data.get("outputs") or {}
    if not produced:
        raise ToolError(f"environment '{config.environment}' has no outputs: its last deploy did not finish",
                        hint="run 'foundry-litellm deploy' again")
    if fmt == "json":
        print_json(produced)
    elif fmt == "env":
        for key, value in sorted(produced.items()):
            text = value if isinstance(value, str) else _json_text(value)
            print(f"export {key.upper()}={shlex.quote(text)}")
    else:
        for key, value in sorted(produced.items()):
            print(f"{key}: {value if isinstance(value, str) else _json_text(value)}")


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))


def _print_warnings(session: Session) -> None:
    for warning in session.ctx.warnings:
        stderr_console().print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)


def _print_results(command: str, results: list[StepResult], opts: Options, session: Session,
                   produced: dict[str, Any] | None = None, *, extra: dict[str, Any] | None = None) -> None:
    if opts.output == "markdown":
        from .markdown import plan_markdown

        sys.stdout.write(plan_markdown(results, environment=session.config.environment,
                                       resource_group=session.config.resource_group))
        _print_warnings(session)
        return
    if opts.output == "json":
        payload: dict[str, Any] = {"command": command, "environment": session.config.environment,
                                   "summary": _summary(results), "steps": results_json(results), **(extra or {})}
        if produced is not None:
            payload["outputs"] = produced
        if command == "plan":
            payload["changes_pending"] = _pending(results)
        payload["warnings"] = session.ctx.warnings
        print_json(payload)
        _print_warnings(session)
        return
    console = Console(highlight=False, soft_wrap=True)
    show_all = command in ("status", "plan")
    console.print(results_table(results, title=command, show_all=show_all))
    console.print(f"{command}: {_summary(results)}")
    if produced:
        for key, value in sorted(produced.items()):
            console.print(f"  {key}: {value if isinstance(value, str) else _json_text(value)}")
    for key, value in sorted((extra or {}).items()):
        console.print(f"{key}: {value if isinstance(value, str) else _json_text(value)}")
    _print_warnings(session)
    if session.log_path is not None:
        stderr_console().print(f"[dim]log: {session.log_path}[/]")


def check_access(opts: Options) -> list[str] | None:
    """``validate`` against a target: the rights deploy and destroy need in the group, before any write."""
    with Session(opts, require_openai=True, pipeline=_pipeline(), operation="validate") as session:
        gaps = access_gaps(session, ("write", "delete"))
        _print_warnings(session)
        return gaps
