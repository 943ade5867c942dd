from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.data_transfers import DataTransfers
from ...models.http_validation_error import HTTPValidationError
from ...models.problem import Problem
from ...models.transfer_consent import TransferConsent
from ...types import Response


def _get_kwargs(
    recipient: str,
    *,
    body: TransferConsent,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/users/me/privacy/data-transfers/{recipient}".format(
            recipient=quote(str(recipient), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DataTransfers | HTTPValidationError | Problem | None:
    if response.status_code == 200:
        response_200 = DataTransfers.from_dict(response.json())

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
) -> Response[DataTransfers | HTTPValidationError | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    recipient: str,
    *,
    client: AuthenticatedClient,
    body: TransferConsent,
) -> Response[DataTransfers | HTTPValidationError | Problem]:
    """Consent To Transfer

     Give or withdraw your consent to a transfer; withdrawn, the feature that needs it stops
    for you (e.g. buying credits through Stripe).

    Args:
        recipient (str):
        body (TransferConsent):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DataTransfers | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        recipient=recipient,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    recipient: str,
    *,
    client: AuthenticatedClient,
    body: TransferConsent,
) -> DataTransfers | HTTPValidationError | Problem | None:
    """Consent To Transfer

     Give or withdraw your consent to a transfer; withdrawn, the feature that needs it stops
    for you (e.g. buying credits through Stripe).

    Args:
        recipient (str):
        body (TransferConsent):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DataTransfers | HTTPValidationError | Problem
    """

    return sync_detailed(
        recipient=recipient,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    recipient: str,
    *,
    client: AuthenticatedClient,
    body: TransferConsent,
) -> Response[DataTransfers | HTTPValidationError | Problem]:
    """Consent To Transfer

     Give or withdraw your consent to a transfer; withdrawn, the feature that needs it stops
    for you (e.g. buying credits through Stripe).

    Args:
        recipient (str):
        body (TransferConsent):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DataTransfers | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        recipient=recipient,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    recipient: str,
    *,
    client: AuthenticatedClient,
    body: TransferConsent,
) -> DataTransfers | HTTPValidationError | Problem | None:
    """Consent To Transfer

     Give or withdraw your consent to a transfer; withdrawn, the feature that needs it stops
    for you (e.g. buying credits through Stripe).

    Args:
        recipient (str):
        body (TransferConsent):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DataTransfers | HTTPValidationError | Problem
    """

    return (
        await asyncio_detailed(
            recipient=recipient,
            client=client,
            body=body,
        )
    ).parsed
