package org.iscengine.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a request carries, read and checked: its body (bounded before it is read), the image in it,
 * its JSON bodies as typed records, its query parameters. Every refusal is an {@link HttpError} 400
 * (413 for a body over the limit) naming what is wrong.
 */
final class Requests {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** PUT /v1/references/{id} with a JSON body. */
  record ReferenceDescriptor(float[] descriptor) {}

  /** POST /v1/references: ids and descriptors, in the same order. */
  record ReferenceBatch(List<String> ids, List<float[]> descriptors) {}

  private Requests() {}

  static ReferenceDescriptor referenceDescriptor(HttpExchange exchange, long maxBodyBytes) {
    return new ReferenceDescriptor(descriptor(json(exchange, maxBodyBytes).path("descriptor"), "descriptor"));
  }

  static ReferenceBatch referenceBatch(HttpExchange exchange, long maxBodyBytes) {
    JsonNode refs = json(exchange, maxBodyBytes).path("references");
    if (!refs.isArray() || refs.isEmpty()) {
      throw new HttpError(400, "expected {\"references\": [{\"id\": ..., \"descriptor\": [...]}, ...]}");
    }
    List<String> ids = new ArrayList<>(refs.size());
    List<float[]> descriptors = new ArrayList<>(refs.size());
    for (int i = 0; i < refs.size(); i++) {
      JsonNode r = refs.get(i);
      if (!r.path("id").isTextual()) {
        throw new HttpError(400, "references[" + i + "]: 'id' must be a string");
      }
      ids.add(r.get("id").asText());
      descriptors.add(descriptor(r.path("descriptor"), "references[" + i + "].descriptor"));
    }
    return new ReferenceBatch(ids, descriptors);
  }

  private static float[] descriptor(JsonNode node, String what) {
    if (!node.isArray() || node.isEmpty()) {
      throw new HttpError(400, what + " must be a non-empty array of numbers");
    }
    float[] out = new float[node.size()];
    for (int i = 0; i < out.length; i++) {
      if (!node.get(i).isNumber()) {
        throw new HttpError(400, what + "[" + i + "] is not a number");
      }
      out[i] = (float) node.get(i).asDouble();
    }
    return out;
  }

  /** The image of a request: the raw body, or the "image" part (else the first file part) of a multipart body. */
  static byte[] image(HttpExchange exchange, long maxBodyBytes) {
    String type = contentType(exchange);
    byte[] body = body(exchange, maxBodyBytes);
    if (type.startsWith("multipart/form-data")) {
      return Multipart.image(type, body);
    }
    if (body.length == 0) {
      throw new HttpError(400, "the request has no body: send the image bytes, or multipart/form-data with an"
          + " 'image' part");
    }
    return body;
  }

  private static JsonNode json(HttpExchange exchange, long maxBodyBytes) {
    try {
      return JSON.readTree(body(exchange, maxBodyBytes));
    } catch (IOException e) {
      throw new HttpError(400, "the body is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
  }

  private static byte[] body(HttpExchange exchange, long maxBodyBytes) {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length.trim()) > maxBodyBytes) {
          throw new HttpError(413, "the body has " + length.trim() + " bytes; the limit is " + maxBodyBytes);
        }
      } catch (NumberFormatException e) {
        throw new HttpError(400, "bad Content-Length: " + length);
      }
    }
    try (InputStream in = exchange.getRequestBody()) {
      byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
      if (data.length > maxBodyBytes) {
        throw new HttpError(413, "the body is larger than the limit of " + maxBodyBytes + " bytes");
      }
      return data;
    } catch (IOException e) {
      throw new HttpError(400, "cannot read the request body: " + e.getMessage());
    }
  }

  static String contentType(HttpExchange exchange) {
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    return type == null ? "" : type.trim().toLowerCase(Locale.ROOT);
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
