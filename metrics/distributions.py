"""Distributions that are not breakdowns of the catalogue (yet): grant amount bands and
host countries returned from.

- ``amount_bands``: delivered assistance records of ASS-2 (delivered in the period, with
  an amount) counted per band of amount, the bands computed in SQL by a CASE, so only one
  row per band leaves the database. Every band up to the highest used is returned,
  empty ones as 0, so a histogram has no gaps; negative amounts (a data-quality error)
  get a band of their own.
- ``host_countries``: BEN-1 (returnees registered in the period) by the country they
  returned from. BEN-1's catalogue entry does not list ``host_country`` as a breakdown; the
  SQL is BEN-1's, through the same engine helpers.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

# BAND_COUNT, BAND_WIDTH and NEGATIVE are re-exported for the pages (which sit above
# analytics and read the bands here).
from analytics.figure_cubes import BAND_COUNT as BAND_COUNT
from analytics.figure_cubes import BAND_WIDTH as BAND_WIDTH
from analytics.figure_cubes import NEGATIVE_BAND, amount_band
from data_access.lookups import reporting_currency
from data_access.models import Assistance, Beneficiary
from data_access.vocab import AssistanceStatus
from i18n import _
from i18n.formats import money
from metrics.engine import beneficiary_dims, country_filter, frame, in_period, key_sum
from metrics.filters import Filters
from metrics.pipeline import disclose

NEGATIVE = NEGATIVE_BAND


def band_label(band: int) -> str:
    """An amount band in words, in the current language and the reporting currency
    ("$500 – $999"; "500 $US – 999 $US"): the pages call it again at draw time, so the
    label follows the viewer's language whatever the cached frame holds."""
    if band == NEGATIVE:
        return _("Negative")
    currency = reporting_currency()
    low = band * BAND_WIDTH
    if band >= BAND_COUNT:
        return _("{amount} and more").format(amount=money(low, currency=currency))
    return f"{money(low, currency=currency)} – {money(low + BAND_WIDTH - 1, currency=currency)}"


def amount_bands(session: Session, f: Filters) -> pd.DataFrame:
    """band (int, -1 for negative), label, value (records), in band order."""
    from metrics import fast_figures

    found = fast_figures.amount_bands(session, f)
    if found is None:
        asst = Assistance
        amount = asst.amount_eur
        band = amount_band(amount).label("band")
        # A record adds its beneficiary's key (issue 14).
        stmt = (select(band, func.count(asst.id).label("value"),
                       key_sum(Beneficiary.record_key).label("value_key"))
                .join(Beneficiary, Beneficiary.id == asst.beneficiary_id)
                .where(asst.status == AssistanceStatus.DELIVERED, amount.is_not(None),
                       in_period(asst.delivered_date, f), *country_filter(asst, f))
                .group_by(band))
        counts = frame(session, stmt)
        found = {int(b): (int(n), int(k)) for b, n, k in
                 zip(counts["band"], counts["value"], counts["value_key"], strict=True)}
    highest = max([b for b, (n, _) in found.items() if n and b != NEGATIVE],
                  default=BAND_COUNT)
    bands = ([NEGATIVE] if found.get(NEGATIVE, (0, 0))[0] else []) + list(range(highest + 1))
    result = pd.DataFrame({"band": bands, "label": [band_label(b) for b in bands],
                           "value": [float(found.get(b, (0, 0))[0]) for b in bands],
                           "value_key": [found.get(b, (0, 0))[1] for b in bands]})
    return disclose(result, session, "count", ("band",))


def host_countries(session: Session, f: Filters) -> pd.DataFrame:
    """host_country, value (returnees registered), largest first."""
    from metrics import fast_figures

    result = fast_figures.host_countries(session, f)
    if result is None:
        ben = Beneficiary
        stmt, dims = beneficiary_dims(select().select_from(ben), ("host_country",), ben,
                                      date=ben.registration_date, filters=f)
        stmt = stmt.add_columns(*dims, func.count(func.distinct(ben.id)).label("value"),
                                key_sum(ben.record_key).label("value_key")).where(
            in_period(ben.registration_date, f), *country_filter(ben, f)).group_by(*dims)
        result = frame(session, stmt)
    result["value"] = pd.to_numeric(result["value"]).astype(float)
    result = result.sort_values(["value", "host_country"], ascending=[False, True])
    return disclose(result.reset_index(drop=True), session, "count", ("host_country",))
