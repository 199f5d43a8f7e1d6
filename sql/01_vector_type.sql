-- vector type: text input/output, typmod, binary send/recv, storage.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;

-- Text input: brackets, whitespace tolerance, number syntaxes strtof accepts (as pgvector).
SELECT '[1,2,3]'::vector;
SELECT ' [ 1 , 2 ,3 ] '::vector;
SELECT ('[' || chr(9) || '1,' || chr(10) || '2' || chr(13) || ',' || chr(12) || '3' || chr(11) || ']')::vector;
SELECT '[-1.5,+2.25,1e3,.5,5.,-0,0x10]'::vector;
SELECT '[1]'::vector AS one_dim;

-- Output is the shortest text that reads back as the same float4 (PostgreSQL's float4 rules):
-- fixed notation for decimal exponents -4..5, otherwise d.ddde+XX.
SELECT '[0.1,0.2,0.3]'::vector;
SELECT '[123456,1234567,1000000,0.0001,0.00001,100]'::vector;
SELECT '[3.4028235e38,-3.4028235e38,1.17549435e-38,1e-45]'::vector;
SELECT '[1.17760704e8,3.14159265358979,2.718281828]'::vector;
-- Round trip text -> vector -> text -> vector is the identity, element for element.
SELECT v::text::vector = v AS round_trip, v::text AS text
FROM (VALUES ('[0.1,1e-7,33333.332,7.0000005,-2.5e-30]'::vector)) AS t(v);
-- Values between floats round to the nearest float4; underflow to a subnormal or zero is accepted.
SELECT '[1.00000001,1e-46,1e-40]'::vector;

-- Typmod: vector(n) in table definitions and casts.
SELECT '[1,2,3]'::vector(3);
CREATE TABLE jv_items (id serial PRIMARY KEY, embedding vector(3), anything vector);
SELECT format_type(atttypid, atttypmod) AS column_type FROM pg_attribute
WHERE attrelid = 'jv_items'::regclass AND attname IN ('embedding', 'anything') ORDER BY attnum;
INSERT INTO jv_items (embedding, anything) VALUES ('[1,2,3]', '[1]'), ('[4,5,6]', '[1,2,3,4,5]');
SELECT id, embedding, anything FROM jv_items ORDER BY id;
UPDATE jv_items SET embedding = '[7,8,9]' WHERE id = 2;
SELECT id, embedding FROM jv_items ORDER BY id;
-- COPY in text format goes through vector_in with the column typmod.
COPY jv_items (embedding, anything) FROM STDIN;
[0.5, 0.25, 0.125]	[ 1 ]
\.
SELECT id, embedding, anything FROM jv_items ORDER BY id;
SELECT vector_dims(embedding), vector_dims(anything) FROM jv_items ORDER BY id;

-- Storage: pgvector's varlena layout (4-byte header + int16 dim + int16 unused + 4 bytes/element),
-- storage 'extended' so large vectors are toasted.
SELECT typname, typlen, typstorage, typalign, typmodin::text, typmodout::text,
       typreceive::text, typsend::text
FROM pg_type WHERE typname = 'vector';
SELECT pg_column_size('[1,2,3]'::vector) AS three_dims, pg_column_size('[1]'::vector) AS one_dim;
-- A 16000-dimensional vector (the maximum) is stored and read back intact.
CREATE TABLE jv_big (v vector(16000));
INSERT INTO jv_big SELECT array_agg(i % 7 - 3)::vector FROM generate_series(1, 16000) AS i;
SELECT vector_dims(v), vector_norm(v)::numeric(12,4), v = (SELECT array_agg(i % 7 - 3)::vector
       FROM generate_series(1, 16000) AS i) AS intact
FROM jv_big;
SELECT pg_column_size(v) < 16000 * 4 AS compressed_or_toasted FROM jv_big;

-- Binary send: int16 dim, int16 unused (0), float4 big-endian, as pgvector.
SELECT vector_send('[1,2,3]');
SELECT vector_send('[-0.5]');
-- Binary receive through the same path as a Bind message / binary COPY.
SELECT jadevector_internal_vector_recv(vector_send('[1,-2.5,3e-05]'), -1);
SELECT jadevector_internal_vector_recv('\x000200003f80000040000000', 2);
-- Every value survives send/recv bit-exactly.
SELECT bool_and(jadevector_internal_vector_recv(vector_send(v), -1) = v
                AND jadevector_internal_vector_recv(vector_send(v), -1)::text = v::text) AS binary_round_trip
FROM (SELECT embedding FROM jv_items UNION ALL SELECT anything FROM jv_items UNION ALL SELECT v FROM jv_big) AS t(v);

-- Binary COPY end to end (vector_send on the way out, vector_recv on the way in), through a
-- file in the server's data directory (COPY to a server file needs an absolute path).
CREATE TABLE jv_copy_src (v vector(3));
INSERT INTO jv_copy_src VALUES ('[1,-2.5,3e-05]'), ('[0,-0,16777216]');
DO $$ BEGIN
    EXECUTE format('COPY jv_copy_src TO %L (FORMAT binary)', current_setting('data_directory') || '/jv_vector.copy');
END $$;
-- After the 19-byte file header: per row int16 field count, int32 length, then the vector bytes.
SELECT encode(substr(pg_read_binary_file(current_setting('data_directory') || '/jv_vector.copy'), 20, 20), 'hex')
       AS first_row;
CREATE TABLE jv_copy_dst (v vector(3));
DO $$ BEGIN
    EXECUTE format('COPY jv_copy_dst FROM %L (FORMAT binary)', current_setting('data_directory') || '/jv_vector.copy');
END $$;
SELECT v, v = ANY (SELECT v FROM jv_copy_src) AS same FROM jv_copy_dst;
-- The column typmod is enforced on binary input too.
CREATE TABLE jv_copy_small (v vector(2));
DO $$ BEGIN
    EXECUTE format('COPY jv_copy_small FROM %L (FORMAT binary)', current_setting('data_directory') || '/jv_vector.copy');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'binary COPY into vector(2): % %', SQLSTATE, SQLERRM;
END $$;
SELECT count(*) AS rows_copied FROM jv_copy_small;
DROP TABLE jv_copy_src, jv_copy_dst, jv_copy_small;

DROP TABLE jv_items;
DROP TABLE jv_big;
