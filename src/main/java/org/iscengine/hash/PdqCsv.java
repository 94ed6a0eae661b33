package org.iscengine.hash;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.iscengine.errors.IscException;
import org.iscengine.io.AtomicFile;

/**
 * PDQ hashes as CSV: a header {@code image_id,pdq,quality}, then one row per image with its id,
 * its 64 hex digits and its quality (0-100). An id holding a comma, a quote or a line break is
 * quoted (RFC 4180). Writing is atomic; reading reports the line of any malformed row.
 */
public final class PdqCsv {
  public static final String HEADER = "image_id,pdq,quality";
  /** Longer than any image id; bounds what an unclosed quote makes the reader gather. */
  static final int MAX_ID_CHARS = 4096;

  private PdqCsv() {}

  /** Image ids and their hashes, in file order. */
  public record Rows(List<String> ids, List<PdqHash> hashes) {
    public Rows {
      ids = List.copyOf(ids);
      hashes = List.copyOf(hashes);
      if (ids.size() != hashes.size()) {
        throw new IllegalArgumentException(ids.size() + " ids for " + hashes.size() + " hashes");
      }
    }

    public int size() {
      return ids.size();
    }
  }

  public static void write(Path file, Rows rows) {
    AtomicFile.write(file, tmp -> {
      try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        out.write(HEADER);
        out.write('\n');
        for (int i = 0; i < rows.size(); i++) {
          PdqHash h = rows.hashes().get(i);
          out.write(quote(rows.ids().get(i)) + "," + h.toHex() + "," + h.quality() + "\n");
        }
      }
    });
  }

  public static Rows read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such file");
    }
    List<String> ids = new ArrayList<>();
    List<PdqHash> hashes = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int lineNumber = 0;
      while ((line = in.readLine()) != null) {
        lineNumber++;
        if (lineNumber == 1) {
          if (!line.strip().equals(HEADER)) {
            throw corrupt(file, 1, "expected the header " + HEADER + ", got '" + abbreviate(line) + "'");
          }
          continue;
        }
        if (line.isBlank()) {
          continue;
        }
        String id;
        int rest;
        if (line.startsWith("\"")) {
          int rowLine = lineNumber;
          StringBuilder text = new StringBuilder();
          int i = 1;
          while (true) {
            while (i >= line.length()) {  // a quoted id may span lines
              String more = in.readLine();
              if (more == null) {
                throw corrupt(file, lineNumber, "unterminated quoted image id");
              }
              lineNumber++;
              text.append('\n');
              line = line + "\n" + more;
              i++;
            }
            if (text.length() > MAX_ID_CHARS) {
              throw corrupt(file, rowLine, "quoted image id longer than " + MAX_ID_CHARS + " characters (a quote"
                  + " left open?)");
            }
            char c = line.charAt(i);
            if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
              text.append('"');
              i += 2;
            } else if (c == '"') {
              i++;
              break;
            } else {
              text.append(c);
              i++;
            }
          }
          id = text.toString();
          rest = i;
          if (rest >= line.length() || line.charAt(rest) != ',') {
            throw corrupt(file, lineNumber, "expected a comma after the quoted image id");
          }
        } else {
          rest = line.indexOf(',');
          if (rest <= 0) {
            throw corrupt(file, lineNumber, "expected " + HEADER + ", got '" + abbreviate(line) + "'");
          }
          id = line.substring(0, rest);
        }
        String[] fields = line.substring(rest + 1).split(",", -1);
        if (fields.length != 2) {
          throw corrupt(file, lineNumber, "expected " + HEADER + ", got '" + abbreviate(line) + "'");
        }
        int quality;
        try {
          quality = Integer.parseInt(fields[1].strip());
        } catch (NumberFormatException e) {
          throw corrupt(file, lineNumber, "quality '" + abbreviate(fields[1]) + "' is not an integer");
        }
        PdqHash hash;
        try {
          hash = PdqHash.fromHex(fields[0].strip(), quality);
        } catch (IllegalArgumentException e) {
          throw corrupt(file, lineNumber, e.getMessage());
        }
        if (!seen.add(id)) {
          throw corrupt(file, lineNumber, "image id '" + abbreviate(id) + "' appears twice");
        }
        ids.add(id);
        hashes.add(hash);
      }
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, file + ": not UTF-8 text", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return new Rows(ids, hashes);
  }

  private static IscException corrupt(Path file, int line, String what) {
    return new IscException(IscException.Kind.CORRUPT_DATA, file + ":" + line + ": " + what);
  }

  private static String abbreviate(String text) {
    return text.length() <= 80 ? text : text.substring(0, 77) + "...";
  }

  private static String quote(String id) {
    if (id.indexOf(',') < 0 && id.indexOf('"') < 0 && id.indexOf('\n') < 0 && id.indexOf('\r') < 0) {
      return id;
    }
    return "\"" + id.replace("\"", "\"\"") + "\"";
  }
}
