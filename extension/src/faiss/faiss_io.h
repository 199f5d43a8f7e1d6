// faiss/faiss_io.h — INTERNAL: FAISS indexes in and out of our serialization envelope.
#pragma once

#include <faiss/Index.h>

#include <memory>

#include "faiss/envelope.h"

namespace jade::ext::engine {

// Appends u64 length + write_index bytes of idx.
void AppendFaissIndex(ByteWriter* w, const faiss::Index* idx);

// Reads what AppendFaissIndex wrote, without copying the payload; FAISS read errors become
// JadeError XX002 naming `what`. Never returns null.
std::unique_ptr<faiss::Index> ReadFaissIndex(ByteReader* r);

}  // namespace jade::ext::engine
