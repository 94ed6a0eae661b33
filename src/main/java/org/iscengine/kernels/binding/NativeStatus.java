package org.iscengine.kernels.binding;


/**
 * Turns the (code, status) pair of a native call into a {@link KernelException}; its kind follows
 * the code (an argument refused natively got past the Java checks: internal).
 */
public final class NativeStatus {
  private NativeStatus() {}

  public static void check(int code, IscAbi.Status status) {
    if (code != IscAbi.OK) {
      throw new KernelException(code, status.message().getString());
    }
  }
}
