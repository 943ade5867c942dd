from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_validation_error import HTTPValidationError
from ...models.namespace_info import NamespaceInfo
from ...models.namespace_owner import NamespaceOwner
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    name: str,
    *,
    body: NamespaceOwner,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/admin/namespaces/{name}".format(
            name=quote(str(name), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> HTTPValidationError | NamespaceInfo | Problem | None:
    if response.status_code == 200:
        response_200 = NamespaceInfo.from_dict(response.json())

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
) -> Response[HTTPValidationError | NamespaceInfo | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    name: str,
    *,
    client: AuthenticatedClient,
    body: NamespaceOwner,
) -> Response[HTTPValidationError | NamespaceInfo | Problem]:
    """Transfer Namespace

     Operator: give a namespace of spell keys to a maker. New keys in it are theirs alone from
    now on (the first maker to publish in a namespace owns it until then); spells already
    published in it stay with their makers.

    Args:
        name (str):
        body (NamespaceOwner):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | NamespaceInfo | Problem]
    """

    kwargs = _get_kwargs(
        name=name,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    name: str,
    *,
    client: AuthenticatedClient,
    body: NamespaceOwner,
) -> HTTPValidationError | NamespaceInfo | Problem | None:
    """Transfer Namespace

     Operator: give a namespace of spell keys to a maker. New keys in it are theirs alone from
    now on (the first maker to publish in a namespace owns it until then); spells already
    published in it stay with their makers.

    Args:
        name (str):
        body (NamespaceOwner):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | NamespaceInfo | Problem
    """

    return sync_detailed(
        name=name,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    name: str,
    *,
    client: AuthenticatedClient,
    body: NamespaceOwner,
) -> Response[HTTPValidationError | NamespaceInfo | Problem]:
    """Transfer Namespace

     Operator: give a namespace of spell keys to a maker. New keys in it are theirs alone from
    now on (the first maker to publish in a namespace owns it until then); spells already
    published in it stay with their makers.

    Args:
        name (str):
        body (NamespaceOwner):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | NamespaceInfo | Problem]
    """

    kwargs = _get_kwargs(
        name=name,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    name: str,
    *,
    client: AuthenticatedClient,
    body: NamespaceOwner,
) -> HTTPValidationError | NamespaceInfo | Problem | None:
    """Transfer Namespace

     Operator: give a namespace of spell keys to a maker. New keys in it are theirs alone from
    now on (the first maker to publish in a namespace owns it until then); spells already
    published in it stay with their makers.

    Args:
        name (str):
        body (NamespaceOwner):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | NamespaceInfo | Problem
    """

    return (
        await asyncio_detailed(
            name=name,
            client=client,
            body=body,
        )
    ).parsed
