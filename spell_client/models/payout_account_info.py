from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.payout_account_info_bank_payout_status_type_0 import (
    PayoutAccountInfoBankPayoutStatusType0,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="PayoutAccountInfo")


@_attrs_define
class PayoutAccountInfo:
    """
    Attributes:
        account_id (str): The maker's connected Stripe account.
        details_submitted (bool):
        payouts_enabled (bool): Stripe can pay this account (onboarding finished).
        bank_payout_failure (None | str | Unset): Stripe's reason, when it failed.
        bank_payout_status (None | PayoutAccountInfoBankPayoutStatusType0 | Unset): How the account's latest payout to
            your bank went.
        disconnected (bool | Unset): You disconnected this account from the platform: open a payout account again.
            Default: False.
        onboarding_url (None | str | Unset): Finish (or update) onboarding here; expires soon.
    """

    account_id: str
    details_submitted: bool
    payouts_enabled: bool
    bank_payout_failure: None | str | Unset = UNSET
    bank_payout_status: None | PayoutAccountInfoBankPayoutStatusType0 | Unset = UNSET
    disconnected: bool | Unset = False
    onboarding_url: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        details_submitted = self.details_submitted

        payouts_enabled = self.payouts_enabled

        bank_payout_failure: None | str | Unset
        if isinstance(self.bank_payout_failure, Unset):
            bank_payout_failure = UNSET
        else:
            bank_payout_failure = self.bank_payout_failure

        bank_payout_status: None | str | Unset
        if isinstance(self.bank_payout_status, Unset):
            bank_payout_status = UNSET
        elif isinstance(
            self.bank_payout_status, PayoutAccountInfoBankPayoutStatusType0
        ):
            bank_payout_status = self.bank_payout_status.value
        else:
            bank_payout_status = self.bank_payout_status

        disconnected = self.disconnected

        onboarding_url: None | str | Unset
        if isinstance(self.onboarding_url, Unset):
            onboarding_url = UNSET
        else:
            onboarding_url = self.onboarding_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "details_submitted": details_submitted,
                "payouts_enabled": payouts_enabled,
            }
        )
        if bank_payout_failure is not UNSET:
            field_dict["bank_payout_failure"] = bank_payout_failure
        if bank_payout_status is not UNSET:
            field_dict["bank_payout_status"] = bank_payout_status
        if disconnected is not UNSET:
            field_dict["disconnected"] = disconnected
        if onboarding_url is not UNSET:
            field_dict["onboarding_url"] = onboarding_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        account_id = d.pop("account_id")

        details_submitted = d.pop("details_submitted")

        payouts_enabled = d.pop("payouts_enabled")

        def _parse_bank_payout_failure(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        bank_payout_failure = _parse_bank_payout_failure(
            d.pop("bank_payout_failure", UNSET)
        )

        def _parse_bank_payout_status(
            data: object,
        ) -> None | PayoutAccountInfoBankPayoutStatusType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                bank_payout_status_type_0 = PayoutAccountInfoBankPayoutStatusType0(data)

                return bank_payout_status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PayoutAccountInfoBankPayoutStatusType0 | Unset, data)

        bank_payout_status = _parse_bank_payout_status(
            d.pop("bank_payout_status", UNSET)
        )

        disconnected = d.pop("disconnected", UNSET)

        def _parse_onboarding_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        onboarding_url = _parse_onboarding_url(d.pop("onboarding_url", UNSET))

        payout_account_info = cls(
            account_id=account_id,
            details_submitted=details_submitted,
            payouts_enabled=payouts_enabled,
            bank_payout_failure=bank_payout_failure,
            bank_payout_status=bank_payout_status,
            disconnected=disconnected,
            onboarding_url=onboarding_url,
        )

        payout_account_info.additional_properties = d
        return payout_account_info

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
