package org.iscengine.server;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.iscengine.errors.IscException;

/** Finds the image in a multipart/form-data body (RFC 7578): the part named "image", else the first file part. */
final class Multipart {
  private Multipart() {}

  static byte[] image(String contentType, byte[] body) {
    String boundary = null;
    for (String param : contentType.split(";")) {
      String p = param.trim();
      if (p.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
        boundary = p.substring(9).replace("\"", "");
      }
    }
    if (boundary == null || boundary.isEmpty()) {
      throw new IllegalArgumentException("multipart/form-data without a boundary");
    }
    byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    byte[] fileFallback = null;
    int at = indexOf(body, delimiter, 0);
    while (at >= 0) {
      int headersStart = at + delimiter.length;
      if (headersStart + 1 < body.length && body[headersStart] == '-' && body[headersStart + 1] == '-') {
        break;  // the closing delimiter
      }
      headersStart += 2;  // CRLF after the delimiter
      int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), headersStart);
      if (headersEnd < 0) {
        break;
      }
      int next = indexOf(body, ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1), headersEnd + 4);
      if (next < 0) {
        throw new IscException(IscException.Kind.CORRUPT_DATA, "multipart body is truncated (no closing boundary)");
      }
      String headers = new String(body, headersStart, headersEnd - headersStart, StandardCharsets.UTF_8)
          .toLowerCase(Locale.ROOT);
      byte[] content = java.util.Arrays.copyOfRange(body, headersEnd + 4, next);
      if (headers.matches("(?s).*content-disposition:[^\r\n]*\\bname=\"?image\"?.*")) {
        return content;
      }
      if (fileFallback == null && headers.contains("filename=")) {
        fileFallback = content;
      }
      at = next + 2;
    }
    if (fileFallback != null) {
      return fileFallback;
    }
    throw new IllegalArgumentException("multipart body has no 'image' part and no file part");
  }

  private static int indexOf(byte[] data, byte[] pattern, int from) {
    outer:
    for (int i = Math.max(0, from); i <= data.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
