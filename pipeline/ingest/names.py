"""File names as the inbox gets them: which ones are refused, how they are shown, how
they are archived.

A name is shown to the user (console, log, verdicts) only through `shown()`: a newline,
carriage return, escape sequence or bidi override in a name must not start a forged log
line or reorder what the clerk reads. Such names are refused outright (`name_problem`),
and `shown()` escapes them in the refusal itself.

Archived copies are named `<sha256[:12]>_<name>` with the name cut to a bounded length:
the filesystem's limit is 255 bytes per name, and an office export can already be that
long (the original name stays in `batches.file_name`).
"""

from __future__ import annotations

import unicodedata

#: bytes of an archived file's name (well under the 255 of ext4/NTFS/APFS)
ARCHIVE_NAME_BYTES = 120
#: bidi controls reorder the text around them (U+202E shows "exe.txt" as "txt.exe")
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _escaped(ch: str) -> str | None:
    """The visible escape of a character that must not reach a console raw, else None."""
    o = ord(ch)
    if 0xDC80 <= o <= 0xDCFF:                  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{o - 0xDC00:02x}"
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cf", "Cs", "Zl", "Zp") or ch in _BIDI:
        return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"
    return None


def shown(name: str) -> str:
    """`name` safe for one console/log line: control, format and line-separator characters
    (and bytes that were not UTF-8) written as \\xNN / \\uNNNN."""
    return "".join(_escaped(ch) or ch for ch in str(name))


def name_problem(name: str) -> str | None:
    """Why a file (or folder) name is refused, in Chinese; None when it is fine."""
    bad = [ch for ch in name if _escaped(ch) is not None]
    if not bad:
        return None
    if any(0xDC80 <= ord(ch) <= 0xDCFF for ch in bad):
        return "文件名不是有效的 UTF-8 编码（常见于解压 GBK 压缩包），请把文件重新命名后再放入"
    codes = "、".join(dict.fromkeys(_escaped(ch) for ch in bad))
    return f"文件名含换行符或其他控制字符（{codes}），请把文件重新命名后再放入"


def _clip_bytes(text: str, limit: int) -> str:
    """The longest prefix of `text` whose UTF-8 encoding fits in `limit` bytes."""
    out, used = [], 0
    for ch in text:
        n = len(ch.encode("utf-8", "surrogatepass"))
        if used + n > limit:
            break
        out.append(ch)
        used += n
    return "".join(out)


def archive_name(sha256: str, name: str) -> str:
    """`<sha[:12]>_<name>`, the name's stem cut so the whole stays within ARCHIVE_NAME_BYTES
    (the extension is kept when it is a short one, so the copy still opens in Excel)."""
    name = shown(name).replace("/", "_")
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > 8:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    room = ARCHIVE_NAME_BYTES - len(sha256[:12]) - 1 - len(suffix.encode("utf-8"))
    return f"{sha256[:12]}_{_clip_bytes(stem, room)}{suffix}"
