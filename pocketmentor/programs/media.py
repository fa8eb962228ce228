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
# Decoding takes 3-4 bytes a pixel: 24 megapixels is some 100 MB, checked from the header
# before anything is decoded. Pillow's own bomb check stops anything that slips past.
MAX_PIXELS = 24_000_000
MAX_SIDE = 12_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def image_check(upload) -> Image.Image:
    """The uploaded image, or a ValidationError that tells the author what to do."""
    if upload.size > MAX_BYTES:
        raise ValidationError(
            _("The image is %(size)d MB; choose one of at most 10 MB."),
            params={"size": upload.size // (1024 * 1024)},
        )
    try:
        image = Image.open(upload)  # reads the header only: the size is known before decoding
        _check_pixels(image)
        image.verify()  # checks the file; the image must be opened again to use it
        upload.seek(0)
        image = Image.open(upload)
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("This file is not an image. Choose a JPEG, PNG, WebP or GIF.")
        ) from None
    if image.format not in FORMATS:
        raise ValidationError(
            _("Images in %(format)s cannot be used. Choose a JPEG, PNG, WebP or GIF."),
            params={"format": image.format},
        )
    return image


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _(
            "The image is too large in pixels: at most %(max)s megapixels (6000 × 4000, say). "
            "Make it smaller and upload it again."
        ),
        params={"max": MAX_PIXELS // 1_000_000},
    )


def _check_pixels(image: Image.Image) -> None:
    width, height = image.size
    if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
        raise _too_many_pixels()


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
