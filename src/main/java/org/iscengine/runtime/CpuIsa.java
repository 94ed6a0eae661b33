package org.iscengine.runtime;

import org.iscengine.kernels.binding.IscCpu;

/** Instruction sets the CPU kernels are built for. */
public enum CpuIsa {
  /** Portable C++: whatever the compiler vectorizes on its own. */
  GENERIC(IscCpu.ISA_GENERIC),
  /** AVX2 with FMA, chosen at load time when the processor has both. */
  AVX2(IscCpu.ISA_AVX2);

  final int code;

  CpuIsa(int code) {
    this.code = code;
  }

  static CpuIsa of(int code) {
    for (CpuIsa isa : values()) {
      if (isa.code == code) {
        return isa;
      }
    }
    throw new IllegalStateException("unknown instruction set code " + code);
  }
}
