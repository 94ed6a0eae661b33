/*
 * FAISS (Debian's libfaiss, linked statically into libisc_faiss) behind a C ABI: indexes built
 * from index_factory strings, trained, filled, searched, written and read. An isc_faiss_index
 * is owned by the caller and released with isc_faiss_free; it is not safe to modify from two
 * threads at once (searches may run concurrently).
 */
#ifndef ISC_FAISS_H
#define ISC_FAISS_H

#include "isc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct isc_faiss_index isc_faiss_index;

/* Range-search result: for query q, hits lims[q] .. lims[q+1]-1 of ids/distances. */
typedef struct isc_faiss_range {
  int64_t queries;
  int64_t* lims;        /* [queries + 1] */
  int64_t* ids;         /* [lims[queries]] */
  float* distances;     /* [lims[queries]] */
} isc_faiss_range;

ISC_API int32_t isc_faiss_abi_version(void);
ISC_API const char* isc_faiss_build_info(void);

/* metric: isc_metric (inner product or L2). */
ISC_API int32_t isc_faiss_index_factory(int32_t dim, const char* description, int32_t metric,
                                        isc_faiss_index** out, isc_status* status);
ISC_API void isc_faiss_free(isc_faiss_index* index);
/* A deep copy of the index (faiss::clone_index), owned by the caller. */
ISC_API int32_t isc_faiss_clone(const isc_faiss_index* index, isc_faiss_index** out, isc_status* status);

ISC_API int32_t isc_faiss_dim(const isc_faiss_index* index);
ISC_API int32_t isc_faiss_metric(const isc_faiss_index* index);
ISC_API int64_t isc_faiss_ntotal(const isc_faiss_index* index);
ISC_API int32_t isc_faiss_is_trained(const isc_faiss_index* index);

ISC_API int32_t isc_faiss_train(isc_faiss_index* index, int64_t n, const float* x, isc_status* status);
/* ids NULL: sequential ids; otherwise add_with_ids (the index must support it, e.g. "IDMap,Flat"). */
ISC_API int32_t isc_faiss_add(isc_faiss_index* index, int64_t n, const float* x, const int64_t* ids,
                              isc_status* status);
/* distances/ids: [n, k]; ids -1 where fewer than k results exist. */
ISC_API int32_t isc_faiss_search(const isc_faiss_index* index, int64_t n, const float* x, int32_t k,
                                 float* distances, int64_t* ids, isc_status* status);
/* Inner product: hits with similarity > radius; L2: squared distance < radius. */
ISC_API int32_t isc_faiss_range_search(const isc_faiss_index* index, int64_t n, const float* x, float radius,
                                       isc_faiss_range** out, isc_status* status);
ISC_API void isc_faiss_range_free(isc_faiss_range* range);

/* Sets a search-time parameter through faiss::ParameterSpace, e.g. "nprobe" or "efSearch". */
ISC_API int32_t isc_faiss_set_parameter(isc_faiss_index* index, const char* name, double value,
                                        isc_status* status);
ISC_API int32_t isc_faiss_reset(isc_faiss_index* index, isc_status* status);
/* Removes the vectors with these ids (faiss remove_ids; an IDMap keeps the other ids): *removed
 * is how many went. Indexes without removal (HNSW) report FAISS's error. */
ISC_API int32_t isc_faiss_remove(isc_faiss_index* index, int64_t n, const int64_t* ids, int64_t* removed,
                                 isc_status* status);

ISC_API int32_t isc_faiss_write(const isc_faiss_index* index, const char* path, isc_status* status);
/* Reads an index written by isc_faiss_write. A damaged file is ISC_CORRUPT_DATA: the counts in
 * the formats of flat, IDMap, IDMap2 and IVFFlat indexes are checked against the bytes the file
 * holds before anything is allocated for them, and the loaded index must be consistent (an id map
 * as long as the index, without duplicates in an IDMap2; IVF lists that hold ntotal vectors). */
ISC_API int32_t isc_faiss_read(const char* path, isc_faiss_index** out, isc_status* status);

/* Threads FAISS uses (OpenMP). */
ISC_API int32_t isc_faiss_set_num_threads(int32_t threads, isc_status* status);
ISC_API int32_t isc_faiss_num_threads(void);

#ifdef __cplusplus
}
#endif

#endif /* ISC_FAISS_H */
