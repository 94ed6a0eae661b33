package org.iscengine.kernels.binding;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.MemberGetter;
import org.bytedeco.javacpp.annotation.MemberSetter;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The structs of the native C ABI ({@code native/include/isc/}), shared by the CPU and CUDA
 * libraries. Setters return {@code this} so arguments read as one expression.
 */
@Platform(include = {"isc/common.h", "isc/gem.h", "isc/knn.h", "isc/contrastive.h", "isc/cuda.h"})
public final class IscAbi {
  static {
    Loader.load();
  }

  private IscAbi() {}

  /** {@code ISC_ABI_VERSION}: the ABI these bindings were written for. */
  public static final int ABI_VERSION = 1;

  /** Status codes of {@code isc_code}. */
  public static final int OK = 0;
  public static final int INVALID_ARGUMENT = 1;
  public static final int UNSUPPORTED = 2;
  public static final int OUT_OF_MEMORY = 3;
  public static final int DEVICE_ERROR = 4;
  public static final int INTERNAL = 5;
  public static final int CORRUPT_DATA = 6;

  /** Element types of {@code isc_dtype}. */
  public static final int FLOAT32 = 0;
  public static final int FLOAT16 = 1;
  public static final int BFLOAT16 = 2;

  /** {@code isc_status}: the code and message of a failed call. */
  @Name("isc_status")
  public static class Status extends Pointer {
    static {
      Loader.load();
    }

    public Status() {
      super((Pointer) null);
      allocate();
    }

    private native void allocate();

    @MemberGetter
    public native int code();

    @MemberGetter
    @Cast("const char*")
    public native BytePointer message();
  }

  /** {@code isc_gem_forward_args}. */
  @Name("isc_gem_forward_args")
  public static class GemForwardArgs extends Pointer {
    static {
      Loader.load();
    }

    public GemForwardArgs() {
      super((Pointer) null);
      allocate();
    }

    private native void allocate();

    @MemberSetter
    public native GemForwardArgs x(@Const Pointer x);

    @MemberSetter
    public native GemForwardArgs y(Pointer y);

    @MemberSetter
    public native GemForwardArgs rows(@Cast("int64_t") long rows);

    @MemberSetter
    public native GemForwardArgs hw(@Cast("int64_t") long hw);

    @MemberSetter
    public native GemForwardArgs dtype(int dtype);

    @MemberSetter
    public native GemForwardArgs p(float p);

    @MemberSetter
    public native GemForwardArgs eps(float eps);

    @MemberSetter
    public native GemForwardArgs stream(Pointer stream);
  }

  /** {@code isc_gem_backward_args}. */
  @Name("isc_gem_backward_args")
  public static class GemBackwardArgs extends Pointer {
    static {
      Loader.load();
    }

    public GemBackwardArgs() {
      super((Pointer) null);
      allocate();
    }

    private native void allocate();

    @MemberSetter
    public native GemBackwardArgs x(@Const Pointer x);

    @MemberSetter
    public native GemBackwardArgs y(@Const Pointer y);

    @MemberSetter
    public native GemBackwardArgs grad_y(@Const Pointer gradY);

    @MemberSetter
    public native GemBackwardArgs grad_x(Pointer gradX);

    @MemberSetter
    public native GemBackwardArgs grad_p_rows(FloatPointer gradPRows);

    @MemberSetter
    public native GemBackwardArgs rows(@Cast("int64_t") long rows);

    @MemberSetter
    public native GemBackwardArgs hw(@Cast("int64_t") long hw);

    @MemberSetter
    public native GemBackwardArgs dtype(int dtype);

    @MemberSetter
    public native GemBackwardArgs p(float p);

    @MemberSetter
    public native GemBackwardArgs eps(float eps);

    @MemberSetter
    public native GemBackwardArgs stream(Pointer stream);
  }

  /** Metrics of {@code isc_metric}. */
  public static final int METRIC_INNER_PRODUCT = 0;
  public static final int METRIC_L2 = 1;

  /** Precisions of {@code isc_knn_precision}. */
  public static final int KNN_FP32 = 0;
  public static final int KNN_TF32 = 1;
  public static final int KNN_BF16 = 2;

  public static final int KNN_MAX_K = 1024;

  /** Layout of the contrastive loss statistics ({@code ISC_CONTRASTIVE_*}). */
  public static final int CONTRASTIVE_LOSS = 0;
  public static final int CONTRASTIVE_POS_LOSS = 1;
  public static final int CONTRASTIVE_NEG_LOSS = 2;
  public static final int CONTRASTIVE_ACTIVE_POS = 3;
  public static final int CONTRASTIVE_ACTIVE_NEG = 4;
  public static final int CONTRASTIVE_POS_PAIRS = 5;
  public static final int CONTRASTIVE_NEG_PAIRS = 6;
  public static final int CONTRASTIVE_STATS = 7;

  /** {@code isc_knn_args}. */
  @Name("isc_knn_args")
  public static class KnnArgs extends Pointer {
    static {
      Loader.load();
    }

    public KnnArgs() {
      super((Pointer) null);
      allocate();
    }

    private native void allocate();

    @MemberSetter
    public native KnnArgs queries(@Const FloatPointer queries);

    @MemberSetter
    public native KnnArgs refs(@Const FloatPointer refs);

    @MemberSetter
    public native KnnArgs nq(@Cast("int64_t") long nq);

    @MemberSetter
    public native KnnArgs nr(@Cast("int64_t") long nr);

    @MemberSetter
    public native KnnArgs d(@Cast("int64_t") long d);

    @MemberSetter
    public native KnnArgs id_offset(@Cast("int64_t") long idOffset);

    @MemberSetter
    public native KnnArgs k(int k);

    @MemberSetter
    public native KnnArgs metric(int metric);

    @MemberSetter
    public native KnnArgs precision(int precision);

    @MemberSetter
    public native KnnArgs rerank(int rerank);

    @MemberSetter
    public native KnnArgs accumulate(int accumulate);

    @MemberSetter
    public native KnnArgs scores(FloatPointer scores);

    @MemberSetter
    public native KnnArgs ids(@Cast("int64_t*") LongPointer ids);

    @MemberSetter
    public native KnnArgs workspace(Pointer workspace);

    @MemberSetter
    public native KnnArgs workspace_bytes(@Cast("size_t") long bytes);

    @MemberSetter
    public native KnnArgs stream(Pointer stream);
  }

  /** {@code isc_contrastive_args}. */
  @Name("isc_contrastive_args")
  public static class ContrastiveArgs extends Pointer {
    static {
      Loader.load();
    }

    public ContrastiveArgs() {
      super((Pointer) null);
      allocate();
    }

    private native void allocate();

    @MemberSetter
    public native ContrastiveArgs embeddings(@Const FloatPointer embeddings);

    @MemberSetter
    public native ContrastiveArgs labels(@Cast("const int64_t*") LongPointer labels);

    @MemberSetter
    public native ContrastiveArgs memory(FloatPointer memory);

    @MemberSetter
    public native ContrastiveArgs memory_labels(@Cast("int64_t*") LongPointer memoryLabels);

    @MemberSetter
    public native ContrastiveArgs slots(@Cast("const int64_t*") LongPointer slots);

    @MemberSetter
    public native ContrastiveArgs batch(@Cast("int64_t") long batch);

    @MemberSetter
    public native ContrastiveArgs dim(@Cast("int64_t") long dim);

    @MemberSetter
    public native ContrastiveArgs memory_size(@Cast("int64_t") long memorySize);

    @MemberSetter
    public native ContrastiveArgs memory_rows(@Cast("int64_t") long memoryRows);

    @MemberSetter
    public native ContrastiveArgs pos_margin(float posMargin);

    @MemberSetter
    public native ContrastiveArgs neg_margin(float negMargin);

    @MemberSetter
    public native ContrastiveArgs distances(FloatPointer distances);

    @MemberSetter
    public native ContrastiveArgs stats(DoublePointer stats);

    @MemberSetter
    public native ContrastiveArgs grad_embeddings(FloatPointer gradEmbeddings);

    @MemberSetter
    public native ContrastiveArgs grad_loss(@Const FloatPointer gradLoss);

    @MemberSetter
    public native ContrastiveArgs workspace(Pointer workspace);

    @MemberSetter
    public native ContrastiveArgs workspace_bytes(@Cast("size_t") long bytes);

    @MemberSetter
    public native ContrastiveArgs stream(Pointer stream);
  }

  /** {@code isc_cuda_device_info}. */
  @Name("isc_cuda_device_info")
  public static class CudaDeviceInfo extends Pointer {
    static {
      Loader.load();
    }

    public CudaDeviceInfo() {
      super((Pointer) null);
      allocate();
    }

    private native void allocate();

    @MemberGetter
    @Cast("const char*")
    public native BytePointer name();

    @MemberGetter
    public native int major();

    @MemberGetter
    public native int minor();

    @MemberGetter
    public native int multiprocessors();

    @MemberGetter
    @Cast("int64_t")
    public native long total_memory_bytes();

    @MemberGetter
    @Cast("int64_t")
    public native long l2_cache_bytes();

    @MemberGetter
    public native int memory_bus_width_bits();
  }
}
