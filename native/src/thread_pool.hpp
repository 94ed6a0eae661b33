// The CPU kernels' one thread pool. Its size is the caller's to set (isc_cpu_set_num_threads).
#pragma once

#include <cstdint>
#include <functional>

namespace isc::cpu {

// Splits [0, n) into chunks of at least min_chunk items and runs body(begin, end) on each, on the
// pool's workers and the calling thread. The first exception thrown by body is rethrown here.
// While another call is using the pool (a second caller thread, or a call from inside body) the
// work runs on the calling thread alone instead of waiting.
void parallel_for(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& body);

// Total threads taking part in parallel_for, the caller's included; at least 1.
int num_threads();

// Replaces the workers; waits for a running parallel_for to finish first.
void set_num_threads(int threads);

}  // namespace isc::cpu
