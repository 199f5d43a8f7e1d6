// pg/pg_headers.h — the one way PG-regime files include PostgreSQL's server headers.
//
// No server header has extern "C" guards (DEPENDENCIES.md §2), so every include is wrapped
// here. Add further server headers in the file that needs them, inside extern "C" { }.
// PostgreSQL defines macros that collide with C++ and FAISS (ERROR, Max, printf, restrict, ...):
// never include FAISS or heavy STL headers after this in the same translation unit.
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/elog.h"
#include "utils/palloc.h"
}
