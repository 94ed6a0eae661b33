package org.iscengine.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.kernels.HostTensors;

/**
 * Descriptor shards as one Parquet data set of rows (id: string, vector: array of float), for
 * tools that read Parquet (Spark SQL, pandas, DuckDB). Each shard is read by one task.
 */
public final class ParquetExport {
  /** The columns. */
  public static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("vector", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  private ParquetExport() {}

  /** Writes the shards' rows, in shard order, to the Parquet folder (replacing what is there). */
  public static void write(SparkSession spark, List<Path> shards, Path parquet) {
    List<String> files = shards.stream().map(s -> s.toAbsolutePath().toString()).toList();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    jsc.setJobDescription("isc spark: " + files.size() + " shards to Parquet");
    JavaRDD<Row> rows = jsc.parallelize(files, Math.max(1, files.size())).flatMap(ParquetExport::rows);
    spark.createDataFrame(rows, SCHEMA).write().mode(SaveMode.Overwrite).parquet(parquet.toAbsolutePath().toString());
  }

  private static java.util.Iterator<Row> rows(String shard) {
    try (Descriptors d = DescriptorFiles.read(Path.of(shard))) {
      float[][] vectors = HostTensors.toRows(d.vectors());
      List<Row> rows = new ArrayList<>(d.size());
      for (int i = 0; i < d.size(); i++) {
        Float[] boxed = new Float[vectors[i].length];
        for (int j = 0; j < boxed.length; j++) {
          boxed[j] = vectors[i][j];
        }
        rows.add(RowFactory.create(d.ids().get(i), boxed));
      }
      return rows.iterator();
    }
  }
}
