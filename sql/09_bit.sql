-- bit distances (pgvector's companions of binary_quantize): hamming_distance / <~> and
-- jaccard_distance / <%> on bit strings of any length, binary_quantize on vector and halfvec.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;

SELECT hamming_distance(B'111', B'111'), hamming_distance(B'111', B'110'), hamming_distance(B'111', B'000');
SELECT B'1010' <~> B'0101', B'' <~> B'';
SELECT jaccard_distance(B'1111', B'1111'), jaccard_distance(B'1111', B'1100'), jaccard_distance(B'1111', B'0000'),
       jaccard_distance(B'0000', B'0000'), jaccard_distance(B'', B'');
SELECT round((B'1100' <%> B'1010')::numeric, 6);
-- Lengths around the 8-byte steps of the POPCNT kernels; padding bits never count.
SELECT n, hamming_distance(repeat('1', n)::bit varying::bit(200)::bit varying, repeat('0', 200)::bit varying) AS ones,
       hamming_distance(repeat('10', n)::varbit, repeat('01', n)::varbit) AS all_differ,
       jaccard_distance(repeat('1', n)::varbit, (repeat('1', n / 2) || repeat('0', n - n / 2))::varbit) AS half
  FROM unnest(ARRAY[1, 7, 8, 9, 63, 64, 65, 127, 129]) n;
SELECT hamming_distance(B'101'::varbit, B'011'::varbit);
-- binary_quantize: bit i set when element i > 0; the usual first pass before an exact re-rank.
SELECT binary_quantize('[1,-1,0,0.1,-0,2,3,-4,5]'::vector), binary_quantize('[1,-1,0,0.1,-0,2,3,-4,5]'::halfvec);
SELECT binary_quantize('[1,0,1]'::vector) <~> binary_quantize('[1,1,1]'::vector) AS quantized_hamming;
CREATE TABLE bq_items (id int, embedding vector(4));
INSERT INTO bq_items VALUES (1, '[1,1,1,1]'), (2, '[1,-1,1,-1]'), (3, '[-1,-1,-1,-1]'), (4, '[1,1,1,-0.5]');
SELECT id FROM (SELECT id, embedding FROM bq_items
                 ORDER BY binary_quantize(embedding)::bit(4) <~> binary_quantize('[1,1,1,1]'::vector) LIMIT 3) c
 ORDER BY embedding <-> '[1,1,1,1]' LIMIT 2;
DROP TABLE bq_items;

\set VERBOSITY sqlstate
SELECT hamming_distance(B'111', B'00');
SELECT jaccard_distance(B'1111', B'000');
SELECT B'11' <~> B'1';
\set VERBOSITY default
SELECT hamming_distance(B'111', B'00');
