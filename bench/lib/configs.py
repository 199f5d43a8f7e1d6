"""Index configurations the benchmark measures, and their search-parameter sweeps.

A `Config` is one CREATE INDEX (or none: the exact sequential-scan baseline) plus the session GUC
swept at search time. Sizes scale with the table: IVF lists = round(sqrt(N)) for both the FAISS
IVF family and pgvector-style ivfflat (so the two are comparable; the issue's pgvector reference uses
316 lists at 100K = sqrt(100K)); the nprobe sweep stops at the number of lists.

Built-in names (select with --configs):
  noindex       exact scan (no index): the recall = 1 baseline
  faiss-flat    USING faiss WITH (factory='Flat')
  faiss-ivfflat USING faiss WITH (factory='IVF<L>,Flat')   sweep jadevector.nprobe
  faiss-ivfsq8  USING faiss WITH (factory='IVF<L>,SQ8')    sweep jadevector.nprobe
  faiss-ivfpq   USING faiss WITH (factory='IVF<L>,PQ<m>')  sweep jadevector.nprobe
  faiss-hnsw    USING faiss WITH (factory='HNSW<M>')       sweep jadevector.ef_search
  hnsw          USING hnsw WITH (m, ef_construction)       sweep hnsw.ef_search
  ivfflat       USING ivfflat WITH (lists = L)             sweep ivfflat.probes
Custom: --extra-config 'NAME|AM (embedding OPCLASS) WITH (...)|GUC=v1,v2,...' ({opclass} is replaced).
"""

import math

OPCLASS = {"l2": "vector_l2_ops", "ip": "vector_ip_ops", "cosine": "vector_cosine_ops"}
OPERATOR = {"l2": "<->", "ip": "<#>", "cosine": "<=>"}

ALL_CONFIGS = ["noindex", "faiss-flat", "faiss-ivfflat", "faiss-ivfsq8", "faiss-ivfpq", "faiss-hnsw",
               "hnsw", "ivfflat"]


class Config:
    """One index configuration: the USING clause, the AM it needs and the GUC sweep."""

    def __init__(self, name, using=None, am=None, guc=None, values=None, params=None):
        self.name = name
        self.using = using          # e.g. "faiss (embedding {opclass}) WITH (factory = 'Flat')"
        self.am = am                # access method that must exist in pg_am, None for noindex
        self.guc = guc              # swept GUC or None
        self.values = list(values or [None])
        self.params = dict(params or {})

    def ddl(self, table, metric):
        """Return the CREATE INDEX statement for `table`, or None for the no-index baseline."""
        if not self.using:
            return None
        return "CREATE INDEX %s_%s_idx ON %s USING %s" % (
            table, self.name.replace("-", "_"), table, self.using.replace("{opclass}", OPCLASS[metric]))

    def to_dict(self):
        return {"name": self.name, "using": self.using, "am": self.am, "sweep_guc": self.guc,
                "sweep": [v for v in self.values if v is not None], "params": self.params}


def default_lists(n):
    """IVF list count for n rows: round(sqrt(n)), at least 4."""
    return max(4, int(round(math.sqrt(n))))


def build_configs(names, n, dim, opts):
    """Return the Config objects for `names` sized for an n x dim table; opts holds the CLI knobs."""
    lists = opts.get("lists") or default_lists(n)
    nprobe = [p for p in opts.get("nprobe_sweep", [1, 2, 4, 8, 16, 32, 64]) if p <= lists]
    ef = opts.get("ef_sweep", [10, 20, 40, 80, 160, 320])
    pq_m = opts.get("pq_m") or _pq_m(dim)
    hnsw_m = opts.get("hnsw_m", 16)
    efc = opts.get("hnsw_ef_construction", 64)
    known = {
        "noindex": lambda: Config("noindex"),
        "faiss-flat": lambda: Config("faiss-flat", "faiss (embedding {opclass}) WITH (factory = 'Flat')",
                                     "faiss"),
        "faiss-ivfflat": lambda: Config("faiss-ivfflat",
                                        "faiss (embedding {opclass}) WITH (factory = 'IVF%d,Flat')" % lists,
                                        "faiss", "jadevector.nprobe", nprobe, {"lists": lists}),
        "faiss-ivfsq8": lambda: Config("faiss-ivfsq8",
                                       "faiss (embedding {opclass}) WITH (factory = 'IVF%d,SQ8')" % lists,
                                       "faiss", "jadevector.nprobe", nprobe, {"lists": lists}),
        "faiss-ivfpq": lambda: Config("faiss-ivfpq",
                                      "faiss (embedding {opclass}) WITH (factory = 'IVF%d,PQ%d')" % (lists, pq_m),
                                      "faiss", "jadevector.nprobe", nprobe, {"lists": lists, "pq_m": pq_m}),
        "faiss-hnsw": lambda: Config("faiss-hnsw",
                                     "faiss (embedding {opclass}) WITH (factory = 'HNSW%d')" % hnsw_m,
                                     "faiss", "jadevector.ef_search", ef, {"m": hnsw_m}),
        "hnsw": lambda: Config("hnsw",
                               "hnsw (embedding {opclass}) WITH (m = %d, ef_construction = %d)" % (hnsw_m, efc),
                               "hnsw", "hnsw.ef_search", ef, {"m": hnsw_m, "ef_construction": efc}),
        "ivfflat": lambda: Config("ivfflat", "ivfflat (embedding {opclass}) WITH (lists = %d)" % lists,
                                  "ivfflat", "ivfflat.probes", nprobe, {"lists": lists}),
    }
    out = []
    for name in names:
        if name not in known:
            raise ValueError("unknown config %r (known: %s)" % (name, ", ".join(ALL_CONFIGS)))
        out.append(known[name]())
    for spec in opts.get("extra", []):
        out.append(parse_extra(spec))
    return out


def parse_extra(spec):
    """Parse --extra-config 'NAME|AM (embedding {opclass}) WITH (...)|GUC=v1,v2' (the sweep is optional)."""
    parts = spec.split("|")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1].strip():
        raise ValueError("--extra-config %r: expected NAME|USING-CLAUSE[|GUC=v1,v2,...]" % spec)
    name, using = parts[0].strip(), parts[1].strip()
    am = using.split("(")[0].strip().split()[0]
    guc, values = None, None
    if len(parts) == 3 and parts[2].strip():
        guc, _, vals = parts[2].partition("=")
        values = [int(v) if v.strip().lstrip("-").isdigit() else v.strip() for v in vals.split(",") if v.strip()]
        if not guc or not values:
            raise ValueError("--extra-config %r: sweep must be GUC=v1,v2,..." % spec)
    return Config(name, using, am, guc.strip() if guc else None, values)


def _pq_m(dim):
    """PQ sub-quantizer count: 8 dimensions per byte-sized code (the usual SIFT choice, PQ16 at 128-d)."""
    for m in (dim // 8, dim // 4, dim // 2, dim):
        if m >= 1 and dim % m == 0:
            return m
    return 1
