package io.asterline.app;

import io.asterline.config.ConfigOptions;
import io.asterline.db.Database;
import io.asterline.db.DatabaseConfig;
import io.asterline.db.Migrations;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "migrate", mixinStandardHelpOptions = true,
    description = "Apply the database migrations and exit.")
public final class MigrateCommand implements Callable<Integer> {

  @Mixin
  ConfigOptions config;

  @Spec
  CommandSpec spec;

  private final Map<String, String> env;

  public MigrateCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    DatabaseConfig db = DatabaseConfig.from(config.settings(env));
    try (Database database = Database.attach(db)) {
      int ran = Migrations.apply(database.dataSource());
      PrintWriter out = spec.commandLine().getOut();
      out.println(ran == 0 ? "schema already up to date" : "applied " + ran + " migration(s)");
      out.flush();
    }
    return 0;
  }
}
