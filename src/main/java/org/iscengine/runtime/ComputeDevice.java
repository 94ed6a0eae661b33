package org.iscengine.runtime;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where tensor work runs: the CPU or one CUDA device. {@link #select} turns a user's request
 * ("auto", "cpu", "cuda", "cuda:N") into a device that can actually run here, falling back to the
 * CPU, with the reason logged, when LibTorch or the CUDA kernels cannot use the requested GPU.
 *
 * @param cudaIndex the CUDA device index, or -1 for the CPU
 * @param fallbackReason why the request could not be met; empty when it was
 */
public record ComputeDevice(int cudaIndex, Optional<String> fallbackReason) {
  private static final Logger log = LoggerFactory.getLogger(ComputeDevice.class);
  private static final Pattern REQUEST = Pattern.compile("auto|cpu|cuda(?::(\\d{1,3}))?");

  public static final ComputeDevice CPU = new ComputeDevice(-1, Optional.empty());

  public boolean isCuda() {
    return cudaIndex >= 0;
  }

  /** LibTorch's name for it: "cpu" or "cuda:N". */
  public String name() {
    return isCuda() ? "cuda:" + cudaIndex : "cpu";
  }

  /** A new LibTorch {@link Device} for it (the caller closes it). */
  public Device torchDevice() {
    return new Device(name());
  }

  @Override
  public String toString() {
    return name() + fallbackReason.map(r -> " (fallback: " + r + ")").orElse("");
  }

  /**
   * The device for a request: "cpu"; "cuda" or "cuda:N" (CPU, with a logged warning, when that GPU
   * cannot be used); "auto" (the first GPU when one can be used, else the CPU).
   *
   * @throws IllegalArgumentException for anything else
   */
  public static ComputeDevice select(String request) {
    Matcher m = REQUEST.matcher(request == null ? "" : request.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("device must be auto, cpu, cuda or cuda:N, got '" + request + "'");
    }
    String r = m.group();
    if (r.equals("cpu")) {
      return CPU;
    }
    int index = m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
    Optional<String> problem = cudaProblem(index);
    if (problem.isEmpty()) {
      return new ComputeDevice(index, Optional.empty());
    }
    if (r.equals("auto")) {
      log.info("running on the CPU: {}", problem.get());
    } else {
      log.warn("{} requested but running on the CPU: {}", r, problem.get());
    }
    return new ComputeDevice(-1, problem);
  }

  /** Why CUDA device `index` cannot run LibTorch and our kernels; empty when it can. */
  private static Optional<String> cudaProblem(int index) {
    if (!torch.cuda_is_available()) {
      return Optional.of("LibTorch sees no CUDA device (CPU build of LibTorch, or no GPU; build with -Pgpu)");
    }
    int torchDevices = torch.cuda_device_count();
    if (index >= torchDevices) {
      return Optional.of("cuda:" + index + " does not exist (" + torchDevices + " device(s))");
    }
    return CudaKernels.unavailableReason().map(reason -> "the CUDA kernels cannot run: " + reason);
  }
}
