"""Contains all the data models used in inputs/outputs"""

from .accept_request import AcceptRequest
from .acceptance import Acceptance
from .acceptance_grants import AcceptanceGrants
from .alert_webhook_created import AlertWebhookCreated
from .alert_webhook_info import AlertWebhookInfo
from .alert_webhook_request import AlertWebhookRequest
from .artifact_info import ArtifactInfo
from .audit_entry import AuditEntry
from .audit_entry_details import AuditEntryDetails
from .audit_entry_via import AuditEntryVia
from .audit_page import AuditPage
from .auto_reload_info import AutoReloadInfo
from .auto_reload_request import AutoReloadRequest
from .balance import Balance
from .billing_options import BillingOptions
from .body_publish import BodyPublish
from .budget_alert_info import BudgetAlertInfo
from .budget_caps import BudgetCaps
from .budget_status import BudgetStatus
from .budget_window_status import BudgetWindowStatus
from .cast_list import CastList
from .cast_record import CastRecord
from .cast_refund_request import CastRefundRequest
from .cast_request import CastRequest
from .cast_request_input import CastRequestInput
from .cast_response import CastResponse
from .consent_answer import ConsentAnswer
from .consent_decision import ConsentDecision
from .consent_request_view import ConsentRequestView
from .data_export_format import DataExportFormat
from .data_transfer import DataTransfer
from .data_transfers import DataTransfers
from .earnings import Earnings
from .earnings_by_spell import EarningsBySpell
from .execution_log import ExecutionLog
from .execution_log_page import ExecutionLogPage
from .execution_log_status import ExecutionLogStatus
from .grant_request import GrantRequest
from .http_validation_error import HTTPValidationError
from .key_info import KeyInfo
from .key_list import KeyList
from .key_request import KeyRequest
from .key_sign_in import KeySignIn
from .legal_hold_info import LegalHoldInfo
from .legal_hold_list import LegalHoldList
from .legal_hold_request import LegalHoldRequest
from .legal_hold_request_target_type import LegalHoldRequestTargetType
from .list_casts_status_type_0 import ListCastsStatusType0
from .me import Me
from .me_via import MeVia
from .my_payments_format import MyPaymentsFormat
from .my_payouts_format import MyPayoutsFormat
from .my_spell import MySpell
from .my_spell_list import MySpellList
from .my_spell_status import MySpellStatus
from .my_usage_format import MyUsageFormat
from .my_usage_group import MyUsageGroup
from .namespace_info import NamespaceInfo
from .namespace_owner import NamespaceOwner
from .new_key import NewKey
from .notification import Notification
from .notification_list import NotificationList
from .payment_info import PaymentInfo
from .payment_info_kind import PaymentInfoKind
from .payment_list import PaymentList
from .payout_account_info import PayoutAccountInfo
from .payout_account_info_bank_payout_status_type_0 import (
    PayoutAccountInfoBankPayoutStatusType0,
)
from .payout_account_request import PayoutAccountRequest
from .payout_info import PayoutInfo
from .payout_info_status import PayoutInfoStatus
from .payout_list import PayoutList
from .pinned import Pinned
from .price import Price
from .privacy_preferences import PrivacyPreferences
from .privacy_report_response_privacy_report import PrivacyReportResponsePrivacyReport
from .problem import Problem
from .provenance_info import ProvenanceInfo
from .provenance_info_attestation_type_0 import ProvenanceInfoAttestationType0
from .provenance_info_matched_signer import ProvenanceInfoMatchedSigner
from .public_key import PublicKey
from .public_key_status import PublicKeyStatus
from .public_keys import PublicKeys
from .published import Published
from .queued_cast import QueuedCast
from .receipt import Receipt
from .receipt_receipt import ReceiptReceipt
from .rectification import Rectification
from .replay_request import ReplayRequest
from .replay_request_input import ReplayRequestInput
from .replay_result import ReplayResult
from .sbom_summary import SbomSummary
from .sbom_summary_components_item import SbomSummaryComponentsItem
from .sbom_summary_findings_item import SbomSummaryFindingsItem
from .sbom_summary_licence_warnings_item import SbomSummaryLicenceWarningsItem
from .sbom_summary_licences import SbomSummaryLicences
from .sbom_summary_vulnerabilities import SbomSummaryVulnerabilities
from .secret_info import SecretInfo
from .secret_list import SecretList
from .secret_value import SecretValue
from .signer import Signer
from .signer_in import SignerIn
from .signer_list import SignerList
from .spell_detail import SpellDetail
from .spell_detail_enforced_limits import SpellDetailEnforcedLimits
from .spell_detail_input_schema import SpellDetailInputSchema
from .spell_detail_limits import SpellDetailLimits
from .spell_detail_output_schema_type_0 import SpellDetailOutputSchemaType0
from .spell_detail_policy import SpellDetailPolicy
from .spell_list import SpellList
from .spell_summary import SpellSummary
from .stripe_connect_webhook_response_stripe_connect_webhook import (
    StripeConnectWebhookResponseStripeConnectWebhook,
)
from .stripe_webhook_response_stripe_webhook import StripeWebhookResponseStripeWebhook
from .top_up_request import TopUpRequest
from .top_up_started import TopUpStarted
from .transfer_consent import TransferConsent
from .usage import Usage
from .usage_report import UsageReport
from .usage_row import UsageRow
from .validation_error import ValidationError
from .validation_error_context import ValidationErrorContext
from .version_info import VersionInfo
from .version_list import VersionList
from .violation import Violation
from .violation_kind import ViolationKind
from .violation_page import ViolationPage
from .webhook_delivery_info import WebhookDeliveryInfo
from .webhook_delivery_info_payload import WebhookDeliveryInfoPayload
from .webhook_delivery_info_status import WebhookDeliveryInfoStatus

__all__ = (
    "AcceptRequest",
    "Acceptance",
    "AcceptanceGrants",
    "AlertWebhookCreated",
    "AlertWebhookInfo",
    "AlertWebhookRequest",
    "ArtifactInfo",
    "AuditEntry",
    "AuditEntryDetails",
    "AuditEntryVia",
    "AuditPage",
    "AutoReloadInfo",
    "AutoReloadRequest",
    "Balance",
    "BillingOptions",
    "BodyPublish",
    "BudgetAlertInfo",
    "BudgetCaps",
    "BudgetStatus",
    "BudgetWindowStatus",
    "CastList",
    "CastRecord",
    "CastRefundRequest",
    "CastRequest",
    "CastRequestInput",
    "CastResponse",
    "ConsentAnswer",
    "ConsentDecision",
    "ConsentRequestView",
    "DataExportFormat",
    "DataTransfer",
    "DataTransfers",
    "Earnings",
    "EarningsBySpell",
    "ExecutionLog",
    "ExecutionLogPage",
    "ExecutionLogStatus",
    "GrantRequest",
    "HTTPValidationError",
    "KeyInfo",
    "KeyList",
    "KeyRequest",
    "KeySignIn",
    "LegalHoldInfo",
    "LegalHoldList",
    "LegalHoldRequest",
    "LegalHoldRequestTargetType",
    "ListCastsStatusType0",
    "Me",
    "MeVia",
    "MyPaymentsFormat",
    "MyPayoutsFormat",
    "MySpell",
    "MySpellList",
    "MySpellStatus",
    "MyUsageFormat",
    "MyUsageGroup",
    "NamespaceInfo",
    "NamespaceOwner",
    "NewKey",
    "Notification",
    "NotificationList",
    "PaymentInfo",
    "PaymentInfoKind",
    "PaymentList",
    "PayoutAccountInfo",
    "PayoutAccountInfoBankPayoutStatusType0",
    "PayoutAccountRequest",
    "PayoutInfo",
    "PayoutInfoStatus",
    "PayoutList",
    "Pinned",
    "Price",
    "PrivacyPreferences",
    "PrivacyReportResponsePrivacyReport",
    "Problem",
    "ProvenanceInfo",
    "ProvenanceInfoAttestationType0",
    "ProvenanceInfoMatchedSigner",
    "PublicKey",
    "PublicKeyStatus",
    "PublicKeys",
    "Published",
    "QueuedCast",
    "Receipt",
    "ReceiptReceipt",
    "Rectification",
    "ReplayRequest",
    "ReplayRequestInput",
    "ReplayResult",
    "SbomSummary",
    "SbomSummaryComponentsItem",
    "SbomSummaryFindingsItem",
    "SbomSummaryLicenceWarningsItem",
    "SbomSummaryLicences",
    "SbomSummaryVulnerabilities",
    "SecretInfo",
    "SecretList",
    "SecretValue",
    "Signer",
    "SignerIn",
    "SignerList",
    "SpellDetail",
    "SpellDetailEnforcedLimits",
    "SpellDetailInputSchema",
    "SpellDetailLimits",
    "SpellDetailOutputSchemaType0",
    "SpellDetailPolicy",
    "SpellList",
    "SpellSummary",
    "StripeConnectWebhookResponseStripeConnectWebhook",
    "StripeWebhookResponseStripeWebhook",
    "TopUpRequest",
    "TopUpStarted",
    "TransferConsent",
    "Usage",
    "UsageReport",
    "UsageRow",
    "ValidationError",
    "ValidationErrorContext",
    "VersionInfo",
    "VersionList",
    "Violation",
    "ViolationKind",
    "ViolationPage",
    "WebhookDeliveryInfo",
    "WebhookDeliveryInfoPayload",
    "WebhookDeliveryInfoStatus",
)
