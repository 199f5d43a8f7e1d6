-- The C++/PostgreSQL boundary (extension/src/pg/guard.h): exceptions thrown from C++ inside an
-- SQL-callable function become clean ERRORs with the right SQLSTATE, C++ destructors run before
-- PostgreSQL unwinds, and the session, transactions and savepoints keep working afterwards.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;

CREATE FUNCTION pg_temp.jv_try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END $$;

SELECT jadevector_internal_raise('none');
SELECT jadevector_internal_unwound() AS unwound_before \gset

-- Each kind of failure, with the SQLSTATE the client sees.
SELECT kind, pg_temp.jv_try(format('SELECT jadevector_internal_raise(%L)', kind)) AS result
FROM (VALUES ('jade'), ('bad_alloc'), ('runtime_error'), ('unknown'), ('pg'), ('no_such_kind')) AS t(kind);
-- Every throw destroyed the C++ object that was live on the stack (6 failures + 0 for 'none').
SELECT jadevector_internal_unwound() - :unwound_before AS destructors_run;

-- The same errors as psql prints them (message, detail, hint).
SELECT jadevector_internal_raise('jade');
SELECT jadevector_internal_raise('bad_alloc');
SELECT jadevector_internal_raise('runtime_error');
SELECT jadevector_internal_raise('pg');
-- jade::Interrupted with nothing pending still ends the statement as a cancel (57014; plpgsql
-- exception blocks deliberately cannot catch that class, so it is shown here directly).
SELECT jadevector_internal_raise('interrupt');
SELECT 1 AS session_still_usable;

-- A long C++ loop that polls jade::ThrowIfInterrupted() is ended by statement_timeout: the
-- boundary services the interrupt, so the client sees PostgreSQL's own cancel message.
SELECT jadevector_internal_unwound() AS unwound_before \gset
SET statement_timeout = '200ms';
SELECT jadevector_internal_raise('spin');
RESET statement_timeout;
SELECT jadevector_internal_unwound() - :unwound_before AS destructors_run_on_cancel;
SELECT 1 AS usable_after_cancel;

-- Inside a transaction: the error aborts it, ROLLBACK restores a working session.
CREATE TABLE jv_boundary (id int);
BEGIN;
INSERT INTO jv_boundary VALUES (1);
SELECT jadevector_internal_raise('bad_alloc');
SELECT count(*) FROM jv_boundary;
ROLLBACK;
SELECT count(*) AS rows_after_rollback FROM jv_boundary;
-- With a savepoint, work before it survives a C++ failure.
BEGIN;
INSERT INTO jv_boundary VALUES (2);
SAVEPOINT s1;
SELECT jadevector_internal_raise('pg');
ROLLBACK TO SAVEPOINT s1;
SAVEPOINT s2;
SELECT jadevector_internal_raise('jade');
ROLLBACK TO SAVEPOINT s2;
INSERT INTO jv_boundary VALUES (3);
COMMIT;
SELECT id FROM jv_boundary ORDER BY id;
-- Many failures in a row, each caught by a plpgsql exception block (a subtransaction).
SELECT count(*) FILTER (WHERE r LIKE '53200 %') AS oom, count(*) FILTER (WHERE r LIKE '22P02 %') AS pg,
       count(*) FILTER (WHERE r LIKE '22023 %') AS jade
FROM (SELECT pg_temp.jv_try(format('SELECT jadevector_internal_raise(%L)', (ARRAY['bad_alloc', 'pg', 'jade'])[1 + i % 3])) AS r
      FROM generate_series(1, 300) AS i) AS t;
SELECT jadevector_internal_raise('none') AS still_ok;

DROP TABLE jv_boundary;
