// Which instruction set the CPU kernels run, chosen at load time and overridable for tests.
#pragma once

#include "gem_kernel.hpp"
#include "isc/cpu.h"
#include "linalg_kernel.hpp"

namespace isc::cpu {

isc_cpu_isa active_isa();
const GemRowKernels& gem_kernels();
const LinalgKernels& linalg_kernels_for_active_isa();

}  // namespace isc::cpu
