// Carving a caller-provided device workspace into aligned regions.
#pragma once

#include <cstddef>

#include "status.hpp"

namespace isc::cuda {

// Offsets of consecutive regions, each aligned to 256 bytes.
class WorkspaceLayout {
 public:
  size_t take(size_t bytes) {
    const size_t here = end_;
    end_ += (bytes + 255) / 256 * 256;
    return here;
  }
  size_t bytes() const { return end_; }

 private:
  size_t end_ = 0;
};

template <typename T>
T* region(void* workspace, size_t offset) {
  return reinterpret_cast<T*>(static_cast<unsigned char*>(workspace) + offset);
}

inline void require_workspace(const void* workspace, size_t have, size_t needed) {
  if (workspace == nullptr || have < needed) {
    fail(ISC_INVALID_ARGUMENT, "workspace of %zu bytes is too small: %zu needed", workspace ? have : size_t(0), needed);
  }
}

}  // namespace isc::cuda
