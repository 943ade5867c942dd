from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.cast_refund_request import CastRefundRequest
from ...models.http_validation_error import HTTPValidationError
from ...models.payment_info import PaymentInfo
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    cast_id: str,
    *,
    body: CastRefundRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/admin/casts/{cast_id}/refund".format(
            cast_id=quote(str(cast_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> HTTPValidationError | PaymentInfo | Problem | None:
    if response.status_code == 201:
        response_201 = PaymentInfo.from_dict(response.json())

        return response_201

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
) -> Response[HTTPValidationError | PaymentInfo | Problem]:
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
    body: CastRefundRequest,
) -> Response[HTTPValidationError | PaymentInfo | Problem]:
    """Refund A Cast

     An operator refunds a settled cast: the caster gets its price back, and the maker's share
    is clawed back from its earnings (carried into later payouts if they were paid already).

    Args:
        cast_id (str):
        body (CastRefundRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | PaymentInfo | Problem]
    """

    kwargs = _get_kwargs(
        cast_id=cast_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    cast_id: str,
    *,
    client: AuthenticatedClient,
    body: CastRefundRequest,
) -> HTTPValidationError | PaymentInfo | Problem | None:
    """Refund A Cast

     An operator refunds a settled cast: the caster gets its price back, and the maker's share
    is clawed back from its earnings (carried into later payouts if they were paid already).

    Args:
        cast_id (str):
        body (CastRefundRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | PaymentInfo | Problem
    """

    return sync_detailed(
        cast_id=cast_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    cast_id: str,
    *,
    client: AuthenticatedClient,
    body: CastRefundRequest,
) -> Response[HTTPValidationError | PaymentInfo | Problem]:
    """Refund A Cast

     An operator refunds a settled cast: the caster gets its price back, and the maker's share
    is clawed back from its earnings (carried into later payouts if they were paid already).

    Args:
        cast_id (str):
        body (CastRefundRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | PaymentInfo | Problem]
    """

    kwargs = _get_kwargs(
        cast_id=cast_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    cast_id: str,
    *,
    client: AuthenticatedClient,
    body: CastRefundRequest,
) -> HTTPValidationError | PaymentInfo | Problem | None:
    """Refund A Cast

     An operator refunds a settled cast: the caster gets its price back, and the maker's share
    is clawed back from its earnings (carried into later payouts if they were paid already).

    Args:
        cast_id (str):
        body (CastRefundRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | PaymentInfo | Problem
    """

    return (
        await asyncio_detailed(
            cast_id=cast_id,
            client=client,
            body=body,
        )
    ).parsed
