package org.iscengine.search.binding;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.ByPtrPtr;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.MemberGetter;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Opaque;
import org.bytedeco.javacpp.annotation.Platform;
import org.iscengine.kernels.binding.IscAbi;

/** Entry points of libisc_faiss ({@code native/}, FAISS inside). Use through {@code org.iscengine.search}. */
@Platform(include = {"isc/common.h", "isc/faiss.h"}, link = "isc_faiss")
public final class IscFaiss {
  static {
    Loader.load();
  }

  private IscFaiss() {}

  /** {@code isc_faiss_index}: an index owned through this pointer, freed with {@link #free}. */
  @Opaque
  @Name("isc_faiss_index")
  public static class Index extends Pointer {
    public Index() {
      super((Pointer) null);
    }

    public Index(Pointer p) {
      super(p);
    }
  }

  /** {@code isc_faiss_range}: hits of query q are lims[q] .. lims[q+1]-1. */
  @Name("isc_faiss_range")
  public static class Range extends Pointer {
    static {
      Loader.load();
    }

    public Range() {
      super((Pointer) null);
    }

    public Range(Pointer p) {
      super(p);
    }

    @MemberGetter
    @Cast("int64_t")
    public native long queries();

    @MemberGetter
    @Cast("int64_t*")
    public native LongPointer lims();

    @MemberGetter
    @Cast("int64_t*")
    public native LongPointer ids();

    @MemberGetter
    public native FloatPointer distances();
  }

  @Name("isc_faiss_abi_version")
  public static native int abiVersion();

  @Name("isc_faiss_build_info")
  @Cast("const char*")
  public static native BytePointer buildInfo();

  @Name("isc_faiss_index_factory")
  public static native int indexFactory(
      int dim, String description, int metric, @ByPtrPtr Index out, IscAbi.Status status);

  @Name("isc_faiss_clone")
  public static native int copy(@Const Index index, @ByPtrPtr Index out, IscAbi.Status status);

  @Name("isc_faiss_free")
  public static native void free(Index index);

  @Name("isc_faiss_dim")
  public static native int dim(@Const Index index);

  @Name("isc_faiss_metric")
  public static native int metric(@Const Index index);

  @Name("isc_faiss_ntotal")
  @Cast("int64_t")
  public static native long ntotal(@Const Index index);

  @Name("isc_faiss_is_trained")
  public static native int isTrained(@Const Index index);

  @Name("isc_faiss_train")
  public static native int train(Index index, @Cast("int64_t") long n, @Const FloatPointer x, IscAbi.Status status);

  @Name("isc_faiss_add")
  public static native int add(
      Index index, @Cast("int64_t") long n, @Const FloatPointer x, @Cast("const int64_t*") LongPointer ids,
      IscAbi.Status status);

  @Name("isc_faiss_search")
  public static native int search(
      @Const Index index, @Cast("int64_t") long n, @Const FloatPointer x, int k, FloatPointer distances,
      @Cast("int64_t*") LongPointer ids, IscAbi.Status status);

  @Name("isc_faiss_range_search")
  public static native int rangeSearch(
      @Const Index index, @Cast("int64_t") long n, @Const FloatPointer x, float radius, @ByPtrPtr Range out,
      IscAbi.Status status);

  @Name("isc_faiss_range_free")
  public static native void rangeFree(Range range);

  @Name("isc_faiss_set_parameter")
  public static native int setParameter(Index index, String name, double value, IscAbi.Status status);

  @Name("isc_faiss_reset")
  public static native int reset(Index index, IscAbi.Status status);

  @Name("isc_faiss_remove")
  public static native int remove(Index index, @Cast("int64_t") long n, @Cast("const int64_t*") LongPointer ids,
      @Cast("int64_t*") LongPointer removed, IscAbi.Status status);

  @Name("isc_faiss_write")
  public static native int write(@Const Index index, String path, IscAbi.Status status);

  @Name("isc_faiss_read")
  public static native int read(String path, @ByPtrPtr Index out, IscAbi.Status status);

  @Name("isc_faiss_set_num_threads")
  public static native int setNumThreads(int threads, IscAbi.Status status);

  @Name("isc_faiss_num_threads")
  public static native int numThreads();
}
