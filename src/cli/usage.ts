/** `speakup-sync --help`. */
export const USAGE = `speakup-sync: mirror the issues of a SpeakUp system into a SQLite database you own.

Usage: speakup-sync <command> [options]

Commands
  sync        one sync run, then exit (npm run sync)
  daemon      sync on SPEAKUP_SCHEDULE until SIGINT/SIGTERM (npm run daemon)
  status      last runs, issue counts, database size; exits 1 when the last successful run is older
              than SPEAKUP_STALE_AFTER (or --max-age) or there is none: a monitoring check (npm run status)
  snapshot P  write a consistent copy of the database to path P (mode 0600) for a BI tool on another host
  inspect     read-only first contact: log in, probe the list and a sample of details, report one
              finding per line (ok / warning / problem) with the setting to change, and a starting
              SPEAKUP_FIELD_MAP; prints no issue value, never opens the database; exits 1 on a problem
  erase       --issue ID [--issue ID ...]: erase those issues' content from the mirror now and keep
              later runs from storing it again (--undo lifts that); recorded in erase_log (docs/privacy.md)
  copy        --to URL [--schema NAME]: copy the SQLite mirror SPEAKUP_DB into an empty PostgreSQL
              schema (history and run log included), verified per table by row count and checksum
  demo        start the bundled emulator, sync it into ./data/demo.db, show example queries (npm run demo)

Options
  --full                remap the stored issues (as --remap), then refetch every issue's detail
  --remap               sync: map the stored issues again from their detail JSON with the current
                        SPEAKUP_FIELD_MAP, without a request to SpeakUp (docs/inspect.md)
  --allow-mass-delete   allow one run to soft-delete more than SPEAKUP_MAX_DELETE_SHARE of the issues
  --wait                if another sync holds the database, wait for it instead of exiting 75
  --no-run-at-start     daemon: wait for the first scheduled time instead of syncing at start
  --issues N            demo: size of the emulated data set (default 300)
  --issue ID            erase: an issue id (repeat for several)
  --undo                erase: lift the erase marker of the given issues
  --to URL              copy: the PostgreSQL database to copy into (postgres://user:password@host/db)
  --schema NAME         copy: the target schema (default SPEAKUP_DB_SCHEMA)
  --json                status, inspect: machine-readable output on stdout
  --sample N            inspect: number of issue details to read (default 20)
  --max-age DURATION    status: staleness threshold for this check, e.g. 30m, 2h, 1d (default SPEAKUP_STALE_AFTER)
  -v, --verbose         debug logging
  -q, --quiet           warnings and errors only, no progress or summary
  -h, --help            this text

Configuration comes from SPEAKUP_* environment variables and ./.env (see README.md, .env.example).
Exit codes: 0 ok, 1 fatal error (status: stale or never synced), 2 some issues failed (retried next run),
64 usage, 75 another sync holds the database, 78 configuration error.

The daemon serves /healthz and /metrics (Prometheus) when SPEAKUP_METRICS_PORT is set.
`;
