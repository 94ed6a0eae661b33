package org.iscengine.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a request carries, read and checked: the image in its body, its JSON bodies as typed records
 * the id in its path, its query parameters. Every refusal is an
 * {@link HttpError} 400 naming what is wrong (415 for a body of the wrong type).
 */
final class Requests {
  /** Streaming: a descriptor array is read value by value into its float[], never as a tree. */
  private static final JsonFactory JSON = new JsonFactory();

  /** PUT /v1/references/{id} with a JSON body. */
  record ReferenceDescriptor(float[] descriptor) {}

  /** POST /v1/references: ids and descriptors, in the same order. */
  record ReferenceBatch(List<String> ids, List<float[]> descriptors) {}

  private Requests() {}

  /** The body of PUT /v1/references/{id}: {"descriptor": [...]}, read as it arrives. */
  static ReferenceDescriptor referenceDescriptor(InputStream body, int dimension) {
    try (JsonParser p = JSON.createParser(body)) {
      float[] descriptor = null;
      requireObjectStart(p.nextToken(), "expected {\"descriptor\": [...]}");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        if (field.equals("descriptor")) {
          descriptor = descriptor(p, dimension, "descriptor");
        } else {
          p.skipChildren();
        }
      }
      if (descriptor == null) {
        throw new HttpError(400, "descriptor must be a non-empty array of numbers");
      }
      return new ReferenceDescriptor(descriptor);
    } catch (IOException e) {
      throw notJson(e);
    }
  }

  /** The body of POST /v1/references: {"references": [{"id": ..., "descriptor": [...]}, ...]}, read as it arrives. */
  static ReferenceBatch referenceBatch(InputStream body, int dimension) {
    String expected = "expected {\"references\": [{\"id\": ..., \"descriptor\": [...]}, ...]}";
    List<String> ids = new ArrayList<>();
    List<float[]> descriptors = new ArrayList<>();
    try (JsonParser p = JSON.createParser(body)) {
      requireObjectStart(p.nextToken(), expected);
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        if (p.nextToken() != JsonToken.START_ARRAY || !field.equals("references")) {
          p.skipChildren();
          continue;
        }
        while (p.nextToken() == JsonToken.START_OBJECT) {
          String what = "references[" + ids.size() + "]";
          String id = null;
          float[] descriptor = null;
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken value = p.nextToken();
            if (key.equals("id") && value == JsonToken.VALUE_STRING) {
              id = id(p.getText(), what + ".id");
            } else if (key.equals("descriptor")) {
              descriptor = descriptor(p, dimension, what + ".descriptor");
            } else {
              p.skipChildren();
            }
          }
          if (id == null) {
            throw new HttpError(400, what + ": 'id' must be a string");
          }
          if (descriptor == null) {
            throw new HttpError(400, what + ".descriptor must be a non-empty array of numbers");
          }
          ids.add(id);
          descriptors.add(descriptor);
        }
        if (p.currentToken() != JsonToken.END_ARRAY) {
          throw new HttpError(400, expected);
        }
      }
    } catch (IOException e) {
      throw notJson(e);
    }
    if (ids.isEmpty()) {
      throw new HttpError(400, expected);
    }
    return new ReferenceBatch(ids, descriptors);
  }

  private static void requireObjectStart(JsonToken token, String expected) {
    if (token != JsonToken.START_OBJECT) {
      throw new HttpError(400, expected);
    }
  }

  /**
   * Reads the array at the parser into a descriptor: exactly {@code dimension} finite numbers (the detector
   * checks and normalises them). Stops at the first value too many, so a huge array costs no more than a right one.
   */
  private static float[] descriptor(JsonParser p, int dimension, String what) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw new HttpError(400, what + " must be a non-empty array of numbers");
    }
    float[] out = new float[dimension];
    int n = 0;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t == null || !t.isNumeric()) {
        throw new HttpError(400, what + "[" + n + "] is not a number");
      }
      if (n == dimension) {
        throw new HttpError(400, what + " has more than " + dimension + " values; this server's descriptors have "
            + dimension);
      }
      out[n] = p.getFloatValue();
      if (!Float.isFinite(out[n])) {
        throw new HttpError(400, what + "[" + n + "] is not finite as a 32-bit float: " + p.getText());
      }
      n++;
    }
    if (n != dimension) {
      throw new HttpError(400, what + " has " + n + " values; this server's descriptors have " + dimension);
    }
    return out;
  }

  private static HttpError notJson(IOException e) {
    if (!(e instanceof JsonProcessingException j)) {
      return new HttpError(400, "cannot read the request body: " + e.getMessage());
    }
    return new HttpError(400, "the body is not valid JSON: "
        + String.valueOf(j.getOriginalMessage()).lines().findFirst().orElse(""));
  }

  /**
   * A reference id as sent: refused unless it is well-formed UTF-16 (no unpaired surrogate), since the
   * store keeps ids as UTF-8 and an unpaired surrogate would come back as another id after a restart.
   */
  static String id(String id, String what) {
    if (id.isEmpty()) {
      throw new HttpError(400, what + " is empty");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < id.length() && Character.isLowSurrogate(id.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new HttpError(400, what + " is not well-formed UTF-16: an unpaired surrogate at " + i);
      }
    }
    return id;
  }

  /**
   * The id in a path segment: percent-decoded as a URI path is ({@code +} stays {@code +}, unlike in a
   * form), the bytes strict UTF-8.
   */
  static String pathId(String rawSegment) {
    StringBuilder id = new StringBuilder(rawSegment.length());
    ByteArrayOutputStream escaped = new ByteArrayOutputStream();  // a run of %XX: the bytes of some characters
    for (int i = 0; i < rawSegment.length(); i++) {
      char c = rawSegment.charAt(i);
      if (c != '%') {
        id.append(utf8(escaped)).append(c);
        continue;
      }
      int hi = i + 2 < rawSegment.length() ? Character.digit(rawSegment.charAt(i + 1), 16) : -1;
      int lo = hi >= 0 ? Character.digit(rawSegment.charAt(i + 2), 16) : -1;
      if (lo < 0) {
        throw new HttpError(400, "the id in the path has a bad percent escape at " + i);
      }
      escaped.write(hi << 4 | lo);
      i += 2;
    }
    return id(id.append(utf8(escaped)).toString(), "the id in the path");
  }

  /** Decodes and empties a run of percent-escaped bytes, refusing what is not UTF-8. */
  private static String utf8(ByteArrayOutputStream bytes) {
    if (bytes.size() == 0) {
      return "";
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      throw new HttpError(400, "the id in the path is not UTF-8 once percent-decoded");
    } finally {
      bytes.reset();
    }
  }

  /** The image of a request: the raw body, or the "image" part (else the first file part) of a multipart body. */
  static byte[] image(HttpExchange exchange, byte[] body) {
    if (mediaType(exchange).equals("multipart/form-data")) {
      return Multipart.image(exchange.getRequestHeaders().getFirst("Content-Type"), body);
    }
    if (body.length == 0) {
      throw new HttpError(400, "the request has no body: send the image bytes, or multipart/form-data with an"
          + " 'image' part");
    }
    return body;
  }

  /** The media type of the body, lower case, without parameters ("" when none is given). */
  static String mediaType(HttpExchange exchange) {
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    if (type == null) {
      return "";
    }
    int semicolon = type.indexOf(';');
    return (semicolon < 0 ? type : type.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }

  /** Refuses a body that is not JSON: a web page can send text/plain anywhere without asking first. */
  static void requireJson(HttpExchange exchange) {
    if (!mediaType(exchange).equals("application/json")) {
      throw new HttpError(415, "send this body as Content-Type: application/json");
    }
  }

  static Map<String, String> query(HttpExchange exchange) {
    Map<String, String> out = new LinkedHashMap<>();
    String raw = exchange.getRequestURI().getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      out.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  static int intParameter(Map<String, String> query, String name, int fallback, int min, int max) {
    String v = query.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      int x = Integer.parseInt(v);
      if (x < min || x > max) {
        throw new HttpError(400, "parameter " + name + " must be in [" + min + ", " + max + "], got " + v);
      }
      return x;
    } catch (NumberFormatException e) {
      throw new HttpError(400, "parameter " + name + " must be an integer, got '" + v + "'");
    }
  }

  static double doubleParameter(Map<String, String> query, String name, double fallback) {
    String v = query.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      double x = Double.parseDouble(v);
      if (!Double.isFinite(x)) {
        throw new NumberFormatException();
      }
      return x;
    } catch (NumberFormatException e) {
      throw new HttpError(400, "parameter " + name + " must be a finite number, got '" + v + "'");
    }
  }
}
