"""Where each key of a TOML text is: its line, for messages that point into the file.

``tomllib`` gives values, not positions. This scanner walks a text that
``tomllib`` has already accepted and records the line of every key path it
meets: table headers (``[general]``), array-of-tables entries in order
(``[[rulesets.rules]]`` -> ``("rulesets", 0, "rules", 2)``), keys within
them, and the elements and keys of inline arrays and tables, even when they
span lines. A path it does not know is looked up by its longest known prefix,
so a message always lands on the nearest enclosing key; a text it cannot
follow just gives fewer lines, never an error.
"""

from __future__ import annotations

from collections.abc import Sequence

Path = tuple[str | int, ...]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self.arrays: dict[Path, int] = {}  # array-of-tables path -> entries so far

    # --- characters ------------------------------------------------------------

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def advance(self, n: int = 1) -> None:
        chunk = self.text[self.pos : self.pos + n]
        self.line += chunk.count("\n")
        self.pos += len(chunk)

    def skip_blank(self, newlines: bool) -> None:
        """Spaces, and with ``newlines`` also line breaks and comments."""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t" or (newlines and ch in "\r\n"):
                self.advance()
            elif ch == "#" and newlines:
                end = self.text.find("\n", self.pos)
                self.advance((end if end >= 0 else len(self.text)) - self.pos)
            else:
                return

    def skip_to_line_end(self) -> None:
        end = self.text.find("\n", self.pos)
        self.advance((end + 1 if end >= 0 else len(self.text)) - self.pos)

    # --- keys and values --------------------------------------------------------

    def string(self) -> str:
        """A basic, literal or multi-line string starting here; returns its raw content."""
        quote = self.peek()
        triple = self.peek(3) == quote * 3
        delim = quote * 3 if triple else quote
        self.advance(len(delim))
        start = self.pos
        while self.pos < len(self.text):
            if quote == '"' and self.peek() == "\\":
                self.advance(2)
                continue
            if self.peek(len(delim)) == delim:
                content = self.text[start : self.pos]
                self.advance(len(delim))
                while triple and self.peek() == quote:  # up to two quotes may end the content
                    content += quote
                    self.advance()
                return content
            self.advance()
        raise ValueError("unterminated string")

    def key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self.skip_blank(newlines=False)
            if self.peek() in ('"', "'"):
                parts.append(self.string())
            else:
                start = self.pos
                while self.pos < len(self.text) and self.text[self.pos] in _BARE:
                    self.advance()
                if self.pos == start:
                    raise ValueError("not a key")
                parts.append(self.text[start : self.pos])
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.advance()

    def value(self, path: Path) -> None:
        self.skip_blank(newlines=False)
        self.lines.setdefault(path, self.line)
        ch = self.peek()
        if ch == "[":
            self.advance()
            index = 0
            while True:
                self.skip_blank(newlines=True)
                if self.peek() == "]":
                    self.advance()
                    return
                self.value((*path, index))
                self.skip_blank(newlines=True)
                if self.peek() == ",":
                    self.advance()
                index += 1
        elif ch == "{":
            self.advance()
            while True:
                self.skip_blank(newlines=False)
                if self.peek() == "}":
                    self.advance()
                    return
                line = self.line
                parts = self.key()
                self.expect("=")
                self.lines.setdefault((*path, *parts), line)
                self.value((*path, *parts))
                self.skip_blank(newlines=False)
                if self.peek() == ",":
                    self.advance()
        elif ch in ('"', "'"):
            self.string()
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]}\r\n#":
                self.advance()

    def expect(self, ch: str) -> None:
        self.skip_blank(newlines=False)
        if self.peek() != ch:
            raise ValueError(f"expected {ch!r}")
        self.advance()

    # --- tables -----------------------------------------------------------------

    def resolve(self, parts: Sequence[str]) -> Path:
        """A dotted header name with each array of tables replaced by its latest entry."""
        path: Path = ()
        for part in parts:
            path = (*path, part)
            if path in self.arrays:
                path = (*path, self.arrays[path] - 1)
        return path

    def document(self) -> dict[Path, int]:
        prefix: Path = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return self.lines
            line = self.line
            if self.peek(2) == "[[":
                self.advance(2)
                parts = self.key()
                self.expect("]")
                self.expect("]")
                table = (*self.resolve(parts[:-1]), parts[-1])
                count = self.arrays.get(table, 0)
                self.arrays[table] = count + 1
                prefix = (*table, count)
                self.lines.setdefault(table, line)
                self.lines[prefix] = line
            elif self.peek() == "[":
                self.advance()
                parts = self.key()
                self.expect("]")
                prefix = self.resolve(parts)
                self.lines.setdefault(prefix, line)
            else:
                parts = self.key()
                self.expect("=")
                self.lines.setdefault((*prefix, *parts), line)
                self.value((*prefix, *parts))
            self.skip_to_line_end()


def key_lines(text: str) -> dict[Path, int]:
    """Key path -> line (1-based) for every key the scanner could follow."""
    scanner = _Scanner(text)
    try:
        return scanner.document()
    except (ValueError, IndexError):
        return scanner.lines


def line_of(lines: dict[Path, int], path: Sequence[str | int]) -> int | None:
    """The line of ``path``, or of its longest prefix that has one."""
    key = tuple(path)
    while key:
        if key in lines:
            return lines[key]
        key = key[:-1]
    return None
