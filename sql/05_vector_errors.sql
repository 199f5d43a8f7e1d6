-- Bad input: every case is a clean ERROR with pgvector's message and SQLSTATE, and the session
-- (and a transaction, after ROLLBACK or ROLLBACK TO SAVEPOINT) stays usable.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;

-- Runs a statement and reports "SQLSTATE message" instead of failing, so each row shows the code.
CREATE FUNCTION pg_temp.jv_try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END $$;

-- A few errors in psql's own format, with their DETAIL lines.
SELECT '[1,2'::vector;
SELECT '1,2]'::vector;
SELECT '[1,2] x'::vector;
SELECT '[]'::vector;
SELECT '[1,2]'::vector(3);

-- Malformed text.
SELECT lit, pg_temp.jv_try(format('SELECT %L::vector', lit)) AS result
FROM (VALUES ('[1,2'), ('[]'), ('[1,,2]'), ('[a]'), ('1,2]'), ('[1,2]x'), ('[1,2] ]'), (''), ('   '), ('['),
             (']'), ('[,]'), ('[1,]'), ('[,1]'), ('[1 2]'), ('[[1]]'), ('[1;2]'), ('{1,2}'), ('[1,2,3'),
             ('[1e]'), ('[--1]'), ('[0x]'), ('[1,2]]')) AS t(lit);
-- NaN and infinities in text; values beyond float4's range.
SELECT lit, pg_temp.jv_try(format('SELECT %L::vector', lit)) AS result
FROM (VALUES ('[NaN]'), ('[nan]'), ('[1,-nan]'), ('[inf]'), ('[Infinity]'), ('[-Infinity]'), ('[1,-inf]'),
             ('[1e39]'), ('[-3.5e38]'), ('[1,2,1e400]')) AS t(lit);
-- Dimension limits: 16000 is the maximum, in text, arrays, typmods and concatenation.
SELECT vector_dims(('[' || repeat('1,', 15999) || '1]')::vector) AS max_dims_ok;
SELECT pg_temp.jv_try($q$SELECT ('[' || repeat('1,', 16000) || '1]')::vector$q$) AS text_16001;
SELECT pg_temp.jv_try('SELECT array_fill(1, ARRAY[16001])::vector') AS array_16001;
SELECT pg_temp.jv_try($q$SELECT array_fill(1, ARRAY[8001])::vector || array_fill(2, ARRAY[8000])::vector$q$) AS concat_16001;
SELECT typmod, pg_temp.jv_try(format('SELECT %L::vector%s', '[1]', typmod)) AS result
FROM (VALUES ('(0)'), ('(-1)'), ('(16001)'), ('(2,3)'), ('(1)')) AS t(typmod);
SELECT pg_temp.jv_try('CREATE TABLE jv_bad_typmod (v vector(16001))') AS create_table_16001;

-- Typmod mismatch on cast, insert, update and COPY.
CREATE TABLE jv_err (id int, v vector(3));
INSERT INTO jv_err VALUES (1, '[1,2,3]');
SELECT pg_temp.jv_try($q$SELECT '[1,2]'::vector(3)$q$) AS cast_text,
       pg_temp.jv_try($q$SELECT '[1,2]'::vector::vector(3)$q$) AS cast_vector,
       pg_temp.jv_try($q$SELECT ARRAY[1,2]::vector(3)$q$) AS cast_array;
INSERT INTO jv_err VALUES (2, '[1,2,3,4]');
INSERT INTO jv_err VALUES (2, ARRAY[1,2]);
INSERT INTO jv_err VALUES (2, '[1,2,3,4]'::vector);
UPDATE jv_err SET v = '[1]' WHERE id = 1;
UPDATE jv_err SET v = v || '[4]'::vector WHERE id = 1;
COPY jv_err FROM STDIN;
3	[1,2]
\.
SELECT * FROM jv_err;

-- Casts from arrays: shape, NULLs, NaN, infinities, float8/numeric overflow.
SELECT expr, pg_temp.jv_try('SELECT ' || expr || '::vector') AS result
FROM (VALUES ('ARRAY[]::integer[]'), ($$'{}'::real[]$$), ('ARRAY[[1,2],[3,4]]'), ('ARRAY[1,NULL,3]'),
             ($$ARRAY['NaN'::real]$$), ($$ARRAY[1, 'NaN'::float8]$$), ($$ARRAY['NaN'::numeric]$$),
             ($$ARRAY['Infinity'::real]$$), ($$ARRAY['-Infinity'::float8]$$), ('ARRAY[1e300::float8]'),
             ('ARRAY[1e39::numeric]'), ('ARRAY[-1e39::numeric]'), ($$ARRAY['Infinity'::numeric]$$),
             ($$ARRAY['a','b']$$), ('ARRAY[1::bigint]')) AS t(expr);

-- Dimension mismatch in every binary operator, function and aggregate.
SELECT expr, pg_temp.jv_try('SELECT ' || expr) AS result
FROM (VALUES ($$'[1,2,3]'::vector <-> '[1,2]'$$), ($$'[1,2,3]'::vector <#> '[1,2]'$$),
             ($$'[1,2,3]'::vector <=> '[1,2]'$$), ($$'[1,2,3]'::vector <+> '[1,2]'$$),
             ($$'[1,2,3]'::vector + '[1,2]'$$), ($$'[1,2,3]'::vector - '[1,2]'$$), ($$'[1,2,3]'::vector * '[1,2]'$$),
             ($$l2_distance('[1,2,3]'::vector, '[1,2]')$$), ($$inner_product('[1,2,3]'::vector, '[1,2]')$$),
             ($$cosine_distance('[1,2,3]'::vector, '[1,2]')$$), ($$l1_distance('[1,2,3]'::vector, '[1,2]')$$),
             ($$vector_l2_squared_distance('[1,2,3]', '[1,2]')$$), ($$vector_negative_inner_product('[1,2,3]', '[1,2]')$$),
             ($$vector_spherical_distance('[1,2,3]', '[1,2]')$$),
             ($$avg(v) FROM (VALUES ('[1,2,3]'::vector), ('[1,2]')) t(v)$$),
             ($$sum(v) FROM (VALUES ('[1,2,3]'::vector), ('[1,2]')) t(v)$$),
             ($$vector_combine('{1,1,2}', '{1,1}')$$), ($$B'101' <~> B'10'$$), ($$B'101' <%> B'1010'$$),
             ($$binary_quantize('[1,2,3]'::vector) <~> binary_quantize('[1,2]'::vector)$$)) AS t(expr);

-- Arithmetic overflow and underflow never store ±Infinity or a silent zero.
SELECT expr, pg_temp.jv_try('SELECT ' || expr) AS result
FROM (VALUES ($$'[3e38]'::vector + '[3e38]'$$), ($$'[-3e38,1]'::vector - '[3e38,1]'$$),
             ($$'[1e20]'::vector * '[1e20]'$$), ($$'[1e-30]'::vector * '[1e-30]'$$),
             ($$sum(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]')) t(v)$$),
             ($$'[1e-30]'::vector * '[0]'$$), ($$'[3e38]'::vector + '[-3e38]'$$)) AS t(expr);

-- subvector and other structural errors.
SELECT expr, pg_temp.jv_try('SELECT ' || expr) AS result
FROM (VALUES ($$subvector('[1,2,3]'::vector, 1, 0)$$), ($$subvector('[1,2,3]'::vector, 4, 1)$$), ($$subvector('[1,2,3]'::vector, 2, -1)$$),
             ($$subvector('[1,2,3]'::vector, -5, 3)$$), ($$subvector('[1,2,3]'::vector, -2147483648, 2147483647)$$),
             ($$subvector('[1,2,3]'::vector, 3, 1)$$)) AS t(expr);

-- Malformed binary input (as sent in a Bind message or binary COPY).
SELECT label, pg_temp.jv_try(format('SELECT jadevector_internal_vector_recv(%L, %s)', bytes, typmod)) AS result
FROM (VALUES ('good', '\x000200003f80000040000000', -1),
             ('short header', '\x0001', -1),
             ('missing element', '\x000200003f800000', -1),
             ('no elements', '\x00010000', -1),
             ('trailing bytes', '\x000100003f80000000', -1),
             ('zero dims', '\x00000000', -1),
             ('negative dims', '\xffff0000', -1),
             ('16001 dims', '\x3e810000', -1),
             ('unused not 0', '\x000100013f800000', -1),
             ('NaN element', '\x000100007fc00000', -1),
             ('infinite element', '\x00010000ff800000', -1),
             ('typmod mismatch', '\x000200003f80000040000000', 3)) AS t(label, bytes, typmod);

-- A failed statement inside a transaction: the transaction is aborted until ROLLBACK,
-- then the session works normally; a savepoint keeps the work done before it.
BEGIN;
INSERT INTO jv_err VALUES (10, '[10,10,10]');
INSERT INTO jv_err VALUES (11, '[nan,1,1]');
SELECT count(*) FROM jv_err;
ROLLBACK;
SELECT id, v FROM jv_err ORDER BY id;
BEGIN;
INSERT INTO jv_err VALUES (20, '[20,20,20]');
SAVEPOINT before_bad;
SELECT '[1,2,3]'::vector <-> '[1,2]';
ROLLBACK TO SAVEPOINT before_bad;
INSERT INTO jv_err VALUES (21, '[21,21,21]');
COMMIT;
SELECT id, v FROM jv_err ORDER BY id;

DROP TABLE jv_err;
