/*
 * Exact k-nearest-neighbour search of a block of queries against a block of references, with
 * the top-k kept per query while the references stream through (no score matrix is stored).
 *
 * Inner product ranks by q.r, highest first. L2 ranks by squared Euclidean distance, lowest
 * first. Equal scores are ordered by lower id. Ids are reference row numbers plus id_offset, so
 * a reference set larger than memory can be searched chunk by chunk: the first call writes the
 * result, later calls with accumulate = 1 merge their chunk into it.
 */
#ifndef ISC_KNN_H
#define ISC_KNN_H

#include "isc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ISC_KNN_MAX_K 1024

typedef enum isc_metric {
  ISC_METRIC_INNER_PRODUCT = 0,
  ISC_METRIC_L2 = 1
} isc_metric;

/* Arithmetic of the score computation. The reduced ones (CUDA, sm_80 and newer) select
 * `rerank` candidates per query that are then scored again exactly in fp32. */
typedef enum isc_knn_precision {
  ISC_KNN_FP32 = 0,
  ISC_KNN_TF32 = 1,
  ISC_KNN_BF16 = 2
} isc_knn_precision;

typedef struct isc_knn_args {
  const float* queries;   /* [nq, d] row-major, finite */
  const float* refs;      /* [nr, d] row-major, finite */
  int64_t nq;
  int64_t nr;
  int64_t d;
  int64_t id_offset;      /* added to reference row numbers in the ids written */
  int32_t k;              /* 1 <= k <= ISC_KNN_MAX_K; with fewer references, ids are -1 past them */
  int32_t metric;         /* isc_metric */
  int32_t precision;      /* isc_knn_precision; the CPU takes ISC_KNN_FP32 only */
  int32_t rerank;         /* reduced precision: candidates re-scored exactly (0: max(2k, k + 32)) */
  int32_t accumulate;     /* 1: scores/ids hold an earlier result to merge this chunk into */
  float* scores;          /* [nq, k]: inner products descending, or squared distances ascending */
  int64_t* ids;           /* [nq, k] */
  void* workspace;        /* CUDA: device scratch of isc_cuda_knn_workspace_size() bytes */
  size_t workspace_bytes;
  void* stream;           /* CUDA stream (NULL: default stream); ignored on CPU */
} isc_knn_args;

ISC_API int32_t isc_cpu_knn(const isc_knn_args* args, isc_status* status);

ISC_API int32_t isc_cuda_knn(const isc_knn_args* args, isc_status* status);
ISC_API int32_t isc_cuda_knn_workspace_size(const isc_knn_args* args, size_t* bytes, isc_status* status);

#ifdef __cplusplus
}
#endif

#endif /* ISC_KNN_H */
