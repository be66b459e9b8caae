package io.asterline;

import io.asterline.app.ConfigCommand;
import io.asterline.app.MigrateCommand;
import io.asterline.app.ServeCommand;
import io.asterline.audiosocket.SimulateCommand;
import io.asterline.call.CallCommand;
import io.asterline.config.ConfigException;
import io.asterline.config.UserException;
import io.asterline.admin.TokenCommand;
import io.asterline.recording.RecordingsCommand;
import io.asterline.report.ReportCommand;
import io.asterline.did.DidsCommand;
import io.asterline.doctor.DoctorCommand;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.api.FlywayException;
import org.jooq.exception.DataAccessException;
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
    // before the first logger exists: a command's stdout is its output (JSON, CSV) and stays free of log lines;
    // serve has no output but its log, which stays on stdout as before
    System.setProperty("asterline.log.target", isServe(args) ? "System.out" : "System.err");
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
        .addSubcommand(TokenCommand.commandLine(env))
        .addSubcommand(new CommandLine(new CallCommand()).addSubcommand(new SimulateCommand()));
    cli.setParameterExceptionHandler(Main::usageError);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      PrintWriter err = commandLine.getErr();
      if (e instanceof ConfigException) {
        err.println("configuration error: " + e.getMessage());
      } else if (e instanceof UserException || e instanceof UncheckedIOException) {
        // UncheckedIOException: a port or a file the start could not have (its message names the key)
        err.println(commandLine.getCommandSpec().qualifiedName() + ": " + e.getMessage());
      } else if (e instanceof DataAccessException || e instanceof FlywayException) {
        err.println(commandLine.getCommandSpec().qualifiedName() + ": the database failed: " + rootMessage(e)
            + " (check database.url / DATABASE_URL, or that the database is running)");
      } else {
        throw e;
      }
      err.flush();
      return 1;
    });
    return cli;
  }

  /**
   * A mistake on the command line: the one line that says what is wrong and where the help is, not the whole
   * usage text (which buries that line); exit 2, the status scripts know for usage errors.
   */
  private static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.println("see '" + cmd.getCommandSpec().qualifiedName() + " --help'");
    err.flush();
    return 2;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static boolean isServe(String[] args) {
    for (String arg : args) {
      if (!arg.startsWith("-")) {
        return arg.equals("serve");
      }
    }
    return false;
  }

  /** Without a command: the list of every registered one (read from the tree, so a new command is never left out). */
  @Override
  public void run() {
    List<String> names = new ArrayList<>(spec.subcommands().keySet());
    String last = names.remove(names.size() - 1);
    throw new CommandLine.ParameterException(spec.commandLine(),
        "a command is required: " + String.join(", ", names) + " or " + last);
  }
}
