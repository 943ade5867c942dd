from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.new_key import NewKey
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    key_id: str,
    *,
    grace_s: int | Unset = 86400,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["idempotency-key"] = idempotency_key

    params: dict[str, Any] = {}

    params["grace_s"] = grace_s

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/keys/{key_id}/rotate".format(
            key_id=quote(str(key_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> NewKey | Problem | None:
    if response.status_code == 200:
        response_200 = NewKey.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[NewKey | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    key_id: str,
    *,
    client: AuthenticatedClient,
    grace_s: int | Unset = 86400,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[NewKey | Problem]:
    """Rotate

     A new secret for the key; the old one keeps working for `grace_s` (24 hours unless told).

    Args:
        key_id (str):
        grace_s (int | Unset): How long the old secret keeps working, in seconds: 0 ends it at
            once (a leaked key); the default gives agents a day to pick up the new one. Default:
            86400.
        idempotency_key (None | str | Unset): Send the same key to retry safely: you get the first
            response, and nothing is done twice.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[NewKey | Problem]
    """

    kwargs = _get_kwargs(
        key_id=key_id,
        grace_s=grace_s,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    key_id: str,
    *,
    client: AuthenticatedClient,
    grace_s: int | Unset = 86400,
    idempotency_key: None | str | Unset = UNSET,
) -> NewKey | Problem | None:
    """Rotate

     A new secret for the key; the old one keeps working for `grace_s` (24 hours unless told).

    Args:
        key_id (str):
        grace_s (int | Unset): How long the old secret keeps working, in seconds: 0 ends it at
            once (a leaked key); the default gives agents a day to pick up the new one. Default:
            86400.
        idempotency_key (None | str | Unset): Send the same key to retry safely: you get the first
            response, and nothing is done twice.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        NewKey | Problem
    """

    return sync_detailed(
        key_id=key_id,
        client=client,
        grace_s=grace_s,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    key_id: str,
    *,
    client: AuthenticatedClient,
    grace_s: int | Unset = 86400,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[NewKey | Problem]:
    """Rotate

     A new secret for the key; the old one keeps working for `grace_s` (24 hours unless told).

    Args:
        key_id (str):
        grace_s (int | Unset): How long the old secret keeps working, in seconds: 0 ends it at
            once (a leaked key); the default gives agents a day to pick up the new one. Default:
            86400.
        idempotency_key (None | str | Unset): Send the same key to retry safely: you get the first
            response, and nothing is done twice.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[NewKey | Problem]
    """

    kwargs = _get_kwargs(
        key_id=key_id,
        grace_s=grace_s,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    key_id: str,
    *,
    client: AuthenticatedClient,
    grace_s: int | Unset = 86400,
    idempotency_key: None | str | Unset = UNSET,
) -> NewKey | Problem | None:
    """Rotate

     A new secret for the key; the old one keeps working for `grace_s` (24 hours unless told).

    Args:
        key_id (str):
        grace_s (int | Unset): How long the old secret keeps working, in seconds: 0 ends it at
            once (a leaked key); the default gives agents a day to pick up the new one. Default:
            86400.
        idempotency_key (None | str | Unset): Send the same key to retry safely: you get the first
            response, and nothing is done twice.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        NewKey | Problem
    """

    return (
        await asyncio_detailed(
            key_id=key_id,
            client=client,
            grace_s=grace_s,
            idempotency_key=idempotency_key,
        )
    ).parsed
