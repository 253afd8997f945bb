"""Donor report: the period's figures as a presentation, with a narrative per section,
exported in one click as PowerPoint or PDF (issue 6).

Period and countries come from the shared sidebar; the sections from the pills below.
Every figure comes from ``ui.data`` (scoped and disclosed), so the exports hold exactly
what this viewer may see here. The text typed beside each section is saved per period
and scope; a period without text starts from the latest earlier report's.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from data_access.programme import programme_title
from i18n import _, get_language, language
from i18n.formats import datetime
from reports import content, files
from ui import data, filters, kpi, page
from ui.exports import deferred
from ui.text import md, say
from ui.viewer import current_scope

STATUS_ICON = {"on track": "🟢", "at risk": "🟠", "off track": "🔴", "unknown": "⚪"}

f = filters.current()
scope = current_scope()
page.header(_("Donor report"), _("What did the programme achieve in this period, in figures "
                                  "a donor can be shown?"))

titles = content.section_titles()
chosen = st.pills(_("Sections"), list(titles), default=list(titles), selection_mode="multi",
                  format_func=titles.__getitem__, key="report_sections") or []
sections = [k for k in content.SECTION_KEYS if k in chosen]
if not sections:
    st.info(_("Choose at least one section."), icon="👆")
    st.stop()

saved = data.narratives(f, sections)
period_key = f"{f.start}_{f.end}_{'-'.join(f.countries) or 'ALL'}"


def _text_key(section: str) -> str:
    return f"narrative_{section}_{period_key}"


for key in sections:  # seed the text boxes once per period, then keep what is typed
    st.session_state.setdefault(_text_key(key), saved[key].text)

report = data.report(f, sections, programme_title(),
                     {s: st.session_state[_text_key(s)] for s in sections})
username = st.session_state.get("username")
url = data.database_url()


def _build(fmt: str) -> Callable[[], bytes]:
    chosen_language = get_language()  # make() runs on another thread

    def make() -> bytes:
        from reports import pdf, pptx

        with language(chosen_language):
            return pptx.build(report) if fmt == "pptx" else pdf.build(report)
    return make


st.caption(md(" · ".join([report.period, report.countries,
                          _("data as of {moment}").format(moment=datetime(report.data_as_of))]
                         + ([report.provenance.suppression_rule()] if scope.aggregates_only
                            else []))))
left, right, _rest = st.columns([1, 1, 4])
for column, fmt, label, icon in ((left, "pptx", "PowerPoint", ":material/slideshow:"),
                                 (right, "pdf", "PDF", ":material/picture_as_pdf:")):
    file = files.file_name("donor_report", report.filters, fmt)
    column.download_button(label, deferred(_build(fmt), url, str(username) if username
                                           else None, "report", fmt, file, report.filters,
                                           scope), file_name=file,
                           mime=files.MIME[fmt], key=f"report-{fmt}", on_click="ignore",
                           icon=icon, type="primary", width="stretch")

for section in report.sections:
    st.divider()
    st.subheader(section.title)
    st.markdown(say("*{question}*", question=section.question))
    if section.key == "headline":
        kpi.cards([fig.code for fig in section.figures], report.filters)
    charts_column, text_column = st.columns([3, 2], gap="large")
    with charts_column:
        for item in section.charts:
            if item.chart is None:
                page.empty(item.what, report.filters)
            else:
                page.chart(item.chart, item.frame, item.what, report.filters, item.name)
    with text_column:
        if section.key != "headline":
            for fig in section.figures:
                st.metric(f"{fig.title} ({fig.unit})", fig.text, border=True,
                          help=f"{fig.code}")
        narrative = saved[section.key]
        if not narrative.saved and narrative.from_period:
            start, end = narrative.from_period
            st.caption(say(_("Text carried over from the report for {period}: edit it for "
                             "this period."), period=files.period_words(start, end)))
        st.text_area(_("Narrative"), key=_text_key(section.key), height=180,
                     placeholder=_("What happened in this period, in a few sentences…"))
        if st.button(_("Save text"), key=f"save_{section.key}_{period_key}",
                     icon=":material/save:"):
            data.save_narrative(report.filters, section.key,
                                st.session_state[_text_key(section.key)],
                                str(username) if username else None)
            st.toast(say(_("Saved the text of “{section}” for {period}."),
                         section=section.title, period=report.period))
    if section.key == "headline":
        if report.logframe is None:
            st.caption(_("No logframe targets for this period and these countries."))
        else:
            heading = _("Progress against logframe targets")
            st.markdown(say("**{heading}**", heading=heading))
            table = report.logframe.copy()
            status = _("Status")
            if status in table:
                table[status] = [f"{STATUS_ICON.get(s, '')} {content.status_label(s)}".strip()
                                 for s in table[status]]
            page.table(table, _("logframe target"), report.filters, "logframe_progress")
