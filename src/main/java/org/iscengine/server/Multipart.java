package org.iscengine.server;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import org.iscengine.errors.IscException;

/**
 * Finds the image in a multipart/form-data body (RFC 7578): the part named "image", else the first file part.
 * Every step is one pass over the bytes: a boundary has at most 70 characters (RFC 2046) and a part's header
 * line at most {@value #MAX_HEADER_LINE} bytes, so no body makes the search slower than linear.
 */
final class Multipart {
  static final int MAX_BOUNDARY = 70;
  static final int MAX_HEADER_LINE = 8192;
  private static final byte[] CRLF = {'\r', '\n'};

  private Multipart() {}

  static byte[] image(String contentType, byte[] body) {
    String boundary = boundary(contentType);
    byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    byte[] nextDelimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    byte[] fileFallback = null;
    int at = indexOf(body, delimiter, 0);
    while (at >= 0) {
      int line = at + delimiter.length;
      if (line + 1 < body.length && body[line] == '-' && body[line + 1] == '-') {
        break;  // the closing delimiter
      }
      line += 2;  // CRLF after the delimiter
      String disposition = null;
      boolean file = false;
      for (int end; ; line = end + 2) {
        end = indexOf(body, CRLF, line);
        if (end < 0) {
          throw corrupt("multipart body is truncated (a part's headers do not end)");
        }
        if (end - line > MAX_HEADER_LINE) {
          throw new IllegalArgumentException("a multipart header line is longer than " + MAX_HEADER_LINE + " bytes");
        }
        if (end == line) {
          break;  // the blank line before the content
        }
        String header = new String(body, line, end - line, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        if (header.startsWith("content-disposition:")) {
          disposition = header;
          file = parameter(header, "filename") != null;
        }
      }
      int content = line + 2;
      int next = indexOf(body, nextDelimiter, content);
      if (next < 0) {
        throw corrupt("multipart body is truncated (no closing boundary)");
      }
      if (disposition != null && "image".equals(parameter(disposition, "name"))) {
        return Arrays.copyOfRange(body, content, next);
      }
      if (fileFallback == null && file) {
        fileFallback = Arrays.copyOfRange(body, content, next);
      }
      at = next + 2;
    }
    if (fileFallback != null) {
      return fileFallback;
    }
    throw new IllegalArgumentException("multipart body has no 'image' part and no file part");
  }

  /** The boundary parameter of a multipart Content-Type, checked against RFC 2046's limits. */
  private static String boundary(String contentType) {
    String boundary = parameter(contentType, "boundary");
    if (boundary == null || boundary.isEmpty()) {
      throw new IllegalArgumentException("multipart/form-data without a boundary");
    }
    if (boundary.length() > MAX_BOUNDARY) {
      throw new IllegalArgumentException("the multipart boundary has " + boundary.length() + " characters; at most "
          + MAX_BOUNDARY + " are allowed");
    }
    return boundary;
  }

  /** A parameter of a header value ({@code ; name=value} or {@code ; name="value"}); null when absent. */
  private static String parameter(String header, String name) {
    for (String param : header.split(";")) {
      String p = param.trim();
      int eq = p.indexOf('=');
      if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase(name)) {
        String value = p.substring(eq + 1).trim();
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
            ? value.substring(1, value.length() - 1) : value;
      }
    }
    return null;
  }

  private static IscException corrupt(String message) {
    return new IscException(IscException.Kind.CORRUPT_DATA, message);
  }

  /** The first occurrence of a short pattern from an offset: at most pattern.length steps per byte. */
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
