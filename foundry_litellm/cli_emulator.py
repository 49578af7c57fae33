"""``foundry-litellm emulator ...``: run the local Azure Resource Manager emulator."""

# No `from __future__ import annotations`: typer would compile every option's annotation from its string at
# each start (about 10 ms of --help); evaluated here, they come from the bytecode.
from pathlib import Path
from typing import Annotated

import typer

from .emulator import DEFAULT_TIME_SCALE

app = typer.Typer(help="Run the local Azure Resource Manager emulator.", no_args_is_help=True,
                  rich_markup_mode=None)


@app.command("serve")
def serve(
    data_dir: Annotated[Path, typer.Option(help="Where the emulated world, its CA and request log live.",
                                           envvar="FOUNDRY_LITELLM_EMULATOR_DATA_DIR")]
    = Path(".foundry-litellm/emulator"),
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind; 0 picks a free one.")] = 0,
    time_scale: Annotated[float, typer.Option(help="Emulated durations are multiplied by this factor.",
                                              envvar="FOUNDRY_LITELLM_EMULATOR_TIME_SCALE")] = DEFAULT_TIME_SCALE,
    latency_ms: Annotated[int, typer.Option(help="Latency added to every request.")] = 0,
    faults: Annotated[Path | None, typer.Option(help="JSON file of fault rules (see README).")] = None,
    strict: Annotated[bool | None, typer.Option(
        help="Refuse request bodies that Azure's published OpenAPI documents do not describe.",
        envvar="FOUNDRY_LITELLM_EMULATOR_STRICT")] = None,
    specs: Annotated[Path | None, typer.Option(help="Directory of Azure REST API specs, for --strict.",
                                               envvar="FOUNDRY_LITELLM_EMULATOR_SPECS")] = None,
    registered: Annotated[str | None, typer.Option(
        help="Resource providers registered at the start: 'new' (a new subscription: only Azure's defaults) or "
             "'all'.", envvar="FOUNDRY_LITELLM_EMULATOR_REGISTERED")] = None,
    throttle_reads: Annotated[str | None, typer.Option(
        help="ARM's read bucket as SIZE/REFILL per real second (default: Azure's 250/25 in emulated time).")] = None,
    throttle_writes: Annotated[str | None, typer.Option(help="The write bucket (Azure: 200/10).")] = None,
    throttle_deletes: Annotated[str | None, typer.Option(help="The delete bucket (Azure: 200/10).")] = None,
    no_throttle: Annotated[bool, typer.Option("--no-throttle", help="Never answer 429 for the request rate.")]
    = False,
    link_release: Annotated[str | None, typer.Option(
        help="How long the agent subnet's link outlives its Foundry account's purge, LOW..HIGH (e.g. 15m..2d), "
             "drawn per link (default 15m..25m).")] = None,
    caphost_tail: Annotated[str | None, typer.Option(
        help="Extra duration of each capability host create, LOW..HIGH (default none).")] = None,
    appgw_tail: Annotated[str | None, typer.Option(
        help="Extra duration of each Application Gateway create or update, LOW..HIGH (default none).")] = None,
    role_propagation: Annotated[str | None, typer.Option(
        help="How long a new role assignment takes to be honoured, LOW..HIGH (e.g. 1m..10m), drawn per assignment "
             "(default 3m).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the drawn durations.",
                                             envvar="FOUNDRY_LITELLM_EMULATOR_SEED")] = None,
    caller_role: Annotated[list[str] | None, typer.Option(
        metavar="ROLE@SCOPE",
        help="A role assignment of the caller, ROLE@SCOPE (e.g. 'Owner@/subscriptions/<sub>/resourceGroups/<rg>'); "
             "repeatable. Default: Owner everywhere (env FOUNDRY_LITELLM_EMULATOR_CALLER_ROLES, comma-separated).")]
    = None,
) -> None:
    """Serve until SIGINT or SIGTERM; print one JSON line with url, ca_cert and data_dir when ready."""
    from .emulator.faults import FaultSpecError
    from .emulator.serve import serve as run
    from .emulator.store import DataDirBusy

    buckets = {kind: value for kind, value in
               (("reads", throttle_reads), ("writes", throttle_writes), ("deletes", throttle_deletes)) if value}
    tails = {name: value for name, value in
             (("link_release", link_release), ("capability_host", caphost_tail), ("app_gateway", appgw_tail),
              ("role_propagation", role_propagation)) if value}
    try:
        code = run(data_dir, host=host, port=port, time_scale=time_scale, latency_ms=latency_ms,
                   faults_file=faults, strict=strict, specs_dir=specs, registered=registered,
                   throttle="off" if no_throttle else buckets or None, tails=tails, seed=seed,
                   caller_roles=caller_role or None)
    except (FaultSpecError, ValueError, DataDirBusy, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    raise typer.Exit(code)


@app.command("conformance")
def conformance(
    paths: Annotated[list[Path], typer.Argument(help="Cassettes (vcrpy YAML) or folders of them.", exists=True)],
    output: Annotated[str, typer.Option("--output", "-o", help="text or json.")] = "text",
) -> None:
    """Replay recorded Azure traffic against a fresh emulator per recording and compare what a client sees.

    Exits 0 only when every in-scope interaction matches on status, long-running-operation contract and error code.
    """
    from .conformance import run

    if output not in ("text", "json"):
        typer.echo("error: --output must be text or json", err=True)
        raise typer.Exit(2)
    raise typer.Exit(run(paths, output))
