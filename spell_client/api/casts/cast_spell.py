from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.cast_request import CastRequest
from ...models.cast_response import CastResponse
from ...models.problem import Problem
from ...models.queued_cast import QueuedCast
from ...types import UNSET, Response, Unset


def _get_kwargs(
    key: str,
    *,
    body: CastRequest,
    idempotency_key: None | str | Unset = UNSET,
    prefer: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["idempotency-key"] = idempotency_key

    if not isinstance(prefer, Unset):
        headers["prefer"] = prefer

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/spells/{key}/cast".format(
            key=quote(str(key), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CastResponse | Problem | QueuedCast | None:
    if response.status_code == 200:
        response_200 = CastResponse.from_dict(response.json())

        return response_200

    if response.status_code == 202:
        response_202 = QueuedCast.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 402:
        response_402 = Problem.from_dict(response.json())

        return response_402

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 502:
        response_502 = Problem.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = Problem.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CastResponse | Problem | QueuedCast]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    key: str,
    *,
    client: AuthenticatedClient,
    body: CastRequest,
    idempotency_key: None | str | Unset = UNSET,
    prefer: None | str | Unset = UNSET,
) -> Response[CastResponse | Problem | QueuedCast]:
    """Cast Spell

     Run a spell on an input. Charged once, and only when the cast succeeds. With
    `Prefer: respond-async`, the answer is 202 as soon as the price is held, with the cast's
    `Location`: GET it until its status is no longer `running`.

    Args:
        key (str):
        idempotency_key (None | str | Unset): Send the same key to retry safely: you get the first
            response, and nothing is done twice.
        prefer (None | str | Unset): `respond-async` (RFC 7240): answer 202 once the price is
            held; poll the cast.
        body (CastRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CastResponse | Problem | QueuedCast]
    """

    kwargs = _get_kwargs(
        key=key,
        body=body,
        idempotency_key=idempotency_key,
        prefer=prefer,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    key: str,
    *,
    client: AuthenticatedClient,
    body: CastRequest,
    idempotency_key: None | str | Unset = UNSET,
    prefer: None | str | Unset = UNSET,
) -> CastResponse | Problem | QueuedCast | None:
    """Cast Spell

     Run a spell on an input. Charged once, and only when the cast succeeds. With
    `Prefer: respond-async`, the answer is 202 as soon as the price is held, with the cast's
    `Location`: GET it until its status is no longer `running`.

    Args:
        key (str):
        idempotency_key (None | str | Unset): Send the same key to retry safely: you get the first
            response, and nothing is done twice.
        prefer (None | str | Unset): `respond-async` (RFC 7240): answer 202 once the price is
            held; poll the cast.
        body (CastRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CastResponse | Problem | QueuedCast
    """

    return sync_detailed(
        key=key,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
        prefer=prefer,
    ).parsed


async def asyncio_detailed(
    key: str,
    *,
    client: AuthenticatedClient,
    body: CastRequest,
    idempotency_key: None | str | Unset = UNSET,
    prefer: None | str | Unset = UNSET,
) -> Response[CastResponse | Problem | QueuedCast]:
    """Cast Spell

     Run a spell on an input. Charged once, and only when the cast succeeds. With
    `Prefer: respond-async`, the answer is 202 as soon as the price is held, with the cast's
    `Location`: GET it until its status is no longer `running`.

    Args:
        key (str):
        idempotency_key (None | str | Unset): Send the same key to retry safely: you get the first
            response, and nothing is done twice.
        prefer (None | str | Unset): `respond-async` (RFC 7240): answer 202 once the price is
            held; poll the cast.
        body (CastRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CastResponse | Problem | QueuedCast]
    """

    kwargs = _get_kwargs(
        key=key,
        body=body,
        idempotency_key=idempotency_key,
        prefer=prefer,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    key: str,
    *,
    client: AuthenticatedClient,
    body: CastRequest,
    idempotency_key: None | str | Unset = UNSET,
    prefer: None | str | Unset = UNSET,
) -> CastResponse | Problem | QueuedCast | None:
    """Cast Spell

     Run a spell on an input. Charged once, and only when the cast succeeds. With
    `Prefer: respond-async`, the answer is 202 as soon as the price is held, with the cast's
    `Location`: GET it until its status is no longer `running`.

    Args:
        key (str):
        idempotency_key (None | str | Unset): Send the same key to retry safely: you get the first
            response, and nothing is done twice.
        prefer (None | str | Unset): `respond-async` (RFC 7240): answer 202 once the price is
            held; poll the cast.
        body (CastRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CastResponse | Problem | QueuedCast
    """

    return (
        await asyncio_detailed(
            key=key,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
            prefer=prefer,
        )
    ).parsed
