// Exact kNN: the CUDA kernel against libisc_cpu (exact equality on integer data, where every
// implementation computes identical scores and ties), reduced precision by recall, the streaming
// merge, and timings at 50k queries x 1M references x 256 (scaled to the GPU's memory).
#include <algorithm>
#include <random>
#include <set>

#include "harness.hpp"
#include "isc/knn.h"

namespace harness {
namespace {

struct KnnShape {
  int64_t nq, nr, d;
  int k;
  std::string str() const {
    return std::to_string(nq) + "x" + std::to_string(nr) + "x" + std::to_string(d) + " k" + std::to_string(k);
  }
};

const char* precision_name(int p) { return p == ISC_KNN_TF32 ? "tf32" : p == ISC_KNN_BF16 ? "bf16" : "fp32"; }
const char* metric_name(int m) { return m == ISC_METRIC_L2 ? "l2" : "ip"; }

std::vector<float> integers(size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> dist(-2, 2);
  std::vector<float> v(n);
  for (auto& e : v) e = static_cast<float>(dist(rng));
  return v;
}

std::vector<float> normals(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> dist;
  std::vector<float> v(n);
  for (auto& e : v) e = dist(rng);
  return v;
}

struct Result {
  std::vector<float> scores;
  std::vector<int64_t> ids;
};

// The CUDA search; with chunks > 1 the references go in that many accumulated calls.
Result gpu_knn(const std::vector<float>& q, const std::vector<float>& r, const KnnShape& s, int metric,
               int precision, int chunks = 1) {
  DeviceBuffer<float> dq(q.size()), dr(r.size()), scores(size_t(s.nq) * s.k);
  DeviceBuffer<int64_t> ids(size_t(s.nq) * s.k);
  upload(dq.ptr, q);
  upload(dr.ptr, r);
  isc_status status{};
  bool first = true;
  for (int c = 0; c < chunks; ++c) {
    const int64_t r0 = s.nr * c / chunks, r1 = s.nr * (c + 1) / chunks;
    if (r1 == r0) continue;  // fewer references than chunks
    isc_knn_args a{};
    a.queries = dq.ptr, a.refs = dr.ptr + r0 * s.d, a.nq = s.nq, a.nr = r1 - r0, a.d = s.d, a.id_offset = r0;
    a.k = s.k, a.metric = metric, a.precision = precision, a.accumulate = !first, a.scores = scores.ptr, a.ids = ids.ptr;
    first = false;
    size_t bytes = 0;
    isc_ok(isc_cuda_knn_workspace_size(&a, &bytes, &status), status);
    DeviceBuffer<unsigned char> ws(bytes);
    a.workspace = ws.ptr, a.workspace_bytes = bytes;
    isc_ok(isc_cuda_knn(&a, &status), status);
    cuda_ok(cudaDeviceSynchronize(), "knn");
  }
  return {download(scores.ptr, scores.count), download(ids.ptr, ids.count)};
}

Result cpu_knn(const std::vector<float>& q, const std::vector<float>& r, const KnnShape& s, int metric) {
  Result out{std::vector<float>(size_t(s.nq) * s.k), std::vector<int64_t>(size_t(s.nq) * s.k)};
  isc_knn_args a{};
  a.queries = q.data(), a.refs = r.data(), a.nq = s.nq, a.nr = s.nr, a.d = s.d, a.k = s.k, a.metric = metric;
  a.scores = out.scores.data(), a.ids = out.ids.data();
  isc_status status{};
  isc_ok(isc_cpu_knn(&a, &status), status);
  return out;
}

// Fraction of positions where ids or scores differ.
double mismatch(const Result& got, const Result& want) {
  size_t bad = 0;
  for (size_t i = 0; i < want.ids.size(); ++i) bad += got.ids[i] != want.ids[i] || got.scores[i] != want.scores[i];
  return double(bad) / want.ids.size();
}

// 1 - recall@k of got against want (same queries).
double missed(const Result& got, const Result& want, int k) {
  size_t hits = 0;
  for (size_t q = 0; q * k < want.ids.size(); ++q) {
    std::set<int64_t> truth(want.ids.begin() + q * k, want.ids.begin() + (q + 1) * k);
    for (int j = 0; j < k; ++j) hits += truth.count(got.ids[q * k + j]);
  }
  return 1.0 - double(hits) / want.ids.size();
}

Record check(const std::string& kernel, const std::string& variant, const KnnShape& s, double error, double tol) {
  Record r;
  r.kernel = kernel, r.variant = variant, r.shape = s.str(), r.error = error, r.tolerance = tol;
  return r;
}

}  // namespace

void run_knn(const Options& options, const Device& device, std::vector<Record>& records) {
  if (options.check) {
    std::mt19937 rng(31);
    const KnnShape shapes[] = {{1, 1, 1, 1},        {7, 33, 5, 3},      {100, 1000, 17, 10}, {130, 5000, 64, 100},
                               {65, 9000, 256, 1024}, {300, 70000, 31, 7}, {5, 100, 3, 100}, {9, 2100, 8, 1024}};
    for (const KnnShape& s : shapes) {
      if (options.small && s.nq * s.nr > 100000) continue;  // racecheck takes minutes on 65 x 9000
      const auto q = integers(size_t(s.nq) * s.d, rng);
      const auto r = integers(size_t(s.nr) * s.d, rng);
      for (int metric : {ISC_METRIC_INNER_PRODUCT, ISC_METRIC_L2}) {
        const Result want = cpu_knn(q, r, s, metric);
        const std::string m = metric_name(metric);
        records.push_back(check("knn_exact", m + "-fp32", s, mismatch(gpu_knn(q, r, s, metric, ISC_KNN_FP32), want), 0));
        records.push_back(check("knn_streamed", m + "-fp32", s,
                                mismatch(gpu_knn(q, r, s, metric, ISC_KNN_FP32, 3), want), 0));
        if (device.prop.major >= 8) {
          // Small integers are exact in TF32 and BF16 too, and the re-rank is exact fp32.
          for (int p : {ISC_KNN_TF32, ISC_KNN_BF16}) {
            records.push_back(check("knn_exact", m + "-" + precision_name(p), s,
                                    mismatch(gpu_knn(q, r, s, metric, p), want), 0));
          }
        }
      }
    }
    if (device.prop.major >= 8 && !options.small) {
      // Random data: the re-ranked reduced-precision search must find the exact neighbours.
      const KnnShape s{500, 100000, 256, 100};
      const auto q = normals(size_t(s.nq) * s.d, rng);
      const auto r = normals(size_t(s.nr) * s.d, rng);
      const Result exact = gpu_knn(q, r, s, ISC_METRIC_INNER_PRODUCT, ISC_KNN_FP32);
      for (int p : {ISC_KNN_TF32, ISC_KNN_BF16}) {
        records.push_back(check("knn_recall_miss", std::string("ip-") + precision_name(p), s,
                                missed(gpu_knn(q, r, s, ISC_METRIC_INNER_PRODUCT, p), exact, s.k), 1e-3));
      }
    }
  }
  if (options.bench) {
    // 50k x 1M x 256 when it fits in a third of the memory, else fewer references.
    const int64_t d = 256, nq = 50000;
    const int64_t fit = static_cast<int64_t>(device.prop.totalGlobalMem / 3 / (d * sizeof(float)));
    const int64_t nr = std::min<int64_t>(1000000, fit);
    std::mt19937 rng(5);
    const auto q = normals(size_t(nq) * d, rng);
    const auto r = normals(size_t(nr) * d, rng);
    DeviceBuffer<float> dq(q.size()), dr(r.size());
    upload(dq.ptr, q);
    upload(dr.ptr, r);
    Options timing = options;
    timing.batches = std::min(options.batches, 5);
    timing.per_batch = 1;
    for (int k : options.knn_k) {
      DeviceBuffer<float> scores(size_t(nq) * k);
      DeviceBuffer<int64_t> ids(size_t(nq) * k);
      std::vector<int64_t> exact_ids;
      for (int p : {ISC_KNN_FP32, ISC_KNN_TF32, ISC_KNN_BF16}) {
        if (p != ISC_KNN_FP32 && device.prop.major < 8) continue;
        isc_knn_args a{};
        a.queries = dq.ptr, a.refs = dr.ptr, a.nq = nq, a.nr = nr, a.d = d, a.k = k, a.metric = ISC_METRIC_INNER_PRODUCT;
        a.precision = p, a.scores = scores.ptr, a.ids = ids.ptr;
        isc_status status{};
        size_t bytes = 0;
        isc_ok(isc_cuda_knn_workspace_size(&a, &bytes, &status), status);
        DeviceBuffer<unsigned char> ws(bytes);
        a.workspace = ws.ptr, a.workspace_bytes = bytes;
        Record rec;
        rec.kernel = "knn_search", rec.variant = std::string("ip-") + precision_name(p);
        rec.shape = KnnShape{nq, nr, d, k}.str();
        rec.flops = 2.0 * nq * nr * d;
        rec.median_us = median_launch_us([&](long) { isc_ok(isc_cuda_knn(&a, &status), status); }, timing, 0);
        records.push_back(rec);
        progress(rec);
        Result got{{}, download(ids.ptr, ids.count)};
        if (p == ISC_KNN_FP32) {
          exact_ids = got.ids;
        } else {
          Result exact{{}, exact_ids};
          records.push_back(check("knn_recall_miss", rec.variant, KnnShape{nq, nr, d, k}, missed(got, exact, k), 1e-3));
        }
      }
    }
  }
}

}  // namespace harness
