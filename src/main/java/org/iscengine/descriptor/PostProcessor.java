package org.iscengine.descriptor;

import java.util.Optional;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.Tensors;
import org.iscengine.runtime.ComputeDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link PostProcessConfig} on query, reference and training descriptors. The kNN steps
 * run on the given device (the exact kernel, CPU or CUDA); results come back on the CPU.
 */
public final class PostProcessor {
  private static final Logger log = LoggerFactory.getLogger(PostProcessor.class);

  private final PostProcessConfig config;
  private final ComputeDevice device;

  public PostProcessor(PostProcessConfig config, ComputeDevice device) {
    this.config = config;
    this.device = device;
  }

  /** What post-processing produced; the PCA is present when one was learned. */
  public record Output(Descriptors queries, Descriptors references, Optional<Pca> pca) implements AutoCloseable {
    @Override
    public void close() {
      queries.close();
      references.close();
      pca.ifPresent(Pca::close);
    }
  }

  /** training may be null when no step needs it. */
  public Output run(Descriptors queries, Descriptors references, Descriptors training) {
    config.checkTraining(training == null ? null : (long) training.size());
    if (queries.dim() != references.dim() || (training != null && training.dim() != queries.dim())) {
      throw new IllegalArgumentException("descriptor dimensions differ: queries " + queries.dim() + ", references "
          + references.dim() + (training == null ? "" : ", training " + training.dim()));
    }
    Tensor q = onDevice(queries.vectors());
    Tensor r = onDevice(references.vectors());
    Tensor t = training == null ? null : onDevice(training.vectors());
    Pca pca = null;
    try {
      if (config.normalize()) {
        q = replace(q, Tensors.l2Normalize(q));
        r = replace(r, Tensors.l2Normalize(r));
        t = t == null ? null : replace(t, Tensors.l2Normalize(t));
      }
      if (config.pca()) {
        int dim = config.pcaDimension() > 0 ? config.pcaDimension() : queries.dim();
        log.info("learning {} to {} dimensions on {} training descriptors", config.whiten() ? "PCA-whitening" : "PCA",
            dim, training.size());
        try (Tensor cpu = t.cpu()) {
          pca = Pca.fit(cpu, dim, config.whiten() ? Pca.WHITEN : 0);
        }
        q = replace(q, project(pca, q));
        r = replace(r, project(pca, r));
        t = replace(t, project(pca, t));
      }
      if (config.dbaK() > 0) {
        log.info("DBA of {} training descriptors (k={}, alpha={})", training.size(), config.dbaK(), config.dbaAlpha());
        t = replace(t, new Dba(config.dbaK(), config.dbaAlpha()).apply(t));
      }
      if (config.nesK() > 0) {
        var nes = new NegativeEmbeddingSubtraction(config.nesK(), config.nesBeta(), config.nesIterations());
        log.info("negative embedding subtraction (k={}, beta={}, {} iteration(s))", nes.k(), nes.beta(),
            nes.iterations());
        q = replace(q, nes.apply(q, t));
        r = replace(r, nes.apply(r, t));
      }
      if (!config.scoreNormalization().isEmpty()) {
        ScoreNormalization norm = ScoreNormalization.parse(config.scoreNormalization());
        log.info("score normalization {}", norm);
        q = replace(q, norm.queries(q, t));
        r = replace(r, ScoreNormalization.references(r));
      }
      Output out = new Output(queries.with(q.cpu().contiguous()), references.with(r.cpu().contiguous()),
          Optional.ofNullable(pca));
      pca = null;
      return out;
    } finally {
      q.close();
      r.close();
      if (t != null) {
        t.close();
      }
      if (pca != null) {
        pca.close();
      }
    }
  }

  private Tensor onDevice(Tensor x) {
    try (Device d = device.torchDevice();
        Tensor moved = x.to(d, x.scalar_type())) {
      return moved.contiguous();
    }
  }

  /** The PCA runs on the CPU (its fit is float64 there); the result goes back to the device, normalised. */
  private Tensor project(Pca pca, Tensor x) {
    try (Tensor cpu = x.cpu();
        Tensor projected = pca.apply(cpu);
        Tensor unit = Tensors.l2Normalize(projected)) {
      return onDevice(unit);
    }
  }

  private static Tensor replace(Tensor old, Tensor next) {
    old.close();
    return next;
  }
}
