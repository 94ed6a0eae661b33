package org.iscengine.kernels.binding;

/**
 * The kernel entry points that libisc_cpu and libisc_cuda both export, under C names that differ
 * only by prefix ({@code isc_cpu_*}, {@code isc_cuda_*}): one declaration for both libraries, so
 * that the compiler holds {@link IscCpu} and {@link IscCuda} to the same signatures. Each returns
 * an {@code isc_code} and fills {@code status} on failure.
 */
public interface KernelEntryPoints {
  int abiVersion();

  int gemForward(IscAbi.GemForwardArgs args, IscAbi.Status status);

  int gemBackward(IscAbi.GemBackwardArgs args, IscAbi.Status status);

  int knn(IscAbi.KnnArgs args, IscAbi.Status status);

  int contrastiveForward(IscAbi.ContrastiveArgs args, IscAbi.Status status);

  int contrastiveBackward(IscAbi.ContrastiveArgs args, IscAbi.Status status);

  /** libisc_cpu's. */
  KernelEntryPoints CPU = new KernelEntryPoints() {
    @Override
    public int abiVersion() {
      return IscCpu.abiVersion();
    }

    @Override
    public int gemForward(IscAbi.GemForwardArgs args, IscAbi.Status status) {
      return IscCpu.gemForward(args, status);
    }

    @Override
    public int gemBackward(IscAbi.GemBackwardArgs args, IscAbi.Status status) {
      return IscCpu.gemBackward(args, status);
    }

    @Override
    public int knn(IscAbi.KnnArgs args, IscAbi.Status status) {
      return IscCpu.knn(args, status);
    }

    @Override
    public int contrastiveForward(IscAbi.ContrastiveArgs args, IscAbi.Status status) {
      return IscCpu.contrastiveForward(args, status);
    }

    @Override
    public int contrastiveBackward(IscAbi.ContrastiveArgs args, IscAbi.Status status) {
      return IscCpu.contrastiveBackward(args, status);
    }
  };

  /** libisc_cuda's (loading it needs no GPU). */
  KernelEntryPoints CUDA = new KernelEntryPoints() {
    @Override
    public int abiVersion() {
      return IscCuda.abiVersion();
    }

    @Override
    public int gemForward(IscAbi.GemForwardArgs args, IscAbi.Status status) {
      return IscCuda.gemForward(args, status);
    }

    @Override
    public int gemBackward(IscAbi.GemBackwardArgs args, IscAbi.Status status) {
      return IscCuda.gemBackward(args, status);
    }

    @Override
    public int knn(IscAbi.KnnArgs args, IscAbi.Status status) {
      return IscCuda.knn(args, status);
    }

    @Override
    public int contrastiveForward(IscAbi.ContrastiveArgs args, IscAbi.Status status) {
      return IscCuda.contrastiveForward(args, status);
    }

    @Override
    public int contrastiveBackward(IscAbi.ContrastiveArgs args, IscAbi.Status status) {
      return IscCuda.contrastiveBackward(args, status);
    }
  };

  /** The library for a tensor on a CUDA device or on the CPU. */
  static KernelEntryPoints of(boolean cuda) {
    return cuda ? CUDA : CPU;
  }
}
