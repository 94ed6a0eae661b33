package org.iscengine.image;

/** A file or buffer that is not a readable image; the message names it and says why. */
public class ImageDecodeException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ImageDecodeException(String source, String reason) {
    super(source + ": " + reason);
  }

  public ImageDecodeException(String source, String reason, Throwable cause) {
    super(source + ": " + reason, cause);
  }
}
