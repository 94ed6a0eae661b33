package org.iscengine.kernels;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.kernels.binding.IscAbi;
import org.iscengine.kernels.binding.IscCuda;
import org.iscengine.kernels.binding.KernelEntryPoints;
import org.iscengine.kernels.binding.NativeStatus;

/** One call of the native kNN kernel on checked tensors (libisc_cpu or libisc_cuda by device). */
final class NativeKnn {
  private NativeKnn() {}

  /**
   * Searches refs (ids firstId + row) and writes, or with accumulate merges, into scores and ids.
   */
  static void run(
      Tensor queries, Tensor refs, int k, Metric metric, KnnPrecision precision, int rerank, long firstId,
      boolean accumulate, Tensor scores, Tensor ids) {
    try (IscAbi.KnnArgs args = new IscAbi.KnnArgs();
        IscAbi.Status status = new IscAbi.Status();
        FloatPointer q = HostTensors.floats(queries);
        FloatPointer r = HostTensors.floats(refs);
        FloatPointer s = HostTensors.floats(scores);
        LongPointer i = new LongPointer(ids.data_ptr())) {
      args.queries(q).refs(r).nq(queries.size(0)).nr(refs.size(0)).d(queries.size(1))
          .id_offset(firstId).k(k).metric(metric.code).precision(precision.code).rerank(rerank)
          .accumulate(accumulate ? 1 : 0).scores(s).ids(i);
      try (Tensor workspace = queries.is_cuda() ? cudaWorkspace(queries, args, status) : null) {
        NativeStatus.check(KernelEntryPoints.of(queries.is_cuda()).knn().run(args, status), status);
      }
    }
  }

  /** Scratch from LibTorch's caching allocator on the queries' device, and the stream to run on. */
  private static Tensor cudaWorkspace(Tensor queries, IscAbi.KnnArgs args, IscAbi.Status status) {
    args.stream(CudaStreams.current(queries));
    try (SizeTPointer bytes = new SizeTPointer(1)) {
      NativeStatus.check(IscCuda.knnWorkspaceSize(args, bytes, status), status);
      Tensor workspace = Tensors.emptyLike(queries, ScalarType.Byte, Math.max(1, bytes.get()));
      args.workspace(new Pointer(workspace.data_ptr())).workspace_bytes(bytes.get());
      return workspace;
    }
  }
}
