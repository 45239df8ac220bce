"""The article as sections, paragraphs and sentences (parsed from article.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.content.files import ContentError, content_dir

INTRODUCTION = "Introduction"

# A sentence ends at . ! or ? followed by space; keeps "100%." intact.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][”\"']))\s+(?=[A-Z\"'“‘(])")
"""After a full stop, question or exclamation mark (or one closing a quotation:
a person's own words said back), before what starts a sentence."""


@dataclass
class ArticleSection:
    title: str
    paragraphs: list[list[str]] = field(default_factory=list)

    @property
    def sentences(self) -> list[str]:
        return [s for p in self.paragraphs for s in p]


@dataclass
class Article:
    title: str
    author: str
    sections: list[ArticleSection]

    def section(self, title: str) -> ArticleSection:
        for s in self.sections:
            if s.title == title:
                return s
        raise KeyError(title)


def split_sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(paragraph.strip()) if s.strip()]


def heading_sentence(title: str) -> str:
    """A heading said as a sentence: "Going Forward." but "What is Trust?"."""
    title = speakable(title)
    return title if title[-1:] in ".?!" else f"{title}."


def speakable(text: str) -> str:
    """Text as a speech synthesiser should get it."""
    text = text.replace("&", "and").replace("’", "'").replace("‘", "'")
    text = text.replace("“", '"').replace("”", '"')
    return text


def parse_article(text: str, source: str = "article.md") -> Article:
    title, author = "", ""
    sections: list[ArticleSection] = [ArticleSection(INTRODUCTION)]
    for raw in text.split("\n\n"):
        block = " ".join(line.strip() for line in raw.strip().splitlines())
        if not block:
            continue
        if block.startswith("## "):
            sections.append(ArticleSection(block[3:].strip()))
        elif block.startswith("# "):
            title = block[2:].strip()
        elif block.startswith("Author:"):
            author = block.split(":", 1)[1].strip()
        else:
            sections[-1].paragraphs.append(split_sentences(block))
    if not title or len(sections) < 2:
        raise ContentError(f"{source}: expected a '# title' and '## section' headings")
    return Article(title, author, sections)


def load_article(path: Path | None = None) -> Article:
    path = path or content_dir() / "article.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ContentError(f"{path}: cannot be read: {e.strerror}") from None
    return parse_article(text, str(path))
