/*
 * Contrastive loss against a memory bank, with the semantics of pytorch-metric-learning's
 * CrossBatchMemory(ContrastiveLoss(pos_margin, neg_margin)) as trained by the ISC21
 * descriptor-track winner:
 *
 *   - the batch is first enqueued into the bank's ring buffer: row slots[i] receives the
 *     L2-normalised embedding i (detached) and its label;
 *   - every batch item i is compared with every bank row j < memory_rows, at distance
 *     d = ||x_i/|x_i| - m_j||, computed as sqrt(max(|x^|^2 + |m|^2 - 2 x^.m, 0));
 *   - (i, j) is a positive pair when the labels are equal and j != slots[i] (no self
 *     comparison), a negative pair otherwise;
 *   - loss = mean over positives with d > pos_margin of (d - pos_margin)
 *          + mean over negatives with d < neg_margin of (neg_margin - d),
 *     each mean taken over its non-zero terms only (0 when there are none).
 *
 * Gradients flow into the batch embeddings only (bank rows are constants).
 */
#ifndef ISC_CONTRASTIVE_H
#define ISC_CONTRASTIVE_H

#include "isc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Layout of the stats output. */
enum {
  ISC_CONTRASTIVE_LOSS = 0,
  ISC_CONTRASTIVE_POS_LOSS = 1,
  ISC_CONTRASTIVE_NEG_LOSS = 2,
  ISC_CONTRASTIVE_ACTIVE_POS = 3, /* positive pairs with a non-zero term */
  ISC_CONTRASTIVE_ACTIVE_NEG = 4,
  ISC_CONTRASTIVE_POS_PAIRS = 5,  /* all positive pairs */
  ISC_CONTRASTIVE_NEG_PAIRS = 6,
  ISC_CONTRASTIVE_STATS = 7
};

typedef struct isc_contrastive_args {
  const float* embeddings;     /* [batch, dim] as the model produced them */
  const int64_t* labels;       /* [batch] */
  float* memory;               /* [memory_size, dim] unit rows; forward writes the batch in */
  int64_t* memory_labels;      /* [memory_size] */
  const int64_t* slots;        /* [batch] bank row of each batch item, distinct */
  int64_t batch;
  int64_t dim;
  int64_t memory_size;
  int64_t memory_rows;         /* rows 0..memory_rows-1 are compared against (after the enqueue) */
  float pos_margin;
  float neg_margin;
  float* distances;            /* [batch, memory_rows]: forward writes, backward reads */
  double* stats;               /* [ISC_CONTRASTIVE_STATS]: forward writes, backward reads */
  float* grad_embeddings;      /* backward: [batch, dim] */
  const float* grad_loss;      /* backward: dL/dloss, one float */
  void* workspace;             /* CUDA: device scratch of isc_cuda_contrastive_workspace_size() bytes */
  size_t workspace_bytes;
  void* stream;                /* CUDA stream; ignored on CPU */
} isc_contrastive_args;

ISC_API int32_t isc_cpu_contrastive_forward(const isc_contrastive_args* args, isc_status* status);
ISC_API int32_t isc_cpu_contrastive_backward(const isc_contrastive_args* args, isc_status* status);

/* CUDA: every pointer is device memory, and both passes need `workspace`. */
ISC_API int32_t isc_cuda_contrastive_forward(const isc_contrastive_args* args, isc_status* status);
ISC_API int32_t isc_cuda_contrastive_backward(const isc_contrastive_args* args, isc_status* status);
ISC_API int32_t isc_cuda_contrastive_workspace_size(const isc_contrastive_args* args, size_t* bytes,
                                                    isc_status* status);

#ifdef __cplusplus
}
#endif

#endif /* ISC_CONTRASTIVE_H */
