// A bounded top-k of (score, id) pairs: higher scores first, equal scores by lower id. A binary
// heap whose root is the worst kept pair, so a candidate is checked against one value.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace isc::cpu {

struct ScoredId {
  float score;
  int64_t id;
};

// The order of results: a before b.
inline bool better(const ScoredId& a, const ScoredId& b) {
  return a.score > b.score || (a.score == b.score && a.id < b.id);
}

class TopK {
 public:
  explicit TopK(int k) : k_(k) { heap_.reserve(static_cast<size_t>(k)); }

  // Scores below this can never enter (-inf until k pairs are kept).
  float threshold() const {
    return static_cast<int>(heap_.size()) < k_ ? -std::numeric_limits<float>::infinity() : heap_.front().score;
  }

  void offer(float score, int64_t id) {
    const ScoredId candidate{score, id};
    if (static_cast<int>(heap_.size()) < k_) {
      heap_.push_back(candidate);
      std::push_heap(heap_.begin(), heap_.end(), better);
    } else if (better(candidate, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), better);
      heap_.back() = candidate;
      std::push_heap(heap_.begin(), heap_.end(), better);
    }
  }

  // The kept pairs, best first.
  std::vector<ScoredId> sorted() const {
    std::vector<ScoredId> out(heap_);
    std::sort(out.begin(), out.end(), better);
    return out;
  }

  const std::vector<ScoredId>& items() const { return heap_; }

 private:
  int k_;
  std::vector<ScoredId> heap_;  // max-heap under `better` reversed: front is the worst
};

}  // namespace isc::cpu
