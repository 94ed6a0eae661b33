package org.iscengine.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.iscengine.errors.IscException;

/**
 * The value a bundled JavaScript module exports, read without running it: browserify bundles
 * (as TF.js model packages ship them) end their module with {@code exports=LITERAL}, where the
 * literal is a minified object or string. This reads that literal as JSON data: unquoted keys,
 * numbers such as {@code .5}, {@code !0} / {@code !1} for true / false, single or double quotes.
 * Anything else (a function, an expression) is refused with its position.
 */
final class JsLiteral {
  /** Deeper nesting than any model file needs: a hostile file cannot exhaust the stack. */
  private static final int MAX_DEPTH = 200;
  private static final String EXPORTS = ".exports=";

  private final String text;
  private final String where;
  private int pos;
  private int depth;

  private JsLiteral(String text, String where, int pos) {
    this.text = text;
    this.where = where;
    this.pos = pos;
  }

  /**
   * The first object or string literal assigned to {@code exports} in the bundle.
   *
   * @param maxBytes the largest file accepted (checked before reading it)
   */
  static JsonNode exported(Path bundle, long maxBytes) {
    String text;
    try {
      long size = Files.size(bundle);
      if (size > maxBytes) {
        throw new IscException(IscException.Kind.OUT_OF_RESOURCES, bundle + ": " + size + " bytes, more than the "
            + maxBytes + " a model file may have");
      }
      text = Files.readString(bundle, StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IllegalArgumentException(bundle + ": no such file", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(bundle + ": cannot read it: " + e.getMessage(), e);
    }
    return exported(text, bundle.toString());
  }

  static JsonNode exported(String text, String where) {
    for (int at = text.indexOf(EXPORTS); at >= 0; at = text.indexOf(EXPORTS, at + 1)) {
      int start = at + EXPORTS.length();
      char c = start < text.length() ? text.charAt(start) : ' ';
      if (c == '{' || c == '"' || c == '\'') {
        return new JsLiteral(text, where, start).value();
      }
    }
    throw new IscException(IscException.Kind.CORRUPT_DATA, where + ": no 'exports=' followed by an object or string literal: not a"
        + " TF.js model bundle");
  }

  /** Parses a whole text as one literal (for tests and plain JSON-like files). */
  static JsonNode parse(String text, String where) {
    JsLiteral p = new JsLiteral(text, where, 0);
    JsonNode v = p.value();
    p.skipSpace();
    if (p.pos != text.length()) {
      throw p.error("unexpected text after the literal");
    }
    return v;
  }

  private JsonNode value() {
    skipSpace();
    endsEarlyIfAtEnd();
    char c = text.charAt(pos);
    return switch (c) {
      case '{' -> object();
      case '[' -> array();
      case '"', '\'' -> JsonNodeFactory.instance.textNode(string());
      case '!' -> bool();
      default -> {
        if (c == '-' || c == '+' || c == '.' || Character.isDigit(c)) {
          yield number();
        }
        yield keyword();
      }
    };
  }

  private ObjectNode object() {
    enter();
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    pos++;
    skipSpace();
    if (peek() == '}') {
      pos++;
      depth--;
      return node;
    }
    while (true) {
      skipSpace();
      String key = key();
      skipSpace();
      expect(':');
      node.set(key, value());
      skipSpace();
      char c = next();
      if (c == '}') {
        depth--;
        return node;
      }
      if (c != ',') {
        pos--;
        throw error("expected ',' or '}' in an object");
      }
    }
  }

  private ArrayNode array() {
    enter();
    ArrayNode node = JsonNodeFactory.instance.arrayNode();
    pos++;
    skipSpace();
    if (peek() == ']') {
      pos++;
      depth--;
      return node;
    }
    while (true) {
      node.add(value());
      skipSpace();
      char c = next();
      if (c == ']') {
        depth--;
        return node;
      }
      if (c != ',') {
        pos--;
        throw error("expected ',' or ']' in an array");
      }
    }
  }

  private String key() {
    endsEarlyIfAtEnd();
    char c = peek();
    if (c == '"' || c == '\'') {
      return string();
    }
    int start = pos;
    while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_'
        || text.charAt(pos) == '$')) {
      pos++;
    }
    if (start == pos) {
      throw error("expected a key");
    }
    return text.substring(start, pos);
  }

  private String string() {
    char quote = next();
    StringBuilder s = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw error("unterminated string (truncated file?)");
      }
      char c = text.charAt(pos++);
      if (c == quote) {
        return s.toString();
      }
      if (c != '\\') {
        s.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case 'n' -> s.append('\n');
        case 't' -> s.append('\t');
        case 'r' -> s.append('\r');
        case 'b' -> s.append('\b');
        case 'f' -> s.append('\f');
        case 'v' -> s.append('\u000b');
        case '0' -> s.append('\0');
        case 'u' -> s.append((char) hex(4));
        case 'x' -> s.append((char) hex(2));
        default -> s.append(e);  // \" \' \\ \/ and the rest stand for themselves
      }
    }
  }

  private int hex(int digits) {
    if (pos + digits > text.length()) {
      throw error("truncated escape");
    }
    try {
      int v = Integer.parseInt(text.substring(pos, pos + digits), 16);
      pos += digits;
      return v;
    } catch (NumberFormatException e) {
      throw error("bad escape");
    }
  }

  private JsonNode bool() {
    pos++;
    char c = next();
    if (c == '0') {
      return JsonNodeFactory.instance.booleanNode(true);
    }
    if (c == '1') {
      return JsonNodeFactory.instance.booleanNode(false);
    }
    pos--;
    throw error("expected !0 or !1");
  }

  private JsonNode number() {
    int start = pos;
    if (peek() == '-' || peek() == '+') {
      pos++;
    }
    boolean integer = true;
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (Character.isDigit(c)) {
        pos++;
      } else if (c == '.' || c == 'e' || c == 'E') {
        integer = false;
        pos++;
        if ((c == 'e' || c == 'E') && pos < text.length() && (text.charAt(pos) == '-' || text.charAt(pos) == '+')) {
          pos++;
        }
      } else {
        break;
      }
    }
    String s = text.substring(start, pos);
    try {
      if (integer && s.length() < 19) {
        return JsonNodeFactory.instance.numberNode(Long.parseLong(s));
      }
      return JsonNodeFactory.instance.numberNode(Double.parseDouble(s));
    } catch (NumberFormatException e) {
      endsEarlyIfAtEnd();  // a number cut short ("-", "2e-") is a truncated file, not a bad number
      pos = start;
      throw error("bad number '" + s + "'");
    }
  }

  private JsonNode keyword() {
    for (String k : new String[] {"null", "void 0", "true", "false"}) {
      if (text.length() - pos < k.length() && k.startsWith(text.substring(pos))) {
        pos = text.length();  // "nu", "void": a keyword cut short
        endsEarlyIfAtEnd();
      }
      if (text.startsWith(k, pos)) {
        pos += k.length();
        return switch (k) {
          case "true" -> JsonNodeFactory.instance.booleanNode(true);
          case "false" -> JsonNodeFactory.instance.booleanNode(false);
          default -> JsonNodeFactory.instance.nullNode();
        };
      }
    }
    throw error("not a literal value (code, not data?)");
  }

  private void enter() {
    if (++depth > MAX_DEPTH) {
      throw error("nested deeper than " + MAX_DEPTH + " levels");
    }
  }

  private void skipSpace() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }

  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private char next() {
    endsEarlyIfAtEnd();
    return text.charAt(pos++);
  }

  private void expect(char c) {
    if (next() != c) {
      pos--;
      throw error("expected '" + c + "'");
    }
  }

  private void endsEarlyIfAtEnd() {
    if (pos >= text.length()) {
      throw error("the literal ends early (truncated file?)");
    }
  }

  private IscException error(String what) {
    int from = Math.max(0, pos - 20);
    int to = Math.min(text.length(), pos + 20);
    return new IscException(IscException.Kind.CORRUPT_DATA, where + ": " + what + " at character " + pos + " (near '"
        + text.substring(from, to) + "')");
  }
}
