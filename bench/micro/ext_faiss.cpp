// Micro-benchmarks of the FAISS engine (src/faiss/) at the AM's unit of work, 128 dimensions:
//   * IvfScore/<family>: scoring one 8 KB index page of codes with IvfScanner::Score (what the
//     AM does per list page); counters give codes/s and the page's entry count;
//   * IvfScanHeap/<family>: the same page through ScanCodes into a k=10 heap;
//   * IvfNearestLists: ranking 1000 centroids for a query (once per scan);
//   * HnswSearch/ef: one single-threaded graph search of 20k vectors (k=10);
//   * HnswDeserialize: loading that graph from bytes (a backend's first scan after a change);
//   * codec/graph memory as counters (bytes per backend).
// Run: build/bench/micro_extension --benchmark_filter='Ivf|Hnsw'
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "faiss/hnsw_graph.h"
#include "faiss/ivf_codec.h"

namespace {

using namespace jade::ext::engine;

constexpr int kDim = 128;
constexpr size_t kPageBytes = 8192 - 24 - 8 - 8;  // page minus header, special space, count

// Clustered vectors, like embeddings.
std::vector<float> Data(int64_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> c(0.0f, 1.0f), e(0.0f, 0.3f);
    std::vector<float> centres(100 * kDim);
    for (float& v : centres) v = c(rng);
    std::vector<float> x(n * kDim);
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < kDim; j++) x[i * kDim + j] = centres[(i % 100) * kDim + j] + e(rng);
    return x;
}

const char* const kFamilies[] = {"IVF256,Flat", "IVF256,SQ8", "IVF256,PQ16", "IVF256,PQ32"};

// A trained codec per family, and one page worth of codes from its first list.
struct IvfFixture {
    std::unique_ptr<IvfCodec> codec;
    std::vector<uint8_t> page;
    std::vector<int64_t> ids;
    int64_t list = 0;
    std::vector<float> query;
};

IvfFixture& Fixture(int family) {
    static std::unique_ptr<IvfFixture> cache[4];
    if (!cache[family]) {
        auto f = std::make_unique<IvfFixture>();
        std::vector<float> x = Data(20000, 1);
        f->codec = IvfCodec::Train(ParseFactory(kFamilies[family], kDim, Metric::L2), x.data(), 20000, 1);
        std::vector<int64_t> lists(20000);
        std::vector<uint8_t> codes(20000 * f->codec->code_size());
        f->codec->AssignEncode(20000, x.data(), lists.data(), codes.data());
        size_t per_page = kPageBytes / (f->codec->code_size() + sizeof(int64_t));
        f->list = lists[0];
        for (int64_t i = 0; i < 20000 && f->ids.size() < per_page; i++)
            if (lists[i] == f->list) {
                f->ids.push_back(i);
                f->page.insert(f->page.end(), codes.begin() + i * f->codec->code_size(),
                               codes.begin() + (i + 1) * f->codec->code_size());
            }
        f->query.assign(x.begin() + 5 * kDim, x.begin() + 6 * kDim);
        cache[family] = std::move(f);
    }
    return *cache[family];
}

void BM_IvfScore(benchmark::State& state) {
    IvfFixture& f = Fixture(static_cast<int>(state.range(0)));
    auto sc = f.codec->NewScanner(f.query.data());
    sc->SetList(f.list, 0.0f);
    std::vector<float> out(f.ids.size());
    for (auto _ : state) {
        sc->Score(f.ids.size(), f.page.data(), out.data());
        benchmark::DoNotOptimize(out.data());
    }
    state.SetLabel(kFamilies[state.range(0)]);
    state.counters["entries_per_page"] = static_cast<double>(f.ids.size());
    state.counters["codes/s"] = benchmark::Counter(static_cast<double>(state.iterations() * f.ids.size()),
                                                   benchmark::Counter::kIsRate);
    state.counters["codec_bytes"] = static_cast<double>(f.codec->MemoryBytes());
}
BENCHMARK(BM_IvfScore)->DenseRange(0, 3);

void BM_IvfScanHeap(benchmark::State& state) {
    IvfFixture& f = Fixture(static_cast<int>(state.range(0)));
    auto sc = f.codec->NewScanner(f.query.data());
    sc->SetList(f.list, 0.0f);
    std::vector<float> hd(10);
    std::vector<int64_t> hi(10);
    TopKHeap heap{10, hd.data(), hi.data()};
    for (auto _ : state) {
        sc->InitHeap(&heap);
        sc->ScanCodes(f.ids.size(), f.page.data(), f.ids.data(), &heap);
        benchmark::DoNotOptimize(hd.data());
    }
    state.SetLabel(kFamilies[state.range(0)]);
    state.counters["codes/s"] = benchmark::Counter(static_cast<double>(state.iterations() * f.ids.size()),
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_IvfScanHeap)->DenseRange(0, 3);

void BM_IvfNearestLists(benchmark::State& state) {
    static std::unique_ptr<IvfCodec> codec;
    std::vector<float> x = Data(20000, 2);
    if (!codec) codec = IvfCodec::Train(ParseFactory("IVF1000,Flat", kDim, Metric::L2), x.data(), 20000, 1);
    int64_t nprobe = state.range(0);
    std::vector<int64_t> lists(nprobe);
    std::vector<float> coarse(nprobe);
    for (auto _ : state) codec->NearestLists(x.data(), nprobe, lists.data(), coarse.data());
    state.counters["codec_bytes"] = static_cast<double>(codec->MemoryBytes());
}
BENCHMARK(BM_IvfNearestLists)->Arg(10)->Arg(1000)->Unit(benchmark::kMicrosecond);

// A 20k x 128 HNSW16 graph (ef_construction 64), built once.
HnswGraph& Graph() {
    static std::unique_ptr<HnswGraph> g;
    if (!g) {
        std::vector<float> x = Data(20000, 3);
        std::vector<int64_t> labels(20000);
        for (int64_t i = 0; i < 20000; i++) labels[i] = i + 1;
        g = HnswGraph::Build(ParseFactory("HNSW16", kDim, Metric::L2), 64, x.data(), labels.data(), 20000, 1);
    }
    return *g;
}

void BM_HnswSearch(benchmark::State& state) {
    HnswGraph& g = Graph();
    std::vector<float> q = Data(64, 4);
    std::vector<float> d(10);
    std::vector<int64_t> l(10);
    int64_t i = 0;
    for (auto _ : state) {
        g.Search(q.data() + (i++ % 64) * kDim, 10, static_cast<int>(state.range(0)), d.data(), l.data());
        benchmark::DoNotOptimize(l.data());
    }
    state.counters["graph_bytes_per_vector"] = static_cast<double>(g.MemoryBytes()) / 20000.0;
}
BENCHMARK(BM_HnswSearch)->Arg(40)->Arg(100)->Arg(200)->Unit(benchmark::kMicrosecond);

void BM_HnswDeserialize(benchmark::State& state) {
    std::vector<uint8_t> bytes = Graph().Serialize();
    for (auto _ : state) benchmark::DoNotOptimize(HnswGraph::Deserialize(bytes.data(), bytes.size()));
    state.counters["serialized_MB"] = static_cast<double>(bytes.size()) / 1e6;
}
BENCHMARK(BM_HnswDeserialize)->Unit(benchmark::kMillisecond);

}  // namespace
