"""The Azure client factory: the only place that builds SDK clients. SDK imports happen on first use, so
``foundry-litellm --help`` imports no ``azure.*`` module.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import __version__

# Management endpoints of the clouds ARM runs in (azure-identity's AzureAuthorityHosts for the login side).
CLOUDS: dict[str, tuple[str, str]] = {
    "AzureCloud": ("https://management.azure.com", "login.microsoftonline.com"),
    "AzureChinaCloud": ("https://management.chinacloudapi.cn", "login.chinacloudapi.cn"),
    "AzureUSGovernment": ("https://management.usgovcloudapi.net", "login.microsoftonline.us"),
}

# Connections kept open to the ARM host, and the threads of the runner's early reads: a run with nothing to do reads
# every resource at once (the runner's ``_prefetch``), so the pool holds one connection per read (a thread finding
# the pool empty would open one and throw it away).
MAX_CONNECTIONS = 160

# Client name -> (module, class). One entry per SDK package the steps use.
_CLIENTS: dict[str, tuple[str, str]] = {
    "resource": ("azure.mgmt.resource.resources", "ResourceManagementClient"),
    "network": ("azure.mgmt.network", "NetworkManagementClient"),
    "privatedns": ("azure.mgmt.privatedns", "PrivateDnsManagementClient"),
    "msi": ("azure.mgmt.msi", "ManagedServiceIdentityClient"),
    "loganalytics": ("azure.mgmt.loganalytics", "LogAnalyticsManagementClient"),
    "appinsights": ("azure.mgmt.applicationinsights", "ApplicationInsightsManagementClient"),
    "keyvault": ("azure.mgmt.keyvault", "KeyVaultManagementClient"),
    "storage": ("azure.mgmt.storage", "StorageManagementClient"),
    "cosmosdb": ("azure.mgmt.cosmosdb", "CosmosDBManagementClient"),
    "search": ("azure.mgmt.search", "SearchManagementClient"),
    "postgres": ("azure.mgmt.postgresqlflexibleservers", "PostgreSQLManagementClient"),
    "authorization": ("azure.mgmt.authorization", "AuthorizationManagementClient"),
    "cognitive": ("azure.mgmt.cognitiveservices", "CognitiveServicesManagementClient"),
    "containerapps": ("azure.mgmt.appcontainers", "ContainerAppsAPIClient"),
    "redisenterprise": ("azure.mgmt.redisenterprise", "RedisEnterpriseManagementClient"),
}

# The api-version each package's operations send (the installed SDK's default for the operations groups the steps
# use). Reads by resource id (azure_ops.read_by_id) send the same one without importing the package; a deploy test
# (tests/cli/test_deploy.py) holds every resource's reads and writes to one version, so an SDK upgrade that
# moves a version fails there.
API_VERSIONS: dict[str, str] = {
    "resource": "2025-04-01", "network": "2026-03-01", "privatedns": "2024-06-01", "msi": "2024-11-30",
    "loganalytics": "2025-07-01", "appinsights": "2020-02-02", "keyvault": "2026-05-15", "storage": "2026-09-01",
    "cosmosdb": "2026-03-15", "search": "2025-05-01", "postgres": "2026-10-01", "authorization": "2022-04-01",
    "cognitive": "2025-09-01", "containerapps": "2026-07-01", "redisenterprise": "2025-07-01",
}

# The Blob service's host suffix in each cloud (Learn "Azure China developer guide", "Azure Government developer
# guide").
BLOB_SUFFIXES = {"AzureCloud": "blob.core.windows.net", "AzureChinaCloud": "blob.core.chinacloudapi.cn",
                 "AzureUSGovernment": "blob.core.usgovcloudapi.net"}
STATE_CONNECTION_STRING = "FOUNDRY_LITELLM_STATE_CONNECTION_STRING"
STATE_SAS = "FOUNDRY_LITELLM_STATE_SAS"


def blob_container(account_url: str, container: str, *, cloud: str, env: Mapping[str, str]) -> Any:
    """The remote state's container: a connection string or a SAS from the environment when one is set (never from
    the config file), else Entra ID through DefaultAzureCredential (role Storage Blob Data Contributor)."""
    with _IMPORT_LOCK:
        from azure.storage.blob import ContainerClient
    options: dict[str, Any] = {"user_agent": f"foundry-litellm/{__version__}"}
    if env.get(STATE_CONNECTION_STRING):
        return ContainerClient.from_connection_string(env[STATE_CONNECTION_STRING], container, **options)
    if env.get(STATE_SAS):
        return ContainerClient(account_url, container, credential=env[STATE_SAS].lstrip("?"), **options)
    from azure.identity import DefaultAzureCredential

    return ContainerClient(account_url, container, credential=DefaultAzureCredential(authority=CLOUDS[cloud][1]),
                           **options)


# Python's per-module import locks detect a cycle between two threads importing azure.core.pipeline and its
# policies at once and fail one import ("deadlock detected by _ModuleLock"): SDK modules are imported one at a time.
_IMPORT_LOCK = threading.RLock()


@dataclass(frozen=True)
class Target:
    """Where ARM is: real Azure (a cloud), or any ARM-compatible endpoint such as the emulator."""

    base_url: str
    credential_scope: str
    verify: str | bool = True
    emulator: bool = False  # no Azure login: any bearer token is accepted
    authority: str | None = None
    time_scale: float = 1.0  # an emulator's time scale; Azure's is 1

    @property
    def polling_interval(self) -> float:
        """Seconds between LRO polls when Azure sends no Retry-After (the SDK's default is 30)."""
        return max(0.01, 5.0 * self.time_scale)

    @classmethod
    def cloud(cls, name: str) -> Target:
        base, authority = CLOUDS[name]
        return cls(base_url=base, credential_scope=f"{base}/.default", authority=authority)

    @classmethod
    def endpoint(cls, url: str, ca_cert: str | None, *, emulator: bool, time_scale: float = 1.0) -> Target:
        return cls(base_url=url.rstrip("/"), credential_scope="https://management.azure.com/.default",
                   verify=ca_cert or True, emulator=emulator, time_scale=time_scale)


class _StaticCredential:
    """The emulator accepts any bearer token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("foundry-litellm-emulator", int(time.time()) + 3600)


class Clients:
    """Lazily built, shared management clients for one subscription and target."""

    def __init__(self, target: Target | Callable[[], Target], subscription_id: str) -> None:
        self._target = target  # or how to get it, asked on first use: an emulator that is still starting
        self.subscription_id = subscription_id
        self._lock = threading.Lock()
        self._target_lock = threading.Lock()
        self._locks = {name: threading.Lock() for name in _CLIENTS}
        self._clients: dict[str, Any] = {}
        self._credential: Any = None
        self._transport: Any = None
        self._verify: Any = None  # what the shared transport verifies TLS with (_shared_transport)
        self._session: Any = None
        self._retry: Any = None
        self._arm: Any = None

    @property
    def target(self) -> Target:
        if not isinstance(self._target, Target):
            with self._target_lock:
                if not isinstance(self._target, Target):
                    self._target = self._target()
        return self._target

    def credential(self) -> Any:
        with self._lock:
            return self._credential_locked()

    def _credential_locked(self) -> Any:
        if self._credential is None:
            if self.target.emulator:
                self._credential = _StaticCredential()
            else:
                from azure.identity import DefaultAzureCredential

                self._credential = DefaultAzureCredential(authority=self.target.authority)
        return self._credential

    def _shared_transport(self) -> Any:
        """One connection pool for every client: all of them talk to the same ARM host, so keep-alive
        connections (and their TLS handshakes) are shared instead of opened per client."""
        with self._lock:
            if self._transport is None:
                import requests
                from azure.core.pipeline.transport import RequestsTransport

                session = requests.Session()
                adapter = requests.adapters.HTTPAdapter(pool_connections=2, pool_maxsize=MAX_CONNECTIONS)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                # requests reads the proxy and CA-bundle variables again at every request (iterating the whole
                # environment twice: a quarter of its CPU per request); every request goes to one host, so they are
                # read once, here (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE)
                settings = session.merge_environment_settings(self.target.base_url, {}, None, self.target.verify,
                                                              None)
                session.trust_env = False
                session.proxies = settings["proxies"]
                self._verify = settings["verify"]
                self._session = session
                self._transport = RequestsTransport(session=session, session_owner=False,
                                                    connection_verify=self._verify)
            return self._transport

    def _retry_policy(self) -> Any:
        """One retry policy for every client (``retry.py``): configured once, here."""
        with self._lock:
            if self._retry is None:
                from .retry import policy

                with _IMPORT_LOCK:
                    self._retry = policy(self.target.time_scale)
            return self._retry

    def get(self, name: str, subscription_id: str | None = None) -> Any:
        """The client ``name`` for the run's subscription, or for another one (private DNS zones that a hub
        subscription holds)."""
        subscription = (subscription_id or self.subscription_id).lower()
        key = name if subscription == self.subscription_id.lower() else f"{name}@{subscription}"
        with self._locks[name]:  # one lock per client: building one never holds up the others
            if key not in self._clients:
                module_name, class_name = _CLIENTS[name]
                with _IMPORT_LOCK:  # two threads importing SDK packages at once can deadlock on azure.core's
                    cls = getattr(importlib.import_module(module_name), class_name)
                transport = self._shared_transport()  # first: it resolves ``_verify``
                self._clients[key] = cls(
                    transport=transport,
                    credential=self.credential(),
                    subscription_id=subscription,
                    base_url=self.target.base_url,  # by keyword: profile clients take api_version third
                    credential_scopes=[self.target.credential_scope],
                    connection_verify=self._verify,
                    polling_interval=self.target.polling_interval,
                    user_agent=f"foundry-litellm/{__version__}",
                    retry_policy=self._retry_policy(),
                )
                _without_auto_registration(self._clients[key])
            return self._clients[key]

    def arm(self) -> Any:
        """One ARM pipeline for requests by resource id (azure_ops.read_by_id): the policies of an SDK client's, on
        the shared transport, without importing any SDK package (about 1 s of CPU for all of them, which a run that
        only reads — a no-op deploy, plan, status — would spend for nothing)."""
        if self._arm is not None:
            return self._arm
        with _IMPORT_LOCK:  # with what azure_ops.send_by_id imports: loaded before any thread uses them
            import azure.core.exceptions
            import azure.core.polling
            import azure.core.rest
            import azure.mgmt.core.exceptions
            import azure.mgmt.core.polling.arm_polling  # noqa: F401
            from azure.core.pipeline import policies
            from azure.mgmt.core import ARMPipelineClient
            from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy
        transport, retry_policy, credential = self._shared_transport(), self._retry_policy(), self.credential()
        with self._lock:
            if self._arm is None:
                self._arm = ARMPipelineClient(base_url=self.target.base_url, transport=transport, policies=[
                    policies.RequestIdPolicy(), policies.HeadersPolicy(),
                    policies.UserAgentPolicy(user_agent=f"foundry-litellm/{__version__}"), policies.ProxyPolicy(),
                    policies.ContentDecodePolicy(), policies.RedirectPolicy(), retry_policy,
                    ARMChallengeAuthenticationPolicy(credential, self.target.credential_scope),
                    policies.CustomHookPolicy(), policies.NetworkTraceLoggingPolicy(),
                    policies.DistributedTracingPolicy(), policies.SensitiveHeaderCleanupPolicy(),
                    ARMHttpLoggingPolicy()])
            return self._arm

    def reattach(self, token: str) -> Any:
        """A poller for the operation behind a continuation token, whatever started it: the token holds the
        operation's URLs, and polling them needs only an ARM pipeline (any client's: same host, same login)."""
        with _IMPORT_LOCK:
            from azure.core.polling import LROPoller
            from azure.mgmt.core.polling.arm_polling import ARMPolling

        from .azure_ops import raw

        pipeline_client = self.arm()
        return LROPoller.from_continuation_token(
            ARMPolling(self.target.polling_interval), token, client=pipeline_client,
            deserialization_callback=lambda response: raw(response, None, {}))

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                close = getattr(client, "close", None)
                if close is not None:
                    close()
            self._clients.clear()
            if self._session is not None:
                self._session.close()


def _without_auto_registration(client: Any) -> None:
    """Take the SDK's provider auto-registration out of the client's pipeline.

    On a 409 MissingSubscriptionRegistration, azure-mgmt-core registers the namespace itself and polls every
    10 s with no bound (ARMAutoResourceProviderRegistrationPolicy): a write during ``--plan`` or ``status``, and a
    wait no timeout covers. Registration is a step of ours (steps/resource_provider.py), so the 409 passes
    through, and a read treats it as "nothing there" (azure_ops.read_by_id).
    """
    from azure.mgmt.core.policies import ARMAutoResourceProviderRegistrationPolicy

    pipeline = getattr(getattr(client, "_client", None), "_pipeline", None)
    for policy in getattr(pipeline, "_impl_policies", []):
        if isinstance(policy, ARMAutoResourceProviderRegistrationPolicy):
            policy.send = policy.next.send  # type: ignore[method-assign]
