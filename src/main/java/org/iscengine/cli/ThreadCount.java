package org.iscengine.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What the thread-count mixins share: their option's value, refused while the command line is
 * parsed when below 1; all processors when not given.
 */
abstract class ThreadCount {
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  private Integer given;

  final void given(String option, int value) {
    if (value < 1) {
      throw new CommandLine.ParameterException(command.commandLine(), option + " must be >= 1, got " + value);
    }
    given = value;
  }

  final int count() {
    return given != null ? given : Runtime.getRuntime().availableProcessors();
  }
}
