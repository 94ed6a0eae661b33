package org.iscengine.kernels;

import java.util.Arrays;
import java.util.EnumSet;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.kernels.binding.IscAbi;
import org.iscengine.kernels.binding.IscCuda;
import org.iscengine.kernels.binding.KernelEntryPoints;
import org.iscengine.kernels.binding.NativeStatus;

/**
 * Contrastive loss against a memory bank, as the ISC21 descriptor-track winner trained it
 * (pytorch-metric-learning's {@code CrossBatchMemory(ContrastiveLoss(pos_margin, neg_margin))}):
 * the batch is enqueued into the bank, every batch item is compared with every bank row at the
 * Euclidean distance of the L2-normalised embeddings, positives (same label, own copy excluded)
 * cost {@code relu(d - posMargin)}, negatives {@code relu(negMargin - d)}, and each of the two is
 * averaged over its non-zero terms. Full semantics in {@code native/include/isc/contrastive.h}.
 *
 * <p>Runs libisc_cpu (CPU) or libisc_cuda (GPU) where it can, else the LibTorch reference with
 * autograd. Immutable and thread-safe; a {@link MemoryBank} is not.
 */
public final class ContrastiveMemoryLoss {

  /** The winner's margins (stages v83 to v98). */
  public static final double DEFAULT_POS_MARGIN = 0.0;

  public static final double DEFAULT_NEG_MARGIN = 1.0;

  private final double posMargin;
  private final double negMargin;
  private final boolean referenceOnly;

  public ContrastiveMemoryLoss(double posMargin, double negMargin) {
    this(posMargin, negMargin, false);
  }

  private ContrastiveMemoryLoss(double posMargin, double negMargin, boolean referenceOnly) {
    if (!Double.isFinite(posMargin) || !Double.isFinite(negMargin)) {
      throw new IllegalArgumentException("margins must be finite, got pos " + posMargin + ", neg " + negMargin);
    }
    this.posMargin = posMargin;
    this.negMargin = negMargin;
    this.referenceOnly = referenceOnly;
  }

  /** The same loss computed with LibTorch ops and autograd: the kernels' reference. */
  public static ContrastiveMemoryLoss reference(double posMargin, double negMargin) {
    return new ContrastiveMemoryLoss(posMargin, negMargin, true);
  }

  public double posMargin() {
    return posMargin;
  }

  public double negMargin() {
    return negMargin;
  }

  /**
   * Enqueues the batch into the bank and evaluates the loss.
   *
   * @param embeddings [batch, bank.dim()] float32, as the model produced them (normalised here)
   * @param labels [batch] int64
   */
  public ContrastiveForward forward(Tensor embeddings, Tensor labels, MemoryBank bank) {
    check(embeddings, labels, bank);
    boolean nativeKernel = !referenceOnly && KernelProvider.runsNative(KernelProvider.Kernel.CONTRASTIVE, embeddings);
    int batch = (int) embeddings.size(0);
    long[] slots = bank.slotsFor(batch);
    long rows = bank.rowsAfter(batch);
    ContrastiveForward result = nativeKernel
        ? NativeContrastive.forward(embeddings, labels, bank, slots, rows, posMargin, negMargin)
        : ReferenceContrastive.forward(embeddings, labels, bank, slots, rows, posMargin, negMargin);
    bank.advance(batch);
    return result;
  }

  /** dL/dembeddings for an upstream gradient dL_total/dloss (1 for the loss itself). */
  public Tensor backward(ContrastiveForward forward, double gradLoss) {
    if (!Double.isFinite(gradLoss)) {
      throw new IllegalArgumentException("gradLoss must be finite, got " + gradLoss);
    }
    return forward.backward(gradLoss);
  }

  private static void check(Tensor embeddings, Tensor labels, MemoryBank bank) {
    TensorChecks.matrix("embeddings", embeddings, EnumSet.of(ScalarType.Float, ScalarType.Double));
    long batch = embeddings.size(0);
    if (batch < 1) {
      throw new IllegalArgumentException("embeddings hold no rows");
    }
    if (embeddings.size(1) != bank.dim()) {
      throw new IllegalArgumentException(
          "embeddings have dimension " + embeddings.size(1) + " but the memory bank " + bank.dim());
    }
    if (batch > bank.size()) {
      throw new IllegalArgumentException("batch of " + batch + " exceeds the memory bank size " + bank.size());
    }
    if (labels == null || labels.isNull() || !labels.defined()) {
      throw new IllegalArgumentException("labels are null or undefined");
    }
    if (labels.dim() != 1 || labels.size(0) != batch) {
      throw new IllegalArgumentException(
          "labels must have shape [" + batch + "], got " + Arrays.toString(Tensors.shape(labels)));
    }
    if (Tensors.dtype(labels) != ScalarType.Long || !labels.is_contiguous()) {
      throw new IllegalArgumentException("labels must be contiguous int64, got " + Tensors.dtype(labels));
    }
    if (embeddings.is_cuda() != bank.isCuda() || labels.is_cuda() != bank.isCuda()) {
      throw new IllegalArgumentException(
          "embeddings, labels and the memory bank must be on one device (embeddings on "
              + Tensors.deviceName(embeddings) + ", bank on " + (bank.isCuda() ? "cuda" : "cpu") + ")");
    }
  }

  /** The hand-written kernels. */
  private static final class NativeContrastive implements ContrastiveForward.Saved {
    private final Tensor embeddings;
    private final Tensor labels;
    private final MemoryBank bank;
    private final Tensor slots;
    private final long rows;
    private final double posMargin;
    private final double negMargin;
    private final Tensor distances;
    private final Tensor stats;

    private NativeContrastive(Tensor embeddings, Tensor labels, MemoryBank bank, Tensor slots, long rows,
        double posMargin, double negMargin, Tensor distances, Tensor stats) {
      this.embeddings = new Tensor(embeddings);
      this.labels = new Tensor(labels);
      this.bank = bank;
      this.slots = slots;
      this.rows = rows;
      this.posMargin = posMargin;
      this.negMargin = negMargin;
      this.distances = distances;
      this.stats = stats;
    }

    static ContrastiveForward forward(Tensor embeddings, Tensor labels, MemoryBank bank, long[] slotIds, long rows,
        double posMargin, double negMargin) {
      long batch = embeddings.size(0);
      NativeContrastive saved = new NativeContrastive(embeddings, labels, bank, Tensors.longsLike(embeddings, slotIds),
          rows, posMargin, negMargin, Tensors.emptyLike(embeddings, ScalarType.Float, batch, rows),
          Tensors.emptyLike(embeddings, ScalarType.Double, IscAbi.CONTRASTIVE_STATS));
      try {
        saved.call(false, null, null);
        return new ContrastiveForward(saved.readStats(), saved);
      } catch (RuntimeException e) {
        saved.close();
        throw e;
      }
    }

    @Override
    public Tensor backward(double gradLoss) {
      Tensor grad = Tensors.emptyLike(embeddings, ScalarType.Float, embeddings.size(0), embeddings.size(1));
      try (Tensor upstream = Tensors.emptyLike(embeddings, ScalarType.Float, 1);
          org.bytedeco.pytorch.Scalar value = new org.bytedeco.pytorch.Scalar((float) gradLoss)) {
        upstream.fill_(value);
        call(true, grad, upstream);
        return grad;
      } catch (RuntimeException e) {
        grad.close();
        throw e;
      }
    }

    private void call(boolean backward, Tensor grad, Tensor upstream) {
      try (IscAbi.ContrastiveArgs args = new IscAbi.ContrastiveArgs();
          IscAbi.Status status = new IscAbi.Status();
          FloatPointer x = HostTensors.floats(embeddings);
          LongPointer y = new LongPointer(labels.data_ptr());
          FloatPointer memory = HostTensors.floats(bank.embeddings());
          LongPointer memoryLabels = new LongPointer(bank.labels().data_ptr());
          LongPointer slotIds = new LongPointer(slots.data_ptr());
          FloatPointer d = HostTensors.floats(distances);
          DoublePointer s = new DoublePointer(stats.data_ptr())) {
        args.embeddings(x).labels(y).memory(memory).memory_labels(memoryLabels).slots(slotIds)
            .batch(embeddings.size(0)).dim(embeddings.size(1)).memory_size(bank.size()).memory_rows(rows)
            .pos_margin((float) posMargin).neg_margin((float) negMargin).distances(d).stats(s);
        if (backward) {
          args.grad_embeddings(HostTensors.floats(grad)).grad_loss(HostTensors.floats(upstream));
        }
        try (Tensor workspace = embeddings.is_cuda() ? cudaWorkspace(args, status) : null) {
          KernelEntryPoints kernels = KernelEntryPoints.of(embeddings.is_cuda());
          int code = (backward ? kernels.contrastiveBackward() : kernels.contrastiveForward()).run(args, status);
          NativeStatus.check(code, status);
        }
      }
    }

    /** Scratch from LibTorch's caching allocator on the embeddings' device, and the stream to run on. */
    private Tensor cudaWorkspace(IscAbi.ContrastiveArgs args, IscAbi.Status status) {
      args.stream(CudaStreams.current(embeddings));
      try (SizeTPointer bytes = new SizeTPointer(1)) {
        NativeStatus.check(IscCuda.contrastiveWorkspaceSize(args, bytes, status), status);
        Tensor workspace = Tensors.emptyLike(embeddings, ScalarType.Byte, Math.max(1, bytes.get()));
        args.workspace(new Pointer(workspace.data_ptr())).workspace_bytes(bytes.get());
        return workspace;
      }
    }

    private ContrastiveStats readStats() {
      double[] v = new double[IscAbi.CONTRASTIVE_STATS];
      try (Tensor cpu = stats.cpu();
          DoublePointer p = new DoublePointer(cpu.data_ptr())) {
        p.get(v);
      }
      return new ContrastiveStats(v[IscAbi.CONTRASTIVE_LOSS], v[IscAbi.CONTRASTIVE_POS_LOSS],
          v[IscAbi.CONTRASTIVE_NEG_LOSS], (long) v[IscAbi.CONTRASTIVE_ACTIVE_POS],
          (long) v[IscAbi.CONTRASTIVE_ACTIVE_NEG], (long) v[IscAbi.CONTRASTIVE_POS_PAIRS],
          (long) v[IscAbi.CONTRASTIVE_NEG_PAIRS]);
    }

    @Override
    public void close() {
      embeddings.close();
      labels.close();
      slots.close();
      distances.close();
      stats.close();
    }
  }
}
