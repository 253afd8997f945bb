"""Who may sign in and what they did: the users (the ``app_user`` table; a YAML users
file is an import format), sign-in lockout, sign-in sessions and the audit trail.

May import: ``data_access`` (models, sessions, scope, settings), ``i18n``.
"""
