package io.asterline.call;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code asterline call ...}: operator tools for calls; the subcommands come from the features. */
@Command(name = "call", mixinStandardHelpOptions = true, description = "Operator tools for calls.")
public final class CallCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required, e.g. simulate");
  }
}
