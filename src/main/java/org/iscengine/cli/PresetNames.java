package org.iscengine.cli;

import java.util.Iterator;
import org.iscengine.augment.Presets;

/** The augmentation presets, for option help and completion. */
final class PresetNames implements Iterable<String> {
  @Override
  public Iterator<String> iterator() {
    return Presets.NAMES.iterator();
  }
}
