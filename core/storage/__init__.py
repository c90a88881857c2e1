"""The project store: a SQLite file (WAL, foreign keys) or, for a team, a PostgreSQL database
(``postgresql+psycopg://...``), holding sentences, terms, the append-only label history, model
versions and training runs. Use ``Project``; it returns frozen records.
"""

from core.storage.errors import NotAProjectError, SchemaTooNewError, StoreError
from core.storage.migrations import SCHEMA_VERSION
from core.storage.agreement import AgreementReport, PairAgreement
from core.storage.records import (AcceptReport, AnnotatorLabel, ImportReport, LabelEvent, ModelVersionRecord,
                                  ProjectStats, ReviewBatchRecord, SentenceFilter, SentenceRecord, TermRecord,
                                  TermReview, TrainingRunRecord, UndoAcceptReport)
from core.storage.repository import Project
from core.storage.team import ENV_AUTHOR, ENV_DB_URL, ENV_MODELS_DIR, default_author

__all__ = ["Project", "SCHEMA_VERSION", "StoreError", "NotAProjectError", "SchemaTooNewError", "ImportReport",
           "LabelEvent", "ModelVersionRecord", "ProjectStats", "SentenceFilter", "SentenceRecord", "TermRecord",
           "TrainingRunRecord", "ENV_AUTHOR", "ENV_DB_URL", "ENV_MODELS_DIR", "default_author",
           # team review (core/storage/review.py)
           "AgreementReport", "PairAgreement", "AcceptReport", "AnnotatorLabel", "ReviewBatchRecord", "TermReview",
           "UndoAcceptReport"]
