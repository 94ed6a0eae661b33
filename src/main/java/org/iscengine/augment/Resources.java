package org.iscengine.augment;

/**
 * What transforms draw on besides the image: other images (overlays, underlays, mixup), fonts and
 * emoji. Immutable, thread-safe, shared by every worker of a build.
 */
public record Resources(ImagePool others, Fonts fonts, EmojiSet emoji) {
  /** Resources from this machine: its fonts and colour-emoji font, and no other images. */
  public static Resources local() {
    return new Resources(ImagePool.empty(), Fonts.system(), EmojiSet.system());
  }

  public Resources withOthers(ImagePool pool) {
    return new Resources(pool, fonts, emoji);
  }
}
