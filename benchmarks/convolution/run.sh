#!/usr/bin/env bash
# The cost of each remedy for faulty oneDNN convolutions, on this machine: ResNet-18, ResNet-50
# and EfficientNetV2-S descriptor networks, NCHW and channels-last, under oneDNN as installed,
# under each instruction-set limit the processor has (ONEDNN_MAX_CPU_ISA), and without oneDNN
# (ResNet-18 only: LibTorch's own convolutions take minutes per batch on the others). Each run
# is a child process, so that a configuration that crashes (SIGFPE in oneDNN) is reported as
# such. JSON lines go to stdout and OUT_DIR/convolution-remedies-DATE.jsonl.
#   benchmarks/convolution/run.sh [OUT_DIR] [THREADS]
set -uo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$here/../..
out=${1:-$here/../results}
threads=${2:-$(nproc)}
mkdir -p "$out"
log="$out/convolution-remedies-$(date +%F).jsonl"
: > "$log"
classpath="$root/target/classes:$(cat "$root/target/classpath.txt")"
flags=" $(grep -m 1 '^flags' /proc/cpuinfo | cut -d: -f2) "
isas=(default)
[[ "$flags" == *" avx512f "* ]] && isas+=(AVX512_CORE)
[[ "$flags" == *" avx2 "* ]] && isas+=(AVX2)
isas+=(AVX SSE41)
measure() {  # ISA ARCH [--no-onednn]
  local isa=$1 arch=$2
  local env=()
  [[ "$isa" != default ]] && env=(ONEDNN_MAX_CPU_ISA="$isa")
  echo "# $arch, ONEDNN_MAX_CPU_ISA=$isa ${3:-}" >&2
  if ! env "${env[@]}" java -Disc.convolutionCheck=off -XX:-CreateCoredumpOnCrash -XX:ErrorFile=/dev/null \
      -Dlogback.configurationFile=org/iscengine/cli/logback.xml -cp "$classpath" "$here/ConvolutionRemedies.java" \
      "$arch" "$threads" "${@:3}" 2>/dev/null | grep --line-buffered '^{' | tee -a "$log"; then
    printf '{"arch": "%s", "isa": "%s", "threads": %d, "crashed": true}\n' "$arch" "$isa" "$threads" | tee -a "$log"
  fi
}
for arch in resnet18 resnet50 tf_efficientnetv2_s; do
  for isa in "${isas[@]}"; do
    measure "$isa" "$arch"
  done
done
measure default resnet18 --no-onednn
