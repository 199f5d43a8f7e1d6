"""Random bad input to the halfvec, sparsevec and bit functions on a real server.

Thousands of random literals and random binary messages go through the types' input functions
(text casts, and the receive functions exactly as a Bind or binary COPY would run them). Each must
either give a value that reads back unchanged or fail with one of the types' documented SQLSTATEs;
afterwards the server must not have restarted and no backend may have died of a signal. Seeded, so
a failure reproduces.
"""

import random

import psycopg2
import pytest

from conftest import plain_pg_fixture

pytestmark = pytest.mark.timeout(300)

pg = plain_pg_fixture("types-fuzz")

# What bad input may produce: syntax, data exception, out of range, limits, binary format, nulls.
ALLOWED = {"22P02", "22000", "22003", "54000", "22P03", "22023", "22004", "08P01"}
ROUNDS = 1000


def _text_cases(rng):
    """Literals near the grammars: brackets, braces, numbers, separators, noise."""
    pieces = ["[", "]", "{", "}", "/", ":", ",", " ", "1", "-2.5", "1e5", "65519", "65520", "nan", "inf",
              "1e-46", "0", "3", "99999999999", "-1", "0x10", ".", "e", "+", "\t", "a"]
    numbers = ["0", "-0", "1", "-1.5", "3.25e-3", "65504", "65519.9", "6e-8", "1e-40", "3.4e38", "123456.789"]
    for i in range(ROUNDS):
        if i % 2:
            n = rng.randint(0, 12)
            yield "".join(rng.choice(pieces) for _ in range(n))
        elif i % 4 == 0:  # well-formed dense literals with awkward numbers
            yield "[%s]" % ",".join(rng.choice(numbers) for _ in range(rng.randint(1, 6)))
        else:  # well-formed sparse literals (indices may be out of bounds or repeat)
            dim = rng.randint(1, 9)
            yield "{%s}/%d" % (",".join("%d:%s" % (rng.randint(0, 10), rng.choice(numbers))
                                        for _ in range(rng.randint(0, 4))), dim)


def _binary_cases(rng):
    """Binary messages: plausible headers with random sizes and payloads, and plain random bytes."""
    for _ in range(ROUNDS):
        kind = rng.random()
        if kind < 0.4:
            dim = rng.choice([0, 1, 2, 3, 16000, 16001, 65535, rng.randint(0, 40)])
            body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 12)))
            yield "halfvec", dim.to_bytes(2, "big") + rng.choice([b"\x00\x00", b"\x00\x01"]) + body
        elif kind < 0.8:
            dim = rng.choice([1, 3, 1000000000, 1000000001, 0, rng.randint(0, 50)])
            nnz = rng.choice([0, 1, 2, 3, 16001, 2 ** 31 - 1, rng.randint(0, 5)])
            body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 24)))
            yield ("sparsevec", dim.to_bytes(4, "big") + (nnz % 2 ** 32).to_bytes(4, "big") +
                   rng.choice([b"\x00\x00\x00\x00", b"\x00\x00\x00\x07"]) + body)
        else:
            yield rng.choice(["halfvec", "sparsevec"]), bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 30)))


def _check(cur, sql, args, roundtrip_sql=None):
    """Runs sql; returns the SQLSTATE of a failure (None on success, after a read-back check)."""
    cur.execute("SAVEPOINT s")
    try:
        cur.execute(sql, args)
        value = cur.fetchone()[0]
        if roundtrip_sql is not None and value is not None:
            cur.execute(roundtrip_sql, (value, value))
            assert cur.fetchone()[0], "%r does not read back as itself" % value
        cur.execute("RELEASE SAVEPOINT s")
        return None
    except psycopg2.Error as e:
        cur.execute("ROLLBACK TO SAVEPOINT s")
        return e.pgcode


def test_random_literals_and_binary_messages(pg):
    rng = random.Random(1201)
    conn = pg.connect()
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_postmaster_start_time()")
            started = cur.fetchone()[0]
            seen = {}
            for text in _text_cases(rng):
                for typ in ("halfvec", "sparsevec", "vector"):
                    code = _check(cur, "SELECT %%s::%s::text" % typ, (text,), "SELECT %%s::%s::text = %%s" % typ)
                    assert code is None or code in ALLOWED, "%s %r -> %s" % (typ, text, code)
                    seen[code] = seen.get(code, 0) + 1
                bits = "".join(rng.choice("01") for _ in range(rng.randint(0, 20)))
                other = "".join(rng.choice("01") for _ in range(rng.randint(0, 20)))
                for fn in ("hamming_distance", "jaccard_distance"):
                    code = _check(cur, "SELECT %s(%%s::varbit, %%s::varbit)" % fn, (bits, other))
                    assert code is None or code in ALLOWED, "%s(%r, %r) -> %s" % (fn, bits, other, code)
            for typ, data in _binary_cases(rng):
                code = _check(cur, "SELECT jadevector_internal_%s_recv(%%s, -1)::text" % typ, (psycopg2.Binary(data),),
                              "SELECT %%s::%s::text = %%s" % typ)
                assert code is None or code in ALLOWED, "%s_recv(%s) -> %s" % (typ, data.hex(), code)
                seen[code] = seen.get(code, 0) + 1
            conn.rollback()
            cur.execute("SELECT pg_postmaster_start_time()")
            assert cur.fetchone()[0] == started, "the server restarted: a backend crashed"
            # Both successes and each error class occurred: the cases reach every branch.
            print("outcomes:", sorted(seen.items(), key=lambda kv: str(kv[0])))
            assert seen.get(None, 0) > 0 and seen.get("22P02", 0) > 0 and seen.get("22000", 0) > 0, seen
    finally:
        conn.close()
    log = pg.log_tail(2000)
    assert "terminated by signal" not in log, log[-3000:]
