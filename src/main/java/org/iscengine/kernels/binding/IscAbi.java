package org.iscengine.kernels.binding;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
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
@Platform(include = {"isc/common.h", "isc/gem.h", "isc/cuda.h"})
public final class IscAbi {
  static {
    Loader.load();
  }

  private IscAbi() {}

  /** Status codes of {@code isc_code}. */
  public static final int OK = 0;
  public static final int INVALID_ARGUMENT = 1;
  public static final int UNSUPPORTED = 2;
  public static final int OUT_OF_MEMORY = 3;
  public static final int DEVICE_ERROR = 4;
  public static final int INTERNAL = 5;

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
