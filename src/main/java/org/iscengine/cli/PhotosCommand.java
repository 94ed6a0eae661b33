package org.iscengine.cli;

import java.nio.file.Path;
import java.util.Map;
import org.iscengine.data.PhotoCollector;
import org.iscengine.data.PhotoLibrary;
import org.iscengine.io.IscCache;
import org.iscengine.progress.ConsoleProgress;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isc data photos}. */
@Command(
    name = "photos",
    description = {
      "Collect real photographs from Debian packages (apt-get download + dpkg -x, no root):",
      "desktop backgrounds and artwork for training; photographs of other packages (another desktop's wallpapers,",
      "photo-program manuals, a jigsaw game, opencv-doc, python3-skimage) for benchmarks, disjoint by package and",
      "by image. Copies (resized, cropped, recoloured, inverted), numbered series, blank images and benchmark",
      "diagrams are dropped; large photos are cut into tiles of one of two sizes, small ones kept whole."
    })
final class PhotosCommand extends IscCommand {
  @Option(names = "--cache", description = "Download cache (default: $ISC_CACHE or ~/.cache/isc).")
  Path cache;

  @Option(names = "--out", description = "Library folder (default: <cache>/photos).")
  Path out;

  @Option(names = "--train-tile", defaultValue = "384", description = "Smaller tile side for training photos; the larger is 1.5 times it (default: ${DEFAULT-VALUE}).")
  int trainTile;

  @Option(names = "--bench-tile", defaultValue = "192", description = "Smaller tile side for benchmark photos; the larger is 1.5 times it (default: ${DEFAULT-VALUE}).")
  int benchTile;

  @CommandLine.Mixin Workers workers;

  @Option(names = "--force", description = "Rebuild even if the library exists.")
  boolean force;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    Path cacheDir = cache != null ? cache : IscCache.root();
    Path outDir = out != null ? out : (cache != null ? cacheDir.resolve("photos") : PhotoLibrary.defaultRoot());
    PhotoLibrary library = new PhotoCollector(cacheDir, outDir, trainTile, benchTile, workers.count(),
        ConsoleProgress.factory("img")).collect(force);
    var m = library.manifest();
    var out = out();
    json.print(out, Map.of("root", library.root().toString(), "training", m.training(), "benchmark", m.benchmark(),
        "rejected", m.rejected().size()), () -> out.printf(
            "photo library %s: %d training and %d benchmark images (%d sources left out, see manifest.json)%n",
            library.root(), m.training(), m.benchmark(), m.rejected().size()));
    return 0;
  }
}
