// faiss/version.h — which FAISS the module was linked with, for logs and reports.
//
// The build links either the AVX2 build of Debian's FAISS 1.7.3 source or Debian's generic
// libfaiss.a (cmake/Dependencies.cmake); FAISS's own compile options say which ("AVX2" for the
// former), so a log line can prove what is running rather than what the build intended.
#pragma once

#include <string>

namespace jade::ext::engine {

// "FAISS <major.minor.patch>, <FAISS compile options>", e.g. "FAISS 1.7.3, OPTIMIZE AVX2 ".
std::string LinkedFaissDescription();

}  // namespace jade::ext::engine
