"""What each command does, between the CLI's parsing and the runner."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import config as config_module
from . import litellm_config
from .config import Config
from .engine import Options, Pipeline, Session, failures, first_failure
from .errors import ToolError
from .interrupts import Interrupted, Interrupts
from .output import health_line, print_json, results_json, results_table, secret_lines, stderr_console, stdout_console
from .runner import NOT_STARTED, ImmutableChange, Outcome, Runner, StepResult
from .state import StateStore, now_iso, parse
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
    session.state.set("destroyed_at", None)
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


def _plan_with_access(session: Session) -> list[StepResult]:
    """The plan, with the caller's rights in the group read alongside its reads (one round trip less); the gaps
    found are said as warnings."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="access")
    try:
        gaps = pool.submit(access_gaps, session)
        planned = session.runner().plan()
        for gap in gaps.result() or []:
            session.ctx.warn(gap, gap)
    finally:
        pool.shutdown(wait=False)  # a failed plan or Ctrl-C does not wait for an answer nobody will read
    return planned


def deploy(opts: Options, *, plan: bool, confirm: Confirm, show_all: bool = False) -> bool:
    """Returns True when changes were pending (what --detailed-exitcode reports)."""
    with Session(opts, require_openai=True, pipeline=_pipeline(), operation="plan" if plan else "deploy") as session:
        if plan or not opts.yes:
            session.title = "plan"
            planned = _plan_with_access(session)
            session.close_reporter()
            if plan:
                _print_results("plan", planned, opts, session, show_all=show_all)
                if failures(planned):
                    raise first_failure(planned)
                return _pending(planned)
            if not _pending(planned):  # nothing to confirm: a no-op needs no --yes, with or without a terminal
                produced = _outputs_of(session)
                _print_results("deploy", planned, opts, session, produced)
                return False
            refused = _refused_replaces(planned)
            if refused is not None:
                raise refused
            console = stderr_console()
            console.print(results_table(planned, title="planned changes", show_all=False))
            console.print(f"plan: {_plan_counts(planned)}")
            confirm(f"Apply these changes to {session.config.resource_group}?", opts.yes)
        session.title = "deploy"
        with Interrupts(session.state.freeze, "deploy") as interrupts:
            results = _run_steps(session, opts, interrupts, lambda runner: runner.deploy())
            if failures(results):
                _print_results("deploy", results, opts, session)
                raise first_failure(results)
            produced = _outputs_of(session)
            _print_results("deploy", results, opts, session, produced)
            return _pending(results)


def _run_steps(session: Session, opts: Options, interrupts: Interrupts,
               work: Callable[[Runner], list[StepResult]]) -> list[StepResult]:
    """``work`` on a runner that Ctrl-C stops: an interrupted run says what it left undone and how to resume."""
    runner = session.runner(stop=interrupts.requested)
    results = work(runner)
    session.close_reporter()
    if runner.interrupted and _unfinished(results):
        session.state.freeze()
        _print_results(session.title, results, opts, session)
        raise _interrupted(session.title, results)
    return results


def _unfinished(results: list[StepResult]) -> list[StepResult]:
    return [r for r in results if r.outcome is Outcome.INTERRUPTED or r.note == NOT_STARTED]


def _interrupted(command: str, results: list[StepResult]) -> Interrupted:
    in_flight = [r.title for r in results if r.outcome is Outcome.INTERRUPTED]
    waiting = sum(1 for r in results if r.note == NOT_STARTED)
    flight = f"{len(in_flight)} operation(s) left running in Azure ({', '.join(in_flight)})" if in_flight \
        else "no operation in flight"
    return Interrupted(f"interrupted: {flight}; {waiting} step(s) not started",
                       hint=f"run 'foundry-litellm {command}' again to resume: it re-attaches to the operations "
                            "in flight (no second write) and goes on from there")


def _refused_replaces(planned: list[StepResult]) -> ToolError | None:
    """A replace the step may not do: deploy refuses before anything is sent (what ``Runner.deploy`` also checks
    when there is no plan, with --yes)."""
    fixed = [f"{r.title} ({', '.join(r.immutable)})" for r in planned
             if r.action is Action.REPLACE and not r.replaceable]
    if not fixed:
        return None
    return ImmutableChange(f"Azure cannot change in place: {'; '.join(fixed)}; nothing was sent",
                           hint="restore the previous value in the config, or run 'foundry-litellm destroy' and "
                                "deploy again to create the environment anew")


def _plan_counts(results: list[StepResult]) -> str:
    counts = {action: sum(1 for r in results if r.action is action)
              for action in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE)}
    words = {Action.CREATE: "to create", Action.UPDATE: "to update", Action.REPLACE: "to replace",
             Action.DELETE: "to delete"}
    parts = [f"{counts[a]} {words[a]}" for a in words if counts[a] or a is not Action.REPLACE]
    return ", ".join(parts) + f", {sum(1 for r in results if r.action is Action.NOOP)} unchanged"


def bootstrap(opts: Options) -> str:
    """``state bootstrap``: the storage account and container of the shared state, made like every step
    (idempotent: a re-run writes nothing); returns the ``[state]`` section to paste. Its own progress is kept in a
    local file (``<environment>.state-storage.json``): the remote state does not exist before it."""
    from steps.state_storage import Bootstrap, StateContainer, settings_of

    def local(config: config_module.Config) -> StateStore:
        return StateStore(opts.state_dir, f"{config.environment}.state-storage")

    with Session(opts, require_openai=False, pipeline=Bootstrap(), operation="bootstrap", backend=local) as session:
        settings = settings_of(session.config)
        session.title = "state bootstrap"
        results = session.runner().deploy()
        session.close_reporter()
        _print_results("state bootstrap", results, opts, session)
        if failures(results):
            raise first_failure(results)
        container = StateContainer(settings).resource_id(session.ctx)
    stderr_console().print(
        f"every deployer and pipeline identity needs the role Storage Blob Data Contributor on the container "
        f"(shared keys are off): az role assignment create --role 'Storage Blob Data Contributor' --assignee "
        f"<object id> --scope {container}", highlight=False, soft_wrap=True)
    return (f'[state]\nbackend = "azure_blob"\nstorage_account = "{settings.storage_account}"\n'
            f'container = "{settings.container}"\nresource_group = "{settings.resource_group}"  # where bootstrap '
            f"made the account\n")


def status(opts: Options) -> None:
    with Session(opts, require_openai=False, pipeline=_pipeline(), operation="status") as session:
        session.title = "status"
        from steps import gateway_health, start_gateway_health

        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health")
        try:
            early = start_gateway_health(session.ctx, pool)
            results = session.runner().status()
            session.close_reporter()
            _say_unchecked_key(session.config, results)
            health = gateway_health(session.ctx, results, early)
        finally:
            pool.shutdown(wait=False)  # Ctrl-C does not wait for a report nobody will read
        _print_results("status", results, opts, session, extra={"gateway_health": health})
        if failures(results):
            raise first_failure(results)


def _say_unchecked_key(config: Config, results: list[StepResult]) -> None:
    """Without an upstream's key in the environment (OPENAI_API_KEY, or its ``key_env``), status cannot compare
    the key's fingerprint: say so, rather than an "in sync" that a deploy with the key might contradict."""
    unset = {f"key_vault_secret:{litellm_config.upstream_secret(upstream)}": variable
             for upstream, variable in config.gateway.upstream_key_env.items()
             if not os.environ.get(variable, "").strip()}
    for r in results:
        if r.step in unset and r.outcome is Outcome.IN_SYNC:
            r.note = f"value not compared: {unset[r.step]} is not set"


def destroy(opts: Options, *, confirm: Confirm) -> None:
    if not opts.yes and not sys.stdin.isatty():
        confirm("", False)  # refuses before anything is sent: there is no one to ask
    with Session(opts, require_openai=False, pipeline=_pipeline(), operation="destroy") as session:
        config = session.config
        # Asked before the progress display starts (the session draws nothing until its runner runs).
        confirm(f"Destroy environment '{config.environment}' (resource group {config.resource_group}, "
                f"subscription {config.subscription_id})? Data in it is lost.", opts.yes)
        session.title = "destroy"
        with Interrupts(session.state.freeze, "destroy") as interrupts:
            results = _run_steps(session, opts, interrupts, lambda runner: runner.destroy())
            _print_results("destroy", results, opts, session)
            if failures(results):
                raise first_failure(results)
            session.state.set("outputs", {})
            session.state.set("destroyed_at", now_iso())


def outputs(config_path: Path | None, state_dir: Path, fmt: str, subscription: str | None) -> None:
    config = config_module.load(config_path, require_openai=False, subscription_id=subscription)
    store = open_backend(config.state, config.environment, state_dir)
    holder = store.holder()
    text = store.read_text()  # one read of the document (a blob backend's download)
    if not text:
        if holder is not None:
            raise _why_no_outputs(config.environment, {}, holder)
        raise ToolError(f"environment '{config.environment}' has not been deployed (no state at {store.describe()})",
                        hint="run 'foundry-litellm deploy' first")
    data = parse(text, store.describe())
    produced = data.get("outputs") or {}
    if not produced:
        raise _why_no_outputs(config.environment, data, holder)
    if holder is not None:
        stderr_console().print(f"[yellow]warning:[/] a run is in progress now ({holder}); these are the outputs "
                               "of the last deploy that finished")
    if fmt == "json":
        print_json(produced)
    elif fmt == "env":
        for key, value in sorted(produced.items()):
            text = value if isinstance(value, str) else _json_text(value)
            print(f"export {key.upper()}={shlex.quote(text)}")
    else:
        for key, value in sorted(produced.items()):
            print(f"{key}: {value if isinstance(value, str) else _json_text(value)}")
        for line in secret_lines(config.environment, data):
            print(line)


def _why_no_outputs(environment: str, data: dict[str, Any], holder: str | None) -> ToolError:
    """The true reason there is nothing to show: a run in progress, a destroy, or a deploy that stopped."""
    if holder is not None:
        return ToolError(f"environment '{environment}' has no outputs yet: a run is in progress now ({holder} "
                         "holds its lock)", hint="wait for it to finish, then run 'foundry-litellm outputs' again")
    if data.get("destroyed_at"):
        return ToolError(f"environment '{environment}' was destroyed at {data['destroyed_at']}",
                         hint="run 'foundry-litellm deploy' to create it again")
    return ToolError(f"environment '{environment}' has no outputs: its last deploy did not finish",
                     hint="run 'foundry-litellm deploy' again")


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))


def _print_warnings(session: Session) -> None:
    for warning in session.ctx.warnings:
        stderr_console().print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)


def _print_results(command: str, results: list[StepResult], opts: Options, session: Session,
                   produced: dict[str, Any] | None = None, *, extra: dict[str, Any] | None = None,
                   show_all: bool = False) -> None:
    elapsed = session.elapsed
    if opts.output == "markdown":
        from .markdown import plan_markdown

        sys.stdout.write(plan_markdown(results, environment=session.config.environment,
                                       resource_group=session.config.resource_group))
        _print_warnings(session)
        return
    if opts.output == "json":
        payload: dict[str, Any] = {"command": command, "environment": session.config.environment,
                                   "summary": _summary(results), "steps": results_json(results), **(extra or {}),
                                   "elapsed_seconds": round(elapsed, 1)}
        if produced is not None:
            payload["outputs"] = produced
        if command == "plan":
            payload["changes_pending"] = _pending(results)
        payload["warnings"] = session.ctx.warnings
        print_json(payload)
        _print_warnings(session)
        return
    from .progress_view import clock  # with rich: not needed before the results

    console = stdout_console()
    table = results_table(results, title=command, show_all=show_all or command == "status")
    if table.row_count:
        console.print(table)
    if command == "plan":
        console.print(f"plan: {_plan_counts(results)} in {clock(elapsed)}"
                      + ("" if show_all else " (--all lists every step)"))
    else:
        console.print(f"{command}: {_summary(results)} in {clock(elapsed)}")
    if produced:
        for key, value in sorted(produced.items()):
            console.print(f"  {key}: {value if isinstance(value, str) else _json_text(value)}")
        for line in secret_lines(session.config.environment, session.state.data):
            console.print(f"  {line}")
    if extra and "gateway_health" in extra:
        console.print(f"gateway_health: {health_line(extra['gateway_health'])}")
    _print_warnings(session)
    if session.log_path is not None:
        stderr_console().print(f"[dim]log: {session.log_path}[/]")


def check_access(opts: Options) -> list[str] | None:
    """``validate`` against a target: the rights deploy and destroy need in the group, before any write."""
    with Session(opts, require_openai=True, pipeline=_pipeline(), operation="validate") as session:
        gaps = access_gaps(session, ("write", "delete"))
        _print_warnings(session)
        return gaps
