package org.iscengine.io;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Unpickler;
import org.iscengine.errors.IscException;

/**
 * Pyrolite's unpickler with every declared length checked. Pyrolite allocates whatever length a
 * BINBYTES, BINUNICODE, LONG4... opcode states before reading it; here the whole pickle (at most
 * {@link #MAX_PICKLE_BYTES}) is held in memory, so each length is compared with the bytes that
 * remain first, and a lying one is CORRUPT_DATA.
 */
public class BoundedUnpickler extends Unpickler {
  /** Larger than any state dict's or ground truth's pickle (the tensors themselves live outside it). */
  public static final int MAX_PICKLE_BYTES = 256 << 20;

  private final String source;
  private long size;

  /** source names the pickle in error messages. */
  public BoundedUnpickler(String source) {
    this.source = source;
  }

  @Override
  public Object load(InputStream stream) throws PickleException, IOException {
    byte[] whole = InputLimits.readAtMost(stream, MAX_PICKLE_BYTES, source);
    size = whole.length;
    return super.load(new ByteArrayInputStream(whole));
  }

  @Override
  public Object loads(byte[] pickle) throws PickleException, IOException {
    size = pickle.length;
    return super.load(new ByteArrayInputStream(pickle));
  }

  @Override
  protected Object dispatch(short opcode) throws PickleException, IOException {
    int lengthBytes = switch (opcode) {
      case Opcodes.BINSTRING, Opcodes.BINBYTES, Opcodes.BINUNICODE, Opcodes.LONG4 -> 4;
      case Opcodes.BINBYTES8, Opcodes.BINUNICODE8, Opcodes.BYTEARRAY8, Opcodes.FRAME -> 8;
      default -> 0;
    };
    if (lengthBytes > 0) {
      checkLength(opcode, lengthBytes);
    }
    return super.dispatch(opcode);
  }

  /** The length field is little-endian; read unsigned, a negative signed length is as impossible as a huge one. */
  private void checkLength(short opcode, int lengthBytes) throws IOException {
    input.mark(lengthBytes);
    byte[] field = input.readNBytes(lengthBytes);
    input.reset();
    if (field.length < lengthBytes) {
      return;  // Pyrolite reports the early end
    }
    long declared = 0;
    for (int i = lengthBytes - 1; i >= 0; i--) {
      declared = declared << 8 | (field[i] & 0xff);
    }
    long remaining = input.available() - lengthBytes;
    if (Long.compareUnsigned(declared, remaining) > 0) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, String.format(
          "%s: pickle opcode 0x%02x at byte %d declares %s bytes but only %d remain (corrupt or truncated)", source,
          opcode, size - input.available() - 1, Long.toUnsignedString(declared), remaining));
    }
  }
}
