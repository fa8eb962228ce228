"""Images for cards: checked, turned upright, resized to phone widths, stored via Django storage."""

import io
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_WIDTH = 1280  # sharp on a phone at 3x, small enough to load on a train
FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def image_check(upload) -> Image.Image:
    """The uploaded image, or a ValidationError that tells the author what to do."""
    if upload.size > MAX_BYTES:
        raise ValidationError(
            _("The image is %(size)d MB; choose one of at most 10 MB."),
            params={"size": upload.size // (1024 * 1024)},
        )
    try:
        image = Image.open(upload)
        image.verify()  # checks the file; the image must be opened again to use it
        upload.seek(0)
        image = Image.open(upload)
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError(
            _("This file is not an image. Choose a JPEG, PNG, WebP or GIF.")
        ) from None
    if image.format not in FORMATS:
        raise ValidationError(
            _("Images in %(format)s cannot be used. Choose a JPEG, PNG, WebP or GIF."),
            params={"format": image.format},
        )
    return image


def image_store(image: Image.Image) -> str:
    """Save a phone-sized copy under a new name (not the uploader's); its /media/ URL."""
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_WIDTH, MAX_WIDTH * 4))
    has_alpha = image.mode in ("RGBA", "LA") or "transparency" in image.info
    buffer = io.BytesIO()
    if has_alpha:
        image.convert("RGBA").save(buffer, format="PNG", optimize=True)
        extension = "png"
    else:
        image.convert("RGB").save(
            buffer, format="JPEG", quality=82, optimize=True, progressive=True
        )
        extension = "jpg"
    name = default_storage.save(
        f"cards/{uuid.uuid4().hex}.{extension}", ContentFile(buffer.getvalue())
    )
    return reverse("media", kwargs={"name": name})  # ours, whichever storage holds it
