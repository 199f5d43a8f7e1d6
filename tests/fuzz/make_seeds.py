#!/usr/bin/env python3
"""Writes the committed seed corpora of the router and COPY fuzz targets (tests/fuzz/corpus/).

Router seeds: every statement of our own pg_regress files (sql/*.sql), plus statements over the
fuzz catalog's tables (items, orders, users, events, small, app.docs: fuzz_router.cpp) covering
each plan kind. COPY seeds: text, CSV and binary streams with the option and key-type choices
encoded in the tail bytes that fuzz_copy.cpp reads (FuzzedDataProvider takes integers from the end).
Deterministic: running it again rewrites the same files.
"""

import glob
import hashlib
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))

ROUTER_SQL = [
    "SELECT * FROM items WHERE id = 5",
    "SELECT id, embedding <-> '[1,2,3]' FROM items WHERE category = 'a' ORDER BY embedding <-> '[1,2,3]' LIMIT 10",
    "SELECT id FROM items ORDER BY embedding <#> $1 LIMIT $2",
    "SELECT category, count(*), avg(price), sum(price), min(id), max(id) FROM items GROUP BY category ORDER BY 2 DESC",
    "SELECT DISTINCT category FROM items",
    "SELECT i.id, o.qty FROM items i JOIN orders o ON i.id = o.item_id WHERE i.id = 7",
    "SELECT * FROM users WHERE name IN ('a', 'b', 'c') OR name = $1",
    "SELECT * FROM events WHERE kind = 3 AND at > now() - interval '1 day'",
    "SELECT * FROM small WHERE k = 1::smallint",
    "SELECT title FROM app.docs WHERE id = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
    "INSERT INTO items VALUES (1, 'a', '[1,2,3]', 3), (2, 'b', '[4,5,6]', 4), (99, 'z', NULL, NULL)",
    "INSERT INTO items (id, price) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET price = EXCLUDED.price RETURNING *",
    "UPDATE items SET price = price + 1 WHERE category = 'x' RETURNING id",
    "DELETE FROM orders WHERE item_id = 4",
    "COPY items FROM STDIN",
    "COPY items (category, id) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';', QUOTE '''')",
    "COPY users FROM STDIN (FORMAT binary)",
    "CREATE INDEX ON items USING hnsw (embedding vector_l2_ops) WITH (m = 16)",
    "CREATE INDEX ON items USING faiss (embedding vector_l2_ops) WITH (factory = 'IVF16,Flat')",
    "ALTER TABLE items ADD COLUMN note text",
    "ALTER TABLE items ADD COLUMN u int UNIQUE",
    "DROP TABLE items, plain_table",
    "TRUNCATE items",
    "VACUUM ANALYZE items",
    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    "SAVEPOINT s1",
    "ROLLBACK TO SAVEPOINT s1",
    "COMMIT",
    "SET hnsw.ef_search = 100",
    "SET LOCAL statement_timeout = '5s'",
    "RESET ALL",
    "SELECT * FROM jade_nodes ORDER BY node_id LIMIT 2",
    "SELECT count(*) FROM jade_shards WHERE table_name = 'items'",
    "SELECT jade_add_node('127.0.0.1', 5440)",
    "SELECT create_distributed_table('plain', 'id', shard_count => 8)",
    "EXPLAIN ANALYZE SELECT * FROM items ORDER BY embedding <=> '[1,1,1]' LIMIT 5",
    "WITH x AS (SELECT 1) SELECT * FROM items, x",
    "SELECT count(*) FROM items jade_shard_placeholder_x",
    "SELECT * FROM items LIMIT 99999999999999999999",
    "PREPARE p AS SELECT * FROM items WHERE id = $1",
    "SELECT * FROM pg_catalog.pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'items'",
]


def write(dirname, data):
    os.makedirs(dirname, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(dirname, name), "wb") as f:
        f.write(data)


def statements(text):
    """Rough split of a pg_regress file into statements (enough for seeds)."""
    text = re.sub(r"^\\.*$", "", text, flags=re.M)  # psql meta-commands
    out, cur = [], []
    for line in text.splitlines():
        if line.strip().startswith("--") and not cur:
            continue
        cur.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(cur).strip()
            if stmt:
                out.append(stmt)
            cur = []
    return out


def router_seed(sql, control=0):
    # fuzz_router: control byte last (ConsumeIntegral reads from the end), no parameters.
    return sql.encode() + bytes([control])


def copy_seed(stream, kind, key_type, key_field, shards):
    # fuzz_copy consumes from the end: kind, key type, key field, shard count, number of cuts (0).
    tail = [0, shards - 1, key_field, key_type, kind]
    return stream + bytes(tail)


def startup(user=b"postgres"):
    body = struct.pack("!i", 196608) + b"user\0" + user + b"\0database\0postgres\0\0"
    return struct.pack("!i", len(body) + 4) + body


def msg(kind, payload):
    return kind + struct.pack("!i", len(payload) + 4) + payload


def wire_seed(stream, mode):
    # fuzz_wire reads its options byte last and read sizes before it (from the end).
    return stream + b"\xff" * 32 + bytes([mode])


def wire_seeds(out):
    ssl = struct.pack("!ii", 8, 80877103)
    gss = struct.pack("!ii", 8, 80877104)
    cancel = struct.pack("!iiii", 16, 80877102, 7, 1234)
    client_first = b"n,,n=,r=rOprNGfwEbeRWgbNEkqO"
    sasl = msg(b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(client_first)) + client_first)
    final = msg(b"p", b"c=biws,r=rOprNGfwEbeRWgbNEkqOsrvnonce,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    query = msg(b"Q", b"SELECT 1\0")
    extended = (msg(b"P", b"s1\0SELECT $1::int\0" + struct.pack("!hi", 1, 23)) +
                msg(b"B", b"\0s1\0" + struct.pack("!hh", 1, 1) + struct.pack("!h", 1) + struct.pack("!i", 4) +
                    struct.pack("!i", 7) + struct.pack("!hh", 1, 0)) +
                msg(b"D", b"P\0") + msg(b"E", b"\0" + struct.pack("!i", 0)) + msg(b"S", b""))
    copy = msg(b"d", b"1\ta\n") + msg(b"c", b"") + msg(b"f", b"client gave up\0")
    write(out, wire_seed(ssl + startup() + query, 8))          # TLS offered: 'S', then TlsStarted
    write(out, wire_seed(ssl + startup() + query, 0))          # TLS not offered: 'N'
    write(out, wire_seed(gss + ssl + startup(), 8))
    write(out, wire_seed(cancel, 0))
    write(out, wire_seed(startup() + sasl + final, 1))         # SCRAM, a known user
    write(out, wire_seed(startup(b"nobody") + sasl + final, 3))  # SCRAM, unknown user, database checked
    write(out, wire_seed(startup() + extended + copy + msg(b"X", b""), 0))
    write(out, wire_seed(startup() + msg(b"Q", b"x" * 2000 + b"\0"), 4))  # above a 1 KB max_message


def main():
    wire_seeds(os.path.join(HERE, "corpus", "wire"))
    router = os.path.join(HERE, "corpus", "router")
    copy = os.path.join(HERE, "corpus", "copy")
    for sql in ROUTER_SQL:
        write(router, router_seed(sql))
        write(router, router_seed(sql, control=1))  # inside a transaction block
    for path in sorted(glob.glob(os.path.join(REPO, "sql", "*.sql"))):
        with open(path) as f:
            for stmt in statements(f.read()):
                write(router, router_seed(stmt))
    text = b"1\ta\t[1,2,3]\t3\n2\t\\N\t[4,5,6]\t\\N\n3\tb\\tc\t\\N\t7\r\n\\.\n"
    csv = b"id,category\n1,\"a,b\"\n2,\"multi\nline\"\n3,\"\"\"q\"\"\"\n,\n"
    binary = (b"PGCOPY\n\xff\r\n\0" + struct.pack("!ii", 0, 0) +
              struct.pack("!h", 2) + struct.pack("!i", 8) + struct.pack("!q", 42) + struct.pack("!i", 1) + b"x" +
              struct.pack("!h", 2) + struct.pack("!i", -1) + struct.pack("!i", 2) + b"yz" +
              struct.pack("!h", -1))
    write(copy, copy_seed(text, kind=0, key_type=2, key_field=0, shards=8))
    write(copy, copy_seed(text, kind=0, key_type=3, key_field=1, shards=3))
    write(copy, copy_seed(csv, kind=1 | 0x80, key_type=2, key_field=0, shards=4))
    write(copy, copy_seed(csv, kind=1, key_type=3, key_field=1, shards=5))
    write(copy, copy_seed(binary, kind=2, key_type=2, key_field=0, shards=8))
    uuid_text = b"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\tdoc\n{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}\tx\n"
    write(copy, copy_seed(uuid_text, kind=0, key_type=4, key_field=0, shards=4))


if __name__ == "__main__":
    main()
