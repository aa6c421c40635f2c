"""Pictures shown inline in the Dagster UI: reduced JPEG copies as markdown data URIs."""

import base64
import io
import re

from PIL import Image

from lofi_assets.ui_pictures import UI_WIDTH, pictures_markdown


def test_a_picture_becomes_a_small_inline_jpeg_and_a_bad_one_is_named(tmp_path):
    png = tmp_path / "master.png"
    Image.new("RGB", (1200, 420), (30, 60, 90)).save(png)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    text = pictures_markdown([("master", png), ("broken", tmp_path / "broken.png")]).value
    (uri,) = re.findall(r"\]\((data:image/jpeg;base64,[^)]+)\)", text)
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert image.format == "JPEG" and image.size == (UI_WIDTH, 210)
    assert "**broken**: picture unreadable" in text
