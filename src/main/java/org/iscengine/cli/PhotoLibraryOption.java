package org.iscengine.cli;

import java.nio.file.Path;
import org.iscengine.data.PhotoLibrary;
import picocli.CommandLine.Option;

/** The photo library a benchmark is built from (a picocli mixin of the dataset builders). */
final class PhotoLibraryOption {
  @Option(names = "--photos", description = "Photo library (default: $ISC_CACHE/photos or ~/.cache/isc/photos).")
  Path photos;

  PhotoLibrary open() {
    return PhotoLibrary.open(photos != null ? photos : PhotoLibrary.defaultRoot());
  }
}
