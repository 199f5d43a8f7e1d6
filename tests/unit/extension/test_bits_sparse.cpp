// Unit tests for the bit-string kernels (Hamming, Jaccard; portable and POPCNT) and the sparse
// vector distances (distance/sparse.h) against straightforward references.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "distance/distance.h"
#include "distance/kernels.h"
#include "distance/sparse.h"

namespace k = jade::ext::kernels;

TEST_CASE("hamming and jaccard kernels count bits like a bit-by-bit reference", "[bits]") {
    std::mt19937 rng(3);
    std::vector<std::pair<const char*, uint64_t (*)(const uint8_t*, const uint8_t*, size_t)>> hamming = {
        {"portable", k::HammingPortable}};
    std::vector<k::JaccardCounts (*)(const uint8_t*, const uint8_t*, size_t)> jaccard = {k::JaccardCountsPortable};
    if (k::PopcntSupported()) {
        hamming.push_back({"popcnt", k::HammingPopcnt});
        jaccard.push_back(k::JaccardCountsPopcnt);
    }
    for (size_t nbytes = 0; nbytes <= 40; nbytes++) {
        std::vector<uint8_t> a(nbytes + 8, 0xFF), b(nbytes + 8, 0x00);  // trailing bytes must not count
        for (size_t i = 0; i < nbytes; i++) {
            a[i] = static_cast<uint8_t>(rng());
            b[i] = static_cast<uint8_t>(rng());
        }
        uint64_t diff = 0, both = 0, ca = 0, cb = 0;
        for (size_t i = 0; i < nbytes; i++) {
            for (int bit = 0; bit < 8; bit++) {
                bool x = (a[i] >> bit) & 1, y = (b[i] >> bit) & 1;
                diff += x != y;
                both += x && y;
                ca += x;
                cb += y;
            }
        }
        for (auto& [name, fn] : hamming) {
            INFO(name << " nbytes=" << nbytes);
            CHECK(fn(a.data(), b.data(), nbytes) == diff);
        }
        for (auto fn : jaccard) {
            k::JaccardCounts c = fn(a.data(), b.data(), nbytes);
            CHECK(c.both == both);
            CHECK(c.a == ca);
            CHECK(c.b == cb);
        }
        double expected = both == 0 ? 1.0 : 1.0 - static_cast<double>(both) / static_cast<double>(ca + cb - both);
        CHECK(jade::ext::JaccardDistance(a.data(), b.data(), nbytes) == expected);
        CHECK(jade::ext::HammingDistance(a.data(), b.data(), nbytes) == diff);
    }
}

namespace {

// A sparse vector with its dense image, for references.
struct Sparse {
    std::vector<int32_t> idx;
    std::vector<float> val;
    jade::ext::SparseView view() const { return {idx.data(), val.data(), static_cast<int32_t>(idx.size())}; }
};

Sparse RandomSparse(std::mt19937& rng, int dim, double density) {
    Sparse s;
    std::uniform_real_distribution<float> v(-3, 3);
    std::bernoulli_distribution keep(density);
    for (int i = 0; i < dim; i++) {
        if (!keep(rng)) continue;
        float x = v(rng);
        if (x == 0) continue;
        s.idx.push_back(i);
        s.val.push_back(x);
    }
    return s;
}

}  // namespace

TEST_CASE("sparse distances equal the dense ones, accumulated in index order", "[sparse]") {
    std::mt19937 rng(11);
    for (int round = 0; round < 300; round++) {
        int dim = 1 + static_cast<int>(rng() % 200);
        Sparse a = RandomSparse(rng, dim, (rng() % 100) / 100.0);
        Sparse b = RandomSparse(rng, dim, (rng() % 100) / 100.0);
        std::vector<float> da(dim, 0), db(dim, 0);
        for (size_t i = 0; i < a.idx.size(); i++) da[a.idx[i]] = a.val[i];
        for (size_t i = 0; i < b.idx.size(); i++) db[b.idx[i]] = b.val[i];
        // The same float operations in index order, skipping positions where both are zero.
        float l2 = 0, ip = 0, l1 = 0, na = 0, nb = 0;
        for (int i = 0; i < dim; i++) {
            if (da[i] == 0 && db[i] == 0) continue;
            float d = da[i] - db[i];
            if (da[i] != 0 && db[i] != 0) {
                l2 += d * d;
                ip += da[i] * db[i];
                l1 += std::fabs(d);
            } else if (da[i] != 0) {
                l2 += da[i] * da[i];
                l1 += std::fabs(da[i]);
            } else {
                l2 += db[i] * db[i];
                l1 += std::fabs(db[i]);
            }
        }
        for (float x : a.val) na += x * x;
        for (float y : b.val) nb += y * y;
        CHECK(jade::ext::SparseL2SquaredDistance(a.view(), b.view()) == l2);
        CHECK(jade::ext::SparseInnerProduct(a.view(), b.view()) == ip);
        CHECK(jade::ext::SparseL1Distance(a.view(), b.view()) == l1);
        CHECK(jade::ext::SparseNormSquared(a.view()) == na);
        double cosine = jade::ext::SparseCosineDistance(a.view(), b.view());
        if (a.idx.empty() || b.idx.empty()) {
            CHECK(std::isnan(cosine));
        } else {
            double sim = static_cast<double>(ip) / std::sqrt(static_cast<double>(na) * static_cast<double>(nb));
            CHECK(cosine == Approx(1.0 - std::clamp(sim, -1.0, 1.0)).margin(1e-12));
        }
    }
}
