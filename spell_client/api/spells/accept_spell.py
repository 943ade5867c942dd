from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.accept_request import AcceptRequest
from ...models.acceptance import Acceptance
from ...models.http_validation_error import HTTPValidationError
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    key: str,
    *,
    body: AcceptRequest | None | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/spells/{key}/accept".format(
            key=quote(str(key), safe=""),
        ),
    }

    if isinstance(body, AcceptRequest):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Acceptance | HTTPValidationError | Problem | None:
    if response.status_code == 200:
        response_200 = Acceptance.from_dict(response.json())

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
) -> Response[Acceptance | HTTPValidationError | Problem]:
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
    body: AcceptRequest | None | Unset = UNSET,
) -> Response[Acceptance | HTTPValidationError | Problem]:
    """Accept Spell

     Accept what a version of a spell may touch and what it costs (the latest, or the one
    named): your casts that name no version run it from now on. Until you do, a version that
    widens what you accepted (a new domain, secret or file grant, or a higher price) is not
    served to you; a version that keeps or narrows it is, without asking. It takes a key with
    the `admin` scope, the person's own: an agent's cast key cannot consent for them. Audited.

    Args:
        key (str):
        body (AcceptRequest | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Acceptance | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        key=key,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    key: str,
    *,
    client: AuthenticatedClient,
    body: AcceptRequest | None | Unset = UNSET,
) -> Acceptance | HTTPValidationError | Problem | None:
    """Accept Spell

     Accept what a version of a spell may touch and what it costs (the latest, or the one
    named): your casts that name no version run it from now on. Until you do, a version that
    widens what you accepted (a new domain, secret or file grant, or a higher price) is not
    served to you; a version that keeps or narrows it is, without asking. It takes a key with
    the `admin` scope, the person's own: an agent's cast key cannot consent for them. Audited.

    Args:
        key (str):
        body (AcceptRequest | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Acceptance | HTTPValidationError | Problem
    """

    return sync_detailed(
        key=key,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    key: str,
    *,
    client: AuthenticatedClient,
    body: AcceptRequest | None | Unset = UNSET,
) -> Response[Acceptance | HTTPValidationError | Problem]:
    """Accept Spell

     Accept what a version of a spell may touch and what it costs (the latest, or the one
    named): your casts that name no version run it from now on. Until you do, a version that
    widens what you accepted (a new domain, secret or file grant, or a higher price) is not
    served to you; a version that keeps or narrows it is, without asking. It takes a key with
    the `admin` scope, the person's own: an agent's cast key cannot consent for them. Audited.

    Args:
        key (str):
        body (AcceptRequest | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Acceptance | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        key=key,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    key: str,
    *,
    client: AuthenticatedClient,
    body: AcceptRequest | None | Unset = UNSET,
) -> Acceptance | HTTPValidationError | Problem | None:
    """Accept Spell

     Accept what a version of a spell may touch and what it costs (the latest, or the one
    named): your casts that name no version run it from now on. Until you do, a version that
    widens what you accepted (a new domain, secret or file grant, or a higher price) is not
    served to you; a version that keeps or narrows it is, without asking. It takes a key with
    the `admin` scope, the person's own: an agent's cast key cannot consent for them. Audited.

    Args:
        key (str):
        body (AcceptRequest | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Acceptance | HTTPValidationError | Problem
    """

    return (
        await asyncio_detailed(
            key=key,
            client=client,
            body=body,
        )
    ).parsed
