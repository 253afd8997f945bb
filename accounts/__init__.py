"""Who may sign in and what they did: the users file, sign-in lockout, sign-in sessions
and the audit trail.

May import: ``data_access`` (models, sessions, scope, settings), ``i18n``.
"""
