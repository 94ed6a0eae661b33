// libisc_faiss: Debian's static FAISS behind the C ABI of isc/faiss.h. FAISS reports errors by
// throwing faiss::FaissException; guarded() turns them into status messages.
#include <faiss/AutoTune.h>
#include <faiss/clone_index.h>
#include <faiss/Index.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/index_factory.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/invlists/InvertedLists.h>
#include <fcntl.h>
#include <omp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

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

// ---- Reading index files ----
// FAISS's reader trusts the counts it reads: it allocates what a count claims before reading the
// bytes, and an IDMap2 whose ntotal exceeds its id map reads past the map while building the
// reverse map. So the formats the store writes (flat, IDMap and IDMap2 over any index, IVFFlat)
// are walked first with every count checked against the bytes the file still holds, the id maps
// are read here, and the loaded index is checked for consistency. Other index types go to FAISS's
// reader as they are, which checks what it checks.

constexpr uint32_t fourcc(const char (&s)[5]) {
  return uint32_t(uint8_t(s[0])) | uint32_t(uint8_t(s[1])) << 8 | uint32_t(uint8_t(s[2])) << 16 |
         uint32_t(uint8_t(s[3])) << 24;
}

constexpr int kMaxNesting = 8;
using u64 = unsigned long long;

// The file, read with pread at checked offsets.
class IndexFile {
 public:
  explicit IndexFile(const char* path) : fd_(::open(path, O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) isc::fail(ISC_INVALID_ARGUMENT, "cannot open %s: %s", path, std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      const int err = errno;
      ::close(fd_);
      isc::fail(ISC_INTERNAL, "cannot stat %s: %s", path, std::strerror(err));
    }
    size_ = static_cast<uint64_t>(st.st_size);
  }
  IndexFile(const IndexFile&) = delete;
  IndexFile& operator=(const IndexFile&) = delete;
  ~IndexFile() { ::close(fd_); }

  uint64_t size() const { return size_; }

  // Reads bytes the caller has checked are inside the file.
  void read(uint64_t offset, void* out, uint64_t bytes) const {
    auto* p = static_cast<char*>(out);
    while (bytes > 0) {
      const ssize_t n = ::pread(fd_, p, static_cast<size_t>(std::min<uint64_t>(bytes, 1u << 30)), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) isc::fail(ISC_INTERNAL, "read error at byte %llu: %s", u64(offset), std::strerror(errno));
      if (n == 0) isc::fail(ISC_CORRUPT_DATA, "the file ends at byte %llu while it was read", u64(offset));
      p += n;
      offset += static_cast<uint64_t>(n);
      bytes -= static_cast<uint64_t>(n);
    }
  }

 private:
  int fd_;
  uint64_t size_ = 0;
};

// A position in the file; every read and skip is checked against the bytes that remain.
class Cursor {
 public:
  explicit Cursor(const IndexFile& file) : file_(&file) {}

  uint64_t pos() const { return pos_; }
  uint64_t left() const { return file_->size() - pos_; }
  void seek(uint64_t pos) { pos_ = pos; }

  void need(uint64_t bytes, const char* what) const {
    if (bytes > left()) {
      isc::fail(ISC_CORRUPT_DATA, "byte %llu: %s needs %llu bytes, the file has %llu left", u64(pos_), what, u64(bytes),
                u64(left()));
    }
  }

  void read(void* out, uint64_t bytes, const char* what) {
    need(bytes, what);
    file_->read(pos_, out, bytes);
    pos_ += bytes;
  }

  template <class T>
  T get(const char* what) {
    T value{};
    read(&value, sizeof(T), what);
    return value;
  }

  uint32_t peek_fourcc() {
    const uint64_t at = pos_;
    const uint32_t h = get<uint32_t>("index type");
    pos_ = at;
    return h;
  }

  void skip(uint64_t bytes, const char* what) {
    need(bytes, what);
    pos_ += bytes;
  }

  // A count of elements of element_bytes each that must follow in the file.
  uint64_t count(uint64_t element_bytes, const char* what) {
    const uint64_t at = pos_;
    const uint64_t n = get<uint64_t>(what);
    if (n > left() / element_bytes) {
      isc::fail(ISC_CORRUPT_DATA, "byte %llu: %s claims %llu entries of %llu bytes, the file has %llu bytes left", u64(at),
                what, u64(n), u64(element_bytes), u64(left()));
    }
    return n;
  }

 private:
  const IndexFile* file_;
  uint64_t pos_ = 0;
};

// FAISS's reader over the file from a cursor's position, never past its end.
struct CursorReader : faiss::IOReader {
  explicit CursorReader(Cursor& cursor) : cursor(cursor) { name = "index file"; }
  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0 || nitems == 0) return 0;
    const uint64_t n = std::min<uint64_t>(nitems, cursor.left() / size);
    cursor.read(ptr, n * size, "data");
    return static_cast<size_t>(n);
  }
  Cursor& cursor;
};

// The fields of read_index_header.
struct Header {
  int32_t d = 0;
  int64_t ntotal = 0;
  bool trained = false;
  int32_t metric = 0;
  float metric_arg = 0;
};

Header read_header(Cursor& c, const char* type) {
  const uint64_t at = c.pos();
  Header h;
  h.d = c.get<int32_t>("index header");
  h.ntotal = c.get<int64_t>("index header");
  c.skip(16, "index header");
  const auto trained = c.get<uint8_t>("index header");
  h.metric = c.get<int32_t>("index header");
  if (h.metric > 1) h.metric_arg = c.get<float>("metric argument");
  if (h.d < 1) isc::fail(ISC_CORRUPT_DATA, "byte %llu: %s of dimension %d", u64(at), type, h.d);
  if (h.ntotal < 0) isc::fail(ISC_CORRUPT_DATA, "byte %llu: %s of %lld vectors", u64(at), type, static_cast<long long>(h.ntotal));
  if (trained > 1) isc::fail(ISC_CORRUPT_DATA, "byte %llu: %s: is_trained is %d", u64(at), type, trained);
  if (h.metric < faiss::METRIC_INNER_PRODUCT || (h.metric > faiss::METRIC_Lp && h.metric < faiss::METRIC_Canberra) ||
      h.metric > faiss::METRIC_JensenShannon) {
    isc::fail(ISC_CORRUPT_DATA, "byte %llu: %s: unknown metric type %d", u64(at), type, h.metric);
  }
  h.trained = trained != 0;
  return h;
}

bool is_flat(uint32_t h) { return h == fourcc("IxFI") || h == fourcc("IxF2") || h == fourcc("IxFl"); }
bool is_id_map(uint32_t h) { return h == fourcc("IxMp") || h == fourcc("IxM2"); }

// Walks a serialized flat or IVFFlat index, checking every count against the bytes that remain
// before FAISS's reader allocates for it. Returns false at a type it does not know; *out gets the
// header of the index walked.
bool check_layout(Cursor& c, int depth, Header* out) {
  if (depth > kMaxNesting) isc::fail(ISC_CORRUPT_DATA, "byte %llu: indexes nested deeper than %d", u64(c.pos()), kMaxNesting);
  const uint32_t h = c.get<uint32_t>("index type");
  if (is_flat(h)) {
    const Header hd = read_header(c, "flat index");
    const uint64_t at = c.pos();
    const uint64_t floats = c.count(sizeof(float), "flat index vectors");
    if (floats / hd.d != static_cast<uint64_t>(hd.ntotal) || floats % hd.d != 0) {
      isc::fail(ISC_CORRUPT_DATA, "byte %llu: a flat index of %lld %d-d vectors holds %llu floats", u64(at),
                static_cast<long long>(hd.ntotal), hd.d, u64(floats));
    }
    c.skip(floats * sizeof(float), "flat index vectors");
    *out = hd;
    return true;
  }
  if (h != fourcc("IwFl")) return false;
  const Header hd = read_header(c, "IVFFlat index");
  const uint64_t nlist = c.get<uint64_t>("IVF lists");
  c.skip(sizeof(uint64_t), "IVF nprobe");
  const uint64_t quantizer_at = c.pos();
  Header q;
  if (!check_layout(c, depth + 1, &q)) return false;
  if (q.d != hd.d || static_cast<uint64_t>(q.ntotal) != nlist) {
    isc::fail(ISC_CORRUPT_DATA, "byte %llu: an IVF index of %llu lists of %d-d vectors has a quantizer of %lld %d-d centroids",
              u64(quantizer_at), u64(nlist), hd.d, static_cast<long long>(q.ntotal), q.d);
  }
  // The direct map: its type, an array (one entry per vector, or none), and a hash table's pairs.
  const uint64_t map_at = c.pos();
  const auto map_type = c.get<uint8_t>("IVF direct map");
  const uint64_t array = c.count(sizeof(int64_t), "IVF direct map");
  const uint64_t expected = map_type == faiss::DirectMap::Array ? static_cast<uint64_t>(hd.ntotal) : 0;
  if (map_type > faiss::DirectMap::Hashtable || array != expected) {
    isc::fail(ISC_CORRUPT_DATA, "byte %llu: an IVF direct map of type %d with %llu entries for %lld vectors", u64(map_at),
              map_type, u64(array), static_cast<long long>(hd.ntotal));
  }
  c.skip(array * sizeof(int64_t), "IVF direct map");
  if (map_type == faiss::DirectMap::Hashtable) {
    const uint64_t pairs = c.count(2 * sizeof(int64_t), "IVF direct map");
    c.skip(pairs * 2 * sizeof(int64_t), "IVF direct map");
  }
  // The inverted lists: "ilar", nlist, the code size, the list sizes ("full" or "sprs"), then each
  // list's codes and ids.
  const uint64_t lists_at = c.pos();
  if (c.get<uint32_t>("IVF lists") != fourcc("ilar")) return false;
  const uint64_t lists = c.get<uint64_t>("IVF lists");
  const uint64_t code_size = c.get<uint64_t>("IVF lists");
  if (lists != nlist || code_size != static_cast<uint64_t>(hd.d) * sizeof(float)) {
    isc::fail(ISC_CORRUPT_DATA, "byte %llu: %llu inverted lists of %llu-byte codes for an IVFFlat index of %llu %d-d lists",
              u64(lists_at), u64(lists), u64(code_size), u64(nlist), hd.d);
  }
  std::vector<uint64_t> sizes;
  const uint64_t sizes_at = c.pos();
  const uint32_t kind = c.get<uint32_t>("IVF list sizes");
  if (kind == fourcc("full")) {
    const uint64_t n = c.count(sizeof(uint64_t), "IVF list sizes");
    if (n != nlist) isc::fail(ISC_CORRUPT_DATA, "byte %llu: %llu list sizes for %llu lists", u64(sizes_at), u64(n), u64(nlist));
    sizes.resize(n);
    c.read(sizes.data(), n * sizeof(uint64_t), "IVF list sizes");
  } else if (kind == fourcc("sprs")) {
    const uint64_t n = c.count(sizeof(uint64_t), "IVF list sizes");
    if (n % 2 != 0) isc::fail(ISC_CORRUPT_DATA, "byte %llu: an odd count (%llu) of list numbers and sizes", u64(sizes_at), u64(n));
    std::vector<uint64_t> pairs(n);
    c.read(pairs.data(), n * sizeof(uint64_t), "IVF list sizes");
    sizes.assign(nlist, 0);  // nlist is the quantizer's centroid count, which the file holds
    for (uint64_t j = 0; j < n; j += 2) {
      if (pairs[j] >= nlist) isc::fail(ISC_CORRUPT_DATA, "byte %llu: list number %llu of %llu", u64(sizes_at), u64(pairs[j]), u64(nlist));
      sizes[pairs[j]] = pairs[j + 1];
    }
  } else {
    isc::fail(ISC_CORRUPT_DATA, "byte %llu: unknown kind of IVF list sizes", u64(sizes_at));
  }
  uint64_t total = 0;
  for (uint64_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] > c.left() / (code_size + sizeof(int64_t))) {
      isc::fail(ISC_CORRUPT_DATA, "byte %llu: IVF list %llu claims %llu vectors, the file has %llu bytes left", u64(c.pos()),
                u64(i), u64(sizes[i]), u64(c.left()));
    }
    c.skip(sizes[i] * (code_size + sizeof(int64_t)), "IVF list");
    total += sizes[i];
  }
  if (total != static_cast<uint64_t>(hd.ntotal)) {
    isc::fail(ISC_CORRUPT_DATA, "byte %llu: IVF lists of %llu vectors in an index of %lld", u64(lists_at), u64(total),
              static_cast<long long>(hd.ntotal));
  }
  *out = hd;
  return true;
}

// What FAISS's reader cannot be relied on to have checked in the index it built.
void check_loaded(const faiss::Index& index) {
  if (index.d < 1 || index.ntotal < 0) {
    isc::fail(ISC_CORRUPT_DATA, "an index of %lld vectors of dimension %d", static_cast<long long>(index.ntotal), index.d);
  }
  if (const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(&index)) {
    if (ivf->quantizer == nullptr || ivf->invlists == nullptr) isc::fail(ISC_CORRUPT_DATA, "an IVF index without its lists");
    if (ivf->quantizer->d != ivf->d || static_cast<size_t>(ivf->quantizer->ntotal) != ivf->nlist ||
        ivf->invlists->nlist != ivf->nlist) {
      isc::fail(ISC_CORRUPT_DATA, "an IVF index of %zu lists with %zu inverted lists and a quantizer of %lld centroids",
                ivf->nlist, ivf->invlists->nlist, static_cast<long long>(ivf->quantizer->ntotal));
    }
    uint64_t total = 0;
    for (size_t i = 0; i < ivf->nlist; ++i) total += ivf->invlists->list_size(i);
    if (total != static_cast<uint64_t>(ivf->ntotal)) {
      isc::fail(ISC_CORRUPT_DATA, "IVF lists of %llu vectors in an index of %lld", u64(total),
                static_cast<long long>(ivf->ntotal));
    }
  }
}

std::unique_ptr<faiss::Index> load_index(Cursor& c, int depth) {
  if (depth > kMaxNesting) isc::fail(ISC_CORRUPT_DATA, "byte %llu: indexes nested deeper than %d", u64(c.pos()), kMaxNesting);
  const uint64_t at = c.pos();
  const uint32_t h = c.peek_fourcc();
  if (!is_id_map(h)) {
    Cursor probe = c;
    Header unused;
    check_layout(probe, depth, &unused);
    CursorReader reader(c);
    std::unique_ptr<faiss::Index> index(faiss::read_index(&reader));
    check_loaded(*index);
    return index;
  }
  c.skip(4, "index type");
  const Header hd = read_header(c, "IDMap");
  std::unique_ptr<faiss::Index> inner = load_index(c, depth + 1);
  if (inner->d != hd.d || inner->ntotal != hd.ntotal || inner->metric_type != hd.metric) {
    isc::fail(ISC_CORRUPT_DATA, "byte %llu: an IDMap of %lld %d-d vectors (metric %d) over an index of %lld %d-d vectors (metric %d)",
              u64(at), static_cast<long long>(hd.ntotal), hd.d, hd.metric, static_cast<long long>(inner->ntotal), inner->d,
              static_cast<int>(inner->metric_type));
  }
  const uint64_t ids_at = c.pos();
  const uint64_t n = c.count(sizeof(int64_t), "id map");
  if (n != static_cast<uint64_t>(hd.ntotal)) {
    isc::fail(ISC_CORRUPT_DATA, "byte %llu: an id map of %llu ids for %lld vectors", u64(ids_at), u64(n),
              static_cast<long long>(hd.ntotal));
  }
  const bool map2 = h == fourcc("IxM2");
  std::unique_ptr<faiss::IndexIDMap> map(map2 ? new faiss::IndexIDMap2() : new faiss::IndexIDMap());
  map->id_map.resize(n);
  c.read(map->id_map.data(), n * sizeof(int64_t), "id map");
  map->d = hd.d;
  map->ntotal = hd.ntotal;
  map->is_trained = hd.trained;
  map->metric_type = static_cast<faiss::MetricType>(hd.metric);
  map->metric_arg = hd.metric_arg;
  map->verbose = false;
  map->index = inner.release();
  map->own_fields = true;
  if (map2) {
    auto& rev = static_cast<faiss::IndexIDMap2&>(*map);
    rev.construct_rev_map();
    if (rev.rev_map.size() != n) {
      isc::fail(ISC_CORRUPT_DATA, "byte %llu: the IDMap2's %llu ids hold %llu distinct ones", u64(ids_at), u64(n),
                u64(rev.rev_map.size()));
    }
  }
  return map;
}

std::unique_ptr<faiss::Index> read_index_file(const char* path) {
  IndexFile file(path);
  if (file.size() == 0) isc::fail(ISC_CORRUPT_DATA, "the file is empty");
  Cursor c(file);
  std::unique_ptr<faiss::Index> index = load_index(c, 0);
  if (c.left() != 0) {
    isc::fail(ISC_CORRUPT_DATA, "the index ends at byte %llu of %llu", u64(c.pos()), u64(file.size()));
  }
  return index;
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
  return isc::guarded(status, "isc_faiss_read", [&] {
    if (out == nullptr) isc::fail(ISC_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    if (path == nullptr || path[0] == '\0') isc::fail(ISC_INVALID_ARGUMENT, "path is empty");
    auto holder = std::make_unique<isc_faiss_index>();
    try {
      holder->index = read_index_file(path);
    } catch (const faiss::FaissException& e) {  // FAISS's reader refused the bytes
      isc::fail(ISC_CORRUPT_DATA, "%s", e.msg.c_str());
    }
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
