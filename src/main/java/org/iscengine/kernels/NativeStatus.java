package org.iscengine.kernels;

import org.iscengine.kernels.binding.IscAbi;

/**
 * Turns the (code, status) pair of a native call into a {@link KernelException}; its kind follows
 * the code (an argument refused natively got past the Java checks: internal).
 */
final class NativeStatus {
  private NativeStatus() {}

  static void check(int code, IscAbi.Status status) {
    if (code != IscAbi.OK) {
      throw new KernelException(code, status.message().getString());
    }
  }
}
