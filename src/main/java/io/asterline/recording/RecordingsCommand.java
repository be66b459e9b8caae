package io.asterline.recording;

import io.asterline.config.ConfigOptions;
import io.asterline.db.Database;
import io.asterline.db.DatabaseConfig;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "recordings", mixinStandardHelpOptions = true,
    description = "Look at the recording job queue and put failed jobs back into it.",
    subcommands = {RecordingsCommand.Retry.class, RecordingsCommand.ListJobs.class})
public final class RecordingsCommand implements Runnable {

  @Spec
  CommandSpec spec;

  private final Map<String, String> env;

  public RecordingsCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: retry or list");
  }

  @Command(name = "retry", mixinStandardHelpOptions = true,
      description = "Put failed recording jobs back into the queue; they go on from the step they reached.")
  static final class Retry implements Callable<Integer> {

    static final class Which {
      @Option(names = "--failed", required = true, description = "every failed job")
      boolean failed;

      @Option(names = "--call", paramLabel = "CALL_ID", required = true, description = "the failed job of one call")
      UUID callId;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    @Mixin
    ConfigOptions config;

    @CommandLine.ParentCommand
    RecordingsCommand parent;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      try (Database database = Database.attach(DatabaseConfig.from(config.settings(parent.env)))) {
        int n = new RecordingJobs(database.dsl()).retryFailed(which.failed ? null : which.callId);
        PrintWriter out = spec.commandLine().getOut();
        out.println("requeued " + n + " failed recording job(s)");
        out.flush();
        return which.callId != null && n == 0 ? 1 : 0;
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the newest recording jobs.")
  static final class ListJobs implements Callable<Integer> {

    @Option(names = "--state", description = "only jobs in this state: pending, running, done, failed")
    String state;

    @Option(names = "--failed", description = "only failed jobs (same as --state failed)")
    boolean failed;

    @Option(names = "--limit", defaultValue = "50", description = "at most this many (default 50)")
    int limit;

    @Mixin
    ConfigOptions config;

    @CommandLine.ParentCommand
    RecordingsCommand parent;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      String s = failed ? RecordingJobState.FAILED.dbValue() : state;
      if (s != null && !RecordingJobs.STATES.contains(s)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--state must be one of " + String.join(", ", RecordingJobs.STATES) + ", got '" + s + "'");
      }
      if (limit < 1 || limit > 10_000) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--limit must be from 1 to 10000, got " + limit);
      }
      try (Database database = Database.attach(DatabaseConfig.from(config.settings(parent.env)))) {
        List<RecordingJobs.Job> jobs = new RecordingJobs(database.dsl()).list(s, limit);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-8s %-36s %-9s %-7s %-10s %-8s %s%n", "job", "call", "kind", "state", "step", "attempts",
            "last error");
        for (RecordingJobs.Job j : jobs) {
          out.printf("%-8d %-36s %-9s %-7s %-10s %-8d %s%n", j.id(), j.callId(), j.kind().value(), j.state(), j.step(),
              j.attempts(),
              j.lastError() == null ? "" : j.lastError());
        }
        out.flush();
        return 0;
      }
    }
  }
}
