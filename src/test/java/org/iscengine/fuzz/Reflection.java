package org.iscengine.fuzz;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;

/**
 * Reaches the package-private readers the fuzz targets call, so that every target stays in this
 * package: methods looked up by name, called with the reader's own exception rethrown, record
 * components read by name.
 */
final class Reflection {
  private Reflection() {}

  static Class<?> type(String name) {
    try {
      return Class.forName(name);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }

  static Method method(Class<?> owner, String name, Class<?>... parameters) {
    try {
      Method m = owner.getDeclaredMethod(name, parameters);
      m.setAccessible(true);
      return m;
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Calls a static method; what it throws comes out as itself, not wrapped. */
  static Object call(Method m, Object... args) throws Exception {
    try {
      return m.invoke(null, args);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof Exception ex) {
        throw ex;
      }
      throw (Error) e.getCause();
    }
  }

  static Object component(Object record, String name) throws ReflectiveOperationException {
    for (RecordComponent c : record.getClass().getRecordComponents()) {
      if (c.getName().equals(name)) {
        Method accessor = c.getAccessor();
        accessor.setAccessible(true);
        return accessor.invoke(record);
      }
    }
    throw new IllegalStateException("no component " + name);
  }
}
