package org.iscengine.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.iscengine.extract.Extractor;
import org.iscengine.io.AtomicFile;

/**
 * The output folder of a distributed extraction:
 *
 * <ul>
 *   <li>{@code manifest.json}: what is extracted there (model, settings, images, partitions);
 *   <li>{@code part-NNNNN.h5}: the descriptor file of partition N, present once it is complete;
 *   <li>{@code part-NNNNN.failures.json}: the images of partition N that could not be read;
 *   <li>{@code .staging/}: partitions being described.
 * </ul>
 *
 * A shard appears by an atomic rename after its failures are written, so a shard that exists is
 * whole and its failures known.
 */
public final class ShardLayout {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path folder;

  public ShardLayout(Path folder) {
    this.folder = folder.toAbsolutePath().normalize();
  }

  public Path folder() {
    return folder;
  }

  public Path shard(int partition) {
    return folder.resolve(String.format("part-%05d.h5", partition));
  }

  /** The shards of partitions 0 .. count-1, in order. */
  public List<Path> shards(int count) {
    List<Path> shards = new ArrayList<>(count);
    for (int p = 0; p < count; p++) {
      shards.add(shard(p));
    }
    return shards;
  }

  Path failures(int partition) {
    return folder.resolve(String.format("part-%05d.failures.json", partition));
  }

  /** Where a partition's descriptor file is built before it is published. */
  Path staging(int partition) {
    return folder.resolve(".staging").resolve(shard(partition).getFileName());
  }

  Path manifest() {
    return folder.resolve("manifest.json");
  }

  public boolean isDone(int partition) {
    return Files.isRegularFile(shard(partition));
  }

  /** Records the partition's failures, then renames its staged descriptor file into place. */
  void publish(int partition, List<Extractor.Failure> failures) {
    try {
      byte[] json = JSON.writeValueAsBytes(failures);
      AtomicFile.write(failures(partition), tmp -> Files.write(tmp, json));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path staged = staging(partition);
    AtomicFile.write(shard(partition), tmp -> Files.move(staged, tmp, StandardCopyOption.REPLACE_EXISTING));
  }

  List<Extractor.Failure> readFailures(int partition) {
    Path file = failures(partition);
    try {
      return Files.exists(file) ? List.of(JSON.readValue(file.toFile(), Extractor.Failure[].class)) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  Optional<ExtractionManifest> readManifest() {
    Path file = manifest();
    try {
      return Files.exists(file) ? Optional.of(JSON.readValue(file.toFile(), ExtractionManifest.class))
          : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  void writeManifest(ExtractionManifest manifest) {
    try {
      byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
      AtomicFile.write(manifest(), tmp -> Files.write(tmp, json));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
