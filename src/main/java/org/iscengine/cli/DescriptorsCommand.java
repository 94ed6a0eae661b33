package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.descriptor.Hdf5File;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/** {@code isc descriptors}. */
@Command(
    name = "descriptors",
    description = {
      "Check and describe a descriptor file: a split file (vectors + image_names) or an ISC21 submission",
      "(query, reference, query_ids, reference_ids). Values must be finite and ids unique; with --rules a",
      "submission must also follow the descriptor track's rules (ids Q00000 / R000000, at most 256 dimensions)."
    })
final class DescriptorsCommand extends IscCommand {
  @Parameters(paramLabel = "FILE", description = "HDF5 descriptor file.")
  Path file;

  @Option(names = "--rules", description = "Apply the descriptor track's submission rules.")
  boolean rules;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    boolean submission;
    try (Hdf5File h5 = Hdf5File.open(file)) {
      submission = h5.contains(DescriptorFiles.QUERY);
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("file", file.toString());
    report.put("kind", submission ? "submission" : "split");
    if (submission) {
      try (DescriptorFiles.Submission s = DescriptorFiles.readSubmission(file, rules)) {
        report.put("queries", s.queries().size());
        report.put("references", s.references().size());
        report.put("dimension", s.queries().dim());
        report.put("rules", rules ? "followed" : "not checked");
      }
    } else {
      if (rules) {
        throw new IllegalArgumentException(file + ": --rules applies to submissions (query/reference datasets);"
            + " this is a split file");
      }
      try (Descriptors d = DescriptorFiles.read(file)) {
        report.put("vectors", d.size());
        report.put("dimension", d.dim());
        report.put("first", d.size() > 0 ? d.ids().get(0) : null);
      }
    }
    PrintWriter out = out();
    json.print(out, report, () -> report.forEach((k, v) -> out.printf("%-11s %s%n", k, v)));
    return 0;
  }
}
