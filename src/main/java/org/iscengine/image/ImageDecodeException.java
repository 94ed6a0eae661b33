package org.iscengine.image;

import org.iscengine.errors.IscException;

/**
 * A file or buffer that is not a readable image; the message names it and says why. Corrupt data
 * unless told otherwise: a missing file is the caller's input ({@link Kind#INVALID_INPUT}), a
 * format or variant that is not read {@link Kind#UNSUPPORTED}, an image over the decoder's limits
 * ({@link Images#MAX_PIXELS}, {@link Images#MAX_DECODED_BYTES}) {@link Kind#OUT_OF_RESOURCES}.
 */
public class ImageDecodeException extends IscException {
  private static final long serialVersionUID = 1L;

  public ImageDecodeException(String source, String reason) {
    super(Kind.CORRUPT_DATA, source + ": " + reason);
  }

  public ImageDecodeException(String source, String reason, Throwable cause) {
    super(Kind.CORRUPT_DATA, source + ": " + reason, cause);
  }

  public ImageDecodeException(Kind kind, String source, String reason, Throwable cause) {
    super(kind, source + ": " + reason, cause);
  }
}
