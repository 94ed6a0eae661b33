package org.iscengine.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.iscengine.errors.IscException;
import org.junit.jupiter.api.function.Executable;

/** Refusals of the engine's own kind: an {@link IscException} of the right kind that names the cause. */
public final class IscAssert {
  private IscAssert() {}

  /** The call throws an IscException of the kind whose message holds every fragment. */
  public static IscException assertRefused(IscException.Kind kind, Executable call, String... fragments) {
    IscException e = assertThrows(IscException.class, call);
    assertEquals(kind, e.kind(), e.getMessage());
    for (String fragment : fragments) {
      assertTrue(e.getMessage().contains(fragment), () -> "'" + e.getMessage() + "' should mention '" + fragment + "'");
    }
    return e;
  }
}
