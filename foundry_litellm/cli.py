"""The ``foundry-litellm`` command line: thin commands over the engine. Imports no ``azure.*`` module."""

# No `from __future__ import annotations`: typer would compile every option's annotation from its string at
# each start (about 10 ms of --help); evaluated here, they come from the bytecode.
import logging
import os
import sys
import traceback
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any

# The tool uses no pydantic plugin; unless told, pydantic looks for plugins in the entry points of every installed
# distribution when it builds its first validator (typer's parameters, the config): tens of ms of each start.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer
from typer import Abort

try:  # typer >= 0.28 vendors click; earlier releases depend on it
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException, UsageError  # type: ignore[no-redef,import-not-found,unused-ignore]

from . import cli_emulator
from .errors import EXIT_BAD_INPUT, EXIT_CHANGES, EXIT_FAILED, ConfigError, Refused, ToolError
from .interrupts import EXIT_INTERRUPTED, Interrupted

app = typer.Typer(
    name="foundry-litellm",
    help="Provision an Azure AI Foundry environment with a LiteLLM model gateway, and keep it in shape.\n\n"
         "Exit codes: 0 success, 1 a step failed, 2 bad input or config, 3 state locked by another run, "
         "4 plan with pending changes (--detailed-exitcode), 130 interrupted (run again to resume).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: rendering it with rich would cost more than the rest of start-up
)
app.add_typer(cli_emulator.app, name="emulator")

_debug = False


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"foundry-litellm {__version__}")
        raise typer.Exit()


def _state_flag(field: str, what: str) -> Any:
    return typer.Option(f"--state-{field.replace('_', '-')}", help=f"[state] {field}: {what} (overrides the file).")


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False,
          state_backend: Annotated[str | None, _state_flag("backend", "local or azure_blob")] = None,
          state_storage_account: Annotated[str | None, _state_flag("storage_account", "the state's account")] = None,
          state_container: Annotated[str | None, _state_flag("container", "the state's container")] = None,
          state_key: Annotated[str | None, _state_flag("key", "the state's blob name")] = None,
          state_endpoint: Annotated[str | None, _state_flag("endpoint", "a Blob endpoint")] = None) -> None:
    """Provision an Azure AI Foundry environment with a LiteLLM model gateway, and keep it in shape."""
    import os

    from .config import STATE_ENV

    # The [state] flags come before the command (they serve every one) and reach the config as its variables do.
    given = {"backend": state_backend, "storage_account": state_storage_account, "container": state_container,
             "key": state_key, "endpoint": state_endpoint}
    for field, value in given.items():
        if value is not None:
            os.environ[STATE_ENV[field]] = value


class OutputFormat(StrEnum):
    human = "human"
    json = "json"
    markdown = "markdown"  # deploy --plan only: a pull-request comment


class OutputsFormat(StrEnum):
    human = "human"
    json = "json"
    env = "env"


ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", envvar="FOUNDRY_LITELLM_CONFIG",
                                                help="Config file [default: ./foundry-litellm.toml].")]
StateDirOpt = Annotated[Path, typer.Option(envvar="FOUNDRY_LITELLM_STATE_DIR",
                                           help="Where state, logs and the embedded emulator's data live.")]
EmulatorOpt = Annotated[bool, typer.Option("--emulator", envvar="FOUNDRY_LITELLM_EMULATOR",
                                           help="Run against an embedded ARM emulator (no Azure login).")]
EndpointOpt = Annotated[str | None, typer.Option(envvar="FOUNDRY_LITELLM_ENDPOINT",
                                                 help="ARM-compatible endpoint, e.g. a running "
                                                      "'foundry-litellm emulator serve'.")]
CaCertOpt = Annotated[str | None, typer.Option(envvar="FOUNDRY_LITELLM_CA_CERT",
                                               help="CA certificate (PEM) that signs --endpoint's TLS certificate.")]
CloudOpt = Annotated[str, typer.Option(envvar="FOUNDRY_LITELLM_CLOUD",
                                       help="AzureCloud, AzureChinaCloud or AzureUSGovernment.")]
SubscriptionOpt = Annotated[str | None, typer.Option(envvar="FOUNDRY_LITELLM_SUBSCRIPTION",
                                                     help="Subscription id [default: config, then "
                                                          "AZURE_SUBSCRIPTION_ID].")]
TimeScaleOpt = Annotated[float | None, typer.Option(envvar="FOUNDRY_LITELLM_EMULATOR_TIME_SCALE",
                                                    help="Time scale of the embedded emulator.")]
DebugOpt = Annotated[bool, typer.Option("--debug", envvar="FOUNDRY_LITELLM_DEBUG",
                                        help="Verbose logs and tracebacks (secrets stay redacted).")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", envvar="FOUNDRY_LITELLM_YES",
                                      help="Do not ask for confirmation (needed without a terminal).")]
ParallelOpt = Annotated[int, typer.Option(envvar="FOUNDRY_LITELLM_PARALLEL", help="Steps run at once.")]
OutputOpt = Annotated[OutputFormat, typer.Option("--output", "-o", envvar="FOUNDRY_LITELLM_OUTPUT",
                                                 help="human, json, or markdown (deploy --plan: a compact "
                                                      "table of the changes for a pull request). Results on "
                                                      "stdout, progress on stderr.")]


def _options(**kwargs: Any) -> Any:
    from .engine import Options

    if kwargs.get("output") is OutputFormat.markdown and not kwargs.pop("plan", False):
        raise ConfigError("--output", "markdown is a plan's format: use it with deploy --plan")
    kwargs.pop("plan", None)
    global _debug
    _debug = bool(kwargs.get("debug"))
    output = kwargs.pop("output", "human")
    return Options(output=output.value if isinstance(output, Enum) else output, **kwargs)


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise Refused("no terminal to confirm on", hint="pass --yes (or set FOUNDRY_LITELLM_YES=1) to proceed")
    if not typer.confirm(question, default=False, err=True):
        raise Refused("cancelled")


@app.command()
def init(force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False) -> None:
    """Write a commented foundry-litellm.toml in the current directory."""
    from .config import DEFAULT_CONFIG
    from .config_template import TEMPLATE

    if DEFAULT_CONFIG.exists() and not force:
        raise ConfigError(str(DEFAULT_CONFIG), "already exists; use --force to overwrite it")
    DEFAULT_CONFIG.write_text(TEMPLATE)
    typer.echo(f"wrote {DEFAULT_CONFIG}; set OPENAI_API_KEY, OPENAI_API_BASE and AZURE_SUBSCRIPTION_ID, then run "
               "'foundry-litellm deploy'", err=True)


@app.command()
def validate(config: ConfigOpt = None, subscription: SubscriptionOpt = None,
             output: OutputOpt = OutputFormat.human, state_dir: StateDirOpt = Path(".foundry-litellm"),
             emulator: EmulatorOpt = False, endpoint: EndpointOpt = None, ca_cert: CaCertOpt = None,
             cloud: CloudOpt = "AzureCloud", time_scale: TimeScaleOpt = None,
             check_access: Annotated[bool, typer.Option(
                 "--check-access", help="Also read your rights on the resource group in Azure (one GET) and "
                                        "name what deploy and destroy would be refused.")] = False) -> None:
    """Check the config and the environment; sends nothing to Azure unless --check-access (or a target such as
    --emulator or --endpoint) asks to read the caller's rights. Exits 1 when a needed right is missing."""
    from . import config as config_module
    from .output import print_json

    try:
        loaded = config_module.load(config, subscription_id=subscription)
    except ConfigError as exc:
        if output is OutputFormat.json:
            print_json({"config_validation_result": False, "error": exc.message})
        else:
            typer.echo("config_validation_result: false")
        raise
    gaps: list[str] | None = None
    if check_access or emulator or endpoint:
        from . import commands

        gaps = commands.check_access(_options(config_path=config, state_dir=state_dir, emulator=emulator,
                                              endpoint=endpoint, ca_cert=ca_cert, cloud=cloud,
                                              subscription=subscription, time_scale=time_scale))
    if output is OutputFormat.json:
        print_json({"config_validation_result": loaded.config_validation_result, "environment": loaded.environment,
                    "resource_group": loaded.resource_group, "location": loaded.location,
                    "resource_token": loaded.token, "access_check_result": None if gaps is None else not gaps,
                    "access_missing": gaps or []})
    else:
        typer.echo(f"config_validation_result: {str(loaded.config_validation_result).lower()}")
        for gap in gaps or []:
            typer.echo(f"access: {gap}", err=True)
        if gaps is not None:
            typer.echo(f"access_check_result: {str(not gaps).lower()}")
    if gaps:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def deploy(
    config: ConfigOpt = None, state_dir: StateDirOpt = Path(".foundry-litellm"), emulator: EmulatorOpt = False,
    endpoint: EndpointOpt = None, ca_cert: CaCertOpt = None, cloud: CloudOpt = "AzureCloud",
    subscription: SubscriptionOpt = None, time_scale: TimeScaleOpt = None, debug: DebugOpt = False,
    yes: YesOpt = False, parallel: ParallelOpt = 16, output: OutputOpt = OutputFormat.human,
    plan: Annotated[bool, typer.Option("--plan", help="Show what would change; write nothing.")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="With --plan: list every step, not only the "
                                                         "changes.")] = False,
    detailed_exitcode: Annotated[bool, typer.Option(
        "--detailed-exitcode", help="With --plan: exit 4 when changes are pending, 0 when none.")] = False,
    rotate_master_key: Annotated[bool, typer.Option(
        "--rotate-master-key", envvar="FOUNDRY_LITELLM_ROTATE_MASTER_KEY",
        help="Generate a new LiteLLM master key; the gateway app and the Foundry connections follow.")] = False,
) -> None:
    """Create or update everything the config describes; a re-run with nothing changed writes nothing."""
    from . import commands

    if detailed_exitcode and not plan:  # it would otherwise run a real deploy where a check was meant
        raise ConfigError("--detailed-exitcode", "only means something with --plan; add --plan (nothing is "
                                                 "written) or drop --detailed-exitcode")

    opts = _options(config_path=config, state_dir=state_dir, emulator=emulator, endpoint=endpoint,
                    ca_cert=ca_cert, cloud=cloud, subscription=subscription, time_scale=time_scale, debug=debug,
                    yes=yes, parallel=parallel, output=output, plan=plan,
                    rotate=frozenset({"litellm-master-key"}) if rotate_master_key else frozenset())
    pending = commands.deploy(opts, plan=plan, confirm=_confirm, show_all=show_all)
    if plan and detailed_exitcode and pending:
        raise typer.Exit(EXIT_CHANGES)


@app.command()
def status(
    config: ConfigOpt = None, state_dir: StateDirOpt = Path(".foundry-litellm"), emulator: EmulatorOpt = False,
    endpoint: EndpointOpt = None, ca_cert: CaCertOpt = None, cloud: CloudOpt = "AzureCloud",
    subscription: SubscriptionOpt = None, time_scale: TimeScaleOpt = None, debug: DebugOpt = False,
    parallel: ParallelOpt = 16, output: OutputOpt = OutputFormat.human,
) -> None:
    """Read every resource live and compare it with the config: in sync, drifted, missing, not deployed."""
    from . import commands

    opts = _options(config_path=config, state_dir=state_dir, emulator=emulator, endpoint=endpoint,
                    ca_cert=ca_cert, cloud=cloud, subscription=subscription, time_scale=time_scale, debug=debug,
                    parallel=parallel, output=output)
    commands.status(opts)


@app.command()
def outputs(
    config: ConfigOpt = None, state_dir: StateDirOpt = Path(".foundry-litellm"), subscription: SubscriptionOpt = None,
    emulator: Annotated[bool, typer.Option("--emulator", envvar="FOUNDRY_LITELLM_EMULATOR",
                                           help="Accepted like every other command's; outputs reads only the "
                                                "state file, whatever the target.")] = False,
    output: Annotated[OutputsFormat, typer.Option("--output", "-o", envvar="FOUNDRY_LITELLM_OUTPUT",
                                                  help="human, json, or env (export NAME=value lines).")]
    = OutputsFormat.human,
) -> None:
    """Print what the last deployment produced (from the state file; no Azure call)."""
    from . import commands

    commands.outputs(config, state_dir, output.value, subscription)


@app.command()
def destroy(
    config: ConfigOpt = None, state_dir: StateDirOpt = Path(".foundry-litellm"), emulator: EmulatorOpt = False,
    endpoint: EndpointOpt = None, ca_cert: CaCertOpt = None, cloud: CloudOpt = "AzureCloud",
    subscription: SubscriptionOpt = None, time_scale: TimeScaleOpt = None, debug: DebugOpt = False,
    yes: YesOpt = False, parallel: ParallelOpt = 16, output: OutputOpt = OutputFormat.human,
    no_purge: Annotated[bool, typer.Option("--no-purge", envvar="FOUNDRY_LITELLM_NO_PURGE",
                                           help="Keep Key Vaults and Foundry accounts soft-deleted "
                                                "(recoverable) instead of purging them.")] = False,
) -> None:
    """Delete, in reverse order, what this tool created (resources carrying its ownership tag)."""
    from . import commands

    opts = _options(config_path=config, state_dir=state_dir, emulator=emulator, endpoint=endpoint,
                    ca_cert=ca_cert, cloud=cloud, subscription=subscription, time_scale=time_scale, debug=debug,
                    yes=yes, parallel=parallel, output=output, purge=not no_purge)
    commands.destroy(opts, confirm=_confirm)


@app.command("gateway-config")
def gateway_config(config: ConfigOpt = None, subscription: SubscriptionOpt = None) -> None:
    """Print the LiteLLM config.yaml this configuration renders (it holds no secret values)."""
    from . import config as config_module
    from .litellm_config import render

    loaded = config_module.load(config, require_openai=False, subscription_id=subscription)
    sys.stdout.write(render(loaded.gateway))


state_app = typer.Typer(help="Read and manage the environment's state (local file or Azure Blob Storage).",
                        no_args_is_help=True, rich_markup_mode=None)
app.add_typer(state_app, name="state")


@state_app.command("bootstrap")
def state_bootstrap(
    config: ConfigOpt = None, state_dir: StateDirOpt = Path(".foundry-litellm"), emulator: EmulatorOpt = False,
    endpoint: EndpointOpt = None, ca_cert: CaCertOpt = None, cloud: CloudOpt = "AzureCloud",
    subscription: SubscriptionOpt = None, time_scale: TimeScaleOpt = None, debug: DebugOpt = False,
    output: OutputOpt = OutputFormat.human,
) -> None:
    """Create the storage account and container for the shared state ([state] storage_account, container,
    resource_group): versioning and soft delete on, shared keys off, TLS 1.2. Idempotent; prints the [state]
    section to paste."""
    from . import commands

    opts = _options(config_path=config, state_dir=state_dir, emulator=emulator, endpoint=endpoint,
                    ca_cert=ca_cert, cloud=cloud, subscription=subscription, time_scale=time_scale, debug=debug,
                    yes=True, output=output)
    section = commands.bootstrap(opts)
    if output is not OutputFormat.json:
        sys.stdout.write("\n" + section)


@state_app.command("pull")
def state_pull(config: ConfigOpt = None, state_dir: StateDirOpt = Path(".foundry-litellm"),
               subscription: SubscriptionOpt = None) -> None:
    """Print the state document (JSON) as the backend holds it."""
    from . import state_commands

    _, backend = state_commands.backend_of(config, state_dir, subscription)
    sys.stdout.write(state_commands.pull(backend))


@state_app.command("push")
def state_push(file: Annotated[Path, typer.Argument(help="A state document (JSON), e.g. from 'state pull'.")],
               config: ConfigOpt = None, state_dir: StateDirOpt = Path(".foundry-litellm"),
               subscription: SubscriptionOpt = None, yes: YesOpt = False) -> None:
    """Replace the state with FILE, after checking it (the replaced version stays in the history)."""
    from . import state_commands

    if not file.is_file():
        raise ConfigError("FILE", f"{file} is not a file")
    _, backend = state_commands.backend_of(config, state_dir, subscription)
    text = state_commands.checked(file.read_text(), str(file), backend.environment)
    state_commands.replace(backend, text, f"push of {file}", yes=yes, confirm=_confirm)
    typer.echo(f"state of '{backend.environment}' replaced with {file}", err=True)


@state_app.command("list")
def state_list(config: ConfigOpt = None, state_dir: StateDirOpt = Path(".foundry-litellm"),
               subscription: SubscriptionOpt = None, output: OutputOpt = OutputFormat.human) -> None:
    """The steps the state records, with their status and resource id."""
    from . import state_commands
    from .output import print_json

    _, backend = state_commands.backend_of(config, state_dir, subscription)
    rows = state_commands.listing(backend)
    if output is OutputFormat.json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['step']:<48} {row['status']:<12} {row['resource_id']}")


@state_app.command("history")
def state_history(config: ConfigOpt = None, state_dir: StateDirOpt = Path(".foundry-litellm"),
                  subscription: SubscriptionOpt = None, output: OutputOpt = OutputFormat.human) -> None:
    """Earlier versions of the state (newest first): what 'state rollback VERSION' can restore."""
    from . import state_commands
    from .output import print_json

    _, backend = state_commands.backend_of(config, state_dir, subscription)
    versions = backend.history()
    if output is OutputFormat.json:
        print_json([{"version": v.id, "saved_at": v.saved_at.isoformat(), "size": v.size} for v in versions])
        return
    if not versions:
        typer.echo(f"no earlier version of '{backend.environment}' at {backend.describe()}", err=True)
    for version in versions:
        typer.echo(f"{version.id:<44} {version.saved_at:%Y-%m-%d %H:%M:%S} UTC  {version.size} bytes")


@state_app.command("rollback")
def state_rollback(version: Annotated[str, typer.Argument(help="A version 'state history' lists.")],
                   config: ConfigOpt = None, state_dir: StateDirOpt = Path(".foundry-litellm"),
                   subscription: SubscriptionOpt = None, yes: YesOpt = False) -> None:
    """Restore an earlier version of the state (the current one stays in the history)."""
    from . import state_commands

    _, backend = state_commands.backend_of(config, state_dir, subscription)
    text = state_commands.checked(backend.read_version(version), f"version {version}", backend.environment)
    state_commands.replace(backend, text, f"rollback to {version}", yes=yes, confirm=_confirm)
    typer.echo(f"state of '{backend.environment}' rolled back to {version}", err=True)


@state_app.command("unlock")
def state_unlock(lock_id: Annotated[str, typer.Argument(help="The lock id a refused run printed.")],
                 config: ConfigOpt = None, state_dir: StateDirOpt = Path(".foundry-litellm"),
                 subscription: SubscriptionOpt = None, yes: YesOpt = False) -> None:
    """Break a stale lock (a run that died holding the state's lease), as 'terraform force-unlock' does."""
    from . import state_commands

    _, backend = state_commands.backend_of(config, state_dir, subscription)
    holder = state_commands.unlock(backend, lock_id, yes=yes, confirm=_confirm)
    typer.echo(f"unlocked: the lock of {holder} is broken", err=True)


@state_app.command("migrate")
def state_migrate(to: Annotated[str, typer.Option("--to", help="azure_blob or local: where the state goes.")],
                  config: ConfigOpt = None, state_dir: StateDirOpt = Path(".foundry-litellm"),
                  subscription: SubscriptionOpt = None, yes: YesOpt = False) -> None:
    """Move the state to another backend (both locked meanwhile); the source is left as it was."""
    from . import state_commands

    if to not in ("azure_blob", "local"):
        raise ConfigError("--to", f"'{to}' is not a backend: azure_blob or local")
    loaded, _ = state_commands.backend_of(config, state_dir, subscription)
    source, target = state_commands.migrate(loaded, state_dir, to, yes=yes, confirm=_confirm)
    typer.echo(f"copied {source.describe()} to {target.describe()}", err=True)
    if loaded.state.backend != to:
        typer.echo(f'now set backend = "{to}" in the [state] section (or FOUNDRY_LITELLM_STATE_BACKEND={to})',
                   err=True)


def _report(exc: BaseException, code: int) -> None:
    _say(exc)
    sys.exit(code)


def _say(exc: BaseException) -> None:
    from .logs import redact

    if _debug:
        sys.stderr.write(redact("".join(traceback.format_exception(exc))))
    message = exc.message if isinstance(exc, ToolError) else f"{type(exc).__name__}: {exc}"
    sys.stderr.write(f"error: {redact(message)}\n")
    hint = exc.hint if isinstance(exc, ToolError) else "run again with --debug for details"
    if hint:
        sys.stderr.write(f"hint: {redact(hint)}\n")


def main() -> None:
    try:
        # Not standalone: typer's own error lines ("Error: No such option") and its silent exit on Ctrl-C would
        # differ from every other message of the tool; they are said here the same way.
        code = app(standalone_mode=False)
        if code == EXIT_INTERRUPTED:  # typer turns a KeyboardInterrupt into this exit code, saying nothing
            raise KeyboardInterrupt
        if isinstance(code, int) and code:
            sys.exit(code)
    except ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # the help itself, as click says it
            sys.stderr.write(f"{exc.format_message()}\n")
            sys.exit(exc.exit_code)
        if isinstance(exc, UsageError) and exc.ctx is not None:
            sys.stderr.write(f"{exc.ctx.get_usage()}\n")
            hint = f"run '{exc.ctx.command_path} --help' for the options"
        else:
            hint = None
        _report(ToolError(exc.format_message().replace("Value error, ", ""), hint=hint), exc.exit_code)
    except Abort:  # end of input at a confirmation prompt
        _report(Refused("cancelled (no answer)"), Refused.exit_code)
    except Interrupted as exc:  # threads of operations left in flight are abandoned, not joined
        logging.getLogger(__name__).warning("interrupted: %s", exc.message)
        sys.stderr.write(f"{exc.message}\nhint: {exc.hint}\n")  # not an error: what the user asked for
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(exc.exit_code)
    except ToolError as exc:
        _report(exc, exc.exit_code)
    except KeyboardInterrupt:
        logging.getLogger(__name__).warning("interrupted (Ctrl-C)")
        sys.stderr.write("interrupted: the state file is intact; run the command again to resume\n")
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # the last line of defence: one clear line, no traceback unless --debug
        _report(exc, EXIT_FAILED)


__all__ = ["EXIT_BAD_INPUT", "app", "main"]
