"""Where a raw-text sentence came from: its document (the file's id column, else its line) and
its position in it, so that an export can group sentences back into their documents.

A table of its own (schema version 3) rather than columns of ``sentences``: only sentences split
from raw text have a row, and the migration is one CREATE TABLE that equals a new file's DDL.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.schema import Base


class SentenceDocument(Base):
    __tablename__ = "sentence_documents"

    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentences.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(256))
    # 0-based index of the sentence in its document.
    document_position: Mapped[int] = mapped_column(Integer)


Index("ix_sentence_documents_document", SentenceDocument.document_id, SentenceDocument.document_position)
