-- Index inspection (owner: index AM, extension/src/index/info.cpp).
CREATE FUNCTION jadevector_index_info(index regclass,
    OUT am text, OUT family text, OUT factory text, OUT metric text, OUT dims int, OUT lists int,
    OUT list_entries bigint, OUT graph_vectors bigint, OUT graph_tombstones bigint,
    OUT delta_vectors bigint, OUT auto_nprobe int, OUT auto_ef int, OUT format_version int,
    OUT auto_rerank real)
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT;
COMMENT ON FUNCTION jadevector_index_info(regclass) IS
    'what a faiss/hnsw/ivfflat index holds: resolved factory, metric, sizes, tombstones, HNSW delta';

CREATE FUNCTION jadevector_merge_delta(index regclass) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT;
COMMENT ON FUNCTION jadevector_merge_delta(regclass) IS
    'folds the rows inserted into an HNSW index since its build (the delta) into its graph; VACUUM does it when the delta has grown';
