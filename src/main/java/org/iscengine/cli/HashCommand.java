package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.iscengine.extract.ImageList;
import org.iscengine.hash.ImageBatch;
import org.iscengine.hash.PdqCsv;
import org.iscengine.hash.PdqHash;
import org.iscengine.hash.PdqHasher;
import org.iscengine.progress.ConsoleProgress;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isc hash}. */
@Command(
    name = "hash",
    description = {
      "PDQ-hash images (Facebook's 256-bit perceptual hash) and write CSV image_id,pdq,quality: the hash as 64",
      "hex digits, its quality 0-100 (below 50, PDQ advises not to trust it). Images come from a folder",
      "(recursively) or a list file; ids are their paths without the extension, as for isc extract. A bad image",
      "is skipped and listed in OUT.failures.txt."
    })
final class HashCommand extends IscCommand {
  @Option(names = "--images", required = true, description = "Folder of images, or a text file listing them.")
  Path images;

  @Option(names = "--out", required = true, description = "Output CSV (image_id,pdq,quality).")
  Path out;

  @CommandLine.Mixin ImageWorkers workers;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    new OutputPaths().input("--images", images).output("--out", out).check();
    ImageList list = ImageList.of(images);
    ImageBatch.Result<PdqHash> result = ImageBatch.map(list, PdqHasher::hash, workers.count(),
        ConsoleProgress.factory("img"), "hashing");
    PdqCsv.write(out, new PdqCsv.Rows(result.ids(), result.values()));
    Path failuresFile = SkippedImages.list(out, result.failures());
    PrintWriter stdout = out();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("out", out.toString());
    summary.put("hashed", result.ids().size());
    summary.put("failed", result.failures().size());
    summary.put("imagesPerSecond", result.imagesPerSecond());
    summary.put("lowQuality", result.values().stream().filter(h -> h.quality() < 50).count());
    json.print(stdout, summary, () -> stdout.printf(Locale.ROOT, "%d images hashed into %s (%.1f images/s)%n",
        result.ids().size(), out, result.imagesPerSecond()));
    SkippedImages.report(err(), result.failures(), failuresFile);
    return 0;
  }
}
