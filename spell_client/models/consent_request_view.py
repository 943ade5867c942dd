from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ConsentRequestView")


@_attrs_define
class ConsentRequestView:
    """
    Attributes:
        client_id (str): The agent's client id: the URL of its metadata document, or its registration's.
        client_name (str): What the agent calls itself.
        client_uri (None | str): The agent's home page, as it states it.
        loopback_only (bool): The agent only ever returns to this machine: any program on it could claim its name.
        redirect_to (str): That address's scheme and host: the program that gets the code.
        redirect_uri (str): Where the person is sent back to, with the code.
        resource (str): The MCP endpoint its tokens will work at.
        scopes (list[str]): What the agent asks to do: some of cast, read, publish, billing.
        verified_by (None | str): The host that publishes the agent's metadata document and so vouches for its name;
            null when the agent registered itself and its name is only its own claim.
    """

    client_id: str
    client_name: str
    client_uri: None | str
    loopback_only: bool
    redirect_to: str
    redirect_uri: str
    resource: str
    scopes: list[str]
    verified_by: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        client_id = self.client_id

        client_name = self.client_name

        client_uri: None | str
        client_uri = self.client_uri

        loopback_only = self.loopback_only

        redirect_to = self.redirect_to

        redirect_uri = self.redirect_uri

        resource = self.resource

        scopes = self.scopes

        verified_by: None | str
        verified_by = self.verified_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "client_id": client_id,
                "client_name": client_name,
                "client_uri": client_uri,
                "loopback_only": loopback_only,
                "redirect_to": redirect_to,
                "redirect_uri": redirect_uri,
                "resource": resource,
                "scopes": scopes,
                "verified_by": verified_by,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        client_id = d.pop("client_id")

        client_name = d.pop("client_name")

        def _parse_client_uri(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        client_uri = _parse_client_uri(d.pop("client_uri"))

        loopback_only = d.pop("loopback_only")

        redirect_to = d.pop("redirect_to")

        redirect_uri = d.pop("redirect_uri")

        resource = d.pop("resource")

        scopes = cast(list[str], d.pop("scopes"))

        def _parse_verified_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        verified_by = _parse_verified_by(d.pop("verified_by"))

        consent_request_view = cls(
            client_id=client_id,
            client_name=client_name,
            client_uri=client_uri,
            loopback_only=loopback_only,
            redirect_to=redirect_to,
            redirect_uri=redirect_uri,
            resource=resource,
            scopes=scopes,
            verified_by=verified_by,
        )

        consent_request_view.additional_properties = d
        return consent_request_view

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
