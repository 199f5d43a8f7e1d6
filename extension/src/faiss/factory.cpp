// faiss/factory.cpp — our own parser of the accepted factory grammar (factory.h).
//
// Nothing here calls FAISS: the point is to reject what FAISS would mishandle (or abort on)
// before it ever sees a string, and to produce the canonical key it will be given.
#include "faiss/factory.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

#include "common/error.h"

namespace jade::ext::engine {

namespace {

constexpr const char* kGrammarHint =
    "Supported factory strings: Flat, IVFn,Flat, IVFn,SQ8, IVFn,SQfp16, IVFn,PQm[xb], HNSWm, HNSWm,Flat, HNSWm,SQ8.";

// Centroid tables larger than this are refused: each backend caches them.
constexpr int64_t kMaxCentroidBytes = int64_t{1} << 30;

// Rows from which the default factory switches from Flat to IVF.
constexpr int64_t kDefaultIvfMinRows = 50000;

[[noreturn]] void Invalid(std::string_view factory, const std::string& detail) {
    // A string outside the grammar or with an out-of-range number.
    throw JadeError(sqlstate::kInvalidParameterValue, "invalid factory string \"" + std::string(factory) + "\"",
                    detail, kGrammarHint);
}

// Parses an unsigned decimal prefix of s starting at *pos; returns -1 when there is none or it
// has more than 9 digits (every accepted number is far smaller).
int64_t ParseNumber(std::string_view s, size_t* pos) {
    size_t start = *pos;
    int64_t v = 0;
    while (*pos < s.size() && std::isdigit(static_cast<unsigned char>(s[*pos]))) {
        if (*pos - start >= 9) return -1;
        v = v * 10 + (s[*pos] - '0');
        (*pos)++;
    }
    return *pos == start ? -1 : v;
}

// Splits on commas.
std::vector<std::string> SplitParts(const std::string& s) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t comma = s.find(',', start);
        parts.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return parts;
}

// Parses "<prefix><number>" exactly; returns -1 when part is not of that form.
int64_t ParsePrefixed(const std::string& part, std::string_view prefix) {
    if (part.compare(0, prefix.size(), prefix) != 0) return -1;
    size_t pos = prefix.size();
    int64_t v = ParseNumber(part, &pos);
    return pos == part.size() ? v : -1;
}

// Parses the IVF list codec "Flat" | "SQ8" | "PQm[xb][np]" into spec; false when unknown.
bool ParseIvfCodec(std::string_view factory, const std::string& codec, FactorySpec* spec) {
    if (codec == "Flat") {
        spec->family = Family::IvfFlat;
        return true;
    }
    if (codec == "SQ8") {
        spec->family = Family::IvfSq8;
        return true;
    }
    if (codec == "SQfp16") {
        spec->family = Family::IvfSqFp16;
        return true;
    }
    if (codec.compare(0, 2, "PQ") != 0) return false;
    size_t pos = 2;
    int64_t m = ParseNumber(codec, &pos);
    int64_t nbits = 8;
    if (pos < codec.size() && codec[pos] == 'x') {
        pos++;
        nbits = ParseNumber(codec, &pos);
    }
    if (codec.compare(pos, std::string::npos, "np") == 0) pos += 2;  // FAISS's own spelling
    if (m < 0 || nbits < 0 || pos != codec.size()) return false;
    if (m < 1) Invalid(factory, "PQ needs at least 1 sub-quantizer.");
    if (nbits < kMinPqBits || nbits > kMaxPqBits)
        Invalid(factory, "PQ code bits must be between " + std::to_string(kMinPqBits) + " and " +
                             std::to_string(kMaxPqBits) + ", not " + std::to_string(nbits) + ".");
    spec->family = Family::IvfPq;
    spec->pq_m = static_cast<int>(m);
    spec->pq_nbits = static_cast<int>(nbits);
    return true;
}

// Fills canonical and faiss_key from the parsed fields.
void SetKeys(FactorySpec* spec) {
    std::string ivf = "IVF" + std::to_string(spec->nlist) + ",";
    std::string pq = "PQ" + std::to_string(spec->pq_m) + (spec->pq_nbits == 8 ? "" : "x" + std::to_string(spec->pq_nbits));
    std::string hnsw = "HNSW" + std::to_string(spec->hnsw_m) + ",";
    switch (spec->family) {
        case Family::Flat:
            spec->canonical = "Flat";
            spec->faiss_key.clear();
            return;
        case Family::IvfFlat:
            spec->canonical = spec->faiss_key = ivf + "Flat";
            return;
        case Family::IvfSq8:
            spec->canonical = spec->faiss_key = ivf + "SQ8";
            return;
        case Family::IvfSqFp16:
            spec->canonical = spec->faiss_key = ivf + "SQfp16";
            return;
        case Family::IvfPq:
            // "np": no polysemous training, which costs minutes and is useless to us.
            spec->canonical = ivf + pq;
            spec->faiss_key = ivf + pq + "np";
            return;
        case Family::Hnsw:
            spec->canonical = spec->faiss_key = hnsw + "Flat";
            return;
        case Family::HnswSq8:
            spec->canonical = spec->faiss_key = hnsw + "SQ8";
            return;
    }
}

// Applies the checks that need the metric and the dimension.
void CheckAgainstColumn(const FactorySpec& spec, std::string_view factory) {
    if (IsBitMetric(spec.metric)) {
        // Bit strings are indexed as packed bits: an exact scan, or IVF lists of binary codes
        // for Hamming; FAISS's float codes (SQ, PQ) and its HNSW graphs do not apply.
        bool ok = spec.family == Family::Flat || (spec.family == Family::IvfFlat && spec.metric == Metric::Hamming);
        if (!ok)
            throw JadeError(sqlstate::kFeatureNotSupported,
                            std::string(MetricName(spec.metric)) + " distance is not supported by factory \"" +
                                spec.canonical + "\"",
                            spec.metric == Metric::Hamming
                                ? "Bit strings are indexed as packed bits: Flat or IVFn,Flat."
                                : "Jaccard distance is indexed by exact scans only.",
                            spec.metric == Metric::Hamming ? "Use factory 'Flat' or 'IVFn,Flat' for bit_hamming_ops."
                                                           : "Use factory 'Flat' for bit_jaccard_ops.");
    }
    if (spec.metric == Metric::L1 && spec.family != Family::Flat && spec.family != Family::Hnsw)
        throw JadeError(sqlstate::kFeatureNotSupported,
                        "l1 distance is not supported by factory \"" + spec.canonical + "\"",
                        "FAISS implements L1 distance only for exact scans and HNSW graphs over raw vectors.",
                        "Use factory 'Flat' or 'HNSWm' for vector_l1_ops.");
    if (spec.dim == 0) return;
    if (spec.family == Family::IvfPq) {
        if (spec.pq_m > spec.dim || spec.dim % spec.pq_m != 0)
            throw JadeError(sqlstate::kInvalidParameterValue,
                            "factory \"" + std::string(factory) + "\" needs a dimension divisible by " +
                                std::to_string(spec.pq_m),
                            "The indexed column has " + std::to_string(spec.dim) + " dimensions.",
                            "Choose PQm with m dividing the dimension.");
    }
    if (spec.IsIvf() && int64_t{spec.nlist} * spec.dim * 4 > kMaxCentroidBytes)
        throw JadeError(sqlstate::kProgramLimitExceeded,
                        "factory \"" + std::string(factory) + "\" needs more than 1 GB of centroids",
                        std::to_string(spec.nlist) + " lists of " + std::to_string(spec.dim) + " dimensions.",
                        "Use fewer lists.");
}

}  // namespace

FactorySpec ParseFactory(std::string_view user_string, int dim, Metric metric) {
    // Whitespace is insignificant ("IVF100, Flat" is fine); case is significant, as in FAISS.
    std::string s;
    for (char c : user_string)
        if (!std::isspace(static_cast<unsigned char>(c))) s.push_back(c);
    if (s.empty()) Invalid(user_string, "The factory string is empty.");
    if (!IsValidMetric(static_cast<uint32_t>(metric)))
        throw JadeError(sqlstate::kInternalError, "unknown metric " + std::to_string(static_cast<uint32_t>(metric)));
    int max_dim = IsBitMetric(metric) ? kMaxBitDim : kMaxDim;
    if (dim < 0 || dim > max_dim)
        throw JadeError(sqlstate::kProgramLimitExceeded,
                        "index vectors can have at most " + std::to_string(max_dim) + " dimensions",
                        "The indexed column has " + std::to_string(dim) + " dimensions.");
    FactorySpec spec;
    spec.dim = dim;
    spec.metric = metric;
    std::vector<std::string> parts = SplitParts(s);
    if (parts.size() > 2) Invalid(s, "At most two components are accepted (a structure and a code).");
    const std::string& head = parts[0];
    if (head == "Flat") {
        if (parts.size() != 1) Invalid(s, "Flat takes no further component.");
        spec.family = Family::Flat;
    } else if (head.compare(0, 3, "IVF") == 0) {
        int64_t nlist = ParsePrefixed(head, "IVF");
        if (nlist < 0) Invalid(s, "IVF must be followed by the number of lists, as in IVF100,Flat.");
        if (nlist < 1 || nlist > kMaxNlist)
            Invalid(s, "The number of IVF lists must be between 1 and " + std::to_string(kMaxNlist) + ", not " +
                           std::to_string(nlist) + ".");
        if (parts.size() != 2) Invalid(s, "IVF needs a list code: IVFn,Flat, IVFn,SQ8 or IVFn,PQm.");
        spec.nlist = static_cast<int>(nlist);
        if (!ParseIvfCodec(s, parts[1], &spec)) Invalid(s, "Unknown IVF list code \"" + parts[1] + "\".");
    } else if (head.compare(0, 4, "HNSW") == 0) {
        int64_t m = ParsePrefixed(head, "HNSW");
        if (m < 0) Invalid(s, "HNSW must be followed by the number of links M, as in HNSW32.");
        if (m < kMinHnswM || m > kMaxHnswM)
            Invalid(s, "HNSW M must be between " + std::to_string(kMinHnswM) + " and " + std::to_string(kMaxHnswM) +
                           ", not " + std::to_string(m) + ".");
        spec.hnsw_m = static_cast<int>(m);
        if (parts.size() == 1 || parts[1] == "Flat")
            spec.family = Family::Hnsw;
        else if (parts[1] == "SQ8")
            spec.family = Family::HnswSq8;
        else
            Invalid(s, "Unknown HNSW storage \"" + parts[1] + "\": use Flat or SQ8.");
    } else {
        Invalid(s, "Unknown index structure \"" + head + "\".");
    }
    SetKeys(&spec);
    CheckAgainstColumn(spec, s);
    return spec;
}

int64_t CodeSize(const FactorySpec& spec) {
    // Bytes FAISS uses per stored vector in this family.
    if (IsBitMetric(spec.metric)) return (int64_t{spec.dim} + 7) / 8;  // packed bits
    switch (spec.family) {
        case Family::Flat:
        case Family::IvfFlat:
        case Family::Hnsw:
            return int64_t{4} * spec.dim;
        case Family::IvfSq8:
        case Family::HnswSq8:
            return spec.dim;
        case Family::IvfSqFp16:
            return int64_t{2} * spec.dim;
        case Family::IvfPq:
            return (int64_t{spec.pq_m} * spec.pq_nbits + 7) / 8;
    }
    return 0;
}

int64_t MinTrainingRows(const FactorySpec& spec) {
    // k-means needs one point per centroid: nlist for the coarse quantizer, 2^b per PQ codebook.
    switch (spec.family) {
        case Family::IvfFlat:
        case Family::IvfSq8:
        case Family::IvfSqFp16:
            return spec.nlist;
        case Family::IvfPq:
            return std::max<int64_t>(spec.nlist, int64_t{1} << spec.pq_nbits);
        case Family::HnswSq8:
            return 1;  // the scalar quantizer's value ranges come from the data
        case Family::Flat:
        case Family::Hnsw:
            return 0;
    }
    return 0;
}

FactorySpec ShrinkNlistForRows(const FactorySpec& spec, int64_t rows) {
    // The documented fallback for small tables: fewer lists, never a failed k-means.
    if (!spec.IsIvf() || rows >= MinTrainingRows(spec)) return spec;
    if (spec.family == Family::IvfPq && rows < (int64_t{1} << spec.pq_nbits))
        throw JadeError(sqlstate::kInvalidParameterValue,
                        "factory \"" + spec.canonical + "\" needs at least " +
                            std::to_string(int64_t{1} << spec.pq_nbits) + " rows to train its product quantizer",
                        "The table has " + std::to_string(rows) + " rows.",
                        "Create the index after loading data, or use IVFn,Flat or IVFn,SQ8.");
    FactorySpec out = spec;
    out.nlist = static_cast<int>(std::max<int64_t>(1, rows));
    SetKeys(&out);
    return out;
}

std::string DefaultFactory(int64_t rows, int dim, Metric metric) {
    // Exact scans are fast and train-free for small tables; IVF after that, with pgvector's
    // advice of rows/1000 lists up to a million rows and sqrt(rows) beyond.
    if (metric == Metric::L1 || metric == Metric::Jaccard || rows < kDefaultIvfMinRows || dim <= 0) return "Flat";
    double lists = rows <= 1000000 ? static_cast<double>(rows) / 1000.0 : std::sqrt(static_cast<double>(rows));
    int64_t nlist = std::clamp<int64_t>(static_cast<int64_t>(lists), 16, kMaxNlist);
    nlist = std::min<int64_t>(nlist, std::max<int64_t>(1, kMaxCentroidBytes / (int64_t{4} * dim)));
    return "IVF" + std::to_string(nlist) + ",Flat";
}

FactorySpec FromHnswOptions(int m, int ef_construction, int dim, Metric metric) {
    // pgvector's reloption bounds and its cross-check, with its wording.
    if (m < 2 || m > 100)
        throw JadeError(sqlstate::kInvalidParameterValue, "m must be between 2 and 100, not " + std::to_string(m));
    if (ef_construction < 4 || ef_construction > 1000)
        throw JadeError(sqlstate::kInvalidParameterValue,
                        "ef_construction must be between 4 and 1000, not " + std::to_string(ef_construction));
    if (ef_construction < 2 * m)
        throw JadeError(sqlstate::kInvalidParameterValue, "ef_construction must be greater than or equal to 2 * m");
    return ParseFactory("HNSW" + std::to_string(m) + ",Flat", dim, metric);
}

FactorySpec FromIvfflatOptions(int lists, int dim, Metric metric) {
    // pgvector's bound for lists.
    if (lists < 1 || lists > 32768)
        throw JadeError(sqlstate::kInvalidParameterValue,
                        "lists must be between 1 and 32768, not " + std::to_string(lists));
    return ParseFactory("IVF" + std::to_string(lists) + ",Flat", dim, metric);
}

}  // namespace jade::ext::engine
