package org.iscengine.data;

/**
 * A dataset build was asked into a folder that holds a build with other settings or sources (its
 * manifest differs): nothing there is touched.
 */
public final class OtherBuildException extends IllegalArgumentException {
  public OtherBuildException(String message) {
    super(message);
  }
}
