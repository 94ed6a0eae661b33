package org.iscengine.kernels.binding;

import java.util.function.IntSupplier;

/**
 * The kernel entry points that libisc_cpu and libisc_cuda both export, under C names that differ
 * only by prefix ({@code isc_cpu_*}, {@code isc_cuda_*}): one declaration for both libraries, so
 * that the compiler holds {@link IscCpu} and {@link IscCuda} to the same signatures.
 */
public record KernelEntryPoints(
    IntSupplier abiVersion,
    Call<IscAbi.GemForwardArgs> gemForward,
    Call<IscAbi.GemBackwardArgs> gemBackward,
    Call<IscAbi.KnnArgs> knn,
    Call<IscAbi.ContrastiveArgs> contrastiveForward,
    Call<IscAbi.ContrastiveArgs> contrastiveBackward) {

  /** One entry point: returns an {@code isc_code} and fills {@code status} on failure. */
  @FunctionalInterface
  public interface Call<A> {
    int run(A args, IscAbi.Status status);
  }

  /** libisc_cpu's. */
  public static final KernelEntryPoints CPU = new KernelEntryPoints(IscCpu::abiVersion, IscCpu::gemForward,
      IscCpu::gemBackward, IscCpu::knn, IscCpu::contrastiveForward, IscCpu::contrastiveBackward);

  /** libisc_cuda's (loading it needs no GPU). */
  public static final KernelEntryPoints CUDA = new KernelEntryPoints(IscCuda::abiVersion, IscCuda::gemForward,
      IscCuda::gemBackward, IscCuda::knn, IscCuda::contrastiveForward, IscCuda::contrastiveBackward);

  /** The library for a tensor on a CUDA device or on the CPU. */
  public static KernelEntryPoints of(boolean cuda) {
    return cuda ? CUDA : CPU;
  }
}
