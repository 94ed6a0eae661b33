import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;

/**
 * Writes FILES descriptor files of ROWS random unit vectors of DIM floats each, ids PREFIX0,
 * PREFIX1, ... numbered across the files (a benchmark's input; the seed fixes the values).
 *   java -cp target/classes:$(cat target/classpath.txt) RandomDescriptors.java OUT_PREFIX ID_PREFIX FILES ROWS DIM SEED
 */
public final class RandomDescriptors {
  public static void main(String[] args) {
    String out = args[0];
    String prefix = args[1];
    int files = Integer.parseInt(args[2]);
    int rows = Integer.parseInt(args[3]);
    int dim = Integer.parseInt(args[4]);
    Random random = new Random(Long.parseLong(args[5]));
    for (int f = 0; f < files; f++) {
      List<String> ids = new ArrayList<>();
      List<float[]> vectors = new ArrayList<>();
      for (int i = 0; i < rows; i++) {
        float[] v = new float[dim];
        double norm = 0;
        for (int j = 0; j < dim; j++) {
          v[j] = (float) random.nextGaussian();
          norm += v[j] * v[j];
        }
        for (int j = 0; j < dim; j++) {
          v[j] /= (float) Math.sqrt(norm);
        }
        ids.add(prefix + (f * rows + i));
        vectors.add(v);
      }
      try (Descriptors d = Descriptors.of(ids, vectors, dim)) {
        DescriptorFiles.write(Path.of(files == 1 ? out + ".h5" : String.format("%s-%02d.h5", out, f)), d);
      }
    }
  }
}
