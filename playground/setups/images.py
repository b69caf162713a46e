"""The images of a setup: https:// URLs, and uploaded images as base64 data: URLs,
checked by their content (PNG, JPEG, GIF or WebP) whatever their name or declared type
says. Plain data: problems are ImageProblem (a ValueError) with the message to show.
"""

import base64
import binascii
import re
from urllib.parse import urlsplit

from django.template.defaultfilters import filesizeformat

from playground.setups.limits import MAX_IMAGE_BYTES, MAX_IMAGE_URL_CHARS

# An image file starts with its format's signature, whatever its name says.
IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_DATA_URL = re.compile(r"data:(image/[a-z0-9.+-]+);base64,([A-Za-z0-9+/=\s]*)", re.IGNORECASE)


class ImageProblem(ValueError):
    """An image that cannot be sent; its text says why, for the person."""


def sniff_image(data: bytes) -> str | None:
    """The image type by the file's content: PNG, JPEG, GIF or WebP; None otherwise."""
    for signature, mime in IMAGE_SIGNATURES:
        if data.startswith(signature):
            return mime
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def too_large_message(size: int, name: str) -> str:
    return (
        f"{name} is {filesizeformat(size)}; "
        f"images up to {filesizeformat(MAX_IMAGE_BYTES)} can be attached."
    )


def image_problem(data: bytes, name: str) -> str:
    """What keeps the file `data` (named `name` in the message) from being sent; ""
    when nothing."""
    if len(data) > MAX_IMAGE_BYTES:
        return too_large_message(len(data), name)
    if sniff_image(data) is None:
        return f"{name} is not a PNG, JPEG, GIF or WebP image."
    return ""


def image_data_url(data: bytes) -> str:
    return f"data:{sniff_image(data)};base64,{base64.b64encode(data).decode()}"


def image_from_text(text: str) -> str:
    """An image as typed (or stored): an https:// URL, or a data: URL whose content is
    checked; the URL to send, or ImageProblem."""
    shown = text if len(text) <= 60 else text[:60] + "…"
    if text.startswith("data:"):
        match = _DATA_URL.fullmatch(text)
        if match is None:
            raise ImageProblem(f"“{shown}” is not a base64 data:image URL.")
        try:
            data = base64.b64decode("".join(match.group(2).split()), validate=True)
        except (binascii.Error, ValueError):
            raise ImageProblem(f"“{shown}” is not valid base64.") from None
        if problem := image_problem(data, "The image in a data: URL"):
            raise ImageProblem(problem)
        return image_data_url(data)
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in text):
        raise ImageProblem(
            f"“{shown}” is not an https:// URL: models fetch images from https:// addresses."
        )
    if len(text) > MAX_IMAGE_URL_CHARS:
        raise ImageProblem(f"An image URL has at most {MAX_IMAGE_URL_CHARS} characters.")
    return text
