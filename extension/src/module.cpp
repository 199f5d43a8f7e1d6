// module.cpp — the extension's load-time entry: magic block and _PG_init.
//
// _PG_init runs in the postmaster when jadevector is in shared_preload_libraries. Nothing here
// may start FAISS or OpenMP work: an OpenMP team created before fork hangs every child backend
// at its first parallel region (DEPENDENCIES.md §2 "OpenMP in a backend"). GUCs and reloption
// kinds only.
#include "pg/guard.h"

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

void _PG_init(void) {
    jade::pg::InstallInterruptProbe();
}
