"""The saved schema of every released project version (its DDL exactly as that version wrote it)
and a file of each version with a little of everything in it, for tests/core/test_store_migrations.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# The DDL of each released schema version, exactly as that version wrote it (sqlite_master).
# When the schema changes: bump SCHEMA_VERSION, add a MigrationToN, and add the new version's DDL
# here; never edit a released one.
V1_DDL = """
CREATE TABLE meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
CREATE TABLE settings (
	"key" VARCHAR(128) NOT NULL, 
	value JSON NOT NULL, 
	PRIMARY KEY ("key")
);
CREATE TABLE sentences (
	id INTEGER NOT NULL, 
	text TEXT NOT NULL, 
	source VARCHAR(512) NOT NULL, 
	external_id VARCHAR(256) NOT NULL, 
	position INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	min_confidence FLOAT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_sentences_text_external_id UNIQUE (text, external_id)
);
CREATE INDEX ix_sentences_uncertain ON sentences (min_confidence, id) WHERE min_confidence IS NOT NULL;
CREATE TABLE model_versions (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	folder VARCHAR(1024) NOT NULL, 
	engine VARCHAR(32) NOT NULL, 
	base_model VARCHAR(512) NOT NULL, 
	config JSON NOT NULL, 
	metrics JSON NOT NULL, 
	n_labels INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	active BOOLEAN NOT NULL, 
	UNIQUE (folder)
);
CREATE UNIQUE INDEX uq_model_versions_one_active ON model_versions (active) WHERE active IS 1;
CREATE TABLE terms (
	id INTEGER NOT NULL, 
	sentence_id INTEGER NOT NULL, 
	start INTEGER NOT NULL, 
	"end" INTEGER NOT NULL, 
	category VARCHAR(128) NOT NULL, 
	created_at DATETIME NOT NULL, 
	current_label VARCHAR(16), 
	current_source VARCHAR(16), 
	pred_label VARCHAR(16), 
	pred_confidence FLOAT, 
	pred_p_negative FLOAT, 
	pred_p_neutral FLOAT, 
	pred_p_positive FLOAT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_terms_span_category UNIQUE (sentence_id, start, "end", category), 
	CONSTRAINT ck_terms_span CHECK ("start" >= 0 AND "end" > "start"), 
	FOREIGN KEY(sentence_id) REFERENCES sentences (id) ON DELETE CASCADE
);
CREATE INDEX ix_terms_by_label ON terms (current_label, sentence_id) WHERE current_label IS NOT NULL;
CREATE INDEX ix_terms_unlabeled ON terms (sentence_id, current_label) WHERE current_label IS NULL;
CREATE INDEX ix_terms_uncertain_order ON terms (pred_label, pred_confidence, sentence_id, current_label) WHERE current_label IS NULL AND pred_confidence IS NOT NULL;
CREATE INDEX ix_terms_unlabeled_pred ON terms (pred_label, sentence_id, current_label) WHERE current_label IS NULL;
CREATE INDEX ix_terms_uncertain ON terms (sentence_id, current_label, pred_confidence, pred_label) WHERE current_label IS NULL AND pred_confidence IS NOT NULL;
CREATE INDEX ix_terms_labeled ON terms (sentence_id, current_label) WHERE current_label IS NOT NULL;
CREATE INDEX ix_terms_disagree ON terms (sentence_id, current_label, pred_label) WHERE current_label IS NOT NULL AND pred_label IS NOT NULL AND pred_label != current_label;
CREATE TABLE training_runs (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	status VARCHAR(16) NOT NULL, 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	error TEXT, 
	config JSON NOT NULL, 
	metrics JSON, 
	model_version_id INTEGER, 
	pid INTEGER, 
	host VARCHAR(255), 
	CONSTRAINT ck_training_runs_status CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')), 
	FOREIGN KEY(model_version_id) REFERENCES model_versions (id) ON DELETE SET NULL
);
CREATE INDEX ix_training_runs_status ON training_runs (status);
CREATE TABLE labels (
	id INTEGER NOT NULL, 
	term_id INTEGER NOT NULL, 
	polarity VARCHAR(16), 
	source VARCHAR(16) NOT NULL, 
	action VARCHAR(8) NOT NULL, 
	confidence FLOAT, 
	p_negative FLOAT, 
	p_neutral FLOAT, 
	p_positive FLOAT, 
	model_version_id INTEGER, 
	created_at DATETIME NOT NULL, 
	author VARCHAR(128), 
	PRIMARY KEY (id), 
	CONSTRAINT ck_labels_source CHECK (source IN ('human', 'import', 'model')), 
	CONSTRAINT ck_labels_action CHECK (action IN ('set', 'undo', 'redo')), 
	FOREIGN KEY(term_id) REFERENCES terms (id) ON DELETE CASCADE, 
	FOREIGN KEY(model_version_id) REFERENCES model_versions (id) ON DELETE SET NULL
);
CREATE INDEX ix_labels_model_version ON labels (model_version_id, term_id);
CREATE INDEX ix_labels_term ON labels (term_id, id);
CREATE VIRTUAL TABLE sentences_fts USING fts5(text, content='sentences', content_rowid='id', tokenize='trigram');
CREATE TRIGGER sentences_fts_insert AFTER INSERT ON sentences BEGIN INSERT INTO sentences_fts(rowid, text) VALUES (new.id, new.text); END;
CREATE TRIGGER sentences_fts_delete AFTER DELETE ON sentences BEGIN INSERT INTO sentences_fts(sentences_fts, rowid, text) VALUES ('delete', old.id, old.text); END;
CREATE TRIGGER sentences_fts_update AFTER UPDATE OF text ON sentences BEGIN INSERT INTO sentences_fts(sentences_fts, rowid, text) VALUES ('delete', old.id, old.text); INSERT INTO sentences_fts(rowid, text) VALUES (new.id, new.text); END;
"""

# Version 2: an index of edits (human/import labels) by id, for polling others' labels.
V2_DDL = V1_DDL + """CREATE INDEX ix_labels_edits ON labels (id) WHERE source != 'model';
"""

# Version 3 (team review): review_batches; labels.source 32 wide with 'adjudication' and
# 'accepted-prediction', labels.batch_id; terms.current_source 32 wide, terms.disputed; three partial indexes.
V3_DDL = """
CREATE TABLE meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
CREATE TABLE settings (
	"key" VARCHAR(128) NOT NULL, 
	value JSON NOT NULL, 
	PRIMARY KEY ("key")
);
CREATE TABLE sentences (
	id INTEGER NOT NULL, 
	text TEXT NOT NULL, 
	source VARCHAR(512) NOT NULL, 
	external_id VARCHAR(256) NOT NULL, 
	position INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	min_confidence FLOAT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_sentences_text_external_id UNIQUE (text, external_id)
);
CREATE INDEX ix_sentences_uncertain ON sentences (min_confidence, id) WHERE min_confidence IS NOT NULL;
CREATE TABLE model_versions (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	folder VARCHAR(1024) NOT NULL, 
	engine VARCHAR(32) NOT NULL, 
	base_model VARCHAR(512) NOT NULL, 
	config JSON NOT NULL, 
	metrics JSON NOT NULL, 
	n_labels INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	active BOOLEAN NOT NULL, 
	UNIQUE (folder)
);
CREATE UNIQUE INDEX uq_model_versions_one_active ON model_versions (active) WHERE active IS 1;
CREATE TABLE terms (
	id INTEGER NOT NULL, 
	sentence_id INTEGER NOT NULL, 
	start INTEGER NOT NULL, 
	"end" INTEGER NOT NULL, 
	category VARCHAR(128) NOT NULL, 
	created_at DATETIME NOT NULL, 
	current_label VARCHAR(16), 
	current_source VARCHAR(32), 
	pred_label VARCHAR(16), 
	pred_confidence FLOAT, 
	pred_p_negative FLOAT, 
	pred_p_neutral FLOAT, 
	pred_p_positive FLOAT, 
	disputed BOOLEAN, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_terms_span_category UNIQUE (sentence_id, start, "end", category), 
	CONSTRAINT ck_terms_span CHECK ("start" >= 0 AND "end" > "start"), 
	FOREIGN KEY(sentence_id) REFERENCES sentences (id) ON DELETE CASCADE
);
CREATE INDEX ix_terms_uncertain_order ON terms (pred_label, pred_confidence, sentence_id, current_label) WHERE current_label IS NULL AND pred_confidence IS NOT NULL;
CREATE INDEX ix_terms_disagree ON terms (sentence_id, current_label, pred_label) WHERE current_label IS NOT NULL AND pred_label IS NOT NULL AND pred_label != current_label;
CREATE INDEX ix_terms_unlabeled ON terms (sentence_id, current_label) WHERE current_label IS NULL;
CREATE INDEX ix_terms_uncertain ON terms (sentence_id, current_label, pred_confidence, pred_label) WHERE current_label IS NULL AND pred_confidence IS NOT NULL;
CREATE INDEX ix_terms_labeled ON terms (sentence_id, current_label) WHERE current_label IS NOT NULL;
CREATE INDEX ix_terms_disputed ON terms (sentence_id, current_label) WHERE disputed IS 1;
CREATE INDEX ix_terms_unlabeled_pred ON terms (pred_label, sentence_id, current_label) WHERE current_label IS NULL;
CREATE INDEX ix_terms_by_label ON terms (current_label, sentence_id) WHERE current_label IS NOT NULL;
CREATE TABLE review_batches (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	kind VARCHAR(32) NOT NULL, 
	author VARCHAR(128), 
	model_version_id INTEGER, 
	min_confidence FLOAT, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT ck_review_batches_kind CHECK (kind IN ('accepted-prediction')), 
	FOREIGN KEY(model_version_id) REFERENCES model_versions (id) ON DELETE SET NULL
);
CREATE TABLE training_runs (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	status VARCHAR(16) NOT NULL, 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	error TEXT, 
	config JSON NOT NULL, 
	metrics JSON, 
	model_version_id INTEGER, 
	pid INTEGER, 
	host VARCHAR(255), 
	CONSTRAINT ck_training_runs_status CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')), 
	FOREIGN KEY(model_version_id) REFERENCES model_versions (id) ON DELETE SET NULL
);
CREATE INDEX ix_training_runs_status ON training_runs (status);
CREATE TABLE labels (
	id INTEGER NOT NULL, 
	term_id INTEGER NOT NULL, 
	polarity VARCHAR(16), 
	source VARCHAR(32) NOT NULL, 
	action VARCHAR(8) NOT NULL, 
	confidence FLOAT, 
	p_negative FLOAT, 
	p_neutral FLOAT, 
	p_positive FLOAT, 
	model_version_id INTEGER, 
	created_at DATETIME NOT NULL, 
	author VARCHAR(128), 
	batch_id INTEGER, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_labels_source CHECK (source IN ('human', 'import', 'model', 'adjudication', 'accepted-prediction')), 
	CONSTRAINT ck_labels_action CHECK (action IN ('set', 'undo', 'redo')), 
	FOREIGN KEY(term_id) REFERENCES terms (id) ON DELETE CASCADE, 
	FOREIGN KEY(model_version_id) REFERENCES model_versions (id) ON DELETE SET NULL, 
	FOREIGN KEY(batch_id) REFERENCES review_batches (id)
);
CREATE INDEX ix_labels_model_version ON labels (model_version_id, term_id);
CREATE INDEX ix_labels_batch ON labels (batch_id, term_id) WHERE batch_id IS NOT NULL;
CREATE INDEX ix_labels_adjudication ON labels (term_id, id) WHERE source = 'adjudication';
CREATE INDEX ix_labels_term ON labels (term_id, id);
CREATE INDEX ix_labels_edits ON labels (id) WHERE source != 'model';
CREATE VIRTUAL TABLE sentences_fts USING fts5(text, content='sentences', content_rowid='id', tokenize='trigram');
CREATE TRIGGER sentences_fts_insert AFTER INSERT ON sentences BEGIN INSERT INTO sentences_fts(rowid, text) VALUES (new.id, new.text); END;
CREATE TRIGGER sentences_fts_delete AFTER DELETE ON sentences BEGIN INSERT INTO sentences_fts(sentences_fts, rowid, text) VALUES ('delete', old.id, old.text); END;
CREATE TRIGGER sentences_fts_update AFTER UPDATE OF text ON sentences BEGIN INSERT INTO sentences_fts(sentences_fts, rowid, text) VALUES ('delete', old.id, old.text); INSERT INTO sentences_fts(rowid, text) VALUES (new.id, new.text); END;
"""

# Version 4: the document and position of sentences split from raw text.
V4_DDL = V3_DDL + """CREATE TABLE sentence_documents (
	sentence_id INTEGER NOT NULL, 
	document_id VARCHAR(256) NOT NULL, 
	document_position INTEGER NOT NULL, 
	PRIMARY KEY (sentence_id), 
	FOREIGN KEY(sentence_id) REFERENCES sentences (id) ON DELETE CASCADE
);
CREATE INDEX ix_sentence_documents_document ON sentence_documents (document_id, document_position);
"""

# Version 5: term suggestions and "all terms done" (core/storage/suggestions.py).
V5_DDL = V4_DDL + """CREATE TABLE term_suggestions (
	id INTEGER NOT NULL, 
	sentence_id INTEGER NOT NULL, 
	start INTEGER NOT NULL, 
	"end" INTEGER NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	score FLOAT NOT NULL, 
	pred_label VARCHAR(16), 
	pred_p_negative FLOAT, 
	pred_p_neutral FLOAT, 
	pred_p_positive FLOAT, 
	extractor VARCHAR(512) NOT NULL, 
	created_at DATETIME NOT NULL, 
	decided_at DATETIME, 
	term_id INTEGER, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_term_suggestions_span UNIQUE (sentence_id, start, "end"), 
	CONSTRAINT ck_term_suggestions_state CHECK (state IN ('open', 'accepted', 'rejected')), 
	FOREIGN KEY(sentence_id) REFERENCES sentences (id) ON DELETE CASCADE, 
	FOREIGN KEY(term_id) REFERENCES terms (id) ON DELETE SET NULL
);
CREATE INDEX ix_term_suggestions_open ON term_suggestions (sentence_id) WHERE state = 'open';
CREATE TABLE sentence_terms_done (
	sentence_id INTEGER NOT NULL, 
	marked_at DATETIME NOT NULL, 
	author VARCHAR(128), 
	PRIMARY KEY (sentence_id), 
	FOREIGN KEY(sentence_id) REFERENCES sentences (id) ON DELETE CASCADE
);
"""

SAVED_DDL = {1: V1_DDL, 2: V2_DDL, 3: V3_DDL, 4: V4_DDL, 5: V5_DDL}

V1_META = [("application", "polarity-studio"), ("schema_version", "1"), ("text_index", "fts5-trigram")]


def make_v1_file(path: Path, version: int = 1) -> None:
    """A project as ``version`` wrote it, with a little of everything in it (the rows are the
    same in versions 1 to 3)."""
    conn = sqlite3.connect(path)
    conn.executescript(SAVED_DDL[version])
    conn.executemany("INSERT INTO meta VALUES (?, ?)",
                     [(k, str(version) if k == "schema_version" else v) for k, v in V1_META])
    ts = "2025-01-02 03:04:05.000000"
    conn.execute("INSERT INTO sentences VALUES (1, 'The soup was cold.', 'old.tsv', '', 0, ?, NULL)", (ts,))
    conn.execute("INSERT INTO sentences VALUES (2, 'Great view.', 'old.tsv', 'x7', 1, ?, NULL)", (ts,))
    conn.execute("INSERT INTO terms (id, sentence_id, start, \"end\", category, created_at, current_label, "
                 "current_source) VALUES (1, 1, 4, 8, 'FOOD', ?, 'negative', 'human')", (ts,))
    conn.execute("INSERT INTO terms (id, sentence_id, start, \"end\", category, created_at) "
                 "VALUES (2, 2, 6, 10, '', ?)", (ts,))
    conn.execute("INSERT INTO labels (id, term_id, polarity, source, action, created_at) "
                 "VALUES (1, 1, 'positive', 'import', 'set', ?)", (ts,))
    conn.execute("INSERT INTO labels (id, term_id, polarity, source, action, created_at, author) "
                 "VALUES (2, 1, 'negative', 'human', 'set', ?, 'ann')", (ts,))
    (path.parent / "m1").mkdir()
    conn.execute("INSERT INTO model_versions VALUES (1, 'm1', 'two-phase', 'bundled', '{\"seed\": 1}', "
                 "'{\"accuracy\": 0.8}', 1, ?, 1)", (ts,))
    conn.execute("INSERT INTO training_runs VALUES (1, 'running', ?, NULL, NULL, '{}', NULL, NULL, 999999999, ?)",
                 (ts, __import__("socket").gethostname()))
    conn.commit()
    conn.close()


def schema_of(path: Path) -> set[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
    conn.close()
    return {(t, n, " ".join(s.split())) for t, n, s in rows}
