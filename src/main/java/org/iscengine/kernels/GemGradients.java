package org.iscengine.kernels;

import org.bytedeco.pytorch.Tensor;

/**
 * Gradients of GeM pooling.
 *
 * @param input dL/dx, shaped and typed like the input
 * @param p dL/dp as a 0-dim float32 tensor on the input's device, or {@code null} when not asked
 */
public record GemGradients(Tensor input, Tensor p) {}
