"""The naive baseline: the Overview's figures with whole tables read into pandas.

What a dashboard commonly does first: ``pd.read_sql`` of each table, then filter, merge and
group in pandas. Same figures as the Overview (eight KPI cards for the period and the one
before, BEN-2 cumulative by month, BEN-2 by country × quarter, ASS-1 by sector and by
modality), whole programme, every country.
"""

from __future__ import annotations

import pandas as pd

from data_access import db
from metrics.filters import Filters


def _between(series: pd.Series, f: Filters) -> pd.Series:
    days = pd.to_datetime(series)
    return (days >= pd.Timestamp(f.start)) & (days <= pd.Timestamp(f.end))


def overview(url: str, f: Filters | None = None) -> dict[str, object]:
    f = f or Filters()
    engine = db.get_engine(url)
    with engine.connect() as conn:
        ben = pd.read_sql("SELECT * FROM beneficiary", conn)
        asst = pd.read_sql("SELECT * FROM assistance", conn)
        vul = pd.read_sql("SELECT * FROM beneficiary_vulnerability", conn)
        att = pd.read_sql("SELECT * FROM attendance", conn)
        ses = pd.read_sql("SELECT * FROM training_session", conn)
        coop = pd.read_sql("SELECT * FROM cooperative", conn)
    out: dict[str, object] = {}
    delivered = asst[(asst["status"] == "delivered") & asst["delivered_date"].notna()].copy()
    delivered["day"] = pd.to_datetime(delivered["delivered_date"])
    first = delivered.groupby("beneficiary_id")["day"].min()
    first_coll = delivered[delivered["cooperative_id"].notna()].groupby(
        "beneficiary_id")["day"].min()
    done = att[att["completed"].astype(bool)].merge(ses[["id", "session_date"]],
                                                     left_on="session_id", right_on="id")
    for name, period in (("now", f), ("before", f.previous())):
        lo, hi = pd.Timestamp(period.start), pd.Timestamp(period.end)
        reg = _between(ben["registration_date"], period).sum()
        assisted = first[(first >= lo) & (first <= hi)]
        vulnerable = assisted.index.isin(vul["beneficiary_id"]).sum()
        grants = delivered[(delivered["day"] >= lo) & (delivered["day"] <= hi)]["amount_eur"]
        coops = _between(coop["registration_date"].dropna(), period).sum()
        members = first_coll[(first_coll >= lo) & (first_coll <= hi)]
        trained = done[_between(done["session_date"], period)]["beneficiary_id"].nunique()
        out[name] = (reg, len(assisted), vulnerable / max(len(assisted), 1), grants.sum(),
                     coops, len(members), trained, trained / max(len(assisted), 1))
    lo, hi = pd.Timestamp(f.start), pd.Timestamp(f.end)
    assisted = first[(first >= lo) & (first <= hi)].rename("day").reset_index()
    assisted = assisted.merge(ben[["id", "country"]], left_on="beneficiary_id", right_on="id")
    out["cumulative"] = assisted.groupby(assisted["day"].dt.to_period("M")).size().cumsum()
    out["by_country"] = assisted.groupby(["country", assisted["day"].dt.to_period("Q")]).size()
    window = delivered[(delivered["day"] >= lo) & (delivered["day"] <= hi)]
    out["sector"] = window.groupby(window["sector"].fillna("unknown")).size()
    out["modality"] = window.groupby("modality").size()
    return out
