"""Whose pack it is: the company name and the logo on its cover (`VOC_COMPANY_NAME`,
`VOC_LOGO_FILE`).

The logo is embedded in the document as a data URI, so it must be a picture a browser and the
PDF library both draw; the file is checked when settings are read, so a wrong path is one
configuration line at start rather than a failure in front of a customer.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

MAX_LOGO_BYTES = 2 * 1024 * 1024
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


class LogoError(ValueError):
    """The logo file cannot be used; `str()` says why, without the variable's name."""


@dataclass(frozen=True)
class Branding:
    company: str
    logo_uri: str | None = None  # data:image/…;base64,…


def read_logo(path: str) -> tuple[str, bytes]:
    """(media type, bytes) of a PNG or JPEG file, told apart by their first bytes."""
    file = Path(path)
    try:
        if file.stat().st_size > MAX_LOGO_BYTES:
            raise LogoError(f'"{path}" is larger than {MAX_LOGO_BYTES // (1024 * 1024)} MB')
        data = file.read_bytes()
    except FileNotFoundError:
        raise LogoError(f'"{path}" does not exist') from None
    except IsADirectoryError:
        raise LogoError(f'"{path}" is a directory, not a PNG or JPEG file') from None
    except OSError as error:
        raise LogoError(f'"{path}" cannot be read ({error.strerror})') from None
    for signature, media_type in SIGNATURES.items():
        if data.startswith(signature):
            return media_type, data
    raise LogoError(f'"{path}" is not a PNG or JPEG file')


def branding(company: str, logo_file: str | None) -> Branding:
    if not logo_file:
        return Branding(company)
    media_type, data = read_logo(logo_file)
    return Branding(company, data_uri(media_type, data))


def data_uri(media_type: str, data: bytes) -> str:
    """A picture inside the document itself: the pack is one self-contained file."""
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
