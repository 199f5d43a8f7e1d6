// index/elements.h — the element types an index may hold (`vector`, `halfvec`, `bit`) and how a
// column value becomes the engine's working row.
//
// The engine (src/faiss/, the Flat list scan) works on rows of one representation per metric:
// float vectors for L2 / inner product / cosine / L1, packed bits for Hamming / Jaccard. A
// `vector` is copied; a `halfvec` is widened to float4 exactly (every half is a float), so its
// distances equal the halfvec operators' (both accumulate in float), and its IVF codes can be
// binary16 again (`IVFn,SQfp16`: half the bytes, still exact); a `bit` string stays packed.
// PG regime (ereport); the element is derived from the index's opclass input type each time.
#pragma once

#include "index/am.h"

namespace jade::ext::index {

// Returns the element type of the index's (only) column; 0A000 "type not supported for <am>
// index" for any other type (e.g. sparsevec, which only hnsw indexes).
JadeElement IndexElement(Relation index);

// Returns the number of dimensions (bits for `bit`) of a non-NULL column value.
uint32 ElementDims(JadeElement element, Datum value);

// Returns the bytes of one working row: 4 * dims (vector, halfvec) or (dims + 7) / 8 (bit).
Size ElementRowBytes(JadeElement element, uint32 dims);

// Decodes a non-NULL value of `dims` dimensions into a working row (dst holds
// ElementRowBytes); false when its dimension differs.
bool DecodeElement(JadeElement element, Datum value, uint32 dims, void* dst);

// Returns the largest dimension the element type can be indexed with (16,000; 64,000 bits).
uint32 ElementMaxDims(JadeElement element);

// Rejects what the index cannot hold, with pgvector's messages: a `varbit` column (its strings
// need not share a length; index `col::bit(n)` instead) and more dimensions than
// ElementMaxDims ("column cannot have more than 64000 dimensions for ivfflat index", 54000).
void CheckIndexDims(Relation index, JadeElement element, uint32 dims);

}  // namespace jade::ext::index
