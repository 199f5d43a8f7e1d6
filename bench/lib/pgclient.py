"""A minimal libpq client (ctypes) for timing queries: prepared statements with binary parameters.

psycopg2 interpolates parameters into the query text client-side, so it cannot send a prepared
statement with a binary vector parameter; the benchmark measures the path an application driver
would use (PQprepare once, then PQexecPrepared per query), with the vector sent either in pgvector's
binary format (uint16 dim, uint16 unused, dim x float4, network byte order) or as text '[...]'.
Only the calls the benchmark needs are bound. One `Conn` per thread/process.
"""

import ctypes
import ctypes.util
import struct

import numpy as np

_lib = None

CONNECTION_OK = 0
PGRES_COMMAND_OK = 1
PGRES_TUPLES_OK = 2
PGRES_COPY_IN = 4
PG_DIAG_SQLSTATE = ord("C")


class PgError(Exception):
    """A server or connection error; .sqlstate is the SQLSTATE when the server sent one."""

    def __init__(self, message, sqlstate=None):
        super().__init__(message.strip())
        self.sqlstate = sqlstate


def _libpq():
    """Load libpq.so.5 once and declare the signatures used here."""
    global _lib
    if _lib is not None:
        return _lib
    lib = ctypes.CDLL(ctypes.util.find_library("pq") or "libpq.so.5")
    vp, cp, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    sigs = {
        "PQconnectdb": (vp, [cp]), "PQstatus": (i, [vp]), "PQerrorMessage": (cp, [vp]),
        "PQfinish": (None, [vp]), "PQexec": (vp, [vp, cp]), "PQbackendPID": (i, [vp]),
        "PQprepare": (vp, [vp, cp, cp, i, ctypes.POINTER(ctypes.c_uint)]),
        "PQexecPrepared": (vp, [vp, cp, i, ctypes.POINTER(cp), ctypes.POINTER(i), ctypes.POINTER(i), i]),
        "PQresultStatus": (i, [vp]), "PQresultErrorMessage": (cp, [vp]),
        "PQresultErrorField": (cp, [vp, i]), "PQntuples": (i, [vp]), "PQgetvalue": (cp, [vp, i, i]),
        "PQclear": (None, [vp]), "PQputCopyData": (i, [vp, cp, i]), "PQputCopyEnd": (i, [vp, cp]),
        "PQgetResult": (vp, [vp]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    _lib = lib
    return lib


def vector_binary(vec):
    """Encode a float vector in pgvector's binary send/recv format."""
    v = np.asarray(vec, dtype=">f4")
    return struct.pack(">HH", len(v), 0) + v.tobytes()


def vector_text(vec):
    """Encode a float vector as pgvector text ('[1,2,3]'); %.9g round-trips float32 exactly."""
    return "[" + ",".join("%.9g" % x for x in np.asarray(vec, dtype=np.float32).tolist()) + "]"


class Conn:
    """One libpq connection with prepared-statement helpers that raise PgError on failure."""

    def __init__(self, dsn):
        self._pq = _libpq()
        self._conn = self._pq.PQconnectdb(dsn.encode())
        if self._pq.PQstatus(self._conn) != CONNECTION_OK:
            msg = self._pq.PQerrorMessage(self._conn).decode(errors="replace")
            self._pq.PQfinish(self._conn)
            self._conn = None
            raise PgError("connection failed: " + msg)

    def close(self):
        if self._conn:
            self._pq.PQfinish(self._conn)
            self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def backend_pid(self):
        return self._pq.PQbackendPID(self._conn)

    def execute(self, sql):
        """Run a simple-protocol statement; return the first column of all rows as strings."""
        return self._finish(self._pq.PQexec(self._conn, sql.encode()))

    def prepare(self, name, sql, nparams):
        """PQprepare name AS sql with nparams parameters of inferred type."""
        self._finish(self._pq.PQprepare(self._conn, name.encode(), sql.encode(), nparams, None))

    def exec_prepared(self, name, params, binary):
        """Execute a prepared statement; params are bytes (binary format) or str (text). Returns column 0."""
        n = len(params)
        values = (ctypes.c_char_p * n)()
        lengths = (ctypes.c_int * n)()
        formats = (ctypes.c_int * n)()
        for j, p in enumerate(params):
            raw = p if isinstance(p, bytes) else p.encode()
            values[j] = raw
            lengths[j] = len(raw)
            formats[j] = 1 if binary[j] else 0
        res = self._pq.PQexecPrepared(self._conn, name.encode(), n, values, lengths, formats, 0)
        return self._finish(res)

    def _finish(self, res):
        """Check a PGresult, extract column 0 of every row, free it."""
        pq = self._pq
        if not res:
            raise PgError(pq.PQerrorMessage(self._conn).decode(errors="replace"))
        try:
            status = pq.PQresultStatus(res)
            if status not in (PGRES_COMMAND_OK, PGRES_TUPLES_OK):
                state = pq.PQresultErrorField(res, PG_DIAG_SQLSTATE)
                raise PgError(pq.PQresultErrorMessage(res).decode(errors="replace"),
                              state.decode() if state else None)
            if status == PGRES_COMMAND_OK:
                return []
            get = pq.PQgetvalue
            return [get(res, r, 0) for r in range(pq.PQntuples(res))]
        finally:
            pq.PQclear(res)
