package org.iscengine.kernels.binding;

import org.iscengine.errors.IscException;

/**
 * A native kernel or binding failed. Carries the native status code and the library's message;
 * the code decides the kind. Java checks arguments before crossing the boundary, so an argument
 * the native side refuses is a bug here, not the caller's input.
 */
public class KernelException extends IscException {
  private static final long serialVersionUID = 1L;
  private final int code;

  public KernelException(int code, String message) {
    super(kindOf(code), message);
    this.code = code;
  }

  /** A failure before any native call: the library or device is not there. */
  public KernelException(String message, Throwable cause) {
    super(Kind.UNAVAILABLE, message, cause);
    this.code = -1;
  }

  /** The native {@code isc_code}, or -1 when the failure did not come from a native call. */
  public int code() {
    return code;
  }

  private static Kind kindOf(int code) {
    return switch (code) {
      case IscAbi.UNSUPPORTED -> Kind.UNSUPPORTED;
      case IscAbi.OUT_OF_MEMORY -> Kind.OUT_OF_RESOURCES;
      case IscAbi.CORRUPT_DATA -> Kind.CORRUPT_DATA;
      case -1 -> Kind.UNAVAILABLE;
      default -> Kind.INTERNAL;  // INVALID_ARGUMENT past the Java checks, DEVICE_ERROR, INTERNAL
    };
  }
}
