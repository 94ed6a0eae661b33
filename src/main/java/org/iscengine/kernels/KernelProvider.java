package org.iscengine.kernels;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.runtime.CpuKernels;
import org.iscengine.runtime.CudaKernels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that decides, per kernel, device and element type, whether the hand-written
 * kernel (libisc_cpu, libisc_cuda) or the LibTorch reference runs. Each decision is logged once
 * with its reason. {@code -Disc.kernels=reference} (or {@code ISC_KERNELS=reference}) forces the
 * reference everywhere, read at every call so that one test can run both paths.
 */
public final class KernelProvider {
  private static final Logger log = LoggerFactory.getLogger(KernelProvider.class);

  /** The system property that forces a path; the environment variable {@code ISC_KERNELS} is its fallback. */
  public static final String PROPERTY = "isc.kernels";

  private static final Set<String> announced = ConcurrentHashMap.newKeySet();

  private KernelProvider() {}

  /** The kernels with a native and a reference implementation. */
  public enum Kernel {
    GEM("GeM", Set.of(ScalarType.Float), Set.of(ScalarType.Float, ScalarType.Half, ScalarType.BFloat16)),
    KNN("kNN", Set.of(ScalarType.Float), Set.of(ScalarType.Float)),
    CONTRASTIVE("contrastive loss", Set.of(ScalarType.Float), Set.of(ScalarType.Float));

    private final String label;
    private final Set<ScalarType> cpuTypes;
    private final Set<ScalarType> cudaTypes;

    Kernel(String label, Set<ScalarType> cpuTypes, Set<ScalarType> cudaTypes) {
      this.label = label;
      this.cpuTypes = cpuTypes;
      this.cudaTypes = cudaTypes;
    }

    /** The element types the native kernel takes on x's device. */
    Set<ScalarType> nativeTypes(Tensor x) {
      return x.is_cuda() ? cudaTypes : cpuTypes;
    }
  }

  /** Whether {@code kernel} runs natively for a tensor like x, and why not when it does not. */
  public record Choice(boolean runsNative, String reason) {}

  /** {@link #choose} with no variant beyond device and element type. */
  static boolean runsNative(Kernel kernel, Tensor x) {
    return choose(kernel, x, null).runsNative();
  }

  /**
   * Decides for x's device and element type; {@code cudaOnly} names a variant that only the CUDA
   * kernel has (kNN's reduced precisions), null when there is none.
   */
  static Choice choose(Kernel kernel, Tensor x, String cudaOnly) {
    ScalarType dtype = Tensors.dtype(x);
    String device = Tensors.deviceName(x);
    Choice choice;
    if (referenceForced()) {
      choice = new Choice(false, "forced by " + PROPERTY + "=reference");
    } else if (x.is_cuda() && !CudaKernels.available()) {
      choice = new Choice(false, CudaKernels.unavailableReason().orElse("libisc_cuda is not loaded"));
    } else if (!x.is_cuda() && !CpuKernels.available()) {
      choice = new Choice(false, CpuKernels.unavailableReason().orElse("libisc_cpu is not loaded"));
    } else if (!kernel.nativeTypes(x).contains(dtype)) {
      choice = new Choice(false, "the " + (x.is_cuda() ? "CUDA" : "CPU") + " kernel takes " + kernel.nativeTypes(x)
          + ", not " + dtype);
    } else if (!x.is_cuda() && cudaOnly != null) {
      choice = new Choice(false, "the CPU kernel has no " + cudaOnly);
    } else {
      choice = new Choice(true, "native kernel");
    }
    String variant = cudaOnly == null ? "" : " " + cudaOnly;
    if (announced.add(kernel + " " + device + " " + dtype + variant + " " + choice.runsNative())) {
      if (choice.runsNative()) {
        log.info("{} on {} {}{}: native kernel", kernel.label, device, dtype, variant);
      } else {
        log.info("{} on {} {}{}: LibTorch reference ({})", kernel.label, device, dtype, variant, choice.reason());
      }
    }
    return choice;
  }

  /** True when {@value #PROPERTY} (or {@code ISC_KERNELS}) says {@code reference}. */
  public static boolean referenceForced() {
    String value = System.getProperty(PROPERTY, System.getenv("ISC_KERNELS"));
    if (value == null || value.isBlank() || value.equalsIgnoreCase("native")) {
      return false;
    }
    if (value.equalsIgnoreCase("reference")) {
      return true;
    }
    throw new IllegalArgumentException(PROPERTY + " must be native or reference, got '" + value.toLowerCase(Locale.ROOT)
        + "'");
  }
}
