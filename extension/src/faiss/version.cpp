// faiss/version.cpp — the linked FAISS's version and compile options (version.h).
#include "faiss/version.h"

#include <faiss/Index.h>
#include <faiss/utils/utils.h>

namespace jade::ext::engine {

std::string LinkedFaissDescription() {
    return "FAISS " + std::to_string(FAISS_VERSION_MAJOR) + "." + std::to_string(FAISS_VERSION_MINOR) + "." +
           std::to_string(FAISS_VERSION_PATCH) + ", " + faiss::get_compile_options();
}

}  // namespace jade::ext::engine
