"""Character vocabularies."""

from __future__ import annotations

from seqgen.errors import CheckpointError, DataError


def describe_chars(chars) -> str:
    """Readable names for characters, e.g. ``'é', '\\t'``."""
    return ", ".join(repr(c) for c in sorted(chars))


class Vocab:
    """A sorted character vocabulary with index lookups."""

    def __init__(self, chars):
        self.chars: list[str] = list(chars)
        self.index: dict[str, int] = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str, always: str = "") -> Vocab:
        """All distinct characters of ``text`` (plus ``always``), sorted."""
        return cls(sorted(set(text) | set(always)))

    @classmethod
    def from_list(cls, chars, where: str = "checkpoint") -> Vocab:
        """Rebuild from stored metadata, validating it.

        Raises:
            CheckpointError: not a list of distinct single characters.
        """
        if (not isinstance(chars, list) or not chars
                or not all(isinstance(c, str) and len(c) == 1 for c in chars)
                or len(set(chars)) != len(chars)):
            raise CheckpointError(f"{where}: vocabulary is malformed")
        return cls(chars)

    def __len__(self) -> int:
        return len(self.chars)

    def unknown(self, text: str) -> set[str]:
        return {c for c in text if c not in self.index}

    def encode(self, text: str, what: str = "text") -> list[int]:
        """Indices of ``text``'s characters.

        Raises:
            DataError: naming the characters the vocabulary does not know.
        """
        missing = self.unknown(text)
        if missing:
            raise DataError(f"{what} has characters the model does not know: "
                            f"{describe_chars(missing)}")
        return [self.index[c] for c in text]

    def decode(self, indices) -> str:
        return "".join(self.chars[i] for i in indices)
