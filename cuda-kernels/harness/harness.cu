// isc_cuda_harness: checks every CUDA kernel of libisc_cuda against libisc_cpu on random data and
// times it with CUDA events, next to the device's measured copy bandwidth. Needs nvcc and CMake
// only. Exit status: 0 all checks passed, 1 a check failed, 2 a CUDA or usage error.
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "harness.hpp"
#include "isc/cuda.h"

namespace {

void usage() {
  std::printf(
      "usage: isc_cuda_harness [--check-only [--small] | --bench-only] [--kernels LIST] [--knn-k LIST]\n"
      "                        [--batches N] [--per-batch N] [--json FILE]\n"
      "  --check-only   compare with the CPU library, no timing\n"
      "  --small        only the small check shapes: for compute-sanitizer, which runs kernels 10-100x slower\n"
      "  --bench-only   time the benchmark shapes, no comparison\n"
      "  --kernels LIST which families run, of gem,knn,loss (default all)\n"
      "  --knn-k LIST   k of the timed searches (default 10,100,1024)\n"
      "  --batches N    timing: median over N batches (default 50)\n"
      "  --per-batch N  timing: launches per batch between two events (default 20)\n"
      "  --json FILE    also write every record as JSON\n");
}

harness::Options parse(int argc, char** argv) {
  harness::Options o;
  for (int i = 1; i < argc; ++i) {
    auto value = [&](const char* name) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", name);
        std::exit(2);
      }
      return std::string(argv[++i]);
    };
    const std::string arg = argv[i];
    if (arg == "--check-only") {
      o.bench = false;
    } else if (arg == "--small") {
      o.small = true;
    } else if (arg == "--kernels") {
      o.kernels = value("--kernels");
    } else if (arg == "--knn-k") {
      o.knn_k.clear();
      std::istringstream list(value("--knn-k"));
      for (std::string item; std::getline(list, item, ',');) o.knn_k.push_back(std::atoi(item.c_str()));
    } else if (arg == "--bench-only") {
      o.check = false;
    } else if (arg == "--batches") {
      o.batches = std::max(1, std::atoi(value("--batches").c_str()));
    } else if (arg == "--per-batch") {
      o.per_batch = std::max(1, std::atoi(value("--per-batch").c_str()));
    } else if (arg == "--json") {
      o.json_path = value("--json");
    } else if (arg == "--help" || arg == "-h") {
      usage();
      std::exit(0);
    } else {
      std::fprintf(stderr, "unknown option %s\n", arg.c_str());
      usage();
      std::exit(2);
    }
  }
  return o;
}

// JSON has no NaN or infinity: those become null.
std::string number(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream out;
  out.precision(9);
  out << v;
  return out.str();
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void write_json(const std::string& path, const harness::Device& d, const std::vector<harness::Record>& records) {
  std::ofstream out(path);
  int driver = 0;
  cudaDriverGetVersion(&driver);
  out << "{\n  \"device\": \"" << json_escape(d.prop.name) << "\",\n"
      << "  \"compute_capability\": \"" << d.prop.major << "." << d.prop.minor << "\",\n"
      << "  \"driver_version\": " << driver << ",\n  \"runtime_version\": " << CUDART_VERSION << ",\n"
      << "  \"build\": \"" << json_escape(isc_cuda_build_info()) << "\",\n"
      << "  \"copy_gbps\": " << number(d.copy_gbps) << ",\n  \"records\": [\n";
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    out << "    {\"kernel\": \"" << r.kernel << "\", \"variant\": \"" << r.variant << "\", \"shape\": \"" << r.shape
        << "\", \"p\": " << number(r.p);
    if (r.checked()) {
      out << ", \"error\": " << number(r.error) << ", \"tolerance\": " << number(r.tolerance)
          << ", \"ok\": " << (r.ok() ? "true" : "false");
    }
    if (r.median_us >= 0) {
      const double gbps = r.bytes / (r.median_us * 1e3);
      out << ", \"median_us\": " << number(r.median_us) << ", \"gbps\": " << number(gbps)
          << ", \"fraction_of_copy\": " << number(gbps / d.copy_gbps);
      if (r.flops > 0) out << ", \"tflops\": " << number(r.flops / (r.median_us * 1e6));
    }
    out << "}" << (i + 1 < records.size() ? "," : "") << "\n";
  }
  out << "  ]\n}\n";
}

// Whether --kernels names this family.
bool wanted(const harness::Options& o, const std::string& family) {
  return ("," + o.kernels + ",").find("," + family + ",") != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress reaches a pipe line by line
  const harness::Options options = parse(argc, argv);
  harness::Device device;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    std::fprintf(stderr, "no CUDA device: %s\n", cudaGetErrorString(cudaGetLastError()));
    return 2;
  }
  harness::cuda_ok(cudaGetDeviceProperties(&device.prop, 0), "cudaGetDeviceProperties");
  int driver = 0;
  cudaDriverGetVersion(&driver);
  std::printf("device: %s (sm_%d%d, %d SMs, %.1f GiB, L2 %.0f MiB), driver %d, runtime %d\nlibrary: %s\n",
              device.prop.name, device.prop.major, device.prop.minor, device.prop.multiProcessorCount,
              device.prop.totalGlobalMem / 1073741824.0, device.prop.l2CacheSize / 1048576.0, driver, CUDART_VERSION,
              isc_cuda_build_info());
  if (options.bench) {
    device.copy_gbps = harness::measure_copy_gbps(options);
    std::printf("measured device-to-device copy: %.0f GB/s (bytes read + written)\n", device.copy_gbps);
  }

  std::vector<harness::Record> records;
  if (wanted(options, "gem")) harness::run_gem(options, device, records);
  if (wanted(options, "knn")) harness::run_knn(options, device, records);
  if (wanted(options, "loss")) harness::run_contrastive(options, device, records);

  int failed = 0;
  std::printf("\n%-18s %-6s %-22s %5s %11s %9s %11s %9s %8s\n", "kernel", "variant", "shape", "p", "error", "tol",
              "median_us", "GB/s", "% copy");
  for (const auto& r : records) {
    std::printf("%-18s %-6s %-22s %5.2f", r.kernel.c_str(), r.variant.c_str(), r.shape.c_str(), r.p);
    if (r.checked()) {
      std::printf(" %11.3e %9.1e", r.error, r.tolerance);
    } else {
      std::printf(" %11s %9s", "-", "-");
    }
    if (r.median_us >= 0 && r.flops > 0) {
      std::printf(" %11.2f %7.1f TFLOP/s", r.median_us, r.flops / (r.median_us * 1e6));
    } else if (r.median_us >= 0) {
      const double gbps = r.bytes / (r.median_us * 1e3);
      std::printf(" %11.2f %9.0f %7.1f%%", r.median_us, gbps, 100.0 * gbps / device.copy_gbps);
    }
    if (!r.ok()) {
      std::printf("  FAILED");
      ++failed;
    }
    std::printf("\n");
  }
  if (!options.json_path.empty()) write_json(options.json_path, device, records);
  std::printf("\n%s: %d check(s) failed\n", failed ? "FAIL" : "PASS", failed);
  return failed ? 1 : 0;
}
