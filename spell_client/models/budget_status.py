from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.budget_alert_info import BudgetAlertInfo
    from ..models.budget_caps import BudgetCaps
    from ..models.budget_window_status import BudgetWindowStatus


T = TypeVar("T", bound="BudgetStatus")


@_attrs_define
class BudgetStatus:
    """
    Attributes:
        alerts (list[BudgetAlertInfo]):
        caps (BudgetCaps): Caps in micro-USD; null removes a cap.
        subject (str): "user:<id>" or "key:<id>".
        windows (list[BudgetWindowStatus]):
    """

    alerts: list[BudgetAlertInfo]
    caps: BudgetCaps
    subject: str
    windows: list[BudgetWindowStatus]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        alerts = []
        for alerts_item_data in self.alerts:
            alerts_item = alerts_item_data.to_dict()
            alerts.append(alerts_item)

        caps = self.caps.to_dict()

        subject = self.subject

        windows = []
        for windows_item_data in self.windows:
            windows_item = windows_item_data.to_dict()
            windows.append(windows_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "alerts": alerts,
                "caps": caps,
                "subject": subject,
                "windows": windows,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.budget_alert_info import BudgetAlertInfo
        from ..models.budget_caps import BudgetCaps
        from ..models.budget_window_status import BudgetWindowStatus

        d = dict(src_dict)
        alerts = []
        _alerts = d.pop("alerts")
        for alerts_item_data in _alerts:
            alerts_item = BudgetAlertInfo.from_dict(alerts_item_data)

            alerts.append(alerts_item)

        caps = BudgetCaps.from_dict(d.pop("caps"))

        subject = d.pop("subject")

        windows = []
        _windows = d.pop("windows")
        for windows_item_data in _windows:
            windows_item = BudgetWindowStatus.from_dict(windows_item_data)

            windows.append(windows_item)

        budget_status = cls(
            alerts=alerts,
            caps=caps,
            subject=subject,
            windows=windows,
        )

        budget_status.additional_properties = d
        return budget_status

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
