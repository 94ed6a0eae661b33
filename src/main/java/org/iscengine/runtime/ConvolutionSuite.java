package org.iscengine.runtime;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The convolutions of the bundled architectures (every distinct layer of ResNet-18 to -152,
 * EfficientNetV2-S/M and MobileNetV2, at the feature-map sizes of 128 and 224 px inputs), each
 * run in float32 on NCHW and on channels-last tensors and compared with the same convolution in
 * float64, which LibTorch computes with its own code, never oneDNN's. {@link ConvolutionCheck} runs it in a
 * child process, where a crash of a native library cannot take the caller down.
 */
public final class ConvolutionSuite {
  /** Relative error (Frobenius norm) a float32 convolution may have against float64. */
  public static final double TOLERANCE = 1e-5;

  /** Changes whenever the cases or the comparison change, so cached verdicts are redone. */
  static final int VERSION = 2;

  /**
   * One convolution: channels in and out, square kernel, stride, groups, whether it has a bias,
   * whether it pads as TensorFlow's "same" (the EfficientNets' strided layers), and the input map.
   */
  public record Case(
      int in, int out, int kernel, int stride, int groups, boolean bias, boolean same, int height, int width) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%dx%d stride %d, %d->%d channels%s%s%s, %dx%d input", kernel, kernel, stride,
          in, out, groups == 1 ? "" : groups == in ? ", depthwise" : ", groups " + groups, bias ? ", bias" : "",
          same ? ", same padding" : "", height, width);
    }
  }

  /** What one case gave: the relative errors of the two layouts (NaN or infinity when not finite). */
  public record CaseResult(int index, Case convolution, double nchwError, double channelsLastError) {
    public double worst() {
      double worst = Math.max(nchwError, channelsLastError);
      return Double.isNaN(nchwError) || Double.isNaN(channelsLastError) ? Double.POSITIVE_INFINITY : worst;
    }

    public boolean passed() {
      return worst() <= TOLERANCE;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%s: relative error %.2g on NCHW, %.2g on channels-last", convolution,
          nchwError, channelsLastError);
    }
  }

  // in out kernel stride groups bias same height width
  private static final String TABLE = """
      3 24 3 2 1 0 1 224 224
      3 24 3 2 1 0 1 128 128
      3 64 7 2 1 0 0 224 224
      3 64 7 2 1 0 0 128 128
      16 256 1 1 1 1 0 1 1
      20 320 1 1 1 1 0 1 1
      24 24 3 1 1 0 0 64 64
      24 24 3 1 1 0 0 112 112
      24 96 3 2 1 0 1 64 64
      24 96 3 2 1 0 1 112 112
      32 512 1 1 1 1 0 1 1
      32 768 1 1 1 1 0 1 1
      40 640 1 1 1 1 0 1 1
      40 960 1 1 1 1 0 1 1
      44 1056 1 1 1 1 0 1 1
      48 192 3 1 1 0 0 56 56
      48 192 3 1 1 0 0 32 32
      48 192 3 2 1 0 1 56 56
      48 192 3 2 1 0 1 32 32
      64 64 1 1 1 0 0 56 56
      64 64 1 1 1 0 0 32 32
      64 64 3 1 1 0 0 56 56
      64 64 3 1 1 0 0 32 32
      64 128 1 2 1 0 0 56 56
      64 128 1 2 1 0 0 32 32
      64 128 3 2 1 0 0 56 56
      64 128 3 2 1 0 0 32 32
      64 256 1 1 1 0 0 56 56
      64 256 1 1 1 0 0 32 32
      64 256 1 1 1 0 0 28 28
      64 256 1 1 1 0 0 16 16
      64 256 3 1 1 0 0 28 28
      64 256 3 1 1 0 0 16 16
      64 1536 1 1 1 1 0 1 1
      76 1824 1 1 1 1 0 1 1
      80 320 1 1 1 0 0 28 28
      80 320 1 1 1 0 0 16 16
      80 320 3 1 1 0 0 28 28
      80 320 3 1 1 0 0 16 16
      96 48 1 1 1 0 0 56 56
      96 48 1 1 1 0 0 32 32
      128 128 3 1 1 0 0 28 28
      128 128 3 1 1 0 0 16 16
      128 128 3 2 1 0 0 56 56
      128 128 3 2 1 0 0 32 32
      128 256 1 2 1 0 0 28 28
      128 256 1 2 1 0 0 16 16
      128 256 3 2 1 0 0 28 28
      128 256 3 2 1 0 0 16 16
      128 512 1 1 1 0 0 8 8
      128 512 1 1 1 0 0 28 28
      128 512 1 1 1 0 0 16 16
      128 512 1 1 1 0 0 14 14
      128 768 1 1 1 0 0 8 8
      128 768 1 1 1 0 0 14 14
      128 3072 1 1 1 1 0 1 1
      160 640 1 1 1 0 0 8 8
      160 640 1 1 1 0 0 14 14
      160 960 1 1 1 0 0 8 8
      160 960 1 1 1 0 0 14 14
      176 1056 1 1 1 0 0 8 8
      176 1056 1 1 1 0 0 14 14
      192 48 1 1 1 0 0 56 56
      192 48 1 1 1 0 0 32 32
      192 64 1 1 1 0 0 28 28
      192 64 1 1 1 0 0 16 16
      192 80 1 1 1 0 0 28 28
      192 80 1 1 1 0 0 16 16
      256 16 1 1 1 1 0 1 1
      256 64 1 1 1 0 0 56 56
      256 64 1 1 1 0 0 32 32
      256 64 1 1 1 0 0 28 28
      256 64 1 1 1 0 0 16 16
      256 128 1 1 1 0 0 8 8
      256 128 1 1 1 0 0 56 56
      256 128 1 1 1 0 0 32 32
      256 128 1 1 1 0 0 14 14
      256 256 3 1 1 0 0 8 8
      256 256 3 1 1 0 0 14 14
      256 256 3 2 1 0 0 28 28
      256 256 3 2 1 0 0 16 16
      256 256 3 2 256 0 1 28 28
      256 256 3 2 256 0 1 16 16
      256 512 1 2 1 0 0 8 8
      256 512 1 2 1 0 0 56 56
      256 512 1 2 1 0 0 32 32
      256 512 1 2 1 0 0 14 14
      256 512 3 2 1 0 0 8 8
      256 512 3 2 1 0 0 14 14
      256 1024 1 1 1 0 0 8 8
      256 1024 1 1 1 0 0 14 14
      256 1536 1 1 1 0 0 7 7
      256 1536 1 1 1 0 0 4 4
      304 1824 1 1 1 0 0 7 7
      304 1824 1 1 1 0 0 4 4
      320 20 1 1 1 1 0 1 1
      320 80 1 1 1 0 0 28 28
      320 80 1 1 1 0 0 16 16
      320 160 1 1 1 0 0 8 8
      320 160 1 1 1 0 0 14 14
      320 320 3 2 320 0 1 28 28
      320 320 3 2 320 0 1 16 16
      512 32 1 1 1 1 0 1 1
      512 128 1 1 1 0 0 8 8
      512 128 1 1 1 0 0 28 28
      512 128 1 1 1 0 0 16 16
      512 128 1 1 1 0 0 14 14
      512 256 1 1 1 0 0 28 28
      512 256 1 1 1 0 0 16 16
      512 512 3 1 1 0 0 7 7
      512 512 3 1 1 0 0 4 4
      512 512 3 1 512 0 0 8 8
      512 512 3 1 512 0 0 14 14
      512 512 3 2 1 0 0 8 8
      512 512 3 2 1 0 0 14 14
      512 1024 1 2 1 0 0 28 28
      512 1024 1 2 1 0 0 16 16
      512 2048 1 1 1 0 0 7 7
      512 2048 1 1 1 0 0 4 4
      512 3072 1 1 1 0 0 7 7
      512 3072 1 1 1 0 0 4 4
      640 40 1 1 1 1 0 1 1
      640 160 1 1 1 0 0 8 8
      640 160 1 1 1 0 0 14 14
      640 640 3 1 640 0 0 8 8
      640 640 3 1 640 0 0 14 14
      768 32 1 1 1 1 0 1 1
      768 160 1 1 1 0 0 8 8
      768 160 1 1 1 0 0 14 14
      768 768 3 1 768 0 0 8 8
      768 768 3 1 768 0 0 14 14
      960 40 1 1 1 1 0 1 1
      960 160 1 1 1 0 0 8 8
      960 160 1 1 1 0 0 14 14
      960 176 1 1 1 0 0 8 8
      960 176 1 1 1 0 0 14 14
      960 256 1 1 1 0 0 7 7
      960 256 1 1 1 0 0 4 4
      960 960 3 1 960 0 0 8 8
      960 960 3 1 960 0 0 14 14
      960 960 3 2 960 0 1 8 8
      960 960 3 2 960 0 1 14 14
      1024 256 1 1 1 0 0 8 8
      1024 256 1 1 1 0 0 14 14
      1024 512 1 1 1 0 0 8 8
      1024 512 1 1 1 0 0 14 14
      1024 2048 1 2 1 0 0 8 8
      1024 2048 1 2 1 0 0 14 14
      1056 44 1 1 1 1 0 1 1
      1056 176 1 1 1 0 0 8 8
      1056 176 1 1 1 0 0 14 14
      1056 304 1 1 1 0 0 7 7
      1056 304 1 1 1 0 0 4 4
      1056 1056 3 1 1056 0 0 8 8
      1056 1056 3 1 1056 0 0 14 14
      1056 1056 3 2 1056 0 1 8 8
      1056 1056 3 2 1056 0 1 14 14
      1536 64 1 1 1 1 0 1 1
      1536 256 1 1 1 0 0 7 7
      1536 256 1 1 1 0 0 4 4
      1536 1536 3 1 1536 0 0 7 7
      1536 1536 3 1 1536 0 0 4 4
      1824 76 1 1 1 1 0 1 1
      1824 304 1 1 1 0 0 7 7
      1824 304 1 1 1 0 0 4 4
      1824 512 1 1 1 0 0 7 7
      1824 512 1 1 1 0 0 4 4
      1824 1824 3 1 1824 0 0 7 7
      1824 1824 3 1 1824 0 0 4 4
      2048 512 1 1 1 0 0 7 7
      2048 512 1 1 1 0 0 4 4
      3072 128 1 1 1 1 0 1 1
      3072 512 1 1 1 0 0 7 7
      3072 512 1 1 1 0 0 4 4
      3072 3072 3 1 3072 0 0 7 7
      3072 3072 3 1 3072 0 0 4 4
      3 32 3 2 1 0 1 224 224
      3 32 3 2 1 0 1 128 128
      16 96 1 1 1 0 0 112 112
      16 96 1 1 1 0 0 64 64
      24 144 1 1 1 0 0 56 56
      24 144 1 1 1 0 0 32 32
      32 16 1 1 1 0 0 112 112
      32 16 1 1 1 0 0 64 64
      32 32 3 1 32 0 0 112 112
      32 32 3 1 32 0 0 64 64
      32 192 1 1 1 0 0 28 28
      32 192 1 1 1 0 0 16 16
      64 384 1 1 1 0 0 14 14
      64 384 1 1 1 0 0 8 8
      96 24 1 1 1 0 0 56 56
      96 24 1 1 1 0 0 32 32
      96 96 3 2 96 0 1 112 112
      96 96 3 2 96 0 1 64 64
      96 576 1 1 1 0 0 14 14
      96 576 1 1 1 0 0 8 8
      144 24 1 1 1 0 0 56 56
      144 24 1 1 1 0 0 32 32
      144 32 1 1 1 0 0 28 28
      144 32 1 1 1 0 0 16 16
      144 144 3 1 144 0 0 56 56
      144 144 3 1 144 0 0 32 32
      144 144 3 2 144 0 1 56 56
      144 144 3 2 144 0 1 32 32
      160 960 1 1 1 0 0 7 7
      160 960 1 1 1 0 0 4 4
      192 32 1 1 1 0 0 28 28
      192 32 1 1 1 0 0 16 16
      192 64 1 1 1 0 0 14 14
      192 64 1 1 1 0 0 8 8
      192 192 3 1 192 0 0 28 28
      192 192 3 1 192 0 0 16 16
      192 192 3 2 192 0 1 28 28
      192 192 3 2 192 0 1 16 16
      320 1280 1 1 1 0 0 7 7
      320 1280 1 1 1 0 0 4 4
      384 64 1 1 1 0 0 14 14
      384 64 1 1 1 0 0 8 8
      384 96 1 1 1 0 0 14 14
      384 96 1 1 1 0 0 8 8
      384 384 3 1 384 0 0 14 14
      384 384 3 1 384 0 0 8 8
      576 96 1 1 1 0 0 14 14
      576 96 1 1 1 0 0 8 8
      576 160 1 1 1 0 0 7 7
      576 160 1 1 1 0 0 4 4
      576 576 3 1 576 0 0 14 14
      576 576 3 1 576 0 0 8 8
      576 576 3 2 576 0 1 14 14
      576 576 3 2 576 0 1 8 8
      960 160 1 1 1 0 0 7 7
      960 160 1 1 1 0 0 4 4
      960 320 1 1 1 0 0 7 7
      960 320 1 1 1 0 0 4 4
      960 960 3 1 960 0 0 7 7
      960 960 3 1 960 0 0 4 4
      """;

  public static final List<Case> CASES = parse(TABLE);

  private ConvolutionSuite() {}

  private static List<Case> parse(String table) {
    List<Case> cases = new ArrayList<>();
    for (String line : table.strip().split("\n")) {
      String[] f = line.strip().split(" +");
      cases.add(new Case(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2]),
          Integer.parseInt(f[3]), Integer.parseInt(f[4]), f[5].equals("1"), f[6].equals("1"),
          Integer.parseInt(f[7]), Integer.parseInt(f[8])));
    }
    return List.copyOf(cases);
  }

  /** Runs one case on fresh random inputs (seeded by its index) and compares both layouts with float64. */
  public static CaseResult run(int index) {
    Case c = CASES.get(index);
    try (PointerScope scope = new PointerScope();
        NoGradGuard noGrad = new NoGradGuard()) {
      torch.manual_seed(1_000 + index);
      Tensor x = torch.randn(2, c.in(), c.height(), c.width());
      Tensor w = torch.randn(c.out(), c.in() / c.groups(), c.kernel(), c.kernel())
          .mul(new Scalar(1.0 / Math.sqrt((double) c.kernel() * c.kernel() * c.in() / c.groups())));
      Tensor b = c.bias() ? torch.randn(c.out()) : null;
      Tensor reference = convolve(c, x.to(ScalarType.Double), w.to(ScalarType.Double),
          b == null ? null : b.to(ScalarType.Double));
      double nchw = relativeError(convolve(c, x, w, b), reference);
      double channelsLast = relativeError(convolve(c, x.contiguous(torch.MemoryFormat.ChannelsLast),
          w.contiguous(torch.MemoryFormat.ChannelsLast), b), reference);
      return new CaseResult(index, c, nchw, channelsLast);
    }
  }

  /** As the model's Conv2d computes it: symmetric padding, or "same" padding added before a strided one. */
  private static Tensor convolve(Case c, Tensor x, Tensor w, Tensor b) {
    long[] stride = {c.stride(), c.stride()};
    long[] dilation = {1, 1};
    TensorOptional bias = b == null ? new TensorOptional() : new TensorOptional(b);
    if (!c.same() || c.stride() == 1) {
      long pad = (c.kernel() - 1) / 2;
      return torch.conv2d(x, w, bias, stride, new long[] {pad, pad}, dilation, c.groups());
    }
    long padH = samePadding(c.height(), c.kernel(), c.stride());
    long padW = samePadding(c.width(), c.kernel(), c.stride());
    Tensor padded = torch.constant_pad_nd(x, padW / 2, padW - padW / 2, padH / 2, padH - padH / 2);
    return torch.conv2d(padded, w, bias, stride, new long[] {0, 0}, dilation, c.groups());
  }

  private static long samePadding(long size, int kernel, int stride) {
    long out = (size + stride - 1) / stride;
    return Math.max((out - 1) * stride + kernel - size, 0);
  }

  private static double relativeError(Tensor actual, Tensor reference) {
    double difference = torch.norm(actual.to(ScalarType.Double).sub(reference)).item_double();
    double norm = torch.norm(reference).item_double();
    return Double.isFinite(difference) ? difference / norm : Double.POSITIVE_INFINITY;
  }
}
