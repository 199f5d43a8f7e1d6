-- 90: internal test-support functions (not part of the pgvector-compatible surface).
-- See extension/src/pg/selftest.cpp. VOLATILE: they throw on purpose or read backend state.

CREATE FUNCTION jadevector_internal_raise(kind text) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT;
CREATE FUNCTION jadevector_internal_unwound() RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT;
CREATE FUNCTION jadevector_internal_vector_recv(data bytea, typmod integer) RETURNS vector
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- The same receive harness for the other vector types (the C function reads its result type).
CREATE FUNCTION jadevector_internal_halfvec_recv(data bytea, typmod integer) RETURNS halfvec
    AS 'MODULE_PATHNAME', 'jadevector_internal_vector_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION jadevector_internal_sparsevec_recv(data bytea, typmod integer) RETURNS sparsevec
    AS 'MODULE_PATHNAME', 'jadevector_internal_vector_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
