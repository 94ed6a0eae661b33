package org.iscengine.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.function.Executable;

/** Bad arguments are refused with a message that names what is wrong with them. */
public final class ArgumentAssert {
  private ArgumentAssert() {}

  /** The call throws an IllegalArgumentException whose message holds every fragment. */
  public static IllegalArgumentException assertRejected(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String fragment : fragments) {
      assertTrue(e.getMessage().contains(fragment), () -> "'" + e.getMessage() + "' should mention '" + fragment + "'");
    }
    return e;
  }
}
