package org.iscengine.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** float32 arrays as raw little-endian bytes: how tests hand tensors to Python and node and back. */
public final class RawFloats {
  private RawFloats() {}

  public static byte[] bytes(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return b.array();
  }

  public static float[] floats(byte[] bytes) {
    float[] out = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }
}
