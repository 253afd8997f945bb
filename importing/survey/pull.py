"""Pull the submissions of a form from an ODK Central server instead of downloading the
export by hand: ODK Central's own CSV export of the form's submissions
(``GET /v1/projects/{project}/forms/{form}/submissions.csv``, the same file as its
"Download CSV" button), after signing in (``POST /v1/sessions``, a bearer token). The
file is then imported like any export (``importing.survey.run``).

It uses ``requests`` (already a dependency) and the documented REST API rather than
``pyodk``: pyodk 1.3.0 pins ``pydantic<=2.14``, which conflicts with the pydantic our
environment holds, and would add ``toml`` and a configuration file of its own for two
HTTP calls. The download is cut at the import's file limit (``IMPORT_MAX_FILE_MB``), so a
server cannot make the import read more than a file it could have uploaded.
"""

from __future__ import annotations

from urllib.parse import quote

import requests

from i18n import _
from importing.limits import MB, Limits
from importing.sources import FileProblem, Source

TIMEOUT = 60  # seconds per request


def pull(base_url: str, project: int, form_id: str, email: str, password: str, *,
         timeout: float = TIMEOUT) -> Source:
    """The form's submissions as ODK Central's CSV export (a ``Source`` named
    ``<form>.csv``); ``FileProblem`` with a plain sentence when the server refuses."""
    base = base_url.rstrip("/")
    try:
        signed = requests.post(f"{base}/v1/sessions", json={"email": email,
                                                            "password": password},
                               timeout=timeout)
        if signed.status_code in (401, 403):
            raise FileProblem(_("{server}: the e-mail or password was refused").format(
                server=base))
        signed.raise_for_status()
        token = signed.json()["token"]
        url = f"{base}/v1/projects/{project}/forms/{quote(form_id, safe='')}/submissions.csv"
        limit = Limits.current().file_mb * MB
        with requests.get(url, headers={"Authorization": f"Bearer {token}"}, stream=True,
                          timeout=timeout) as answer:
            if answer.status_code == 404:
                raise FileProblem(_("{server}: no form {form} in project {project}").format(
                    server=base, form=form_id, project=project))
            answer.raise_for_status()
            data = bytearray()
            for block in answer.iter_content(1 << 16):
                data += block
                if len(data) > limit:
                    raise FileProblem(_("{server}: the submissions are over the limit of "
                                        "{limit} MB per import file (setting "
                                        "IMPORT_MAX_FILE_MB)").format(
                                            server=base, limit=limit // MB))
    except (requests.RequestException, KeyError, ValueError) as exc:
        if isinstance(exc, FileProblem):
            raise
        raise FileProblem(_("{server}: the submissions could not be pulled ({detail})")
                          .format(server=base, detail=type(exc).__name__)) from None
    return Source(f"{form_id}.csv", data=bytes(data))
