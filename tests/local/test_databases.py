"""Local data from a database: a real PostgreSQL server and an SQLite file give exactly what the CSV gives.

The PostgreSQL server is Debian's (``apt-get install postgresql``; ``make postgres`` does it),
started for the session in a temporary directory, listening on a unix socket only. Without it
the PostgreSQL tests skip; the SQLite ones still run.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from csdemand.core.errors import InputError
from csdemand.core.text import read_text_table
from csdemand.local import early_help as ehd
from csdemand.local import referrals as lr
from csdemand.local import sources as local_sources

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "local"
LA, LA_NUMBER = "352-manchester", 352
OTHER_LA = 358  # a few rows of another authority, which the :la filter must leave out

REFERRAL_COLUMNS = "referral_id, child_id, referral_date, source, domestic_abuse, outcome"
REQUEST_COLUMNS = "request_id, family_id, date_received, hub, reason, outcome"
QUERIES = {
    "referrals": f"SELECT {REFERRAL_COLUMNS} FROM referrals WHERE la_number = :la",
    "early_help_requests": f"SELECT {REQUEST_COLUMNS} FROM early_help_requests WHERE la_number = :la",
}
ID = {"referrals": "referral_id", "early_help_requests": "request_id"}


# --------------------------------------------------------------------------- PostgreSQL server


def _postgres_bin() -> Path | None:
    """The newest installed server's bin directory (``/usr/lib/postgresql/<version>/bin``)."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    found.sort(key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)] or [0])
    return found[-1] if found else None


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server for the session: yields a SQLAlchemy URL to an empty database.

    initdb with trust authentication, a unix socket in a temporary directory and no TCP listener;
    run as the ``postgres`` user when the tests run as root (the server refuses root). Stopped
    with ``pg_ctl stop -m fast`` and its files removed afterwards, whatever happened.
    """
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server not installed: `apt-get install postgresql` (or `make postgres`)")
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run the PostgreSQL server as")
        if not (shutil.which("runuser") or shutil.which("su")):
            pytest.skip("running as root and neither runuser nor su is available to start PostgreSQL as `postgres`")

    # Not under pytest's tmp_path: /tmp/pytest-of-root is root's alone and the server could not reach it.
    base = Path(tempfile.mkdtemp(prefix="csdemand-pg-"))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    if owner is not None:
        for p in (base, sock):
            os.chown(p, owner.pw_uid, owner.pw_gid)

    def run(*args: object, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(a) for a in args]
        if owner is not None:
            if shutil.which("runuser"):
                cmd = ["runuser", "-u", "postgres", "--"] + cmd
            else:
                cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(shlex.quote(a) for a in cmd)]
        out = subprocess.run(cmd, cwd=base, capture_output=True, text=True, timeout=60)
        if check and out.returncode != 0:
            server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(map(str, args))} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}\n{server_log}"
            )
        return out

    started = False
    try:
        t0 = time.monotonic()
        run(bindir / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C")
        options = f"-k {sock} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        run(bindir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "30", "start")
        started = True
        run(bindir / "createdb", "-h", sock, "-U", "postgres", "csdemand_test")
        assert time.monotonic() - t0 < 30, "starting PostgreSQL took over 30 s"
        yield f"postgresql+psycopg://postgres@/csdemand_test?host={sock}"
    finally:
        if started:
            run(bindir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(base, ignore_errors=True)


# --------------------------------------------------------------------------- the sample in databases


def _sample_tables() -> dict[str, pd.DataFrame]:
    """The shipped Manchester extracts with la_number, plus a few rows of another LA."""
    out = {}
    for table, stem, date_col, id_col in (
        ("referrals", "referrals", "referral_date", "referral_id"),
        ("early_help_requests", "early_help_requests", "date_received", "request_id"),
    ):
        df = read_text_table(SAMPLE / f"{stem}_{LA}_synthetic.csv")
        df["la_number"] = LA_NUMBER
        other = df.head(3).copy()
        other[id_col] = "OTHER-" + other[id_col]
        other["la_number"] = OTHER_LA
        out[table] = pd.concat([df, other], ignore_index=True)
        out[table][date_col] = pd.to_datetime(out[table][date_col], format="%Y-%m-%d").dt.date
    return out


def _schema() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table(
        "referrals",
        md,
        sa.Column("referral_id", sa.String, primary_key=True),
        sa.Column("child_id", sa.String, nullable=False),
        sa.Column("referral_date", sa.Date, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("domestic_abuse", sa.String(1), nullable=False),
        sa.Column("outcome", sa.String, nullable=False),
        sa.Column("la_number", sa.Integer, nullable=False),
    )
    sa.Table(
        "early_help_requests",
        md,
        sa.Column("request_id", sa.String, primary_key=True),
        sa.Column("family_id", sa.String, nullable=False),
        sa.Column("date_received", sa.Date, nullable=False),
        sa.Column("hub", sa.String, nullable=False),
        sa.Column("reason", sa.String, nullable=False),
        sa.Column("outcome", sa.String, nullable=False),
        sa.Column("la_number", sa.Integer, nullable=False),
    )
    return md


def _fill_postgres(url: str, tables: dict[str, pd.DataFrame]) -> None:
    engine = sa.create_engine(url)
    try:
        _schema().create_all(engine)
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            for name, df in tables.items():
                # COPY: a second for both tables where row-by-row inserts take many.
                with cur.copy(f"COPY {name} ({', '.join(df.columns)}) FROM STDIN (FORMAT csv)") as copy:
                    copy.write(df.to_csv(index=False, header=False, date_format="%Y-%m-%d"))
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()


def _fill_sqlite(url: str, tables: dict[str, pd.DataFrame]) -> None:
    engine = sa.create_engine(url)
    try:
        _schema().create_all(engine)  # DATE columns, as SQLAlchemy declares them in SQLite
        raw = engine.raw_connection()
        try:
            for name, df in tables.items():
                # Dates as SQLAlchemy's Date type stores them in SQLite (YYYY-MM-DD text); the
                # driver's executemany is a second where SQLAlchemy's row-by-row processing takes four.
                rows = df.astype({c: str for c in df.columns if c != "la_number"}).itertuples(index=False, name=None)
                marks = ", ".join("?" * len(df.columns))
                raw.cursor().executemany(f"INSERT INTO {name} ({', '.join(df.columns)}) VALUES ({marks})", list(rows))
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def sample_tables() -> dict[str, pd.DataFrame]:
    return _sample_tables()


@pytest.fixture(scope="module")
def postgres_db(postgres_url, sample_tables) -> str:
    _fill_postgres(postgres_url, sample_tables)
    return postgres_url


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory, sample_tables) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'local.db'}"
    _fill_sqlite(url, sample_tables)
    return url


def _sql_config(tmp_path: Path, env: str, queries: dict[str, str] | None = None, timeouts: str = "") -> Path:
    queries = queries or QUERIES
    lines = ["version: 1", "tables:"]
    for table, query in queries.items():
        lines += [f"  {table}:", "    format: sql", f"    url_env: {env}", f"    query: {query!r}"] + (
            [timeouts.rstrip("\n")] if timeouts else []
        )
    path = tmp_path / f"data_{env.lower()}.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _csv_config(tmp_path: Path) -> Path:
    path = tmp_path / "data_csv.yml"
    path.write_text(
        "version: 1\ntables:\n"
        f"  referrals:\n    format: csv\n    path: {SAMPLE}/referrals_{{la}}_synthetic.csv\n"
        f"  early_help_requests:\n    format: csv\n    path: {SAMPLE}/early_help_requests_{{la}}_synthetic.csv\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def three_sources(tmp_path, monkeypatch, postgres_db, sqlite_db) -> dict[str, Path]:
    """Config files reading the same tables from PostgreSQL, SQLite and the shipped CSV."""
    monkeypatch.setenv("CSDEMAND_TEST_PG_URL", postgres_db)
    monkeypatch.setenv("CSDEMAND_TEST_SQLITE_URL", sqlite_db)
    return {
        "postgresql": _sql_config(tmp_path, "CSDEMAND_TEST_PG_URL"),
        "sqlite": _sql_config(tmp_path, "CSDEMAND_TEST_SQLITE_URL"),
        "csv": _csv_config(tmp_path),
    }


def _sorted(df: pd.DataFrame, key: str) -> pd.DataFrame:
    out = df.sort_values(key, kind="mergesort").reset_index(drop=True)
    out.attrs = {}
    return out


# --------------------------------------------------------------------------- identical tables and figures


@pytest.mark.parametrize("table", ["referrals", "early_help_requests"])
def test_postgres_sqlite_and_csv_load_identical_frames(three_sources, table):
    frames = {name: local_sources.load(table, LA, LA_NUMBER, config=cfg) for name, cfg in three_sources.items()}
    csv = _sorted(frames["csv"], ID[table])
    assert len(csv) > 60_000
    for name in ("postgresql", "sqlite"):
        assert frames[name].attrs["source"] in ("query on $CSDEMAND_TEST_PG_URL", "query on $CSDEMAND_TEST_SQLITE_URL")
        pd.testing.assert_frame_equal(_sorted(frames[name], ID[table]), csv, check_exact=True)


def test_briefing_figures_are_identical_from_every_source(three_sources):
    figures = {}
    for name, cfg in three_sources.items():
        # As loaded, unsorted: a database returns rows in its own order and the figures must not care.
        referrals = local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
        requests = local_sources.load("early_help_requests", LA, LA_NUMBER, config=cfg)
        figures[name] = (lr.annual(referrals), lr.monthly(referrals), ehd.monthly_totals(requests))
    annual, monthly, totals = figures["csv"]
    assert annual["referrals"].sum() == 67_348 and totals.sum() == 111_194
    for name in ("postgresql", "sqlite"):
        pd.testing.assert_frame_equal(figures[name][0], annual, check_exact=True)
        pd.testing.assert_frame_equal(figures[name][1], monthly, check_exact=True)
        pd.testing.assert_series_equal(figures[name][2], totals, check_exact=True)


@pytest.mark.parametrize("env", ["CSDEMAND_TEST_PG_URL", "CSDEMAND_TEST_SQLITE_URL"])
def test_the_la_bind_parameter_selects_the_authority(three_sources, env):
    cfg = three_sources["postgresql" if "PG" in env else "sqlite"]
    other = local_sources.load("referrals", "358-trafford", OTHER_LA, config=cfg)
    assert other["referral_id"].str.startswith("OTHER-").all() and len(other) == 3


def test_postgres_boolean_and_date_types_become_the_layouts_codes(postgres_db, tmp_path, monkeypatch):
    monkeypatch.setenv("PG_URL", postgres_db)
    query = (
        "SELECT referral_id, child_id, referral_date::timestamp AS referral_date, source, "
        "domestic_abuse = 'Y' AS domestic_abuse, outcome FROM referrals WHERE la_number = :la"
    )
    cfg = _sql_config(tmp_path, "PG_URL", {"referrals": query})
    raw = local_sources.read_raw("referrals", LA, LA_NUMBER, config=cfg)
    assert set(raw["domestic_abuse"]) == {"Y", "N"} and raw["referral_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    typed = _sorted(local_sources.load("referrals", LA, LA_NUMBER, config=cfg), "referral_id")
    expected = _sorted(lr.read_extract(SAMPLE / f"referrals_{LA}_synthetic.csv"), "referral_id")
    pd.testing.assert_frame_equal(typed, expected)


def test_a_bad_value_in_the_database_names_the_query_row_and_column(sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setenv("SQLITE_URL", sqlite_db)
    query = (
        "SELECT referral_id, child_id, referral_date, "
        "CASE WHEN referral_id = 'R0000002' THEN 'Neighbour' ELSE source END AS source, "
        "domestic_abuse, outcome FROM referrals WHERE la_number = :la ORDER BY referral_id"
    )
    cfg = _sql_config(tmp_path, "SQLITE_URL", {"referrals": query})
    with pytest.raises(InputError) as err:
        local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    e = err.value
    assert (e.file, e.row, e.column, e.value) == ("query on $SQLITE_URL", 3, "source", "Neighbour")


def test_a_failing_query_is_an_input_error_that_does_not_echo_the_password(postgres_url, tmp_path, monkeypatch):
    # Trust authentication ignores the password, so the connection works and the query fails.
    monkeypatch.setenv("PG_URL", postgres_url.replace("postgres@", "postgres:s3cret-pw@"))
    cfg = _sql_config(tmp_path, "PG_URL", {"referrals": "SELECT * FROM no_such_table"})
    with pytest.raises(InputError, match="the query failed") as err:
        local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    assert "no_such_table" in str(err.value) and "s3cret" not in str(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__


# --------------------------------------------------------------------------- credentials stay out of the file


def test_a_url_in_the_config_file_is_refused(tmp_path):
    path = tmp_path / "data.yml"
    path.write_text(
        "version: 1\ntables:\n  referrals:\n    format: sql\n"
        "    url: postgresql+psycopg://analyst:secret@db/csc\n    query: SELECT 1\n",
        encoding="utf-8",
    )
    with pytest.raises(local_sources.ConfigError) as err:
        local_sources.load_config(path)
    e = err.value
    assert e.key == "tables.referrals.url" and str(path) in str(e)
    assert "environment variable" in str(e) and "url_env" in str(e) and "password" in str(e)
    assert "secret" not in str(e)


def test_a_missing_environment_variable_names_it(tmp_path, monkeypatch):
    monkeypatch.delenv("CSDEMAND_NOT_SET_URL", raising=False)
    cfg = _sql_config(tmp_path, "CSDEMAND_NOT_SET_URL")
    with pytest.raises(InputError, match=r"environment variable CSDEMAND_NOT_SET_URL is not set") as err:
        local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    assert str(cfg) in str(err.value) and "tables.referrals" in str(err.value)
    assert not local_sources.is_configured("referrals", LA, config=cfg)
    assert local_sources.source_label("referrals", LA, config=cfg) == "query on $CSDEMAND_NOT_SET_URL"


# --------------------------------------------------------------------------- secrets never printed

LEAKY_URL = "postgresql+psycopg://analyst:p@ssW0rdLEAK@127.0.0.1/csc"
SECRET_WORDS = ("ssW0rdLEAK", "p@ss", "analyst")


def _run(args: list[str], env: dict[str, str], timeout: float = 180) -> tuple[subprocess.CompletedProcess, float]:
    import sys

    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "csdemand", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=timeout,
    )
    return done, time.monotonic() - start


def test_an_at_sign_in_the_password_is_never_printed_by_validate_or_render(tmp_path):
    cfg = _sql_config(tmp_path, "CSDEMAND_TEST_LEAKY_URL", {"referrals": QUERIES["referrals"]})
    env = {"CSDEMAND_CONFIG": str(cfg), "CSDEMAND_TEST_LEAKY_URL": LEAKY_URL}
    done, _ = _run(["validate"], env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "holds an unencoded '@'" in done.stdout and "write each @ in it as %40" in done.stdout
    rendered, _ = _run(["render", "--briefing", "referrals", "--out", str(tmp_path / "out")], env)
    # Render refuses the briefing that reads the bad source (per-authority isolation), exit 1.
    assert rendered.returncode == 1 and "INVALID" in rendered.stderr and "(referrals, Manchester)" in rendered.stderr
    assert "holds an unencoded '@'" in rendered.stdout + rendered.stderr
    for output in (done.stdout + done.stderr, rendered.stdout + rendered.stderr):
        for secret in SECRET_WORDS:
            assert secret not in output
        assert "Traceback" not in output


@pytest.mark.parametrize(
    "url, words",
    [
        # a closed port: the driver names the host and port, not the user
        (
            "postgresql+psycopg://analyst:s3cretPW@127.0.0.1:1/csc",
            'cannot connect to the database: connection failed: connection to server at "127.0.0.1", port 1 failed: '
            "Connection refused",
        ),
        ("postgresql+psycopg://analyst:s%40cretPW@127.0.0.1:1/csc", "Connection refused"),
        ("postgresql+psycopg://analyst:s3cretPW@127.0.0.1:notaport/csc", "is not a usable SQLAlchemy URL"),
        (
            "nosuchdialect://analyst:s3cretPW@db/csc",
            "the URL cannot be used (NoSuchModuleError: Can't load plugin: sqlalchemy.dialects:nosuchdialect)",
        ),
    ],
)
def test_connection_failures_name_the_problem_without_user_or_password(tmp_path, monkeypatch, url, words):
    monkeypatch.setenv("LEAKY", url)
    cfg = _sql_config(tmp_path, "LEAKY", {"referrals": QUERIES["referrals"]})
    with pytest.raises(InputError) as err:
        local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    text = str(err.value)
    assert words in text and text.startswith("file query on $LEAKY: ")
    assert "s3cretPW" not in text and "s@cretPW" not in text and "analyst" not in text


def test_a_driver_message_that_names_the_user_has_it_masked(postgres_url, tmp_path, monkeypatch):
    # Trust authentication: the server checks the role, ignores the password, and names the role.
    url = postgres_url.replace("postgres@", "analyst_x:s3cret-pw@")
    monkeypatch.setenv("PG_URL", url)
    cfg = _sql_config(tmp_path, "PG_URL", {"referrals": QUERIES["referrals"]})
    with pytest.raises(
        InputError, match=r'cannot connect to the database: .*FATAL:  role "\*\*\*" does not exist'
    ) as err:
        local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    assert "analyst_x" not in str(err.value) and "s3cret" not in str(err.value)


# --------------------------------------------------------------------------- SQLite: read-only, never created


def test_a_missing_sqlite_file_is_refused_and_not_created(tmp_path, monkeypatch):
    missing = tmp_path / "no_such.db"
    monkeypatch.setenv("SQLITE_URL", f"sqlite:///{missing}")
    cfg = _sql_config(tmp_path, "SQLITE_URL", {"referrals": QUERIES["referrals"]})
    with pytest.raises(
        InputError,
        match=r"the SQLite database that \$SQLITE_URL names does not exist \(it is opened read-only, never created\)",
    ) as err:
        local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    assert err.value.file == str(missing)
    done, _ = _run(["validate"], {"CSDEMAND_CONFIG": str(cfg), "SQLITE_URL": f"sqlite:///{missing}"})
    assert done.returncode == 1 and "does not exist (it is opened read-only, never created)" in done.stdout
    assert not missing.exists()


def test_sqlite_is_opened_read_only(sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setenv("SQLITE_URL", sqlite_db)
    cfg = _sql_config(tmp_path, "SQLITE_URL", {"referrals": "DELETE FROM referrals RETURNING referral_id"})
    with pytest.raises(InputError, match="the query failed: attempt to write a readonly database"):
        local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    count = sa.create_engine(sqlite_db).connect().execute(sa.text("SELECT count(*) FROM referrals")).scalar()
    assert count == 67_348 + 3


def test_a_slow_sqlite_query_is_stopped_at_the_statement_timeout(tmp_path, monkeypatch, sqlite_db):
    monkeypatch.setenv("SQLITE_URL", sqlite_db)
    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) AS c FROM n"
    cfg = _sql_config(tmp_path, "SQLITE_URL", {"referrals": endless}, timeouts="    statement_timeout: 1\n")
    start = time.monotonic()
    with pytest.raises(InputError, match=r"the query did not finish within 1 s \(statement_timeout\)"):
        local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    assert time.monotonic() - start < 4


# --------------------------------------------------------------------------- no rows: validate and render say the same


def test_a_query_that_returns_no_rows_is_the_extract_has_no_rows_in_validate_and_load(sqlite_db, tmp_path, monkeypatch):
    from csdemand.published.areas import resolve
    from csdemand.validation import checks as validation

    monkeypatch.setenv("SQLITE_URL", sqlite_db)
    cfg = _sql_config(tmp_path, "SQLITE_URL", {"referrals": QUERIES["referrals"] + " AND 1 = 0"})
    with pytest.raises(InputError) as err:
        local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    assert (err.value.file, err.value.message) == ("query on $SQLITE_URL", "the extract has no rows")
    report = validation.validate_all(config=cfg, las=[resolve("352")])
    (problems,) = [v for k, v in report.items() if k.startswith("query on $SQLITE_URL")]
    assert [(p.level, p.message) for p in problems] == [("error", "the extract has no rows")]


# --------------------------------------------------------------------------- timeouts: a locked table, a silent server


def test_a_table_locked_by_another_session_stops_at_the_statement_timeout(postgres_db, tmp_path, monkeypatch):
    monkeypatch.setenv("PG_URL", postgres_db)
    cfg = _sql_config(tmp_path, "PG_URL", {"referrals": QUERIES["referrals"]}, timeouts="    statement_timeout: 2\n")
    engine = sa.create_engine(postgres_db)
    try:
        with engine.connect() as other:
            other.execute(sa.text("BEGIN"))
            other.execute(sa.text("LOCK TABLE referrals IN ACCESS EXCLUSIVE MODE"))  # held until this block ends
            start = time.monotonic()
            with pytest.raises(InputError) as err:
                local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
            took = time.monotonic() - start
            assert 2 <= took < 6, took
            assert str(err.value) == (
                "file query on $PG_URL: the query did not finish within 2 s (statement_timeout): is a table locked "
                "by another "
                "session, or the query slow?; expected a query that finishes in time, or a longer statement_timeout "
                f"at tables.referrals in {cfg}"
            )
            done, took = _run(["validate"], {"CSDEMAND_CONFIG": str(cfg), "PG_URL": postgres_db})
            assert done.returncode == 1 and "the query did not finish within 2 s (statement_timeout)" in done.stdout
            other.execute(sa.text("ROLLBACK"))
    finally:
        engine.dispose()
    assert len(local_sources.load("referrals", LA, LA_NUMBER, config=cfg)) == 67_348  # the lock gone, it reads


@pytest.fixture
def silent_server():
    """A TCP port on 127.0.0.1 that accepts connections (the kernel's backlog) and never answers."""
    import socket

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_a_server_that_never_answers_gives_a_timeout_message_within_the_limit(silent_server, tmp_path, monkeypatch):
    url = f"postgresql+psycopg://analyst:s3cretPW@127.0.0.1:{silent_server}/csc"
    monkeypatch.setenv("SILENT_URL", url)
    cfg = _sql_config(tmp_path, "SILENT_URL", {"referrals": QUERIES["referrals"]}, timeouts="    connect_timeout: 2\n")
    start = time.monotonic()
    with pytest.raises(InputError) as err:
        local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    assert 2 <= time.monotonic() - start < 6
    assert "the database did not answer within 2 s (connect_timeout)" in str(err.value)
    assert "s3cretPW" not in str(err.value) and "analyst" not in str(err.value)
    done, took = _run(["validate"], {"CSDEMAND_CONFIG": str(cfg), "SILENT_URL": url})
    assert done.returncode == 1 and "the database did not answer within 2 s (connect_timeout)" in done.stdout
    assert took < 60 and "s3cretPW" not in done.stdout + done.stderr
