"""Pictures the Dagster UI shows inline: a markdown metadata value with small JPEG copies
as data URIs (the UI renders markdown images; a path value is only text). The full-size
PNGs stay on disk beside the media and are named in the metadata too."""

import base64
import io
from pathlib import Path

import dagster as dg

UI_WIDTH = 600  # pixels; about 40 KB a picture in the event log


def inline_jpeg(path: Path, width: int = UI_WIDTH) -> str:
    """A data URI of a reduced JPEG copy of the image at ``path``."""
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("RGB")
        if image.width > width:
            image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=80, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


ANIMATIONS = {".webp": "image/webp", ".gif": "image/gif"}  # embedded as they are: a copy would lose the frames


def inline_picture(path: Path) -> str:
    """A data URI of the picture at ``path``: an animation as it is, a still as a reduced JPEG."""
    mime = ANIMATIONS.get(Path(path).suffix.lower())
    if mime is None:
        return inline_jpeg(path)
    return f"data:{mime};base64," + base64.b64encode(Path(path).read_bytes()).decode()


def pictures_markdown(pictures: list[tuple[str, Path]]) -> dg.MetadataValue:
    """``(caption, path)`` pairs as markdown images; a picture that cannot be read is named."""
    parts = []
    for caption, path in pictures:
        try:
            parts.append(f"**{caption}**\n\n![{caption}]({inline_picture(Path(path))})")
        except OSError as exc:
            parts.append(f"**{caption}**: picture unreadable ({exc})")
    return dg.MetadataValue.md("\n\n".join(parts) or "no pictures")
