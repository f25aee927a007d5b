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
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import (
    ContentDecodePolicy,
    CustomHookPolicy,
    DistributedTracingPolicy,
    HeadersPolicy,
    HTTPPolicy,
    NetworkTraceLoggingPolicy,
    ProxyPolicy,
    RedirectPolicy,
    RequestIdPolicy,
    RetryPolicy,
    SansIOHTTPPolicy,
    SensitiveHeaderCleanupPolicy,
    UserAgentPolicy,
)

from connectors._http import MAX_PAGES, NotFoundError, RestClient, body_next
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
from scanner.collect_session import CollectSession
from scanner.errors import AuthError, ConfigError, ConnectorError, ThrottledError

log = logging.getLogger("regwarden.azure")

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


def _rest(
    settings: Settings, base_url: str, token: str, sleep: Callable[[float], None], session: CollectSession | None
) -> RestClient:
    # With the run's session the client counts its requests in the run's tally (and may use its HTTP cache).
    return RestClient(
        provider=PROVIDER,
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        sleep=sleep,
        max_retries=settings.max_retries,
        max_wait=settings.max_wait,
        session=session,
    )


def _count(session: CollectSession | None, **amounts: float) -> None:
    """Add to the run's tally of Azure requests; scope discovery runs without a session and counts nothing."""
    if session is not None:
        session.count(PROVIDER, **amounts)


class _Retry(RetryPolicy[Any, Any]):
    """azure-core's retry (429/5xx, Retry-After honoured) with bounded waits and an injectable sleep.
    Each retry is counted in the run's tally."""

    def __init__(
        self, sleep: Callable[[float], None], max_wait: float, retries: int, session: CollectSession | None = None
    ) -> None:
        super().__init__(retry_total=retries, retry_backoff_factor=1.0, retry_backoff_max=max_wait)
        self._sleep_fn = sleep
        self._max_wait = max_wait
        self._session = session

    def sleep(
        self, settings: dict[str, Any], transport: Any, response: PipelineResponse[Any, Any] | None = None
    ) -> None:
        wait = self.get_retry_after(response) if response is not None else None
        if wait is None:
            wait = self.get_backoff_time(settings)
        if wait > self._max_wait:
            raise ThrottledError(f"azure: asked to wait {wait:.0f}s, more than the {self._max_wait:.0f}s allowed")
        _count(self._session, retried=1)  # azure-core calls this only when it is about to try again
        if wait > 0:
            self._sleep_fn(wait)


class _Tally(SansIOHTTPPolicy[Any, Any]):
    """Counts every answer ARM sends, error answers included, in the run's tally. It is the last policy,
    next to the transport, so each attempt of a retried or re-authenticated request is counted."""

    def __init__(self, session: CollectSession) -> None:
        self._session = session

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        self._session.count(PROVIDER, fetched=1)


def _arm_scopes(endpoint: str) -> list[str]:
    """The token scope for ARM through a credential.

    The azure-mgmt clients ask for the scope of the cloud azure-core is set to (the public cloud's
    ``https://management.azure.com/.default`` unless ``AZURE_SDK_CLOUD_CONF`` says otherwise), whatever
    ``base_url`` is; that is kept. One change: when ``arm_endpoint`` is the Resource Manager of a cloud
    the SDK knows (Azure China, US Government), that cloud's scope is asked for, since ARM there refuses
    a token for another cloud's audience.
    """
    from azure.core import AzureClouds
    from azure.core.settings import settings as core_settings
    from azure.mgmt.core.tools import get_arm_endpoints

    host = urlsplit(endpoint).hostname
    for cloud in AzureClouds:
        known = get_arm_endpoints(cloud)
        if urlsplit(known["resource_manager"]).hostname == host:
            return list(known["credential_scopes"])
    return list(get_arm_endpoints(core_settings.azure_cloud())["credential_scopes"])


@dataclass
class Arm:
    """How the ARM clients are built: endpoint, credential and an explicit list of pipeline policies."""

    settings: Settings
    sleep: Callable[[float], None]
    session: CollectSession | None = None
    _credential: TokenCredential | None = field(default=None, init=False, repr=False)

    def kwargs(self) -> dict[str, Any]:
        """Options for one client. Call it once per client: a pipeline links its policies to one another
        (``policy.next``), so two clients must not share policy instances."""
        s = self.settings
        auth: HTTPPolicy[Any, Any] | SansIOHTTPPolicy[Any, Any]
        if s.arm_token_env:
            token = _env_token(s.arm_token_env)
            credential: TokenCredential = _StaticToken(token)
            auth = _HeaderPolicy(token)
        else:
            from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

            if self._credential is None:
                self._credential = _credential(s)
            credential = self._credential
            auth = ARMChallengeAuthenticationPolicy(credential, *_arm_scopes(s.arm_endpoint))
        from azure.mgmt.core.policies import ARMHttpLoggingPolicy

        # The clients' default list (azure/mgmt/*/_client.py) less ARMAutoResourceProviderRegistrationPolicy:
        # on a 409 MissingSubscriptionRegistration that policy POSTs .../providers/<namespace>/register, a
        # write to the subscription, then polls with a real and unbounded sleep. A read-only scanner must
        # not do that: here the 409 is that call's failure.
        policies: list[HTTPPolicy[Any, Any] | SansIOHTTPPolicy[Any, Any]] = [
            RequestIdPolicy(),
            HeadersPolicy(),
            UserAgentPolicy(user_agent="regwarden"),
            ProxyPolicy(),
            ContentDecodePolicy(),
            RedirectPolicy(),
            _Retry(self.sleep, s.max_wait, s.max_retries, self.session),
            auth,
            CustomHookPolicy(),  # runs the raw_response_hook that captures each answer
            NetworkTraceLoggingPolicy(),
            DistributedTracingPolicy(),
            SensitiveHeaderCleanupPolicy(),
            ARMHttpLoggingPolicy(),
        ]
        if self.session is not None:
            policies.append(_Tally(self.session))
        return {"base_url": s.arm_endpoint.rstrip("/"), "credential": credential, "policies": policies}


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


def _arm_call(what: str, session: CollectSession | None, run: Callable[[], object]) -> None:
    """Run one ARM call, turning every way it can fail into a one-line error naming it. A call given up
    (any failure but a 404, which is an answer) is counted failed in the run's tally."""
    try:
        try:
            run()
        except ClientAuthenticationError as e:
            raise AuthError(f"azure GET {what}: {e.status_code or 401} unauthorized") from e
        except HttpResponseError as e:
            raise _http_error(what, e) from e
        except AzureError as e:
            raise ConnectorError(f"azure GET {what}: {type(e).__name__}") from e
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ConnectorError(f"azure GET {what}: response is not valid JSON") from e
        except (ValueError, TypeError) as e:  # the SDK's models could not read the answer
            raise ConnectorError(f"azure GET {what}: the answer is not in ARM's shape ({type(e).__name__})") from e
    except NotFoundError:
        raise
    except ConnectorError:
        _count(session, failed=1)
        raise


def _pages_of(
    op: Callable[..., Iterable[Any]], what: str, session: CollectSession | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Run one paged SDK list and merge the raw pages it fetched into one ``{"value": [...]}``.

    Each page is checked in the hook, as it comes: azure-core's pager follows a repeated ``nextLink``
    forever, so a repeated link or more than ``MAX_PAGES`` pages stops the call here, and a ``value``
    that is not a list fails the call rather than escaping as a TypeError."""
    items: list[Any] = []
    links: set[str] = set()
    pages = 0

    def hook(resp: PipelineResponse[Any, Any]) -> None:
        nonlocal pages
        if resp.http_response.status_code >= 300:
            return
        body = json.loads(resp.http_response.text())
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise ConnectorError(f"azure GET {what}: not a list page ('value' is not a list)")
        link = body.get("nextLink")
        if link is not None and not isinstance(link, str):
            raise ConnectorError(f"azure GET {what}: not a list page ('nextLink' is not a string)")
        items.extend(body["value"])
        pages += 1
        if not link:
            return
        if link in links:
            raise ConnectorError(f"azure GET {what}: pagination loop (nextLink repeated after {pages} pages)")
        if pages >= MAX_PAGES:
            raise ConnectorError(f"azure GET {what}: more than {MAX_PAGES} pages; stopped (not assessed past it)")
        links.add(link)

    def run() -> None:
        for _ in op(raw_response_hook=hook, **kwargs):
            pass

    _arm_call(what, session, run)
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


def _get_one(op: Callable[..., Any], what: str, session: CollectSession | None, *args: Any) -> dict[str, Any]:
    captured: list[Any] = []

    def hook(resp: PipelineResponse[Any, Any]) -> None:
        if resp.http_response.status_code < 300:
            captured.append(json.loads(resp.http_response.text()))

    _arm_call(what, session, lambda: op(*args, raw_response_hook=hook))
    if not captured or not isinstance(captured[-1], dict):
        _count(session, failed=1)
        raise ConnectorError(f"azure GET {what}: empty or malformed answer")
    result: dict[str, Any] = _scrub(captured[-1])
    return result


def _gap(writer: BundleWriter, scope: str, what: str, detail: str) -> None:
    """A failed call of a scope that goes on: recorded (a coverage gap) and counted."""
    writer.record(PROVIDER, scope, what, "failed", detail)
    writer.session.count(PROVIDER, failed=1)


# Subscription and Graph object ids are GUIDs; anything else would be an odd scope name or bundle path.
_OBJECT_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]*")


def _resources(
    writer: BundleWriter, scope: str, what: str, page: dict[str, Any] | None, kind: str, lost: str
) -> Iterator[tuple[str, str, str]]:
    """Id, resource group and name of each resource a list call answered; an item that lacks them is a
    gap of that call (``lost`` says what is not collected for it), and the others go on."""
    for i, item in enumerate(page["value"] if page else [], start=1):
        try:
            yield _resource(item, kind)
        except ConnectorError as e:
            _gap(writer, scope, what, f"azure GET {what}: item {i}: {e}; {lost}")


def _resource(item: Any, kind: str) -> tuple[str, str, str]:
    """A listed ARM resource's id, resource group and name, or a one-line error saying what it lacks.
    Its children are asked for by resource group and name, and stored under its id."""
    rid = item.get("id") if isinstance(item, dict) else None
    if not isinstance(rid, str) or not rid:
        raise ConnectorError(f"a {kind} without a resource id in the answer")
    parts = rid.split("/")
    # "/subscriptions/{sub}/resourceGroups/{group}/providers/{namespace}/{type}/{name}"
    if (
        len(parts) != 9
        or parts[0]
        or parts[1].lower() != "subscriptions"
        or parts[3].lower() != "resourcegroups"
        or parts[5].lower() != "providers"
        or any(p in ("", ".", "..") for p in parts[1:])
    ):
        raise ConnectorError(f"a {kind} whose id is not an ARM resource id ({rid[:200]!r})")
    name = item.get("name") if isinstance(item, dict) else None
    if not isinstance(name, str) or not name:
        raise ConnectorError(f"a {kind} without a name in the answer ({rid})")
    return rid, parts[4], name


# --- scopes -----------------------------------------------------------------------------------------


def _visible_subscriptions(
    settings: Settings, sleep: Callable[[float], None], session: CollectSession | None
) -> tuple[list[str], int]:
    """The configured subscriptions, or every enabled one the credential can see (sorted), and how many
    listed ones were skipped for lacking a usable ``subscriptionId``."""
    if settings.subscriptions:
        return list(settings.subscriptions), 0
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    client = SubscriptionClient(**Arm(settings, sleep, session).kwargs())
    listed = _pages_of(client.subscriptions.list, "/subscriptions", session)
    subs: set[str] = set()
    skipped = 0
    for s in listed["value"]:
        sid = s.get("subscriptionId") if isinstance(s, dict) else None
        if not isinstance(sid, str) or not _OBJECT_ID.fullmatch(sid):
            skipped += 1
        elif s.get("state", "Enabled") != "Disabled":
            subs.add(sid)
    return sorted(subs), skipped


def subscription_ids(
    settings: Settings, sleep: Callable[[float], None], session: CollectSession | None = None
) -> list[str]:
    """The configured subscriptions, or every enabled one the credential can see (sorted). A listed one
    without a usable ``subscriptionId`` is skipped with a warning (the resource-graph scope records it).
    Requests are counted in ``session`` (the run's) when given."""
    subs, skipped = _visible_subscriptions(settings, sleep, session)
    if skipped:
        log.warning("azure GET /subscriptions: %d subscription(s) without a usable subscriptionId; skipped", skipped)
    return subs


def scopes(
    settings: Settings, *, sleep: Callable[[float], None] | None = None, tally: CollectSession | None = None
) -> list[str]:
    """``graph`` (when enabled), ``resource-graph`` (role assignments and definitions of every subscription,
    when collected through Resource Graph) and ``subscriptions/<id>`` for each configured or visible one.
    Listing the subscriptions is counted in ``tally`` (the run's) and waits through its sleeper."""
    wait = sleep or (tally.sleep if tally is not None else time.sleep)
    subs = subscription_ids(settings, wait, tally)
    rbac = [RESOURCE_GRAPH_SCOPE] if subs and settings.uses_resource_graph() else []
    return ([GRAPH_SCOPE] if settings.graph else []) + rbac + [f"subscriptions/{s}" for s in subs]


# --- one subscription ---------------------------------------------------------------------------------


def _record_list(
    writer: BundleWriter, scope: str, rel: str, what: str, op: Callable[..., Iterable[Any]], **kw: Any
) -> dict[str, Any] | None:
    """One list call of a scope: stored and recorded; a failure is recorded and the scope goes on."""
    try:
        page = _pages_of(op, what, writer.session, **kw)
    except NotFoundError as e:
        writer.record(PROVIDER, scope, what, "not_found", str(e))
        return None
    except ConnectorError as e:  # already counted by _pages_of
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

    arm = Arm(settings, sleep, writer.session)
    scope = f"subscriptions/{sub}"
    info = _get_one(SubscriptionClient(**arm.kwargs()).subscriptions.get, f"/subscriptions/{sub}", writer.session, sub)
    writer.put_json(subscription_file(sub), info)
    writer.record(PROVIDER, scope, f"/subscriptions/{sub}")

    base = f"/subscriptions/{sub}"
    if not settings.uses_resource_graph():  # else the resource-graph scope lists them for every subscription
        authz = AuthorizationManagementClient(subscription_id=sub, **arm.kwargs())
        lists: tuple[tuple[str, Callable[..., Iterable[Any]]], ...] = (
            ("roleAssignments", authz.role_assignments.list_for_subscription),
            ("roleDefinitions", partial(authz.role_definitions.list, scope=base)),
        )
        for name, op in lists:
            path = f"{AUTHZ}/{name}"
            _record_list(writer, scope, subscription_list(sub, path), f"{base}/{path}", op)

    acr = ContainerRegistryManagementClient(subscription_id=sub, **arm.kwargs())
    what = f"{base}/{ACR}"
    regs = _record_list(writer, scope, subscription_list(sub, ACR), what, acr.registries.list)
    for rid, rg, name in _resources(
        writer, scope, what, regs, "registry", "its scope maps and tokens are not collected"
    ):
        for child, op in (("scopeMaps", acr.scope_maps.list), ("tokens", acr.tokens.list)):
            _record_list(
                writer, scope, child_file(rid, child), f"{rid}/{child}", op, resource_group_name=rg, registry_name=name
            )

    msi = ManagedServiceIdentityClient(subscription_id=sub, **arm.kwargs())
    what = f"{base}/{MSI}"
    mis = _record_list(
        writer, scope, subscription_list(sub, MSI), what, msi.user_assigned_identities.list_by_subscription
    )
    for rid, rg, name in _resources(writer, scope, what, mis, "managed identity", "whom it trusts is not collected"):
        _record_list(
            writer,
            scope,
            child_file(rid, "federatedIdentityCredentials"),
            f"{rid}/federatedIdentityCredentials",
            msi.federated_identity_credentials.list,
            resource_group_name=rg,
            resource_name=name,
        )


# --- Azure Resource Graph -----------------------------------------------------------------------------


def collect_resource_graph(settings: Settings, writer: BundleWriter, sleep: Callable[[float], None]) -> None:
    """Role assignments and definitions of every subscription in scope, through Azure Resource Graph."""
    subs, skipped = _visible_subscriptions(settings, sleep, writer.session)
    if not settings.subscriptions:
        writer.record(PROVIDER, RESOURCE_GRAPH_SCOPE, "/subscriptions")
    if skipped:
        _gap(
            writer,
            RESOURCE_GRAPH_SCOPE,
            "/subscriptions",
            f"azure GET /subscriptions: {skipped} subscription(s) without a usable subscriptionId; not assessed",
        )
    token = _bearer(settings, settings.arm_token_env, settings.arm_endpoint, "Resource Manager")
    client = _rest(settings, settings.arm_endpoint.rstrip("/"), token, sleep, writer.session)
    try:
        resource_graph.collect(client, subs, writer, sleep=sleep, max_wait=settings.max_wait)
    finally:
        client.close()


# --- Microsoft Graph ----------------------------------------------------------------------------------


def graph_client(
    settings: Settings, sleep: Callable[[float], None], session: CollectSession | None = None
) -> RestClient:
    """The Graph REST client with a bearer token from the environment or the configured credential."""
    token = _bearer(settings, settings.graph_token_env, "https://graph.microsoft.com", "Microsoft Graph")
    return _rest(settings, settings.graph_endpoint.rstrip("/") + "/v1.0", token, sleep, session)


def _graph_list(client: RestClient, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]:
    items: list[Any] = []
    context = None
    for page in client.pages(path, params, next_url=body_next("@odata.nextLink")):
        if not isinstance(page, dict) or not isinstance(page.get("value"), list):
            # The client counts the calls it gives up itself; this one is given up here.
            _count(client.session, failed=1)
            raise ConnectorError(f"azure GET {path}: not a Graph collection page")
        context = context or page.get("@odata.context")
        items.extend(page["value"])
    out: dict[str, Any] = {"@odata.context": context} if context else {}
    out["value"] = [_scrub(i) for i in items]
    return out


def collect_graph(settings: Settings, writer: BundleWriter, sleep: Callable[[float], None]) -> None:
    """Collect the tenant's service principals and applications with their federated credentials.
    The service principals are the scope's entry call; any other call that fails is that call's gap."""
    client = graph_client(settings, sleep, writer.session)
    try:
        sps = _graph_list(client, "/servicePrincipals", {"$select": _SP_SELECT, "$top": 999})
        writer.put_json(SERVICE_PRINCIPALS, sps)
        writer.record(PROVIDER, GRAPH_SCOPE, "/v1.0/servicePrincipals")
        try:
            apps = _graph_list(client, "/applications", {"$select": _APP_SELECT, "$top": 999})
        except ConnectorError as e:  # counted by the client or by _graph_list
            status = "not_found" if isinstance(e, NotFoundError) else "failed"
            writer.record(PROVIDER, GRAPH_SCOPE, "/v1.0/applications", status, str(e))
            return
        writer.put_json(f"{APPLICATIONS}.json", apps)
        writer.record(PROVIDER, GRAPH_SCOPE, "/v1.0/applications")
        for i, app in enumerate(apps["value"], start=1):
            app_id = app.get("id") if isinstance(app, dict) else None
            if not isinstance(app_id, str) or not _OBJECT_ID.fullmatch(app_id):
                _gap(
                    writer,
                    GRAPH_SCOPE,
                    "/v1.0/applications",
                    f"azure GET /v1.0/applications: item {i}: an application without a usable object id "
                    "in the answer; whom it trusts is not collected",
                )
                continue
            path = f"/applications/{app_id}/federatedIdentityCredentials"
            try:
                fics = _graph_list(client, path)
            except NotFoundError as e:
                writer.record(PROVIDER, GRAPH_SCOPE, f"/v1.0{path}", "not_found", str(e))
                continue
            except ConnectorError as e:  # counted by the client or by _graph_list
                writer.record(PROVIDER, GRAPH_SCOPE, f"/v1.0{path}", "failed", str(e))
                continue
            writer.put_json(fic_file(app_id), fics)
            writer.record(PROVIDER, GRAPH_SCOPE, f"/v1.0{path}")
    finally:
        client.close()


def collect(
    settings: Settings, scope: str, writer: BundleWriter, *, sleep: Callable[[float], None] | None = None
) -> None:
    """Collect one scope: ``graph``, ``resource-graph`` or ``subscriptions/<id>``. Waits go through
    ``sleep``, by default the run's sleeper (``writer.session.sleep``); tests give their own."""
    wait = sleep if sleep is not None else writer.session.sleep
    if scope == GRAPH_SCOPE:
        collect_graph(settings, writer, wait)
    elif scope == RESOURCE_GRAPH_SCOPE:
        collect_resource_graph(settings, writer, wait)
    elif scope.startswith("subscriptions/"):
        collect_subscription(settings, scope.removeprefix("subscriptions/"), writer, wait)
    else:
        raise ConfigError(f"azure: unknown scope {scope!r}")


def collect_live(settings: Settings, scope: str, writer: BundleWriter) -> None:
    """What the Collector calls: :func:`collect` with the run's sleeper (``writer.session.sleep``), so that
    every wait of a run goes through the one sleeper its session was given."""
    collect(settings, scope, writer, sleep=writer.session.sleep)
