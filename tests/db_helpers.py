"""Small database helpers shared by the processing, listener and tracker tests."""

from __future__ import annotations

import sqlalchemy as sa


def count(url: str, query: str) -> int:
    """The single integer ``query`` returns (``SELECT count(*) ...``)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(sa.text(query)).scalar_one()
    engine.dispose()
    return int(value)


def refuse_accession(url: str, accession: str, message: str = "refused") -> None:
    """Make the database refuse to store the study ``accession`` (a trigger), with
    ``message`` in its error: a stand-in for any database refusal."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON studies "
                    f"WHEN NEW.accession = '{accession}' "
                    f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
                )
            )
        else:
            conn.execute(
                sa.text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.accession = '{accession}' THEN "
                    f"RAISE EXCEPTION '{message}'; END IF; RETURN NEW; END $$ "
                    "LANGUAGE plpgsql"
                )
            )
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON studies "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
    engine.dispose()


def stop_refusing(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        on = "" if engine.dialect.name == "sqlite" else " ON studies"
        conn.execute(sa.text(f"DROP TRIGGER refuse{on}"))
    engine.dispose()
