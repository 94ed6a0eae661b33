package org.iscengine.augment;

import static org.iscengine.augment.Compose.maybe;
import static org.iscengine.augment.Compose.oneOf;
import static org.iscengine.augment.Compose.sequence;

import java.util.List;
import java.util.Locale;

/**
 * The named augmentation recipes of the seeds (shared/ANCHORS.md, section 2). Each produces
 * size x size images (the final square resize of the winner), or keeps the crop's size when
 * size is 0 where a recipe allows it.
 */
public final class Presets {
  /** The names accepted by {@link #named}. */
  public static final List<String> NAMES =
      List.of("moderate", "lyakaap-v83", "lyakaap-v86", "d2lv-big", "sscd-advanced", "disc-query");

  private Presets() {}

  /** The recipe called name, producing size x size images. */
  public static Transform named(String name, int size) {
    if (size < 1) {
      throw new IllegalArgumentException("size must be >= 1, got " + size);
    }
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "moderate" -> moderate(size);
      case "lyakaap-v83" -> lyakaap(size, 0.25);
      case "lyakaap-v86" -> lyakaap(size, 0.35);
      case "d2lv-big" -> d2lvBig(size);
      case "sscd-advanced" -> sscdAdvanced(size);
      case "disc-query" -> discQuery(size);
      default -> throw new IllegalArgumentException("unknown augmentation preset '" + name + "'; known: " + NAMES);
    };
  }

  /** The recipe's usual output size: 256 for v83 and D2LV, 384 for v86, 224 for SSCD. */
  public static int defaultSize(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "lyakaap-v86" -> 384;
      case "sscd-advanced" -> 224;
      case "disc-query" -> 320;
      default -> 256;
    };
  }

  /** The winner's moderate view: random resized crop of scale 0.7-1 and a horizontal flip. */
  public static Transform moderate(int size) {
    return sequence(new RandomResizedCrop(0.7, 1.0, size), maybe(0.5, new Flip(true)));
  }

  /**
   * The winner's hard view (v83 with p = 0.25; v86, stronger, with p = 0.35): rotation; overlay
   * onto another training image (p 0.05, size 0.4-0.6, opacity 0.6-1) then crop scale 0.7-1,
   * otherwise crop scale 0.15-1; colour jitter (0.7, 0.7, 0.7, 0.2) always; pixelization; shuffle
   * pixels (0.1); JPEG at 10, 20, 30 or 50; grayscale; blur; perspective; flips (0.5, 0.1); text
   * (1-2 lines of 5-9 characters, size 0.1-0.3); emoji (0.1-0.3); edge enhance; random erasing.
   */
  static Transform lyakaap(int size, double p) {
    double overlay = p >= 0.3 ? 0.1 : 0.05;
    return sequence(
        maybe(p, new Rotate(-30, 30, true)),
        oneOf(List.of(
                sequence(new OverlayOntoBackground(0.4, 0.6, 0.6, 1.0), new RandomResizedCrop(0.7, 1.0, size)),
                new RandomResizedCrop(0.15, 1.0, size)),
            new double[] {overlay, 1 - overlay}),
        new ColorJitter(0.7, 0.7, 0.7, 0.2),
        maybe(p, new Pixelize(0.1, 1.0)),
        maybe(p, new ShufflePixels(0.1, 0.1)),
        maybe(p, new JpegQuality(new int[] {10, 20, 30, 50})),
        maybe(p, new Grayscale()),
        maybe(p, new Blur(0.5, 3.0)),
        maybe(p, new Perspective(0.5)),
        maybe(0.5, new Flip(true)),
        maybe(0.1, new Flip(false)),
        maybe(p, TextOverlay.lyakaap()),
        maybe(p, new EmojiOverlay(0.1, 0.3, 1.0, 1.0)),
        maybe(p, new EdgeEnhance()),
        Resize.square(size),
        maybe(0.25, RandomErasing.defaults()));
  }

  /**
   * The matching-track winner's "big" dataset (isc_100k_256_big): crops, rotation up to 50
   * degrees, pad 0-0.1, perspective, underlay (the image inside another), opacity, shuffled
   * pixels up to 0.4, two rounds of text of 0-20 characters, emoji, colour, JPEG, blur, flips.
   */
  static Transform d2lvBig(int size) {
    return sequence(
        new RandomResizedCrop(0.3, 1.0, 0),
        maybe(0.3, new Rotate(-50, 50, false)),
        maybe(0.2, new Pad(0.0, 0.1)),
        maybe(0.3, new Perspective(0.4)),
        maybe(0.2, new OverlayOntoBackground(0.4, 0.9, 0.7, 1.0)),
        maybe(0.2, new Opacity(0.3, 0.9)),
        maybe(0.2, new ShufflePixels(0.0, 0.4)),
        maybe(0.3, new TextOverlay(1, 1, 0, 20, 0.05, 0.2, 0.5, 1.0)),
        maybe(0.3, new TextOverlay(1, 1, 0, 20, 0.05, 0.2, 0.5, 1.0)),
        maybe(0.3, new EmojiOverlay(0.1, 0.4, 0.5, 1.0)),
        maybe(0.8, new ColorJitter(0.5, 0.5, 0.5, 0.1)),
        maybe(0.2, new Grayscale()),
        maybe(0.3, new JpegQuality(new int[] {10, 20, 30, 50, 70})),
        maybe(0.2, new Blur(0.5, 2.5)),
        maybe(0.5, new Flip(true)),
        maybe(0.1, new Flip(false)),
        Resize.square(size));
  }

  /**
   * SSCD's "advanced" augmentation: crops, 90/180/270 and free rotation, flips, colour jitter,
   * grayscale, blur, JPEG, text, emoji, and mixup or cutmix with another image.
   */
  static Transform sscdAdvanced(int size) {
    return sequence(
        new RandomResizedCrop(0.08, 1.0, 0),
        maybe(0.1, new Rotate90()),
        maybe(0.1, new Rotate(-45, 45, true)),
        maybe(0.5, new Flip(true)),
        maybe(0.1, new Flip(false)),
        maybe(0.8, new ColorJitter(0.4, 0.4, 0.4, 0.1)),
        maybe(0.2, new Grayscale()),
        maybe(0.1, new Blur(0.1, 2.0)),
        maybe(0.2, new JpegQuality(new int[] {10, 20, 30, 50, 70, 90})),
        maybe(0.1, new TextOverlay(1, 2, 5, 15, 0.05, 0.2, 0.5, 1.0)),
        maybe(0.1, new EmojiOverlay(0.1, 0.3, 0.8, 1.0)),
        Resize.square(size),
        maybe(0.1, oneOf(new Mixup(0.5, 0.9), new CutMix(0.05, 0.4))));
  }

  /**
   * Query edits for a DISC21-style benchmark: one to three strong edits drawn from the seeds'
   * lists (crop, overlay onto another image, text, emoji, caption, colour, blur, JPEG, rotation,
   * perspective, padding, pixelization, opacity), then a resize.
   */
  static Transform discQuery(int size) {
    // Named, so that mini-DISC can record which edits made each query (per-edit evaluation).
    Transform edits = oneOf(
        Compose.named("crop", new RandomResizedCrop(0.2, 0.7, 0)),
        Compose.named("underlay", new OverlayOntoBackground(0.35, 0.8, 0.8, 1.0)),
        Compose.named("text", new TextOverlay(1, 3, 4, 16, 0.08, 0.25, 0.7, 1.0)),
        Compose.named("emoji", new EmojiOverlay(0.15, 0.45, 0.8, 1.0)),
        Compose.named("caption", new MemeCaption(0.15, 0.35, true)),
        Compose.named("colour", new ColorJitter(0.6, 0.6, 0.8, 0.3)),
        Compose.named("blur", new Blur(1.0, 3.0)),
        Compose.named("jpeg", new JpegQuality(new int[] {10, 20, 30})),
        Compose.named("rotation", new Rotate(-40, 40, false)),
        Compose.named("perspective", new Perspective(0.5)),
        Compose.named("pad", new Pad(0.05, 0.25)),
        Compose.named("pixelize", new Pixelize(0.1, 0.4)),
        Compose.named("opacity", new Opacity(0.4, 0.8)),
        Compose.named("grayscale-edges", sequence(new Grayscale(), new EdgeEnhance())),
        Compose.named("flip", new Flip(true)));
    return sequence(edits, maybe(0.7, edits), maybe(0.4, edits), Resize.square(size));
  }
}
