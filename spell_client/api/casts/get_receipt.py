from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_validation_error import HTTPValidationError
from ...models.problem import Problem
from ...models.receipt import Receipt
from ...types import Response


def _get_kwargs(
    cast_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/casts/{cast_id}/receipt".format(
            cast_id=quote(str(cast_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> HTTPValidationError | Problem | Receipt | None:
    if response.status_code == 200:
        response_200 = Receipt.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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
) -> Response[HTTPValidationError | Problem | Receipt]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    cast_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[HTTPValidationError | Problem | Receipt]:
    """Get Receipt

     The signed receipt of a settled cast of the caller's.

    Args:
        cast_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | Problem | Receipt]
    """

    kwargs = _get_kwargs(
        cast_id=cast_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    cast_id: str,
    *,
    client: AuthenticatedClient,
) -> HTTPValidationError | Problem | Receipt | None:
    """Get Receipt

     The signed receipt of a settled cast of the caller's.

    Args:
        cast_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | Problem | Receipt
    """

    return sync_detailed(
        cast_id=cast_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    cast_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[HTTPValidationError | Problem | Receipt]:
    """Get Receipt

     The signed receipt of a settled cast of the caller's.

    Args:
        cast_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | Problem | Receipt]
    """

    kwargs = _get_kwargs(
        cast_id=cast_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    cast_id: str,
    *,
    client: AuthenticatedClient,
) -> HTTPValidationError | Problem | Receipt | None:
    """Get Receipt

     The signed receipt of a settled cast of the caller's.

    Args:
        cast_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | Problem | Receipt
    """

    return (
        await asyncio_detailed(
            cast_id=cast_id,
            client=client,
        )
    ).parsed
