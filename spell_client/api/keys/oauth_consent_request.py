from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.consent_request_view import ConsentRequestView
from ...models.http_validation_error import HTTPValidationError
from ...models.problem import Problem
from ...types import UNSET, Response


def _get_kwargs(
    *,
    request: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["request"] = request

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/oauth/consent",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ConsentRequestView | HTTPValidationError | Problem | None:
    if response.status_code == 200:
        response_200 = ConsentRequestView.from_dict(response.json())

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
) -> Response[ConsentRequestView | HTTPValidationError | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    request: str,
) -> Response[ConsentRequestView | HTTPValidationError | Problem]:
    """Oauth Consent Request

     What an agent asks of you, before you approve or deny it.

    Args:
        request (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConsentRequestView | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        request=request,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    request: str,
) -> ConsentRequestView | HTTPValidationError | Problem | None:
    """Oauth Consent Request

     What an agent asks of you, before you approve or deny it.

    Args:
        request (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConsentRequestView | HTTPValidationError | Problem
    """

    return sync_detailed(
        client=client,
        request=request,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    request: str,
) -> Response[ConsentRequestView | HTTPValidationError | Problem]:
    """Oauth Consent Request

     What an agent asks of you, before you approve or deny it.

    Args:
        request (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConsentRequestView | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        request=request,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    request: str,
) -> ConsentRequestView | HTTPValidationError | Problem | None:
    """Oauth Consent Request

     What an agent asks of you, before you approve or deny it.

    Args:
        request (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConsentRequestView | HTTPValidationError | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            request=request,
        )
    ).parsed
