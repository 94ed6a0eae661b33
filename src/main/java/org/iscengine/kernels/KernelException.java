package org.iscengine.kernels;

/**
 * A native kernel failed for a reason other than a bad argument: an unsupported request, memory,
 * or a CUDA error. Carries the native status code and the library's message.
 */
public class KernelException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int code;

  public KernelException(int code, String message) {
    super(message);
    this.code = code;
  }

  public KernelException(String message, Throwable cause) {
    super(message, cause);
    this.code = -1;
  }

  /** The native {@code isc_code}, or -1 when the failure did not come from a native call. */
  public int code() {
    return code;
  }
}
