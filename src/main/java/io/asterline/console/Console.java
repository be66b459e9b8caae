package io.asterline.console;

import io.asterline.feature.Feature;
import io.asterline.http.Auth;
import io.asterline.http.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongFunction;
import java.util.function.Consumer;

/**
 * The admin console's files at {@code /console/}: static HTML, CSS and JavaScript from the jar, no server-side
 * state, and {@code GET /api/console/me} (who the token is). The pages call the JSON API with the token the user typed, kept in the tab's sessionStorage and sent as
 * {@code Authorization: Bearer}; what a token may see is decided by the API, never here. The Content-Security-Policy
 * lets the pages load nothing but these files and talk to nothing but this server (audio may come from a
 * presigned S3 URL).
 */
public final class Console implements Feature {

  /** Every file the console has; anything else under /console/ is 404. */
  static final List<String> FILES = List.of("index.html", "console.css", "app.js", "api.js", "ui.js", "chart.js",
      "live.js", "calls.js", "dids.js", "reports.js", "health.js");

  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; media-src 'self' https: http:; base-uri 'none'; form-action 'none';"
      + " frame-ancestors 'none'";

  private record File(byte[] bytes, String contentType) {}

  private final Map<String, File> files = new LinkedHashMap<>();
  private final LongFunction<Optional<String>> tenantNames;

  /** {@code tenantNames}: a tenant's name by id, to greet a tenant token by its name. */
  public Console(LongFunction<Optional<String>> tenantNames) {
    this.tenantNames = tenantNames;
    for (String name : FILES) {
      try (InputStream in = Console.class.getResourceAsStream("/console/" + name)) {
        if (in == null) {
          throw new IllegalStateException("console file /console/" + name + " is missing from the jar");
        }
        files.put(name, new File(in.readAllBytes(), contentType(name)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read console file " + name, e);
      }
    }
  }

  /** {@code tenantNames}: a tenant's name by id, to greet a tenant token by its name. */
  public static Console start(LongFunction<Optional<String>> tenantNames) {
    return new Console(tenantNames);
  }

  @Override
  public String name() {
    return "console";
  }

  @Override
  public Consumer<Javalin> routes() {
    return this::accept;
  }

  private void accept(Javalin app) {
    // Javalin takes /console and /console/ for one path; the pages' relative links need the slash
    app.get("/console", ctx -> {
      if (ctx.path().endsWith("/")) {
        send(ctx, "index.html");
      } else {
        ctx.redirect("/console/");
      }
    });
    app.get("/console/{file}", ctx -> send(ctx, ctx.pathParam("file")));
    app.get("/api/console/me", this::me);
  }

  /** Who the request's token is, so the pages show what it may use: {"admin", "tenantId", "tenantName"}. */
  private void me(Context ctx) {
    Principal p = Auth.principal(ctx);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("admin", p.admin());
    body.put("tenantId", p.admin() ? null : p.tenantId().getAsLong());
    body.put("tenantName", p.admin() ? null : tenantNames.apply(p.tenantId().getAsLong()).orElse(null));
    ctx.json(body);
  }

  private void send(Context ctx, String name) {
    File f = files.get(name);
    if (f == null) {
      ctx.status(404).json(Map.of("error", "no such console file: " + name));
      return;
    }
    ctx.header("Content-Security-Policy", CSP)
        .header("X-Content-Type-Options", "nosniff")
        .header("Referrer-Policy", "no-referrer")
        // small files that change with each release: always asked again, answered from the jar
        .header("Cache-Control", "no-cache")
        .contentType(f.contentType())
        .result(f.bytes());
  }

  private static String contentType(String name) {
    if (name.endsWith(".html")) {
      return "text/html; charset=utf-8";
    }
    if (name.endsWith(".css")) {
      return "text/css; charset=utf-8";
    }
    return "text/javascript; charset=utf-8";
  }
}
