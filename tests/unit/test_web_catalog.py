"""Every visible string of the pages is in the Vietnamese gettext catalog, with a translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "web"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def test_every_message_of_the_pages_has_a_vietnamese_translation() -> None:
    used = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            WEB, METHODS, options_map=OPTIONS
        )
    }
    with (WEB / "locale" / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in catalog if m.id}
    missing = sorted(m for m in used if not translated.get(m))
    assert len(used) > 200
    assert not missing, f"untranslated (run pybabel extract/update, see web/i18n.py): {missing}"


def test_the_catalog_keeps_placeholders_intact() -> None:
    with (WEB / "locale" / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        for name in ("%(name)s", "%(code)s", "%(count)s", "%(n)s", "%(url)s", "%(pages)s"):
            assert (name in message.id) == (name in str(message.string)), message.id
