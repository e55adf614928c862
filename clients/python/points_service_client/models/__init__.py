"""Contains all the data models used in inputs/outputs"""

from .account import Account
from .account_metadata import AccountMetadata
from .account_put import AccountPut
from .account_put_metadata_type_0 import AccountPutMetadataType0
from .adjustment_create import AdjustmentCreate
from .adjustment_result import AdjustmentResult
from .allocation_out import AllocationOut
from .awaiting_points import AwaitingPoints
from .balance import Balance
from .category import Category
from .category_estimates import CategoryEstimates
from .category_put import CategoryPut
from .delivery_attempt import DeliveryAttempt
from .disagreement import Disagreement
from .dispute import Dispute
from .dispute_accept import DisputeAccept
from .dispute_create import DisputeCreate
from .dispute_reject import DisputeReject
from .dispute_status import DisputeStatus
from .entry_kind import EntryKind
from .estimate_figures import EstimateFigures
from .estimate_report import EstimateReport
from .event import Event
from .event_data import EventData
from .event_type import EventType
from .expiring_account import ExpiringAccount
from .expiring_lot import ExpiringLot
from .expiry_forecast import ExpiryForecast
from .expiry_forecast_row import ExpiryForecastRow
from .expiry_forecast_row_currency import ExpiryForecastRowCurrency
from .finance_money import FinanceMoney
from .finance_points import FinancePoints
from .finance_report import FinanceReport
from .finance_report_group_by import FinanceReportGroupBy
from .finance_report_group_by_type_0 import FinanceReportGroupByType0
from .finance_row import FinanceRow
from .finance_row_currency import FinanceRowCurrency
from .fixed_pricing import FixedPricing
from .formula_pricing import FormulaPricing
from .from_pricing import FromPricing
from .health import Health
from .history_entry import HistoryEntry
from .history_entry_action import HistoryEntryAction
from .import_create import ImportCreate
from .ledger_entry import LedgerEntry
from .license_ import License
from .license_create import LicenseCreate
from .license_product import LicenseProduct
from .license_product_bonus_policy import LicenseProductBonusPolicy
from .license_product_put import LicenseProductPut
from .license_product_put_bonus_policy import LicenseProductPutBonusPolicy
from .license_result import LicenseResult
from .list_tickets_status_item import ListTicketsStatusItem
from .lot import Lot
from .lot_source import LotSource
from .lot_state import LotState
from .lot_with_balance import LotWithBalance
from .money import Money
from .money_currency import MoneyCurrency
from .outcome import Outcome
from .page_account import PageAccount
from .page_category import PageCategory
from .page_delivery_attempt import PageDeliveryAttempt
from .page_dispute import PageDispute
from .page_event import PageEvent
from .page_expiring_account import PageExpiringAccount
from .page_ledger_entry import PageLedgerEntry
from .page_license_product import PageLicenseProduct
from .page_lot import PageLot
from .page_plan import PagePlan
from .page_ticket import PageTicket
from .page_webhook_endpoint import PageWebhookEndpoint
from .page_webhook_event import PageWebhookEvent
from .plan import Plan
from .plan_put import PlanPut
from .posting_out import PostingOut
from .problem import Problem
from .problem_error import ProblemError
from .purchase_create import PurchaseCreate
from .quote import Quote
from .range_pricing import RangePricing
from .receive_billing_event_body import ReceiveBillingEventBody
from .redelivery import Redelivery
from .redelivery_queued import RedeliveryQueued
from .revocation import Revocation
from .revoke_request import RevokeRequest
from .statement import Statement
from .subscribed_event_type import SubscribedEventType
from .sweep_result import SweepResult
from .ticket import Ticket
from .ticket_adjust import TicketAdjust
from .ticket_create import TicketCreate
from .ticket_create_when_insufficient import TicketCreateWhenInsufficient
from .ticket_credit import TicketCredit
from .ticket_detail import TicketDetail
from .ticket_detail_status import TicketDetailStatus
from .ticket_refund import TicketRefund
from .ticket_refund_reason import TicketRefundReason
from .ticket_resolve import TicketResolve
from .ticket_status import TicketStatus
from .unit_price import UnitPrice
from .unit_price_currency import UnitPriceCurrency
from .upon_request_pricing import UponRequestPricing
from .verify_report import VerifyReport
from .webhook_ack import WebhookAck
from .webhook_ack_outcome import WebhookAckOutcome
from .webhook_endpoint import WebhookEndpoint
from .webhook_endpoint_create import WebhookEndpointCreate
from .webhook_endpoint_with_secret import WebhookEndpointWithSecret
from .webhook_event import WebhookEvent
from .webhook_event_outcome import WebhookEventOutcome
from .webhook_event_payload import WebhookEventPayload

__all__ = (
    "Account",
    "AccountMetadata",
    "AccountPut",
    "AccountPutMetadataType0",
    "AdjustmentCreate",
    "AdjustmentResult",
    "AllocationOut",
    "AwaitingPoints",
    "Balance",
    "Category",
    "CategoryEstimates",
    "CategoryPut",
    "DeliveryAttempt",
    "Disagreement",
    "Dispute",
    "DisputeAccept",
    "DisputeCreate",
    "DisputeReject",
    "DisputeStatus",
    "EntryKind",
    "EstimateFigures",
    "EstimateReport",
    "Event",
    "EventData",
    "EventType",
    "ExpiringAccount",
    "ExpiringLot",
    "ExpiryForecast",
    "ExpiryForecastRow",
    "ExpiryForecastRowCurrency",
    "FinanceMoney",
    "FinancePoints",
    "FinanceReport",
    "FinanceReportGroupBy",
    "FinanceReportGroupByType0",
    "FinanceRow",
    "FinanceRowCurrency",
    "FixedPricing",
    "FormulaPricing",
    "FromPricing",
    "Health",
    "HistoryEntry",
    "HistoryEntryAction",
    "ImportCreate",
    "LedgerEntry",
    "License",
    "LicenseCreate",
    "LicenseProduct",
    "LicenseProductBonusPolicy",
    "LicenseProductPut",
    "LicenseProductPutBonusPolicy",
    "LicenseResult",
    "ListTicketsStatusItem",
    "Lot",
    "LotSource",
    "LotState",
    "LotWithBalance",
    "Money",
    "MoneyCurrency",
    "Outcome",
    "PageAccount",
    "PageCategory",
    "PageDeliveryAttempt",
    "PageDispute",
    "PageEvent",
    "PageExpiringAccount",
    "PageLedgerEntry",
    "PageLicenseProduct",
    "PageLot",
    "PagePlan",
    "PageTicket",
    "PageWebhookEndpoint",
    "PageWebhookEvent",
    "Plan",
    "PlanPut",
    "PostingOut",
    "Problem",
    "ProblemError",
    "PurchaseCreate",
    "Quote",
    "RangePricing",
    "ReceiveBillingEventBody",
    "Redelivery",
    "RedeliveryQueued",
    "Revocation",
    "RevokeRequest",
    "Statement",
    "SubscribedEventType",
    "SweepResult",
    "Ticket",
    "TicketAdjust",
    "TicketCreate",
    "TicketCreateWhenInsufficient",
    "TicketCredit",
    "TicketDetail",
    "TicketDetailStatus",
    "TicketRefund",
    "TicketRefundReason",
    "TicketResolve",
    "TicketStatus",
    "UnitPrice",
    "UnitPriceCurrency",
    "UponRequestPricing",
    "VerifyReport",
    "WebhookAck",
    "WebhookAckOutcome",
    "WebhookEndpoint",
    "WebhookEndpointCreate",
    "WebhookEndpointWithSecret",
    "WebhookEvent",
    "WebhookEventOutcome",
    "WebhookEventPayload",
)
