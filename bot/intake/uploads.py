"""A responses file sent to the bot in its Slack DM: fetched, previewed, imported on *Import*.

There is one importer. The preview is `service.import_responses` itself, run in a transaction
that is rolled back, so what it counts (rows, cycles, new people, follow-ups it would open) and
every problem it finds are exactly what *Import* would do; nothing of it is kept.

Between the preview and the click nothing is stored in a table of its own: the *Import* button
carries the file's Slack ID and the SHA-256 of the bytes previewed. *Import* fetches the file
again, checks the bytes are the same, and claims `upload:<file>:<sha>` in the inbound-event
ledger (`storage.events`) before importing, so a double click, a second copy of the message or
a retried delivery imports once; *Cancel* claims the same key. An import that fails lets the
key go again (nothing was written), so the person may try again.

A cycle for rows without one is given in the message the file is sent with (`cycle 2026-Q4`),
like `--cycle`; the buttons carry it to *Import*.

Who may import: an admin (`VOC_ADMINS`) or the account manager of every account the file
names, checked at the preview and again, inside the import's transaction, at the click.
"""

from __future__ import annotations

import hashlib
import http.client
import re
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError
from urllib.request import Request, urlopen

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.accounts import rules
from bot.accounts.access import Reader
from bot.errors import VocError
from bot.followups.service import policy_of
from bot.intake.queries import accounts_with_ids
from bot.intake.service import ImportSummary, Progress, import_responses
from bot.runtime import Runtime
from bot.themes.lexicon import load_lexicon
from storage.db import transaction
from storage.events import first_time, forget

MAX_UPLOAD_BYTES = 20 * 2**20  # a Slack upload is read into memory whole; bigger: the terminal
DOWNLOAD_SECONDS = 60
TOO_BIG = (
    "{name} is {size}; a file sent in Slack may be at most 20 MB. Import it from a terminal "
    "instead: voc import responses FILE"
)
GONE = "That file is no longer in Slack (deleted, or never shared with me): send it again."
CHANGED = "That file changed since its preview: send it again to see a new preview."
DONE_ALREADY = "That file was imported or cancelled already; nothing more was done."
UNREADABLE = "I could not fetch {name} from Slack ({why}). Try sending it again."


class UploadRefused(VocError):
    """The file cannot be previewed or imported; the text says why and what to do."""


@dataclass(frozen=True)
class SlackFile:
    """What files.info says about a file someone sent the bot."""

    id: str
    name: str
    size: int
    user: str
    url: str


@dataclass(frozen=True)
class Preview:
    """What importing the file would do, and whether the uploader may do it."""

    file: SlackFile
    sha256: str
    summary: ImportSummary
    accounts: list[str]
    refused: list[str]  # accounts whose manager the uploader is not (empty: may import)


def file_info(client: WebClient, file_id: str) -> SlackFile:
    """The file as Slack knows it; a file the bot may not see is `UploadRefused`."""
    try:
        info: dict[str, Any] = client.files_info(file=file_id)["file"]
    except SlackApiError as error:
        raise UploadRefused(GONE) from error
    return SlackFile(
        id=str(info.get("id") or file_id),
        name=str(info.get("name") or info.get("title") or "uploaded file"),
        size=int(info.get("size") or 0),
        user=str(info.get("user") or ""),
        url=str(info.get("url_private_download") or info.get("url_private") or ""),
    )


def download(file: SlackFile, token: str, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """The file's bytes, read with the bot token and never more than `limit` of them."""
    if file.size > limit:
        raise UploadRefused(TOO_BIG.format(name=file.name, size=_megabytes(file.size)))
    if not file.url.startswith(("https://", "http://")):
        raise UploadRefused(GONE)
    request = Request(file.url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urlopen(request, timeout=DOWNLOAD_SECONDS) as response:
            data = response.read(limit + 1)
    except (URLError, OSError, ValueError, http.client.HTTPException) as error:
        raise UploadRefused(UNREADABLE.format(name=file.name, why=type(error).__name__)) from error
    if len(data) > limit:  # files.info said less than the file holds
        raise UploadRefused(TOO_BIG.format(name=file.name, size=f"over {_megabytes(limit)}"))
    return data


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cycle_in(text: str) -> str | None:
    """The cycle a person gives with the file (`cycle 2026-Q4`), as `--cycle` gives it."""
    match = _CYCLE_WORDS.search(text or "")
    return match.group(1).strip("`*_\"'") if match else None


_CYCLE_WORDS = re.compile(r"(?:--)?\bcycle\b\s*[:=]?\s*(\S{1,50})", re.IGNORECASE)


def upload_key(file_id: str, sha256: str) -> str:
    return f"upload:{file_id}:{sha256}"


def preview_upload(
    runtime: Runtime,
    workspace_id: str,
    file: SlackFile,
    data: bytes,
    reader: Reader,
    progress: Progress | None = None,
    cycle: str | None = None,
) -> Preview:
    """Run the import and roll it back: its summary is the preview. ImportRejected travels."""
    with runtime.sessions() as session:
        try:
            summary = _import(runtime, session, workspace_id, file, data, reader, progress, cycle)
            accounts = accounts_with_ids(session, workspace_id, summary.account_ids)
        finally:
            session.rollback()
        names = [account.name for account in accounts]
        refused = refused_accounts(runtime, accounts, reader)
    return Preview(file, digest(data), summary, names, refused)


def import_upload(
    runtime: Runtime,
    workspace_id: str,
    file: SlackFile,
    data: bytes,
    reader: Reader,
    sha256: str,
    progress: Progress | None = None,
    cycle: str | None = None,
) -> ImportSummary:
    """Import the previewed file once; `UploadRefused` when it changed, was done, or may not be.

    This is the same `import_responses` that `voc import responses` runs.
    """
    if digest(data) != sha256:
        raise UploadRefused(CHANGED)
    key = upload_key(file.id, sha256)
    if not first_time(runtime.sessions, workspace_id, key):
        raise UploadRefused(DONE_ALREADY)
    try:
        with transaction(runtime.sessions) as session:
            summary = _import(runtime, session, workspace_id, file, data, reader, progress, cycle)
            accounts = accounts_with_ids(session, workspace_id, summary.account_ids)
            refused = refused_accounts(runtime, accounts, reader)
            if refused:
                raise UploadRefused(not_allowed_text(refused))
    except BaseException:
        forget(runtime.sessions, workspace_id, key)
        raise
    return summary


def cancel_upload(runtime: Runtime, workspace_id: str, file_id: str, sha256: str) -> bool:
    """Cancel the preview for good; False when it was imported or cancelled already."""
    return first_time(runtime.sessions, workspace_id, upload_key(file_id, sha256))


def _import(
    runtime: Runtime,
    session: Any,
    workspace_id: str,
    file: SlackFile,
    data: bytes,
    reader: Reader,
    progress: Progress | None,
    cycle: str | None,
) -> ImportSummary:
    settings = runtime.settings
    return import_responses(
        session,
        data,
        workspace_id=workspace_id,
        cycle=cycle,
        actor=f"slack:{reader.user_id}",
        filename=file.name,
        progress=progress,
        followups=policy_of(settings),
        themes=load_lexicon(settings.themes_file),
    )


def refused_accounts(runtime: Runtime, accounts: list[Any], reader: Reader) -> list[str]:
    """The accounts the reader does not manage; none for an admin."""
    if runtime.settings.is_admin(reader.user_id):
        return []
    email: str | None = None
    if any("@" in (account.account_manager or "") for account in accounts):
        email = reader.email()
    return [
        account.name
        for account in accounts
        if not account.account_manager
        or not rules.is_named_on_team([account.account_manager], reader.user_id, email)
    ]


def not_allowed_text(accounts: list[str]) -> str:
    shown = ", ".join(accounts[:5]) + (
        f" and {len(accounts) - 5} more" if len(accounts) > 5 else ""
    )
    return (
        "Only an admin or the account manager of every account in the file may import it, and "
        f"you are not the account manager of {shown}. Ask an admin to import it."
    )
