from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_validation_error import HTTPValidationError
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    then: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_then: None | str | Unset
    if isinstance(then, Unset):
        json_then = UNSET
    else:
        json_then = then
    params["then"] = json_then

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/auth/github",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | HTTPValidationError | Problem | None:
    if response.status_code == 302:
        response_302 = cast(Any, None)
        return response_302

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | HTTPValidationError | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    then: None | str | Unset = UNSET,
) -> Response[Any | HTTPValidationError | Problem]:
    """Sign In With Github

     Start signing in with GitHub (a browser follows the redirect).

    Args:
        then (None | str | Unset): A path on this site to go on to once signed in (else the
            dashboard).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        then=then,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    then: None | str | Unset = UNSET,
) -> Any | HTTPValidationError | Problem | None:
    """Sign In With Github

     Start signing in with GitHub (a browser follows the redirect).

    Args:
        then (None | str | Unset): A path on this site to go on to once signed in (else the
            dashboard).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | HTTPValidationError | Problem
    """

    return sync_detailed(
        client=client,
        then=then,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    then: None | str | Unset = UNSET,
) -> Response[Any | HTTPValidationError | Problem]:
    """Sign In With Github

     Start signing in with GitHub (a browser follows the redirect).

    Args:
        then (None | str | Unset): A path on this site to go on to once signed in (else the
            dashboard).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        then=then,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    then: None | str | Unset = UNSET,
) -> Any | HTTPValidationError | Problem | None:
    """Sign In With Github

     Start signing in with GitHub (a browser follows the redirect).

    Args:
        then (None | str | Unset): A path on this site to go on to once signed in (else the
            dashboard).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | HTTPValidationError | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            then=then,
        )
    ).parsed
