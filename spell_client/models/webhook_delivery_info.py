from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.webhook_delivery_info_status import WebhookDeliveryInfoStatus

if TYPE_CHECKING:
    from ..models.webhook_delivery_info_payload import WebhookDeliveryInfoPayload


T = TypeVar("T", bound="WebhookDeliveryInfo")


@_attrs_define
class WebhookDeliveryInfo:
    """
    Attributes:
        attempts (int):
        created_at (datetime.datetime):
        delivered_at (datetime.datetime | None):
        event_type (str): `budget.alert`, `cast.succeeded` or `cast.failed`.
        id (str): The `webhook-id` header it was (or will be) sent with.
        last_error (None | str):
        last_status_code (int | None):
        payload (WebhookDeliveryInfoPayload):
        status (WebhookDeliveryInfoStatus):
    """

    attempts: int
    created_at: datetime.datetime
    delivered_at: datetime.datetime | None
    event_type: str
    id: str
    last_error: None | str
    last_status_code: int | None
    payload: WebhookDeliveryInfoPayload
    status: WebhookDeliveryInfoStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        created_at = self.created_at.isoformat()

        delivered_at: None | str
        if isinstance(self.delivered_at, datetime.datetime):
            delivered_at = self.delivered_at.isoformat()
        else:
            delivered_at = self.delivered_at

        event_type = self.event_type

        id = self.id

        last_error: None | str
        last_error = self.last_error

        last_status_code: int | None
        last_status_code = self.last_status_code

        payload = self.payload.to_dict()

        status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "created_at": created_at,
                "delivered_at": delivered_at,
                "event_type": event_type,
                "id": id,
                "last_error": last_error,
                "last_status_code": last_status_code,
                "payload": payload,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.webhook_delivery_info_payload import WebhookDeliveryInfoPayload

        d = dict(src_dict)
        attempts = d.pop("attempts")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_delivered_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                delivered_at_type_0 = datetime.datetime.fromisoformat(data)

                return delivered_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        delivered_at = _parse_delivered_at(d.pop("delivered_at"))

        event_type = d.pop("event_type")

        id = d.pop("id")

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("last_error"))

        def _parse_last_status_code(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        last_status_code = _parse_last_status_code(d.pop("last_status_code"))

        payload = WebhookDeliveryInfoPayload.from_dict(d.pop("payload"))

        status = WebhookDeliveryInfoStatus(d.pop("status"))

        webhook_delivery_info = cls(
            attempts=attempts,
            created_at=created_at,
            delivered_at=delivered_at,
            event_type=event_type,
            id=id,
            last_error=last_error,
            last_status_code=last_status_code,
            payload=payload,
            status=status,
        )

        webhook_delivery_info.additional_properties = d
        return webhook_delivery_info

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
