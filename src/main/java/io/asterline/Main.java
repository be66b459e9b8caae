package io.asterline;

import io.asterline.app.ConfigCommand;
import io.asterline.app.MigrateCommand;
import io.asterline.app.ServeCommand;
import io.asterline.audiosocket.SimulateCommand;
import io.asterline.call.CallCommand;
import io.asterline.config.ConfigException;
import io.asterline.recording.RecordingsCommand;
import io.asterline.report.ReportCommand;
import io.asterline.did.DidsCommand;
import io.asterline.doctor.DoctorCommand;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "asterline", mixinStandardHelpOptions = true, version = "asterline 0.1.0",
    description = "AI phone agents on your own Asterisk.",
    subcommandsRepeatable = false)
public final class Main implements Runnable {

  @Spec
  CommandSpec spec;

  public static void main(String[] args) {
    System.setProperty("org.jooq.no-logo", "true");
    System.setProperty("org.jooq.no-tips", "true");
    System.exit(commandLine(System.getenv()).execute(args));
  }

  /** The command tree, reading the given environment (tests pass their own). */
  public static CommandLine commandLine(Map<String, String> env) {
    CommandLine cli = new CommandLine(new Main())
        .addSubcommand(new ServeCommand(env))
        .addSubcommand(new MigrateCommand(env))
        .addSubcommand(new ConfigCommand(env))
        .addSubcommand(new RecordingsCommand(env))
        .addSubcommand(new ReportCommand(env))
        .addSubcommand(DidsCommand.commandLine(env))
        .addSubcommand(new DoctorCommand(env))
        .addSubcommand(new CommandLine(new CallCommand()).addSubcommand(new SimulateCommand()));
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof ConfigException) {
        commandLine.getErr().println("configuration error: " + e.getMessage());
        commandLine.getErr().flush();
        return 1;
      }
      throw e;
    });
    return cli;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "a command is required: serve, migrate, config, doctor, dids, recordings or report");
  }
}
