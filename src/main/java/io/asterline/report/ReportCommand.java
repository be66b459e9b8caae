package io.asterline.report;

import io.asterline.config.ConfigOptions;
import io.asterline.config.Settings;
import io.asterline.db.Database;
import io.asterline.db.DatabaseConfig;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jooq.exception.DataAccessException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "report", mixinStandardHelpOptions = true,
    description = "List and run the admin reports (sql/reports/*.sql and reports.dir).",
    subcommands = {ReportCommand.ListReports.class, ReportCommand.Run.class})
public final class ReportCommand implements Runnable {

  @Spec
  CommandSpec spec;

  private final Map<String, String> env;

  public ReportCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: list or run");
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the reports and their parameters.")
  static final class ListReports implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @CommandLine.ParentCommand
    ReportCommand parent;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      ReportConfig rc = ReportConfig.from(config.settings(parent.env));
      PrintWriter out = spec.commandLine().getOut();
      for (ReportCatalog.Entry e : new ReportCatalog(rc.dir()).entries().values()) {
        if (e.report().isPresent()) {
          Report r = e.report().get();
          String params = r.params().isEmpty() ? "no parameters"
              : "--" + String.join(" --", r.params().stream().map(Report.Param::key).toList());
          out.printf("%-28s %s%n%-28s   %s%n%-28s   %s%s%n", r.name(), r.title(), "", r.description(), "", params,
              r.coversAllTenants() ? " (all tenants: admin only in the API)" : "");
        } else {
          out.printf("%-28s INVALID (%s): %s%n", e.name(), e.source(), e.problem().orElse(""));
        }
      }
      out.flush();
      return 0;
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true, description = "Run a report and print its result.")
  static final class Run implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", description = "the report, as `report list` names it")
    String name;

    @Option(names = "--tenant", paramLabel = "ID", description = "only this tenant (default: all)")
    String tenant;

    @Option(names = "--from", paramLabel = "DATE", description = "from this date or ISO date-time, UTC (default: 7 days before --to)")
    String from;

    @Option(names = "--to", paramLabel = "DATE", description = "up to this date (inclusive) or ISO date-time, exclusive (default: now)")
    String to;

    @Option(names = "--segment", paramLabel = "SEGMENT", description = "only this DID segment")
    String segment;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table", description = "table, csv, json or html (default: table)")
    String format;

    @Mixin
    ConfigOptions config;

    @CommandLine.ParentCommand
    ReportCommand parent;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      Settings settings = config.settings(parent.env);
      ReportConfig rc = ReportConfig.from(settings);
      PrintWriter err = spec.commandLine().getErr();
      try {
        ReportFormat f = ReportFormat.parse(format);
        Report report = new ReportCatalog(rc.dir()).find(name);
        Map<String, String> raw = new LinkedHashMap<>();
        put(raw, "tenant", tenant);
        put(raw, "from", from);
        put(raw, "to", to);
        put(raw, "segment", segment);
        ReportParams params = ReportParams.parse(raw, Clock.systemUTC());
        params.checkTakenBy(report);
        try (Database database = Database.attach(DatabaseConfig.from(settings))) {
          String text = (f == null ? ReportFormat.TABLE : f).write(report,
              new ReportRunner(database.dsl(), rc.timeout()).run(report, params));
          PrintWriter out = spec.commandLine().getOut();
          out.print(text);
          out.flush();
        }
        return 0;
      } catch (ReportException e) {
        err.println("report: " + (e.field().equals("name") ? "" : "--" + e.field() + ": ") + e.getMessage());
        err.flush();
        return 2;
      } catch (DataAccessException e) {
        err.println("report " + name + " failed in the database: " + e.getCause());
        err.flush();
        return 1;
      }
    }

    private static void put(Map<String, String> raw, String key, String value) {
      if (value != null) {
        raw.put(key, value);
      }
    }
  }
}
