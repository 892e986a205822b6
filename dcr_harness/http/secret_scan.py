"""The last line of defence: every artifact writer passes its text through one SecretScanner.

Masking happens at the source (the Masker renders exchanges, messages and reproductions with
variables). Before anything is written (results.json, certification.json/html, junit.xml,
Allure results, the console, Locust reports, logs) the scanner looks again for any stretch
of a known secret's sensitive part: in the raw text, and in its common decodings (JSON
escapes, percent-encoding, both, and base64/base64url runs). What it finds is masked, and
the run logs a warning naming the artifact and the kind of value, never the value: a hit
means masking at the source missed something.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .masking import Masker

log = logging.getLogger("dcr_harness.contract.secret_values")

# The escapes json.dumps writes itself (\" \\ \n ...) are covered by each secret's json-escaped form
# in the raw pass; a decoded view is needed for the others (\u0041, \/).
JSON_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|/)")
PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{20,}")  # 15 bytes or more: a short secret's whole, a window of a long one
JSON_SIMPLE = {'\\"': '"', "\\\\": "\\", "\\/": "/", "\\b": "\b", "\\f": "\f", "\\n": "\n", "\\r": "\r", "\\t": "\t"}
VARIABLE = re.compile(r"\$\{(DCR_[A-Z_]+?(?:_[0-9]+)?)[:} ]")
TEXT_SUFFIXES = (".json", ".txt", ".xml", ".html", ".log", ".csv", ".properties", ".attach", "")


def _json_char(escape: str) -> str:
    return chr(int(escape[2:], 16)) if escape.startswith("\\u") else JSON_SIMPLE[escape]


def _percent_char(escape: str) -> str:
    return chr(int(escape[1:], 16))


@dataclass
class View:
    """A decoding of a text, and the way back from its positions to the text's."""

    text: str
    starts: list[int]  # start of each segment in the decoded text
    segments: list[tuple[int, int, bool]]  # (start, end) in the original, and whether it is one escape

    def original(self, start: int, end: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, start) - 1
        o_start, _, escaped = self.segments[i]
        a = o_start if escaped else o_start + start - self.starts[i]
        j = bisect.bisect_right(self.starts, end - 1) - 1
        o_start, o_end, escaped = self.segments[j]
        b = o_end if escaped else o_start + end - self.starts[j]
        return a, b


def decoded(text: str, pattern: re.Pattern[str], decode: Callable[[str], str]) -> View | None:
    starts: list[int] = []
    segments: list[tuple[int, int, bool]] = []
    parts: list[str] = []
    pos = length = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            starts.append(length)
            segments.append((pos, m.start(), False))
            parts.append(text[pos : m.start()])
            length += m.start() - pos
        starts.append(length)
        segments.append((m.start(), m.end(), True))
        parts.append(decode(m.group()))
        length += 1
        pos = m.end()
    if not segments:
        return None
    if pos < len(text):
        starts.append(length)
        segments.append((pos, len(text), False))
        parts.append(text[pos:])
    return View("".join(parts), starts, segments)


def _base64_texts(run: str) -> list[str]:
    """A run of base64 characters decoded at each of its four alignments (as Latin-1 text)."""
    normal = run.translate(str.maketrans("-_", "+/"))
    out = []
    for offset in range(4):
        chunk = normal[offset:]
        chunk = chunk[: len(chunk) - len(chunk) % 4]
        try:
            out.append(base64.b64decode(chunk, validate=True).decode("latin-1"))
        except (binascii.Error, ValueError):
            continue
    return out


class SecretScanner:
    """One per run, sharing the run's Masker (so it knows every secret the run met)."""

    def __init__(self, masker: Masker) -> None:
        self.masker = masker
        self.hits: list[tuple[str, str, int]] = []  # (artifact, kind, places)
        # base64 runs repeat (X-Device-Info in every exchange): their verdict, while no new secret is learned
        self._base64_seen: dict[str, tuple[str, list[str]] | None] = {}
        self._base64_known = 0

    def _found(self, artifact: str, kinds: list[str]) -> None:
        for kind in sorted(set(kinds)):
            places = kinds.count(kind)
            self.hits.append((artifact, kind, places))
            log.warning(
                "secret scan: %s held %d stretch(es) of a %s that masking at the source missed; masked",
                artifact,
                places,
                kind.replace("_", " "),
            )

    def clean(self, text: str, artifact: str) -> str:
        """text with every stretch of a known secret masked, in clear or in a common decoding."""
        if not text or not self.masker.known():
            return text
        kinds: list[str] = []
        refs = self.masker.refs(text)
        if refs:
            kinds += [r.form.secret.kind for _, _, r in refs]
            text = self.masker.mask(text)
        cuts: list[tuple[int, int, str]] = []
        views = [decoded(text, JSON_ESCAPE, _json_char), decoded(text, PERCENT, _percent_char)]
        if views[0] is not None:
            inner = decoded(views[0].text, PERCENT, _percent_char)
            if inner is not None:
                views.append(_compose(views[0], inner))
        reach = self.masker.longest
        for view in views:
            if view is None:
                continue
            # Only stretches that cross an escape are new in a decoded view: scan around the escapes.
            for lo, hi in _around(
                [start for start, (_, _, esc) in zip(view.starts, view.segments, strict=True) if esc], reach
            ):
                for s, e, ref in self.masker.refs(view.text, lo, hi):
                    a, b = view.original(s, e)
                    cuts.append((a, b, ref.form.variable))
                    kinds.append(ref.form.secret.kind)
        for m in BASE64_RUN.finditer(text):
            found = self._in_base64(m.group())
            if found is not None:
                cuts.append((m.start(), m.end(), found[0]))
                kinds += found[1]
        if kinds:
            self._found(artifact, kinds)
        for a, b, variable in _merged(cuts):
            text = text[:a] + f"[masked: {variable}]" + text[b:]
        return text

    def _in_base64(self, run: str) -> tuple[str, list[str]] | None:
        """(variable, kinds) of the secrets a base64 run carries at any alignment, else None."""
        if len(self.masker.known()) != self._base64_known:
            self._base64_seen.clear()
            self._base64_known = len(self.masker.known())
        if run not in self._base64_seen:
            verdict = None
            for plain in _base64_texts(run):
                refs = self.masker.refs(plain)
                if refs:
                    verdict = (refs[0][2].form.variable, [r.form.secret.kind for _, _, r in refs])
                    break
            self._base64_seen[run] = verdict
        return self._base64_seen[run]

    # Writers

    def write_text(self, path: Path, text: str, artifact: str | None = None) -> None:
        Path(path).write_text(self.clean(text, artifact or Path(path).name), encoding="utf-8")

    def clean_file(self, path: Path, artifact: str | None = None) -> bool:
        """Rewrite a text file that another library wrote; True when it changed."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            return False
        cleaned = self.clean(text, artifact or Path(path).name)
        if cleaned != text:
            Path(path).write_text(cleaned, encoding="utf-8")
            return True
        return False

    def clean_dir(self, directory: Path, since: float = 0.0) -> int:
        """Every text file written under directory since `since` (epoch s); how many changed."""
        changed = 0
        for path in sorted(Path(directory).rglob("*")):
            if (
                path.is_file()
                and not path.is_symlink()
                and path.stat().st_mtime >= since
                and path.suffix in TEXT_SUFFIXES
            ):
                changed += self.clean_file(path, str(path.relative_to(directory.parent)))
        return changed

    def stream(self, stream: TextIO, artifact: str = "console") -> ScannedStream:
        return ScannedStream(stream, self, artifact)


class ScannedStream:
    """A text stream (the console) whose every write passes through the scanner."""

    def __init__(self, stream: TextIO, scanner: SecretScanner, artifact: str) -> None:
        self._stream, self._scanner, self._artifact = stream, scanner, artifact
        self.variables: set[str] = set()  # the ${DCR_...} variables shown so far (for the legend)

    def write(self, text: str) -> int:
        cleaned = self._scanner.clean(text, self._artifact)
        self.variables.update(VARIABLE.findall(cleaned))
        self._stream.write(cleaned)
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _compose(outer: View, inner: View) -> View:
    """A view of a view, mapped back to the first text."""
    segments = []
    for (a, b, escaped), _start in zip(inner.segments, inner.starts, strict=True):
        o_a, _ = outer.original(a, a + 1) if b > a else (0, 0)
        _, o_b = outer.original(b - 1, b) if b > a else (0, 0)
        segments.append((o_a, o_b, escaped or (o_b - o_a) != (b - a)))
    # A copied segment whose characters were escapes in the outer text is mapped as a whole.
    return View(inner.text, inner.starts, segments)


def _around(positions: list[int], reach: int) -> list[tuple[int, int]]:
    """[lo, hi) intervals within `reach` of any position, merged."""
    out: list[tuple[int, int]] = []
    for p in positions:
        lo, hi = max(0, p - reach), p + reach
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _merged(cuts: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Overlapping cuts joined, last first (so that earlier positions stay valid while replacing)."""
    out: list[tuple[int, int, str]] = []
    for a, b, variable in sorted(cuts):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]), out[-1][2])
        else:
            out.append((a, b, variable))
    return out[::-1]


def variables_in(text: str) -> set[str]:
    """The secret variables a masked text refers to."""
    return set(VARIABLE.findall(text))


class ScannedConsole:
    """pytest's console with every write passed through the scanner.

    Wraps, on the one terminal writer instance (`config.get_terminal_writer()`), the public
    method all its output goes through: `write_raw` (pytest 9), else `write` (pytest 8)."""

    def __init__(self, writer: Any, scanner: SecretScanner) -> None:
        self.variables: set[str] = set()  # the ${DCR_...} variables shown so far (for the legend)
        self._scanner = scanner
        self.method = "write_raw" if hasattr(writer, "write_raw") else "write"
        self._original = getattr(writer, self.method)
        setattr(writer, self.method, self.write)

    def write(self, msg: str, **kwargs: Any) -> None:
        cleaned = self._scanner.clean(msg, "console")
        self.variables.update(VARIABLE.findall(cleaned))
        self._original(cleaned, **kwargs)


def console_guard(config: Any, scanner: SecretScanner) -> ScannedConsole | None:
    """Route pytest's console output through the scanner (once per run)."""
    if config.pluginmanager.get_plugin("terminalreporter") is None:
        return None  # -p no:terminal
    writer = config.get_terminal_writer()
    for method in ("write_raw", "write"):
        guard = getattr(getattr(writer, method, None), "__self__", None)
        if isinstance(guard, ScannedConsole):
            return guard
    return ScannedConsole(writer, scanner)
