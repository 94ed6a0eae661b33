/*
 * Generalized-mean (GeM) pooling over the spatial positions of an NCHW tensor:
 *
 *   y[n,c] = ( mean_hw( max(x[n,c,h,w], eps)^p ) )^(1/p)
 *
 * The input is contiguous, viewed as rows = n*c rows of hw = h*w elements. Intermediate sums
 * are fp32 whatever the storage type. The backward pass gives dL/dx and, optionally, the
 * contribution of every row to dL/dp; summing those rows gives the gradient of a scalar p.
 * The gradient of the clamp follows PyTorch: it passes where x >= eps.
 */
#ifndef ISC_GEM_H
#define ISC_GEM_H

#include "isc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Accepted range of p: 1 is average pooling, larger p moves towards max pooling. */
#define ISC_GEM_MIN_P 1.0f
#define ISC_GEM_MAX_P 16.0f

typedef struct isc_gem_forward_args {
  const void* x;  /* [rows, hw], dtype */
  void* y;        /* [rows], dtype */
  int64_t rows;   /* n * c */
  int64_t hw;     /* h * w */
  int32_t dtype;  /* isc_dtype; the CPU library accepts ISC_FLOAT32 only */
  float p;        /* 1 <= p <= 16 */
  float eps;      /* > 0 */
  void* stream;   /* cudaStream_t for CUDA (NULL: default stream); ignored on CPU */
} isc_gem_forward_args;

typedef struct isc_gem_backward_args {
  const void* x;       /* forward input [rows, hw], dtype */
  const void* y;       /* forward output [rows], dtype */
  const void* grad_y;  /* dL/dy [rows], dtype */
  void* grad_x;        /* dL/dx [rows, hw], dtype; NULL to skip */
  float* grad_p_rows;  /* [rows] fp32: g[r] * dy[r]/dp; NULL to skip */
  int64_t rows;
  int64_t hw;
  int32_t dtype;
  float p;
  float eps;
  void* stream;
} isc_gem_backward_args;

ISC_API int32_t isc_cpu_gem_forward(const isc_gem_forward_args* args, isc_status* status);
ISC_API int32_t isc_cpu_gem_backward(const isc_gem_backward_args* args, isc_status* status);

ISC_API int32_t isc_cuda_gem_forward(const isc_gem_forward_args* args, isc_status* status);
ISC_API int32_t isc_cuda_gem_backward(const isc_gem_backward_args* args, isc_status* status);

#ifdef __cplusplus
}
#endif

#endif /* ISC_GEM_H */
