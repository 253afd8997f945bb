"""Partners and referrals (issue 21): to whom returnees were referred, for what, how many
received the service and how fast."""

from __future__ import annotations

import streamlit as st

from i18n import _
from metrics import catalogue
from ui import data, filters, kpi, page
from views import charts

f = filters.current()
page.header(_("Partners and referrals"), _("To which partners were returnees referred, for "
                                           "what, how many received the service and how "
                                           "fast?"))
kpi.cards(("REF-1", "REF-2", "REF-3"), f)
REFERRALS = _(catalogue.get("REF-1").unit)
REFERRAL = _("referral")

left, right = st.columns(2)
with left:
    by_partner = data.figure("REF-1", f, ("partner",))
    page.chart(charts.bars(by_partner, "partner", unit=REFERRALS,
                           title=_("Referrals by partner")),
               by_partner, REFERRAL, f, "referrals_by_partner")
with right:
    by_service = data.figure("REF-1", f, ("service", "country"))
    page.chart(charts.grouped_bars(by_service, "service", "country", unit=REFERRALS,
                                   title=_("Referrals by service and country")),
               by_service, REFERRAL, f, "referrals_by_service_and_country")

st.subheader(_("What became of the referrals, partner by partner"))
made = data.figure("REF-1", f, ("partner",))
received = data.figure("REF-2", f, ("partner",))
speed = data.figure("REF-3", f, ("partner",))
table = made.merge(received, on="partner", how="outer", suffixes=("", "_received")).merge(
    speed, on="partner", how="outer", suffixes=("", "_days"))
page.table(page.formatted(table, ["partner"],
                          {"value": (_("Referrals made"), "count"),
                           "value_received": (_("Share with a service received"), "rate"),
                           "value_days": (_("Median days to service"), "days")}),
           REFERRAL, f, "referrals_by_partner_table")
