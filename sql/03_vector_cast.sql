-- Casts between vector and arrays (pgvector's set: arrays -> vector ASSIGNMENT, vector -> real[] IMPLICIT).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;

SELECT castsource::regtype, casttarget::regtype, castfunc::regproc, castcontext
FROM pg_cast WHERE castsource = 'vector'::regtype OR casttarget = 'vector'::regtype
ORDER BY castsource::regtype::text, casttarget::regtype::text;

-- Arrays to vector.
SELECT ARRAY[1,2,3]::vector AS from_int, ARRAY[1.5,2.5]::real[]::vector AS from_real,
       ARRAY[1.25,-2]::double precision[]::vector AS from_double, ARRAY[1.5,0.1]::numeric[]::vector AS from_numeric;
SELECT '{4,5,6}'::integer[]::vector(3) AS with_typmod, array_to_vector(ARRAY[1,2], -1, true) AS fn_int,
       array_to_vector('{1.5}'::real[], 1, true) AS fn_real, array_to_vector('{2.5}'::float8[], -1, false) AS fn_double,
       array_to_vector('{3.5}'::numeric[], -1, false) AS fn_numeric;
-- double precision is rounded to the nearest float4.
SELECT ARRAY[0.1::float8, 1.00000001, 16777217]::vector;
-- Assignment casts apply on INSERT without an explicit cast.
CREATE TABLE jv_cast (v vector(3));
INSERT INTO jv_cast VALUES (ARRAY[1,2,3]), (ARRAY[1.5,2.5,3.5]::real[]), (ARRAY[7,8,9]::float8[]), (ARRAY[0.5,0.25,0]::numeric[]);
SELECT v FROM jv_cast;
-- Arrays with explicit lower bounds are still one-dimensional.
SELECT '[0:2]={1,2,3}'::integer[]::vector AS lower_bound_0;

-- Vector to real[] (implicit: array functions accept vectors).
SELECT '[1,2.5,-3]'::vector::real[] AS to_real, vector_to_float4('[4,5]', -1, false) AS fn;
SELECT array_length('[1,2,3,4]'::vector::real[], 1) AS len, ('[1,2,3]'::vector::real[])[2] AS second;
SELECT unnest('[7,8,9]'::vector::real[]) AS element;
-- vector(n) length coercion as a function and cast.
SELECT vector('[1,2,3]'::vector, 3, true) AS coerced, '[1,2]'::vector::vector(2) AS cast_typmod;
-- Round trip vector -> real[] -> vector.
SELECT v::real[]::vector = v AS round_trip FROM jv_cast;

DROP TABLE jv_cast;
