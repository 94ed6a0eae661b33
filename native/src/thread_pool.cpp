#include "thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace isc::cpu {
namespace {

int default_threads() {
  if (const char* env = std::getenv("ISC_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

class Pool {
 public:
  Pool() { start(default_threads()); }
  ~Pool() { stop(); }

  int threads() const { return threads_.load(std::memory_order_relaxed); }

  void resize(int threads) {
    std::lock_guard<std::mutex> busy(busy_);
    stop();
    start(threads);
  }

  void run(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& body) {
    if (n <= 0) return;
    min_chunk = std::max<int64_t>(min_chunk, 1);
    const int participants = threads();
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock() || participants == 1 || n <= min_chunk) {
      body(0, n);
      return;
    }
    // A few chunks per thread balance the load when one core is also doing something else.
    const int64_t target_chunks = static_cast<int64_t>(participants) * 4;
    const int64_t chunk = std::max(min_chunk, (n + target_chunks - 1) / target_chunks);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_body_ = &body;
      job_n_ = n;
      job_chunk_ = chunk;
      next_.store(0, std::memory_order_relaxed);
      error_ = nullptr;
      active_workers_ = static_cast<int>(workers_.size());
      ++generation_;
    }
    wake_.notify_all();
    work();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return active_workers_ == 0; });
    job_body_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void start(int threads) {
    threads = std::max(1, threads);
    threads_.store(threads, std::memory_order_relaxed);
    stopping_ = false;
    // Each worker starts from the current generation, so a job posted before the thread gets
    // to run is still seen as new.
    const uint64_t generation = generation_;
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, generation] { worker_loop(generation); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  void worker_loop(uint64_t seen) {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
      }
      work();
      std::lock_guard<std::mutex> lock(mutex_);
      if (--active_workers_ == 0) done_.notify_one();
    }
  }

  // Takes chunks until none are left; shared by the workers and the calling thread.
  void work() {
    for (;;) {
      const int64_t begin = next_.fetch_add(job_chunk_, std::memory_order_relaxed);
      if (begin >= job_n_) return;
      const int64_t end = std::min(job_n_, begin + job_chunk_);
      try {
        (*job_body_)(begin, end);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
        next_.store(job_n_, std::memory_order_relaxed);  // stop handing out work
      }
    }
  }

  std::mutex busy_;  // held by the one parallel_for using the workers
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::vector<std::thread> workers_;
  std::atomic<int> threads_{1};
  bool stopping_ = false;
  uint64_t generation_ = 0;
  int active_workers_ = 0;
  const std::function<void(int64_t, int64_t)>* job_body_ = nullptr;
  int64_t job_n_ = 0;
  int64_t job_chunk_ = 1;
  std::atomic<int64_t> next_{0};
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool instance;
  return instance;
}

}  // namespace

void parallel_for(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& body) {
  pool().run(n, min_chunk, body);
}

int num_threads() { return pool().threads(); }

void set_num_threads(int threads) { pool().resize(threads); }

}  // namespace isc::cpu
