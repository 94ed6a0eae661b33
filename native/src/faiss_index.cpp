// libisc_faiss: Debian's static FAISS behind the C ABI of isc/faiss.h. FAISS reports errors by
// throwing faiss::FaissException; guarded() turns them into status messages.
#include <faiss/AutoTune.h>
#include <faiss/clone_index.h>
#include <faiss/Index.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <cstring>
#include <memory>

#include "isc/faiss.h"
#include "isc/knn.h"
#include "status.hpp"

#ifndef ISC_VERSION
#define ISC_VERSION "unknown"
#endif

struct isc_faiss_index {
  std::unique_ptr<faiss::Index> index;
};

namespace {

faiss::MetricType to_faiss(int32_t metric) {
  switch (metric) {
    case ISC_METRIC_INNER_PRODUCT: return faiss::METRIC_INNER_PRODUCT;
    case ISC_METRIC_L2: return faiss::METRIC_L2;
    default: isc::fail(ISC_INVALID_ARGUMENT, "unknown metric code %d", metric);
  }
}

const faiss::Index& require(const isc_faiss_index* index) {
  if (index == nullptr || !index->index) isc::fail(ISC_INVALID_ARGUMENT, "index is NULL");
  return *index->index;
}

faiss::Index& require(isc_faiss_index* index) {
  if (index == nullptr || !index->index) isc::fail(ISC_INVALID_ARGUMENT, "index is NULL");
  return *index->index;
}

void require_vectors(int64_t n, const float* x) {
  if (n < 0) isc::fail(ISC_INVALID_ARGUMENT, "n must be >= 0, got %lld", static_cast<long long>(n));
  if (n > 0 && x == nullptr) isc::fail(ISC_INVALID_ARGUMENT, "vectors are NULL");
}

// FAISS signals misuse (an untrained index, an unknown description, add_with_ids on an index
// without ids) with FaissException: report those as bad arguments, with FAISS's message.
template <class Body>
int32_t call(isc_status* status, const char* where, Body&& body) {
  return isc::guarded(status, where, [&] {
    try {
      body();
    } catch (const faiss::FaissException& e) {
      isc::fail(ISC_INVALID_ARGUMENT, "%s", e.msg.c_str());
    }
  });
}

}  // namespace

extern "C" {

int32_t isc_faiss_abi_version(void) { return ISC_ABI_VERSION; }

const char* isc_faiss_build_info(void) {
  static char info[128];
  std::snprintf(info, sizeof(info), "%s (FAISS %d.%d.%d)", ISC_VERSION, FAISS_VERSION_MAJOR, FAISS_VERSION_MINOR,
                FAISS_VERSION_PATCH);
  return info;
}

int32_t isc_faiss_index_factory(int32_t dim, const char* description, int32_t metric, isc_faiss_index** out,
                                isc_status* status) {
  return call(status, "isc_faiss_index_factory", [&] {
    if (out == nullptr) isc::fail(ISC_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    if (dim < 1) isc::fail(ISC_INVALID_ARGUMENT, "dim must be >= 1, got %d", dim);
    if (description == nullptr || description[0] == '\0') isc::fail(ISC_INVALID_ARGUMENT, "description is empty");
    auto holder = std::make_unique<isc_faiss_index>();
    holder->index.reset(faiss::index_factory(dim, description, to_faiss(metric)));
    *out = holder.release();
  });
}

void isc_faiss_free(isc_faiss_index* index) { delete index; }

int32_t isc_faiss_clone(const isc_faiss_index* index, isc_faiss_index** out, isc_status* status) {
  return call(status, "isc_faiss_clone", [&] {
    if (out == nullptr) isc::fail(ISC_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    auto holder = std::make_unique<isc_faiss_index>();
    holder->index.reset(faiss::clone_index(&require(index)));
    *out = holder.release();
  });
}

int32_t isc_faiss_dim(const isc_faiss_index* index) { return index && index->index ? index->index->d : 0; }

int32_t isc_faiss_metric(const isc_faiss_index* index) {
  return index && index->index && index->index->metric_type == faiss::METRIC_L2 ? ISC_METRIC_L2
                                                                               : ISC_METRIC_INNER_PRODUCT;
}

int64_t isc_faiss_ntotal(const isc_faiss_index* index) { return index && index->index ? index->index->ntotal : 0; }

int32_t isc_faiss_is_trained(const isc_faiss_index* index) {
  return index && index->index && index->index->is_trained ? 1 : 0;
}

int32_t isc_faiss_train(isc_faiss_index* index, int64_t n, const float* x, isc_status* status) {
  return call(status, "isc_faiss_train", [&] {
    faiss::Index& idx = require(index);
    require_vectors(n, x);
    idx.train(n, x);
  });
}

int32_t isc_faiss_add(isc_faiss_index* index, int64_t n, const float* x, const int64_t* ids, isc_status* status) {
  return call(status, "isc_faiss_add", [&] {
    faiss::Index& idx = require(index);
    require_vectors(n, x);
    if (!idx.is_trained) isc::fail(ISC_INVALID_ARGUMENT, "the index must be trained before vectors are added");
    if (ids == nullptr) {
      idx.add(n, x);
    } else {
      idx.add_with_ids(n, x, ids);
    }
  });
}

int32_t isc_faiss_search(const isc_faiss_index* index, int64_t n, const float* x, int32_t k, float* distances,
                         int64_t* ids, isc_status* status) {
  return call(status, "isc_faiss_search", [&] {
    const faiss::Index& idx = require(index);
    require_vectors(n, x);
    if (k < 1) isc::fail(ISC_INVALID_ARGUMENT, "k must be >= 1, got %d", k);
    if (n > 0 && (distances == nullptr || ids == nullptr)) isc::fail(ISC_INVALID_ARGUMENT, "outputs are NULL");
    idx.search(n, x, k, distances, ids);
  });
}

int32_t isc_faiss_range_search(const isc_faiss_index* index, int64_t n, const float* x, float radius,
                               isc_faiss_range** out, isc_status* status) {
  return call(status, "isc_faiss_range_search", [&] {
    if (out == nullptr) isc::fail(ISC_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    const faiss::Index& idx = require(index);
    require_vectors(n, x);
    faiss::RangeSearchResult result(n);
    idx.range_search(n, x, radius, &result);
    auto range = std::make_unique<isc_faiss_range>();
    const int64_t hits = static_cast<int64_t>(result.lims[n]);
    range->queries = n;
    range->lims = new int64_t[n + 1];
    range->ids = new int64_t[hits > 0 ? hits : 1];
    range->distances = new float[hits > 0 ? hits : 1];
    for (int64_t q = 0; q <= n; ++q) range->lims[q] = static_cast<int64_t>(result.lims[q]);
    std::memcpy(range->ids, result.labels, sizeof(int64_t) * hits);
    std::memcpy(range->distances, result.distances, sizeof(float) * hits);
    *out = range.release();
  });
}

void isc_faiss_range_free(isc_faiss_range* range) {
  if (range == nullptr) return;
  delete[] range->lims;
  delete[] range->ids;
  delete[] range->distances;
  delete range;
}

int32_t isc_faiss_set_parameter(isc_faiss_index* index, const char* name, double value, isc_status* status) {
  return call(status, "isc_faiss_set_parameter", [&] {
    faiss::Index& idx = require(index);
    if (name == nullptr || name[0] == '\0') isc::fail(ISC_INVALID_ARGUMENT, "parameter name is empty");
    faiss::ParameterSpace().set_index_parameter(&idx, name, value);
  });
}

int32_t isc_faiss_reset(isc_faiss_index* index, isc_status* status) {
  return call(status, "isc_faiss_reset", [&] { require(index).reset(); });
}

int32_t isc_faiss_remove(isc_faiss_index* index, int64_t n, const int64_t* ids, int64_t* removed,
                         isc_status* status) {
  return call(status, "isc_faiss_remove", [&] {
    if (index == nullptr || !index->index) isc::fail(ISC_INVALID_ARGUMENT, "index is NULL");
    if (n < 0 || (n > 0 && ids == nullptr)) isc::fail(ISC_INVALID_ARGUMENT, "ids are NULL or n < 0");
    if (removed == nullptr) isc::fail(ISC_INVALID_ARGUMENT, "removed is NULL");
    faiss::IDSelectorBatch selector(n, ids);
    *removed = static_cast<int64_t>(index->index->remove_ids(selector));
  });
}

int32_t isc_faiss_write(const isc_faiss_index* index, const char* path, isc_status* status) {
  return call(status, "isc_faiss_write", [&] {
    const faiss::Index& idx = require(index);
    if (path == nullptr || path[0] == '\0') isc::fail(ISC_INVALID_ARGUMENT, "path is empty");
    faiss::write_index(&idx, path);
  });
}

int32_t isc_faiss_read(const char* path, isc_faiss_index** out, isc_status* status) {
  return call(status, "isc_faiss_read", [&] {
    if (out == nullptr) isc::fail(ISC_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    if (path == nullptr || path[0] == '\0') isc::fail(ISC_INVALID_ARGUMENT, "path is empty");
    auto holder = std::make_unique<isc_faiss_index>();
    holder->index.reset(faiss::read_index(path));
    *out = holder.release();
  });
}

int32_t isc_faiss_set_num_threads(int32_t threads, isc_status* status) {
  return call(status, "isc_faiss_set_num_threads", [&] {
    if (threads < 1 || threads > 4096) isc::fail(ISC_INVALID_ARGUMENT, "threads must be in [1, 4096], got %d", threads);
    omp_set_num_threads(threads);
  });
}

int32_t isc_faiss_num_threads(void) { return omp_get_max_threads(); }

}  // extern "C"
