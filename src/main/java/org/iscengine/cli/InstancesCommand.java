package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.iscengine.data.InstanceBenchBuilder;
import org.iscengine.data.PhotoLibrary;
import org.iscengine.progress.ConsoleProgress;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isc data instances}. */
@Command(
    name = "instances",
    description = {
      "Build an instance-retrieval benchmark from the photo library's benchmark photos (run 'isc data photos'",
      "first): per instance a query showing a region of a photo and database views of overlapping regions under",
      "crop, scale and perspective change, labelled easy, hard or junk by how much of the query they show, plus",
      "distractor views of other photos. The ground truth (gnd_instances.json) is in the revisited Oxford/Paris",
      "form: isc evaluate reports mAP for the Easy, Medium and Hard protocols."
    })
final class InstancesCommand extends IscCommand {
  @CommandLine.Mixin PhotoLibraryOption photos;

  @Option(names = "--out", defaultValue = "instances", description = "Output folder (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--instances", defaultValue = "70", description = "Instances, one query each (default: ${DEFAULT-VALUE}).")
  int instances;

  @Option(names = "--views", defaultValue = "6", description = "Database views per instance (default: ${DEFAULT-VALUE}).")
  int views;

  @Option(names = "--distractors", defaultValue = "500",
      description = "Database views of photos that are no instance (default: ${DEFAULT-VALUE}).")
  int distractors;

  @CommandLine.Mixin SeedOption seed;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    PhotoLibrary library = photos.open();
    InstanceBenchBuilder.Result r = new InstanceBenchBuilder(library,
        new InstanceBenchBuilder.Options(instances, views, distractors, seed.seed), ConsoleProgress.factory("img"))
        .build(out);
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("groundTruth", r.groundTruth().toString());
    summary.put("queries", r.queries());
    summary.put("images", r.images());
    summary.put("easy", r.easy());
    summary.put("hard", r.hard());
    summary.put("junk", r.junk());
    PrintWriter stdout = out();
    json.print(stdout, summary, () -> stdout.printf("instances in %s: %d queries, %d images (%d easy, %d hard, %d junk"
        + " views; the rest distractors); ground truth %s%n", out, r.queries(), r.images(), r.easy(), r.hard(), r.junk(),
        r.groundTruth()));
    return 0;
  }
}
