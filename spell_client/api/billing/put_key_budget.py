from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.budget_caps import BudgetCaps
from ...models.budget_status import BudgetStatus
from ...models.http_validation_error import HTTPValidationError
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    key_id: str,
    *,
    body: BudgetCaps,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/keys/{key_id}/budget".format(
            key_id=quote(str(key_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BudgetStatus | HTTPValidationError | Problem | None:
    if response.status_code == 200:
        response_200 = BudgetStatus.from_dict(response.json())

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

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())

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
) -> Response[BudgetStatus | HTTPValidationError | Problem]:
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
    body: BudgetCaps,
) -> Response[BudgetStatus | HTTPValidationError | Problem]:
    """Put Key Budget

     Caps for one API key, e.g. the one you hand to an agent; the key's casts of the current day
    and month before the caps were set count against them.

    Args:
        key_id (str):
        body (BudgetCaps): Caps in micro-USD; null removes a cap.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BudgetStatus | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        key_id=key_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    key_id: str,
    *,
    client: AuthenticatedClient,
    body: BudgetCaps,
) -> BudgetStatus | HTTPValidationError | Problem | None:
    """Put Key Budget

     Caps for one API key, e.g. the one you hand to an agent; the key's casts of the current day
    and month before the caps were set count against them.

    Args:
        key_id (str):
        body (BudgetCaps): Caps in micro-USD; null removes a cap.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BudgetStatus | HTTPValidationError | Problem
    """

    return sync_detailed(
        key_id=key_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    key_id: str,
    *,
    client: AuthenticatedClient,
    body: BudgetCaps,
) -> Response[BudgetStatus | HTTPValidationError | Problem]:
    """Put Key Budget

     Caps for one API key, e.g. the one you hand to an agent; the key's casts of the current day
    and month before the caps were set count against them.

    Args:
        key_id (str):
        body (BudgetCaps): Caps in micro-USD; null removes a cap.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BudgetStatus | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        key_id=key_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    key_id: str,
    *,
    client: AuthenticatedClient,
    body: BudgetCaps,
) -> BudgetStatus | HTTPValidationError | Problem | None:
    """Put Key Budget

     Caps for one API key, e.g. the one you hand to an agent; the key's casts of the current day
    and month before the caps were set count against them.

    Args:
        key_id (str):
        body (BudgetCaps): Caps in micro-USD; null removes a cap.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BudgetStatus | HTTPValidationError | Problem
    """

    return (
        await asyncio_detailed(
            key_id=key_id,
            client=client,
            body=body,
        )
    ).parsed
