"""Partners and referrals (issue 21): to whom returnees were referred, for what, how many
received the service and how fast."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from i18n import _
from metrics import catalogue
from ui import data, filters, kpi, page
from views import charts
from views.format import dimension_label, money_label

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

# What each partner delivered in the period (metrics.partners.delivered), partner by partner.
st.subheader(_("What each partner delivered"))
PARTNER = _("partner")
delivered = data.derived("partners_delivered", f)
if delivered.empty:
    page.table(delivered, PARTNER, f, "partners_delivered")
else:
    wide = delivered.pivot(index="partner", columns="measure", values="value")
    notes = delivered.pivot(index="partner", columns="measure", values="value_note")
    wide.columns = [f"value_{c}" for c in wide.columns]
    notes.columns = [f"value_note_{c}" for c in notes.columns]
    wide = wide.join(notes).reset_index()
    page.table(page.formatted(wide, ["partner"], {
        "value_assistance": (_("Assistance delivered (records)"), "count"),
        "value_grants": (money_label(_("Amount delivered")), "money"),
        "value_sessions": (_("Training sessions"), "count"),
        "value_attendances": (_("Attendances"), "count"),
        "value_visits": (_("Follow-up visits"), "count"),
        "value_cooperatives": (_("Cooperatives accompanied"), "count")}),
        PARTNER, f, "partners_delivered", money=True)

st.subheader(_("Partners directory"))
listed = data.derived("partners_directory", f)
page.table(pd.DataFrame({
    _("Partner"): listed["name"],
    _("Country"): [dimension_label("country", c) for c in listed["country"]],
    _("Institution type"): [dimension_label("institution_type", t) for t in listed["type"]],
    _("Services"): [", ".join(dimension_label("service", s) for s in str(v).split(";") if s)
                    for v in listed["services"]]}), PARTNER, f, "partners_directory")
