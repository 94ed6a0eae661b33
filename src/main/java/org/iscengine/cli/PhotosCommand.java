package org.iscengine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
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
    mixinStandardHelpOptions = true,
    description = {
      "Collect real photographs from Debian packages (apt-get download + dpkg -x, no root):",
      "wallpapers for training, opencv-doc and python3-skimage images for benchmarks (kept disjoint).",
      "Duplicates are dropped and large photos cut into tiles."
    })
final class PhotosCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--cache", description = "Download cache (default: $ISC_CACHE or ~/.cache/isc).")
  Path cache;

  @Option(names = "--out", description = "Library folder (default: <cache>/photos).")
  Path out;

  @Option(names = "--train-tile", defaultValue = "512", description = "Tile side for training photos (default: ${DEFAULT-VALUE}).")
  int trainTile;

  @Option(names = "--bench-tile", defaultValue = "224", description = "Tile side for benchmark photos (default: ${DEFAULT-VALUE}).")
  int benchTile;

  @CommandLine.Mixin Workers workers;

  @Option(names = "--force", description = "Rebuild even if the library exists.")
  boolean force;

  @Option(names = "--json", description = "Print the summary as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Path cacheDir = cache != null ? cache : IscCache.root();
    Path outDir = out != null ? out : (cache != null ? cacheDir.resolve("photos") : PhotoLibrary.defaultRoot());
    PhotoLibrary library = new PhotoCollector(cacheDir, outDir, trainTile, benchTile, workers.count(),
        ConsoleProgress.factory("img")).collect(force);
    var m = library.manifest();
    var out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().writeValueAsString(Map.of("root", library.root().toString(), "training",
          m.training(), "benchmark", m.benchmark(), "rejected", m.rejected().size())));
    } else {
      out.printf("photo library %s: %d training and %d benchmark images (%d sources left out, see manifest.json)%n",
          library.root(), m.training(), m.benchmark(), m.rejected().size());
    }
    out.flush();
    return 0;
  }
}
