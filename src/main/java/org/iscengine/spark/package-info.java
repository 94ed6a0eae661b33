/**
 * Distributed jobs on Apache Spark: extraction of descriptor shards from images, and exact kNN
 * search of queries against sharded references. Spark is a provided dependency: these classes
 * run where Spark is on the class path (the isc launcher, spark-submit), and the rest of the
 * engine never loads them. Executors call the engine's own describing pipeline ({@code
 * extract.Extractor}) and exact kernel ({@code search.ExactIndex}); files are exchanged by path,
 * so drivers and executors must see the same file system.
 */
package org.iscengine.spark;
