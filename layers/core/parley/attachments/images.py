"""Image checks with Pillow: a real PNG/JPEG/GIF/WebP, of the declared type, within the pixel limit.

Only those four decoders are ever tried (``Image.open(formats=...)``): Pillow would otherwise probe
every registered plugin, some of which (EPS) run external programs. Dimensions are checked from the
header before any pixel is decoded, so a small file that claims a huge canvas (a PNG bomb) costs
nothing; the image is then verified and fully decoded once to catch truncated or corrupt data.
"""

from __future__ import annotations

import io
import math
import warnings

from PIL import Image, UnidentifiedImageError

from parley.attachments.errors import ExtractionFailed
from parley.attachments.extracted import Body, ImageInfo
from parley.attachments.limits import Limits

FORMATS: dict[str, str] = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
_NAMES = {"image/png": "a PNG", "image/jpeg": "a JPEG", "image/gif": "a GIF", "image/webp": "a WebP"}


def read_image(data: bytes, declared_media_type: str, limits: Limits) -> Body:
    with warnings.catch_warnings():
        # Pillow warns (rather than fails) between MAX_IMAGE_PIXELS and twice that: make it fail.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            info = _inspect(data, declared_media_type, limits)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ExtractionFailed(
                f"the image has too many pixels; at most {limits.max_image_pixels / 1e6:g} megapixels "
                "are supported"
            ) from None
    return Body(image=info)


def _inspect(data: bytes, declared_media_type: str, limits: Limits) -> ImageInfo:
    try:
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except UnidentifiedImageError:
        raise ExtractionFailed("this is not a PNG, JPEG, GIF or WebP image (or it is damaged)") from None
    with image:
        media_type = FORMATS[image.format or ""]
        if media_type != declared_media_type:
            raise ExtractionFailed(
                f"the file was declared as {_NAMES.get(declared_media_type, declared_media_type)} image "
                f"but is {_NAMES[media_type]} image"
            )
        width, height = image.size
        if width <= 0 or height <= 0:
            raise ExtractionFailed("the image has no pixels")
        if width * height > limits.max_image_pixels:
            raise ExtractionFailed(
                f"the image is {width}x{height} pixels ({width * height / 1e6:.1f} megapixels); "
                f"at most {limits.max_image_pixels / 1e6:g} megapixels are supported"
            )
        animated = bool(getattr(image, "is_animated", False))
        try:
            image.verify()
        except Exception as e:
            raise ExtractionFailed(f"the image is damaged ({_short(e)})") from None
    # verify() leaves the image unusable; a fresh open decodes the pixels (of the first frame).
    try:
        with Image.open(io.BytesIO(data), formats=[image.format or ""]) as again:
            again.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise
    except Exception as e:
        raise ExtractionFailed(f"the image is damaged or truncated ({_short(e)})") from None
    return ImageInfo(
        format=image.format or "",
        media_type=media_type,
        width=width,
        height=height,
        animated=animated,
        estimated_tokens=estimate_image_tokens(width, height),
    )


def estimate_image_tokens(width: int, height: int) -> int:
    """OpenAI's published high-detail rule: fit in 2048 square, shortest side to 768, 170/tile + 85."""
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


def _short(error: Exception) -> str:
    text = " ".join(str(error).split())[:120]
    return text or type(error).__name__
