"""The history's schema: how each version of it is made (it lives at
``paths.HISTORY_FILE``).

Kept apart from history.py, with no import of doit, so that the no-op fast
path of ``doit-assets`` can append a run without loading doit at all.
"""

from __future__ import annotations

# Each entry moves the schema one version up; never edit a released entry.
MIGRATIONS: tuple[str, ...] = (
    """
    create table runs (
        id integer primary key,
        started_at real not null,
        ended_at real,
        command text not null,
        pid integer,
        outcome text not null default 'running',
        materialized integer not null default 0,
        up_to_date integer not null default 0,
        failed integer not null default 0
    );
    create table materializations (
        id integer primary key,
        run_id integer not null references runs(id),
        asset text not null,
        kind text not null,
        status text not null,
        started_at real,
        ended_at real not null,
        duration real,
        transform text,
        code_version text,
        fingerprint text,
        metadata text,
        error text,
        exit_code integer
    );
    create index materializations_by_asset on materializations(asset, id);
    create table outputs (
        materialization_id integer not null references materializations(id),
        path text not null,
        md5 text,
        size integer,
        primary key (materialization_id, path)
    );
    create index outputs_by_version on outputs(path, md5);
    create table inputs (
        materialization_id integer not null references materializations(id),
        path text not null,
        asset text,
        md5 text,
        upstream_id integer references materializations(id),
        primary key (materialization_id, path)
    );
    create index inputs_by_upstream on inputs(upstream_id);
    """,
    # 2: each asset's latest successful transform, so that the progress line's
    # estimate is one query, whatever the size of the history.
    """
    create table latest (
        asset text primary key,
        materialization_id integer not null references materializations(id),
        duration real
    );
    insert into latest (asset, materialization_id, duration)
        select asset, id, duration from materializations
        where id in (
            select max(id) from materializations
            where status = 'success' and kind = 'transform' group by asset
        );
    """,
    # 3: partitions (a materialization of one partition names its key) and
    # backfills (the partitions asked for, so that a backfill can resume).
    """
    alter table materializations add column partition text;
    create index materializations_by_partition
        on materializations(asset, partition, id);
    alter table runs add column backfill_id integer references backfills(id);
    create table backfills (
        id integer primary key,
        created_at real not null,
        command text not null,
        selection text not null,
        range_from text,
        range_to text,
        filter text,
        targets text not null
    );
    """,
    # 4: retries: the attempt of its task in its run, from 1; a
    # failed attempt that was retried has a row of its own
    """
    alter table materializations add column attempt integer;
    """,
    # 5: checks: every result of an asset check, with the materialization it
    # was about (the attempt, when a blocking check failed it).
    """
    create table check_results (
        id integer primary key,
        materialization_id integer not null references materializations(id),
        asset text not null,
        partition text,
        name text not null,
        passed integer not null,
        blocking integer not null,
        message text,
        metadata text,
        checked_at real not null
    );
    create index check_results_by_check on check_results(asset, partition, name, id);
    """,
    # 6: logs: each attempt's log file (paths.log_path), the last lines of a
    # failure's stderr (kept after the log is pruned), and the metadata the
    # transform reported (a JSON object, beside the declared metadata).
    """
    alter table materializations add column log text;
    alter table materializations add column stderr_tail text;
    alter table materializations add column reported_metadata text;
    """,
    # 7: automation (watch, tick): why each run and each materialization
    # happened (NULL: a run a user started), what each sensor answered, the
    # moments of schedules and intervals already acted on, and each sensor's
    # answer whose targets were made.
    """
    alter table runs add column trigger text;
    alter table materializations add column trigger text;
    create table observations (
        id integer primary key,
        sensor text not null,
        observed_at real not null,
        value text,
        changed integer not null,
        error text
    );
    create index observations_by_sensor on observations(sensor, id);
    create table automation_state (
        name text primary key,
        at real not null,
        value text
    );
    """,
    # 8: reproducibility: the environment each materialization ran in (JSON:
    # the env values, inherited variables, tool versions and packages that
    # entered its fingerprint, a secret's as a digest; host, interpreter and
    # doit-assets versions).
    """
    alter table materializations add column environment text;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
