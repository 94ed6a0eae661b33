package org.iscengine.kernels;

import org.iscengine.kernels.binding.IscAbi;

/** Turns the (code, status) pair of a native call into a Java exception. */
final class NativeStatus {
  private NativeStatus() {}

  static void check(int code, IscAbi.Status status) {
    if (code == IscAbi.OK) {
      return;
    }
    String message = status.message().getString();
    if (code == IscAbi.INVALID_ARGUMENT) {
      throw new IllegalArgumentException(message);
    }
    throw new KernelException(code, message);
  }
}
