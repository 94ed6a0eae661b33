// Memory-bank contrastive loss: the CUDA kernels against libisc_cpu over batches that wrap the
// ring, then forward + backward timed at the winner's size (batch 256, bank 20 000, d 256).
#include <cmath>
#include <random>

#include "harness.hpp"
#include "isc/contrastive.h"

namespace harness {
namespace {

struct Bank {
  std::vector<float> memory;
  std::vector<int64_t> labels;
};

struct Step {
  double loss;
  double stats[ISC_CONTRASTIVE_STATS];
  std::vector<float> grad;
};

double norm_relative(const std::vector<float>& got, const std::vector<float>& want) {
  double diff = 0, ref = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    diff += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
    ref += double(want[i]) * want[i];
  }
  return ref > 0 ? std::sqrt(diff / ref) : std::sqrt(diff);
}

// One forward + backward on the CPU library, updating the bank.
Step cpu_step(Bank& bank, const std::vector<float>& x, const std::vector<int64_t>& labels,
              const std::vector<int64_t>& slots, int64_t dim, int64_t rows, float pm, float nm) {
  const int64_t batch = static_cast<int64_t>(labels.size());
  std::vector<float> distances(size_t(batch) * rows);
  Step step{};
  step.grad.resize(x.size());
  const float upstream = 1.0f;
  isc_contrastive_args a{};
  a.embeddings = x.data(), a.labels = labels.data(), a.memory = bank.memory.data(), a.memory_labels = bank.labels.data();
  a.slots = slots.data(), a.batch = batch, a.dim = dim, a.memory_size = static_cast<int64_t>(bank.labels.size());
  a.memory_rows = rows, a.pos_margin = pm, a.neg_margin = nm, a.distances = distances.data(), a.stats = step.stats;
  a.grad_embeddings = step.grad.data(), a.grad_loss = &upstream;
  isc_status status{};
  isc_ok(isc_cpu_contrastive_forward(&a, &status), status);
  isc_ok(isc_cpu_contrastive_backward(&a, &status), status);
  step.loss = step.stats[ISC_CONTRASTIVE_LOSS];
  return step;
}

struct GpuBank {
  DeviceBuffer<float> memory;
  DeviceBuffer<int64_t> labels;
  GpuBank(const Bank& b) : memory(b.memory.size()), labels(b.labels.size()) {
    upload(memory.ptr, b.memory);
    upload(labels.ptr, b.labels);
  }
};

// Device buffers and arguments of one step on the GPU.
struct GpuStep {
  DeviceBuffer<float> x, distances, grad, upstream;
  DeviceBuffer<int64_t> labels, slots;
  DeviceBuffer<double> stats;
  DeviceBuffer<unsigned char>* workspace = nullptr;
  isc_contrastive_args args{};

  GpuStep(GpuBank& bank, const std::vector<float>& hx, const std::vector<int64_t>& hl, const std::vector<int64_t>& hs,
          int64_t dim, int64_t size, int64_t rows, float pm, float nm)
      : x(hx.size()), distances(hl.size() * rows), grad(hx.size()), upstream(1), labels(hl.size()), slots(hs.size()),
        stats(ISC_CONTRASTIVE_STATS) {
    upload(x.ptr, hx);
    upload(labels.ptr, hl);
    upload(slots.ptr, hs);
    upload(upstream.ptr, std::vector<float>{1.0f});
    args.embeddings = x.ptr, args.labels = labels.ptr, args.memory = bank.memory.ptr, args.memory_labels = bank.labels.ptr;
    args.slots = slots.ptr, args.batch = static_cast<int64_t>(hl.size()), args.dim = dim, args.memory_size = size;
    args.memory_rows = rows, args.pos_margin = pm, args.neg_margin = nm, args.distances = distances.ptr;
    args.stats = stats.ptr, args.grad_embeddings = grad.ptr, args.grad_loss = upstream.ptr;
    isc_status status{};
    size_t bytes = 0;
    isc_ok(isc_cuda_contrastive_workspace_size(&args, &bytes, &status), status);
    workspace = new DeviceBuffer<unsigned char>(bytes);
    args.workspace = workspace->ptr, args.workspace_bytes = bytes;
  }
  ~GpuStep() { delete workspace; }

  void forward() {
    isc_status status{};
    isc_ok(isc_cuda_contrastive_forward(&args, &status), status);
  }
  void backward() {
    isc_status status{};
    isc_ok(isc_cuda_contrastive_backward(&args, &status), status);
  }
};

std::vector<float> uniform(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& e : v) e = dist(rng);
  return v;
}

}  // namespace

void run_contrastive(const Options& options, const Device&, std::vector<Record>& records) {
  if (options.check) {
    std::mt19937 rng(77);
    const int64_t dim = 17, size = 40;
    const float pm = 0.1f, nm = 1.1f;
    Bank cpu{std::vector<float>(size * dim, 0.0f), std::vector<int64_t>(size, -1)};
    GpuBank gpu(cpu);
    int64_t queue = 0;
    bool filled = false;
    for (int step = 0; step < 6; ++step) {
      const int64_t batch = step == 0 ? 1 : 13;
      std::vector<int64_t> labels(batch), slots(batch);
      std::uniform_int_distribution<int> label(0, 5);
      for (int64_t i = 0; i < batch; ++i) labels[i] = label(rng), slots[i] = (queue + i) % size;
      const int64_t next = (queue + batch) % size;
      filled = filled || next <= queue;
      queue = next;
      const int64_t rows = filled ? size : queue;
      const auto x = uniform(size_t(batch) * dim, rng);
      const Step want = cpu_step(cpu, x, labels, slots, dim, rows, pm, nm);
      GpuStep g(gpu, x, labels, slots, dim, size, rows, pm, nm);
      g.forward();
      g.backward();
      cuda_ok(cudaDeviceSynchronize(), "contrastive");
      const auto stats = download(g.stats.ptr, ISC_CONTRASTIVE_STATS);
      const auto grad = download(g.grad.ptr, g.grad.count);
      const std::string shape = std::to_string(batch) + "x" + std::to_string(dim) + " bank" + std::to_string(size) +
                                " step" + std::to_string(step);
      double counts = 0;
      for (int s = ISC_CONTRASTIVE_ACTIVE_POS; s < ISC_CONTRASTIVE_STATS; ++s) counts += std::fabs(stats[s] - want.stats[s]);
      auto add = [&](const char* kernel, double error, double tol) {
        Record r;
        r.kernel = kernel, r.variant = "fp32", r.shape = shape, r.error = error, r.tolerance = tol;
        records.push_back(r);
      };
      add("loss_pair_counts", counts, 0);
      add("loss_value", std::fabs(stats[ISC_CONTRASTIVE_LOSS] - want.loss) / (1 + std::fabs(want.loss)), 1e-5);
      add("loss_gradient", norm_relative(grad, want.grad), 1e-4);
      add("loss_bank", norm_relative(download(gpu.memory.ptr, gpu.memory.count), cpu.memory), 1e-6);
    }
  }
  if (options.bench) {
    // The winner's first stages: batch 256 (two views of 128 images), bank 20 000, 256-d.
    const int64_t batch = 256, size = 20000, dim = 256;
    std::mt19937 rng(9);
    Bank bank{uniform(size_t(size) * dim, rng), std::vector<int64_t>(size)};
    for (int64_t j = 0; j < size; ++j) bank.labels[j] = j;
    GpuBank gpu(bank);
    std::vector<int64_t> labels(batch), slots(batch);
    for (int64_t i = 0; i < batch; ++i) labels[i] = 100000 + i % 128, slots[i] = i;
    GpuStep g(gpu, uniform(size_t(batch) * dim, rng), labels, slots, dim, size, size, 0.0f, 1.0f);
    Record r;
    r.kernel = "loss_fwd_bwd", r.variant = "fp32";
    r.shape = std::to_string(batch) + "x" + std::to_string(size) + "x" + std::to_string(dim);
    r.flops = 2.0 * 2.0 * batch * size * dim;
    r.median_us = median_launch_us([&](long) { g.forward(), g.backward(); }, options, 0);
    records.push_back(r);
    progress(r);
  }
}

}  // namespace harness
