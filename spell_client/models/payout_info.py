from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.payout_info_status import PayoutInfoStatus

if TYPE_CHECKING:
    from ..models.price import Price


T = TypeVar("T", bound="PayoutInfo")


@_attrs_define
class PayoutInfo:
    """
    Attributes:
        amount (Price):
        casts (int):
        clawbacks (Price):
        created_at (datetime.datetime):
        cutoff (datetime.datetime): Earnings settled up to here are included.
        gross (Price):
        id (str):
        paid_at (datetime.datetime | None):
        period (str): The UTC day of the payout.
        platform (Price):
        status (PayoutInfoStatus):
        transfer_id (None | str):
    """

    amount: Price
    casts: int
    clawbacks: Price
    created_at: datetime.datetime
    cutoff: datetime.datetime
    gross: Price
    id: str
    paid_at: datetime.datetime | None
    period: str
    platform: Price
    status: PayoutInfoStatus
    transfer_id: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount.to_dict()

        casts = self.casts

        clawbacks = self.clawbacks.to_dict()

        created_at = self.created_at.isoformat()

        cutoff = self.cutoff.isoformat()

        gross = self.gross.to_dict()

        id = self.id

        paid_at: None | str
        if isinstance(self.paid_at, datetime.datetime):
            paid_at = self.paid_at.isoformat()
        else:
            paid_at = self.paid_at

        period = self.period

        platform = self.platform.to_dict()

        status = self.status.value

        transfer_id: None | str
        transfer_id = self.transfer_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "amount": amount,
                "casts": casts,
                "clawbacks": clawbacks,
                "created_at": created_at,
                "cutoff": cutoff,
                "gross": gross,
                "id": id,
                "paid_at": paid_at,
                "period": period,
                "platform": platform,
                "status": status,
                "transfer_id": transfer_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.price import Price

        d = dict(src_dict)
        amount = Price.from_dict(d.pop("amount"))

        casts = d.pop("casts")

        clawbacks = Price.from_dict(d.pop("clawbacks"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        cutoff = datetime.datetime.fromisoformat(d.pop("cutoff"))

        gross = Price.from_dict(d.pop("gross"))

        id = d.pop("id")

        def _parse_paid_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                paid_at_type_0 = datetime.datetime.fromisoformat(data)

                return paid_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        paid_at = _parse_paid_at(d.pop("paid_at"))

        period = d.pop("period")

        platform = Price.from_dict(d.pop("platform"))

        status = PayoutInfoStatus(d.pop("status"))

        def _parse_transfer_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        transfer_id = _parse_transfer_id(d.pop("transfer_id"))

        payout_info = cls(
            amount=amount,
            casts=casts,
            clawbacks=clawbacks,
            created_at=created_at,
            cutoff=cutoff,
            gross=gross,
            id=id,
            paid_at=paid_at,
            period=period,
            platform=platform,
            status=status,
            transfer_id=transfer_id,
        )

        payout_info.additional_properties = d
        return payout_info

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
