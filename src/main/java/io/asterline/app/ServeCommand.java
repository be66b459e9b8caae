package io.asterline.app;

import io.asterline.config.ConfigOptions;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Start every configured part and run until SIGTERM or SIGINT.")
public final class ServeCommand implements Callable<Integer> {

  @Mixin
  ConfigOptions config;

  @Spec
  CommandSpec spec;

  private final Map<String, String> env;

  public ServeCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() throws InterruptedException {
    AsterlineConfig cfg = AsterlineConfig.from(config.settings(env));
    Asterline app = Asterline.start(cfg);
    app.takeNewAdminToken().ifPresent(token -> printFirstToken(token, app));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // the JVM waits for this hook: calls in progress get their chance to finish before the exit
      app.close();
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
    return 0;
  }

  /**
   * The generated admin token, shown this once (only its hash is kept), with a line that uses it: without it a
   * new user has no way into /api. The token is deliberately not logged: logs travel further than a terminal.
   */
  private void printFirstToken(String token, Asterline app) {
    String base = "http://" + app.httpHost() + ":" + app.httpPort();
    PrintWriter out = spec.commandLine().getOut();
    out.println();
    out.println("    Admin API token, generated on this first start (only its hash is kept: it is shown only now):");
    out.println();
    out.println("        " + token);
    out.println();
    out.println("    Try it:");
    out.println("        curl -H \"Authorization: Bearer " + token + "\" " + base + "/api/tenants");
    out.println();
    out.println("    A new admin token (the old one stops working): asterline token admin --rotate");
    out.println("    A token for tenant 1:                          asterline token tenant 1");
    out.println("    Or configure your own with admin.token (ASTERLINE_ADMIN_TOKEN).");
    out.println();
    out.flush();
  }
}
