package org.iscengine.runtime;

import java.util.Optional;
import java.util.function.IntSupplier;
import org.bytedeco.javacpp.Loader;
import org.iscengine.kernels.binding.IscAbi;
import org.iscengine.kernels.binding.IscCpu;
import org.iscengine.kernels.binding.IscCuda;
import org.iscengine.kernels.binding.KernelException;
import org.iscengine.search.binding.IscFaiss;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One of the native libraries of the project, loaded on first use. A library that cannot be
 * loaded is not an error here: callers fall back (to the LibTorch reference, or another index),
 * and {@link #unavailableReason()} says why.
 */
public final class NativeLibrary {
  private static final Logger log = LoggerFactory.getLogger(NativeLibrary.class);

  /** The CPU kernels. */
  public static final NativeLibrary CPU = new NativeLibrary("libisc_cpu", IscCpu.class, IscCpu::abiVersion, "");

  /** The CUDA kernels; built only where CMake found nvcc, usable only with a GPU. */
  public static final NativeLibrary CUDA =
      new NativeLibrary(
          "libisc_cuda",
          IscCuda.class,
          IscCuda::abiVersion,
          " (it is built only where CMake found a CUDA compiler)");

  /** FAISS; needs Debian's BLAS, LAPACK and OpenMP libraries at run time. */
  public static final NativeLibrary FAISS =
      new NativeLibrary(
          "libisc_faiss",
          IscFaiss.class,
          IscFaiss::abiVersion,
          " (it needs Debian's libopenblas0, liblapack3 and libgomp1; toolchain/bootstrap installs them)");

  private final String name;
  private final Class<?> binding;
  private final IntSupplier abiVersion;
  private final String whenMissing;
  private volatile Optional<String> failure;

  private NativeLibrary(String name, Class<?> binding, IntSupplier abiVersion, String whenMissing) {
    this.name = name;
    this.binding = binding;
    this.abiVersion = abiVersion;
    this.whenMissing = whenMissing;
  }

  public String name() {
    return name;
  }

  public boolean available() {
    return load().isEmpty();
  }

  /** Why the library could not be loaded; empty when it is loaded. */
  public Optional<String> unavailableReason() {
    return load();
  }

  /** Loads the library or throws {@link KernelException} with the reason. */
  public void require() {
    load().ifPresent(reason -> {
      throw new KernelException(-1, name + " is not available: " + reason);
    });
  }

  private Optional<String> load() {
    Optional<String> result = failure;
    if (result == null) {
      synchronized (this) {
        result = failure;
        if (result == null) {
          result = tryLoad();
          failure = result;
        }
      }
    }
    return result;
  }

  private Optional<String> tryLoad() {
    try {
      // LibTorch first: its OpenMP and BLAS then also serve FAISS (one runtime of each).
      Loader.load(org.bytedeco.pytorch.global.torch.class);
      Loader.load(IscAbi.class);
      String path = Loader.load(binding);
      int version = abiVersion.getAsInt();
      if (version != IscAbi.ABI_VERSION) {
        return unavailable("ABI version " + version + " at " + path + ", expected " + IscAbi.ABI_VERSION);
      }
      log.debug("loaded {} through {}", name, path);
      return Optional.empty();
    } catch (Throwable e) {
      // UnsatisfiedLinkError, or an initializer error wrapping it: not fatal, reported instead.
      return unavailable(rootMessage(e) + whenMissing);
    }
  }

  private Optional<String> unavailable(String reason) {
    log.info("{} is not available: {}", name, reason);
    return Optional.of(reason);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
