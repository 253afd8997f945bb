"""Streamlit helpers shared by the pages: filters, cached scoped figures, formats, charts.

This is the page layer: it may import streamlit, metrics and data_access.db (to open a
scoped session), never SQLAlchemy query code.
"""
