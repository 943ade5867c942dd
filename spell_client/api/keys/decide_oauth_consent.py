from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.consent_answer import ConsentAnswer
from ...models.consent_decision import ConsentDecision
from ...models.http_validation_error import HTTPValidationError
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: ConsentDecision,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/oauth/consent",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ConsentAnswer | HTTPValidationError | Problem | None:
    if response.status_code == 200:
        response_200 = ConsentAnswer.from_dict(response.json())

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
) -> Response[ConsentAnswer | HTTPValidationError | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: ConsentDecision,
) -> Response[ConsentAnswer | HTTPValidationError | Problem]:
    """Decide Oauth Consent

     Approve or deny an agent. Approving grants it a key of yours with the scopes, daily budget
    and expiry chosen (listed with your keys, revocable there); either way the browser goes back
    to the agent.

    Args:
        body (ConsentDecision):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConsentAnswer | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: ConsentDecision,
) -> ConsentAnswer | HTTPValidationError | Problem | None:
    """Decide Oauth Consent

     Approve or deny an agent. Approving grants it a key of yours with the scopes, daily budget
    and expiry chosen (listed with your keys, revocable there); either way the browser goes back
    to the agent.

    Args:
        body (ConsentDecision):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConsentAnswer | HTTPValidationError | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: ConsentDecision,
) -> Response[ConsentAnswer | HTTPValidationError | Problem]:
    """Decide Oauth Consent

     Approve or deny an agent. Approving grants it a key of yours with the scopes, daily budget
    and expiry chosen (listed with your keys, revocable there); either way the browser goes back
    to the agent.

    Args:
        body (ConsentDecision):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConsentAnswer | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: ConsentDecision,
) -> ConsentAnswer | HTTPValidationError | Problem | None:
    """Decide Oauth Consent

     Approve or deny an agent. Approving grants it a key of yours with the scopes, daily budget
    and expiry chosen (listed with your keys, revocable there); either way the browser goes back
    to the agent.

    Args:
        body (ConsentDecision):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConsentAnswer | HTTPValidationError | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
