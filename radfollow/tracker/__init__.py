"""Follow-up tracker: recommendations with due windows, matched to later exams.

SQLite by default (a file, WAL mode), PostgreSQL by URL. See docs/tracker.md.
"""
