from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="AlertWebhookRequest")


@_attrs_define
class AlertWebhookRequest:
    """
    Attributes:
        url (str): An https URL on a public host: every budget alert and the end of every queued cast are POSTed there,
            signed.
    """

    url: str

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "url": url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        url = d.pop("url")

        alert_webhook_request = cls(
            url=url,
        )

        return alert_webhook_request
