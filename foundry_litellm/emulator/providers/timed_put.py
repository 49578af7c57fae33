"""A PUT through the generic ARM path whose operation lasts longer than usual or fails late.

Some writes take a time that depends on the body (a Container Apps environment in a VNet builds its
infrastructure; an App Gateway that cannot read its Key Vault certificate retries for 25-30 minutes before it
fails, hashicorp/terraform-provider-azurerm#12910). Providers call this from their ``handle`` hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..provider import Json

if TYPE_CHECKING:
    from ..arm import Arm, Fault, Request, Response
    from ..armpath import ArmRef
    from ..provider import Provider


def put_with(arm: Arm, req: Request, ref: ArmRef, provider: Provider, fault: Fault, *, body: Json,
             seconds: float | None = None, fail: Json | None = None) -> Response:
    """Run the generic PUT; the operation then lasts ``seconds`` nominal seconds and, with ``fail``, fails."""
    from ..arm import Fault

    effective = Fault(fail=fault.fail or fail, stall=fault.stall)
    response = arm.put(ref, provider, body, req.api_version or "", effective)
    record = arm.world.get(ref.key)
    op_id = record.get("op") if record else None
    if op_id and seconds is not None:
        op = arm.world.operations[op_id]
        op["due"] = op["start"] + arm.world.scaled(seconds)
        for header in ("Retry-After", "retry-after-ms"):
            response.headers.pop(header, None)
        response.headers.update(arm.retry_after(op))
    return response
