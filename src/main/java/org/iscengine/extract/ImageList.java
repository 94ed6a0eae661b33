package org.iscengine.extract;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.iscengine.image.ImageFormat;

/**
 * The images to describe, in a fixed order, each with an id: its path relative to the folder
 * (or list) without the extension, with '/' separators (R000123 for a DISC21 folder).
 */
public record ImageList(List<String> ids, List<Path> files) {
  public ImageList {
    ids = List.copyOf(ids);
    files = List.copyOf(files);
    if (ids.size() != files.size()) {
      throw new IllegalArgumentException("image list: " + ids.size() + " ids for " + files.size() + " files");
    }
  }

  public int size() {
    return ids.size();
  }

  /** The file of each id; an unknown id is an IllegalArgumentException naming it. */
  public java.util.function.Function<String, Path> lookup() {
    Map<String, Path> byId = new HashMap<>();
    for (int i = 0; i < ids.size(); i++) {
      byId.put(ids.get(i), files.get(i));
    }
    return id -> {
      Path file = byId.get(id);
      if (file == null) {
        throw new IllegalArgumentException("no image with id '" + id + "' in the image list");
      }
      return file;
    };
  }

  /** Image files under dir (recursively, by extension), sorted by path. */
  public static ImageList folder(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + " is not a folder");
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      List<Path> files = walk.filter(Files::isRegularFile)
          .filter(p -> ImageFormat.ofExtension(p.getFileName().toString()).isPresent())
          .sorted()
          .toList();
      return of(dir, files, dir.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  /** A text file of image paths, one per line (relative ones are relative to the list's folder). */
  public static ImageList listFile(Path list) {
    if (!Files.isRegularFile(list)) {
      throw new IllegalArgumentException(list + ": no such file");
    }
    try {
      Path base = list.toAbsolutePath().getParent();
      List<Path> files = new ArrayList<>();
      for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
        String l = line.strip();
        if (!l.isEmpty() && !l.startsWith("#")) {
          files.add(base.resolve(l).normalize());
        }
      }
      return of(base, files, list.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + list + ": " + e.getMessage(), e);
    }
  }

  /** A folder, or a list file. */
  public static ImageList of(Path folderOrList) {
    return Files.isDirectory(folderOrList) ? folder(folderOrList) : listFile(folderOrList);
  }

  private static ImageList of(Path base, List<Path> files, String where) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException(where + ": no images (jpg, png, webp, bmp, tif)");
    }
    List<String> ids = new ArrayList<>(files.size());
    Map<String, Path> seen = new HashMap<>();
    for (Path f : files) {
      Path abs = f.toAbsolutePath().normalize();
      Path rel = abs.startsWith(base.toAbsolutePath().normalize()) ? base.toAbsolutePath().normalize().relativize(abs)
          : abs.getFileName();
      String name = rel.toString().replace('\\', '/');
      int dot = name.lastIndexOf('.');
      String id = dot > name.lastIndexOf('/') ? name.substring(0, dot) : name;
      Path other = seen.put(id, f);
      if (other != null) {
        throw new IllegalArgumentException(where + ": " + other + " and " + f + " would both be '" + id + "'");
      }
      ids.add(id);
    }
    return new ImageList(ids, files);
  }
}
