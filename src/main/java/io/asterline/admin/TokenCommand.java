package io.asterline.admin;

import io.asterline.config.ConfigOptions;
import io.asterline.config.Settings;
import io.asterline.config.UserException;
import io.asterline.db.Database;
import io.asterline.db.DatabaseConfig;
import io.asterline.db.Migrations;
import io.asterline.http.Auth;
import io.asterline.http.HttpConfig;
import io.asterline.tenant.TenantRepository;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code asterline token ...}: API tokens issued from the command line, for whoever has the host but no token
 * (a new install, a lost token). Each token is printed once on stdout; only its hash is stored.
 */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Issue API tokens (printed once).")
public final class TokenCommand implements Runnable {

  @Spec
  CommandSpec spec;

  /** The {@code token} command tree, reading the given environment. */
  public static CommandLine commandLine(Map<String, String> env) {
    return new CommandLine(new TokenCommand())
        .addSubcommand(new AdminCommand(env))
        .addSubcommand(new TenantCommand(env));
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a command is required: admin or tenant");
  }

  @Command(name = "admin", mixinStandardHelpOptions = true,
      description = "Issue the admin token when admin.token is not configured; --rotate replaces the current one"
          + " (it stops working at once, on every node).")
  static final class AdminCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Option(names = "--rotate", description = "replace the existing admin token")
    boolean rotate;

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;

    AdminCommand(Map<String, String> env) {
      this.env = env;
    }

    @Override
    public Integer call() {
      Settings settings = config.settings(env);
      if (HttpConfig.from(settings).adminToken().isPresent()) {
        throw new UserException("admin.token is configured (" + settings.value(HttpConfig.ADMIN_TOKEN)
            .map(v -> v.origin()).orElse("") + "): that is the admin token; to change it, change it there");
      }
      try (Database database = Database.attach(DatabaseConfig.from(settings))) {
        Migrations.apply(database.dataSource());
        AdminTokenRepository tokens = new AdminTokenRepository(database.dsl());
        String token;
        if (rotate) {
          token = tokens.rotate();
        } else {
          token = tokens.createIfAbsent().orElseThrow(() -> new UserException(
              "an admin token exists already (shown once, when it was made); 'asterline token admin --rotate'"
                  + " replaces it"));
        }
        print(spec, token, rotate ? "new admin token (the old one no longer works)" : "admin token");
      }
      return 0;
    }
  }

  @Command(name = "tenant", mixinStandardHelpOptions = true,
      description = "Issue a new token for a tenant; its old token stops working at once.")
  static final class TenantCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ID", description = "the tenant's id (GET /api/tenants lists them)")
    long id;

    @Mixin
    ConfigOptions config;

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;

    TenantCommand(Map<String, String> env) {
      this.env = env;
    }

    @Override
    public Integer call() {
      Settings settings = config.settings(env);
      try (Database database = Database.attach(DatabaseConfig.from(settings))) {
        Migrations.apply(database.dataSource());
        TenantRepository tenants = new TenantRepository(database.dsl());
        String token = Auth.newToken();
        if (tenants.replaceTokenHash(id, Auth.hash(token)).isEmpty()) {
          throw new UserException("no tenant " + id + "; the tenants are " + tenants.list().stream()
              .map(t -> Long.toString(t.id())).toList() + " (create one with POST /api/tenants)");
        }
        print(spec, token, "token of tenant " + id + " (its old token no longer works)");
      }
      return 0;
    }
  }

  /** The token alone on stdout (for {@code $(asterline token ...)}); what it is on stderr. */
  private static void print(CommandSpec spec, String token, String what) {
    PrintWriter err = spec.commandLine().getErr();
    err.println(what + ", shown only this once:");
    err.flush();
    PrintWriter out = spec.commandLine().getOut();
    out.println(token);
    out.flush();
  }
}
