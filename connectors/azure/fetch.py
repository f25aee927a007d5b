"""Live collection: ARM through the azure-mgmt-* clients, Microsoft Graph and Azure Resource Graph
through the shared REST client.

Every answer is stored as Azure sent it (pages merged into one ``{"value": [...]}`` document), taken
from the wire with a ``raw_response_hook`` so that the bundle is the provider's JSON, not the SDK's
model of it. Nothing here asks for a secret value: Graph lists credentials' metadata only, registry
tokens are listed without ``generateCredentials``, and ``listCredentials`` is never called. Any value
field that would still come back is dropped before it is written.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import RetryPolicy, SansIOHTTPPolicy

from connectors._http import NotFoundError, RestClient, body_next
from connectors.azure import resource_graph
from connectors.azure.load import (
    ACR,
    APPLICATIONS,
    AUTHZ,
    MSI,
    SERVICE_PRINCIPALS,
    child_file,
    fic_file,
    subscription_file,
    subscription_list,
)
from connectors.azure.settings import Settings as Settings
from scanner.bundle import BundleWriter
from scanner.errors import AuthError, ConfigError, ConnectorError, ThrottledError

PROVIDER = "azure"
GRAPH_SCOPE = "graph"
RESOURCE_GRAPH_SCOPE = resource_graph.SCOPE
_APP_SELECT = "id,appId,displayName,createdDateTime,passwordCredentials,keyCredentials"
_SP_SELECT = (
    "id,appId,displayName,servicePrincipalType,accountEnabled,appOwnerOrganizationId,passwordCredentials,keyCredentials"
)
# Fields that can carry secret material in these answers; never written.
_SECRET_FIELDS = frozenset({"secretText", "key", "value", "password"})
_CREDENTIAL_LISTS = frozenset({"passwordCredentials", "keyCredentials", "passwords", "certificates"})


# --- authentication ---------------------------------------------------------------------------------


class _StaticToken:
    """A TokenCredential over a bearer token taken from the environment."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)


class _HeaderPolicy(SansIOHTTPPolicy[Any, Any]):
    """Sets the bearer header itself: unlike BearerTokenCredentialPolicy it does not refuse plain
    HTTP, which a local test server needs. Used only with an environment token."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.http_request.headers["Authorization"] = self._header


def _env_token(var: str) -> str:
    value = os.environ.get(var)
    if not value:
        raise AuthError(f"azure: environment variable {var} is not set or empty")
    return value


def _credential(settings: Settings) -> TokenCredential:
    from azure import identity  # imported when used: no client at import time

    kw: dict[str, Any] = {"tenant_id": settings.tenant_id} if settings.tenant_id else {}
    factories: Mapping[str, Callable[[], TokenCredential]] = {
        "default": lambda: identity.DefaultAzureCredential(exclude_interactive_browser_credential=True, **kw),
        "cli": lambda: identity.AzureCliCredential(**kw),
        "environment": lambda: identity.EnvironmentCredential(),
        "managed_identity": lambda: identity.ManagedIdentityCredential(),
    }
    return factories[settings.credential]()


def _bearer(settings: Settings, token_env: str | None, audience: str, what: str) -> str:
    """A bearer token for a REST API (Resource Graph, Microsoft Graph): from the environment or the credential."""
    if token_env:
        return _env_token(token_env)
    try:
        return _credential(settings).get_token(f"{audience.rstrip('/')}/.default").token
    except (ClientAuthenticationError, AzureError) as e:
        raise AuthError(f"azure: cannot get a {what} token ({type(e).__name__})") from e


def _rest(settings: Settings, base_url: str, token: str, sleep: Callable[[float], None]) -> RestClient:
    return RestClient(
        provider=PROVIDER,
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        sleep=sleep,
        max_retries=settings.max_retries,
        max_wait=settings.max_wait,
    )


class _Retry(RetryPolicy[Any, Any]):
    """azure-core's retry (429/5xx, Retry-After honoured) with bounded waits and an injectable sleep."""

    def __init__(self, sleep: Callable[[float], None], max_wait: float, retries: int) -> None:
        super().__init__(retry_total=retries, retry_backoff_factor=1.0, retry_backoff_max=max_wait)
        self._sleep_fn = sleep
        self._max_wait = max_wait

    def sleep(
        self, settings: dict[str, Any], transport: Any, response: PipelineResponse[Any, Any] | None = None
    ) -> None:
        wait = self.get_retry_after(response) if response is not None else None
        if wait is None:
            wait = self.get_backoff_time(settings)
        if wait > self._max_wait:
            raise ThrottledError(f"azure: asked to wait {wait:.0f}s, more than the {self._max_wait:.0f}s allowed")
        if wait > 0:
            self._sleep_fn(wait)


@dataclass
class Arm:
    """The ARM clients of one subscription, and how each answer is captured."""

    settings: Settings
    sleep: Callable[[float], None]
    subscription_id: str = ""

    def kwargs(self) -> dict[str, Any]:
        """Client options: endpoint, credential, retry and authentication policies."""
        kw: dict[str, Any] = {
            "base_url": self.settings.arm_endpoint.rstrip("/"),
            "retry_policy": _Retry(self.sleep, self.settings.max_wait, self.settings.max_retries),
        }
        if self.settings.arm_token_env:
            token = _env_token(self.settings.arm_token_env)
            kw["credential"] = _StaticToken(token)
            kw["authentication_policy"] = _HeaderPolicy(token)
        else:
            kw["credential"] = _credential(self.settings)
        return kw


def _call_name(url: str) -> str:
    # The API path without host or query (which holds only api-version and paging cursors here).
    path = url.split("?", 1)[0]
    return path.split("://", 1)[-1].split("/", 1)[-1]


def _scrub(item: Any, within: str = "") -> Any:
    """Drop value-bearing fields from credential lists (they are null or absent in list answers)."""
    if isinstance(item, dict):
        secretish = within in _CREDENTIAL_LISTS
        return {
            k: _scrub(v, k) for k, v in item.items() if not (secretish and k in _SECRET_FIELDS and isinstance(v, str))
        }
    if isinstance(item, list):
        return [_scrub(v, within) for v in item]
    return item


def _pages_of(op: Callable[..., Iterable[Any]], what: str, **kwargs: Any) -> dict[str, Any]:
    """Run one paged SDK list and merge the raw pages it fetched into one ``{"value": [...]}``."""
    items: list[Any] = []

    def hook(resp: PipelineResponse[Any, Any]) -> None:
        if resp.http_response.status_code < 300:
            body = json.loads(resp.http_response.text())
            items.extend(body.get("value", []) if isinstance(body, dict) else [])

    try:
        for _ in op(raw_response_hook=hook, **kwargs):
            pass
    except ClientAuthenticationError as e:
        raise AuthError(f"azure GET {what}: {e.status_code or 401} unauthorized") from e
    except HttpResponseError as e:
        raise _http_error(what, e) from e
    except AzureError as e:
        raise ConnectorError(f"azure GET {what}: {type(e).__name__}") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConnectorError(f"azure GET {what}: response is not valid JSON") from e
    return {"value": [_scrub(i) for i in items]}


def _http_error(what: str, e: HttpResponseError) -> ConnectorError:
    status = e.status_code
    code = f" ({e.error.code})" if e.error is not None and e.error.code else ""
    if status == 404:
        return NotFoundError(f"azure GET {what}: 404 not found{code}")
    if status in (401, 403):
        return AuthError(f"azure GET {what}: {status} forbidden{code}")
    if status == 429:
        return ThrottledError(f"azure GET {what}: still throttled (429) after retries")
    return ConnectorError(f"azure GET {what}: HTTP {status}{code}")


def _get_one(op: Callable[..., Any], what: str, *args: Any) -> dict[str, Any]:
    captured: list[Any] = []

    def hook(resp: PipelineResponse[Any, Any]) -> None:
        if resp.http_response.status_code < 300:
            captured.append(json.loads(resp.http_response.text()))

    try:
        op(*args, raw_response_hook=hook)
    except ClientAuthenticationError as e:
        raise AuthError(f"azure GET {what}: {e.status_code or 401} unauthorized") from e
    except HttpResponseError as e:
        raise _http_error(what, e) from e
    except AzureError as e:
        raise ConnectorError(f"azure GET {what}: {type(e).__name__}") from e
    if not captured or not isinstance(captured[-1], dict):
        raise ConnectorError(f"azure GET {what}: empty or malformed answer")
    result: dict[str, Any] = _scrub(captured[-1])
    return result


# --- scopes -----------------------------------------------------------------------------------------


def subscription_ids(settings: Settings, sleep: Callable[[float], None]) -> list[str]:
    """The configured subscriptions, or every enabled one the credential can see (sorted)."""
    if settings.subscriptions:
        return list(settings.subscriptions)
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    client = SubscriptionClient(**Arm(settings, sleep).kwargs())
    listed = _pages_of(client.subscriptions.list, "/subscriptions")
    return sorted(s["subscriptionId"] for s in listed["value"] if s.get("state", "Enabled") != "Disabled")


def scopes(settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> list[str]:
    """``graph`` (when enabled), ``resource-graph`` (role assignments and definitions of every subscription,
    when collected through Resource Graph) and ``subscriptions/<id>`` for each configured or visible one."""
    subs = subscription_ids(settings, sleep)
    rbac = [RESOURCE_GRAPH_SCOPE] if subs and settings.uses_resource_graph() else []
    return ([GRAPH_SCOPE] if settings.graph else []) + rbac + [f"subscriptions/{s}" for s in subs]


# --- one subscription ---------------------------------------------------------------------------------


def _record_list(
    writer: BundleWriter, scope: str, rel: str, what: str, op: Callable[..., Iterable[Any]], **kw: Any
) -> dict[str, Any] | None:
    """One list call of a scope: stored and recorded; a failure is recorded and the scope goes on."""
    try:
        page = _pages_of(op, what, **kw)
    except NotFoundError as e:
        writer.record(PROVIDER, scope, what, "not_found", str(e))
        return None
    except (AuthError, ThrottledError, ConnectorError) as e:
        writer.record(PROVIDER, scope, what, "failed", str(e))
        return None
    writer.put_json(rel, page)
    writer.record(PROVIDER, scope, what)
    return page


def collect_subscription(settings: Settings, sub: str, writer: BundleWriter, sleep: Callable[[float], None]) -> None:
    """Collect one subscription. If the subscription itself cannot be read, the whole scope fails."""
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient
    from azure.mgmt.msi import ManagedServiceIdentityClient
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    kw = Arm(settings, sleep, sub).kwargs()
    scope = f"subscriptions/{sub}"
    info = _get_one(SubscriptionClient(**kw).subscriptions.get, f"/subscriptions/{sub}", sub)
    writer.put_json(subscription_file(sub), info)
    writer.record(PROVIDER, scope, f"/subscriptions/{sub}")

    base = f"/subscriptions/{sub}"
    if not settings.uses_resource_graph():  # else the resource-graph scope lists them for every subscription
        authz = AuthorizationManagementClient(subscription_id=sub, **kw)
        lists: tuple[tuple[str, Callable[..., Iterable[Any]]], ...] = (
            ("roleAssignments", authz.role_assignments.list_for_subscription),
            ("roleDefinitions", partial(authz.role_definitions.list, scope=base)),
        )
        for name, op in lists:
            path = f"{AUTHZ}/{name}"
            _record_list(writer, scope, subscription_list(sub, path), f"{base}/{path}", op)

    acr = ContainerRegistryManagementClient(subscription_id=sub, **kw)
    regs = _record_list(writer, scope, subscription_list(sub, ACR), f"{base}/{ACR}", acr.registries.list)
    for reg in regs["value"] if regs else []:
        rid, rg, name = reg["id"], reg["id"].split("/")[4], reg["name"]
        for child, op in (("scopeMaps", acr.scope_maps.list), ("tokens", acr.tokens.list)):
            _record_list(
                writer, scope, child_file(rid, child), f"{rid}/{child}", op, resource_group_name=rg, registry_name=name
            )

    msi = ManagedServiceIdentityClient(subscription_id=sub, **kw)
    mis = _record_list(
        writer, scope, subscription_list(sub, MSI), f"{base}/{MSI}", msi.user_assigned_identities.list_by_subscription
    )
    for mi in mis["value"] if mis else []:
        rel = child_file(mi["id"], "federatedIdentityCredentials")
        _record_list(
            writer,
            scope,
            rel,
            f"{mi['id']}/federatedIdentityCredentials",
            msi.federated_identity_credentials.list,
            resource_group_name=mi["id"].split("/")[4],
            resource_name=mi["name"],
        )


# --- Azure Resource Graph -----------------------------------------------------------------------------


def collect_resource_graph(settings: Settings, writer: BundleWriter, sleep: Callable[[float], None]) -> None:
    """Role assignments and definitions of every subscription in scope, through Azure Resource Graph."""
    subs = subscription_ids(settings, sleep)
    if not settings.subscriptions:
        writer.record(PROVIDER, RESOURCE_GRAPH_SCOPE, "/subscriptions")
    token = _bearer(settings, settings.arm_token_env, settings.arm_endpoint, "Resource Manager")
    client = _rest(settings, settings.arm_endpoint.rstrip("/"), token, sleep)
    try:
        resource_graph.collect(client, subs, writer, sleep=sleep, max_wait=settings.max_wait)
    finally:
        client.close()


# --- Microsoft Graph ----------------------------------------------------------------------------------


def graph_client(settings: Settings, sleep: Callable[[float], None]) -> RestClient:
    """The Graph REST client with a bearer token from the environment or the configured credential."""
    token = _bearer(settings, settings.graph_token_env, "https://graph.microsoft.com", "Microsoft Graph")
    return _rest(settings, settings.graph_endpoint.rstrip("/") + "/v1.0", token, sleep)


def _graph_list(client: RestClient, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]:
    items: list[Any] = []
    context = None
    for page in client.pages(path, params, next_url=body_next("@odata.nextLink")):
        if not isinstance(page, dict) or not isinstance(page.get("value"), list):
            raise ConnectorError(f"azure GET {path}: not a Graph collection page")
        context = context or page.get("@odata.context")
        items.extend(page["value"])
    out: dict[str, Any] = {"@odata.context": context} if context else {}
    out["value"] = [_scrub(i) for i in items]
    return out


def collect_graph(settings: Settings, writer: BundleWriter, sleep: Callable[[float], None]) -> None:
    """Collect the tenant's service principals and applications with their federated credentials."""
    client = graph_client(settings, sleep)
    try:
        sps = _graph_list(client, "/servicePrincipals", {"$select": _SP_SELECT, "$top": 999})
        writer.put_json(SERVICE_PRINCIPALS, sps)
        writer.record(PROVIDER, GRAPH_SCOPE, "/v1.0/servicePrincipals")
        apps = _graph_list(client, "/applications", {"$select": _APP_SELECT, "$top": 999})
        writer.put_json(f"{APPLICATIONS}.json", apps)
        writer.record(PROVIDER, GRAPH_SCOPE, "/v1.0/applications")
        for app in apps["value"]:
            path = f"/applications/{app['id']}/federatedIdentityCredentials"
            try:
                writer.put_json(fic_file(app["id"]), _graph_list(client, path))
                writer.record(PROVIDER, GRAPH_SCOPE, f"/v1.0{path}")
            except NotFoundError as e:
                writer.record(PROVIDER, GRAPH_SCOPE, f"/v1.0{path}", "not_found", str(e))
    finally:
        client.close()


def collect(
    settings: Settings, scope: str, writer: BundleWriter, *, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Collect one scope: ``graph``, ``resource-graph`` or ``subscriptions/<id>``."""
    if scope == GRAPH_SCOPE:
        collect_graph(settings, writer, sleep)
    elif scope == RESOURCE_GRAPH_SCOPE:
        collect_resource_graph(settings, writer, sleep)
    elif scope.startswith("subscriptions/"):
        collect_subscription(settings, scope.removeprefix("subscriptions/"), writer, sleep)
    else:
        raise ConfigError(f"azure: unknown scope {scope!r}")


#: What the Collector calls (real sleeping); tests call :func:`collect` with their own ``sleep``.
collect_live = partial(collect, sleep=time.sleep)
