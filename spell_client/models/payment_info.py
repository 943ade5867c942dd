from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.payment_info_kind import PaymentInfoKind

if TYPE_CHECKING:
    from ..models.price import Price


T = TypeVar("T", bound="PaymentInfo")


@_attrs_define
class PaymentInfo:
    """
    Attributes:
        amount (Price):
        created_at (datetime.datetime):
        fee (Price):
        id (str):
        kind (PaymentInfoKind):
        reason (None | str):
        receipt_url (None | str):
        reference (str): The checkout session, refund, dispute or grant.
        tax (Price):
    """

    amount: Price
    created_at: datetime.datetime
    fee: Price
    id: str
    kind: PaymentInfoKind
    reason: None | str
    receipt_url: None | str
    reference: str
    tax: Price
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount.to_dict()

        created_at = self.created_at.isoformat()

        fee = self.fee.to_dict()

        id = self.id

        kind = self.kind.value

        reason: None | str
        reason = self.reason

        receipt_url: None | str
        receipt_url = self.receipt_url

        reference = self.reference

        tax = self.tax.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "amount": amount,
                "created_at": created_at,
                "fee": fee,
                "id": id,
                "kind": kind,
                "reason": reason,
                "receipt_url": receipt_url,
                "reference": reference,
                "tax": tax,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.price import Price

        d = dict(src_dict)
        amount = Price.from_dict(d.pop("amount"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        fee = Price.from_dict(d.pop("fee"))

        id = d.pop("id")

        kind = PaymentInfoKind(d.pop("kind"))

        def _parse_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reason = _parse_reason(d.pop("reason"))

        def _parse_receipt_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        receipt_url = _parse_receipt_url(d.pop("receipt_url"))

        reference = d.pop("reference")

        tax = Price.from_dict(d.pop("tax"))

        payment_info = cls(
            amount=amount,
            created_at=created_at,
            fee=fee,
            id=id,
            kind=kind,
            reason=reason,
            receipt_url=receipt_url,
            reference=reference,
            tax=tax,
        )

        payment_info.additional_properties = d
        return payment_info

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
