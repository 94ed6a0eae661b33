package org.iscengine.cli;

import org.iscengine.describe.ImageParts;
import picocli.CommandLine.Option;

/** How each image is described (a picocli mixin of isc extract and isc spark extract). */
final class DescribeOptions {
  @Option(names = "--resize", defaultValue = "square",
      description = "square (aspect not kept, the winner's) or crop (short side, then centre) (default: ${DEFAULT-VALUE}).")
  Choices.Resize resize;

  @Option(names = "--scales", split = ",", defaultValue = "1",
      description = "Input scales summed (test-time augmentation), e.g. 1,1.41421,0.70711 (default: ${DEFAULT-VALUE}).")
  double[] scales;

  @Option(names = "--flip", description = "Also describe the mirrored images (summed with the others).")
  boolean flip;

  @Option(names = "--parts", defaultValue = "none",
      description = "Describe parts of each image too, for isc match --parts: query (the image, turned by 90/180/270"
          + " degrees, centre crops of 3/4 and 1/2, turned back by 15 and 30 degrees either way, up to 4 regions by"
          + " selective search), reference (the image, its 2x2 and 3x3 tiles, 5 crops of 2/3) or crops (the image and"
          + " its 5 crops of 2/3); part k of ID is ID#k (default: ${DEFAULT-VALUE}).")
  ImageParts.Scheme parts;

  @Option(names = "--batch", defaultValue = "32", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
  int batch;
}
