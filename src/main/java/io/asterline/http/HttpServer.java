package io.asterline.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.asterline.config.UserException;
import io.asterline.error.ConflictException;
import io.asterline.error.InvalidInputException;
import io.asterline.error.NotFoundException;
import io.asterline.error.RefusedException;
import io.asterline.error.UnavailableException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Javalin server. Features add their routes through {@link #routes(Consumer)} before {@link #start()};
 * every error leaves as JSON.
 */
public final class HttpServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
  /**
   * One line per API request: method, path (no query string), status, milliseconds, who (admin, tenant:ID or -).
   * Its own logger, so operators can send it elsewhere or turn it off; never a token or a body.
   */
  private static final Logger access = LoggerFactory.getLogger("asterline.access");

  private final HttpConfig config;
  private final ObjectMapper json;
  private final List<HealthCheck> checks = new ArrayList<>();
  private final List<Consumer<Javalin>> routeSets = new ArrayList<>();
  private Javalin app;
  private Auth auth;
  private Audit.Sink audit;

  public HttpServer(HttpConfig config, ObjectMapper json) {
    this.config = config;
    this.json = json;
  }

  public HttpServer health(HealthCheck check) {
    checks.add(check);
    return this;
  }

  /** The parts /health reports, for their metrics. */
  public List<HealthCheck> checks() {
    return List.copyOf(checks);
  }

  /** Prometheus exposition at /metrics. */
  public HttpServer metrics(PrometheusMeterRegistry registry) {
    return routes(app -> app.get("/metrics", ctx -> ctx
        .contentType("text/plain; version=0.0.4; charset=utf-8")
        .result(registry.scrape())));
  }

  /** Every /api route requires a bearer token; handlers read it with {@link Auth#principal}. */
  public HttpServer auth(Auth auth) {
    this.auth = auth;
    return routes(app -> app.before("/api/*", auth::authenticate));
  }

  /** Writes the change each successful request noted with {@link Audit#note}. */
  public HttpServer audit(Audit.Sink sink) {
    this.audit = sink;
    return this;
  }

  public HttpServer routes(Consumer<Javalin> routes) {
    routeSets.add(routes);
    return this;
  }

  public HttpServer start() {
    QueuedThreadPool threads = new QueuedThreadPool(64, 4, 60_000);
    threads.setName("http");
    app = Javalin.create(cfg -> {
      cfg.showJavalinBanner = false;
      cfg.jsonMapper(new JavalinJackson(json, false));
      cfg.jetty.defaultHost = config.bind().getHostAddress();
      cfg.jetty.defaultPort = config.port();
      cfg.jetty.threadPool = threads;
      cfg.http.defaultContentType = "application/json";
      // a path that exists with another method is 405 with Allow, not "no such resource"
      cfg.http.prefer405over404 = true;
      cfg.requestLogger.http(HttpServer::logAccess);
    });
    app.get("/health", this::health);
    app.after("/api/*", this::writeAudit);
    routeSets.forEach(r -> r.accept(app));
    app.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.getMessage(), e.field()));
    app.exception(RefusedException.class, (e, ctx) -> error(ctx, status(e), e.getMessage(), e.field()));
    app.exception(UnrecognizedPropertyException.class, (e, ctx) -> error(ctx, 400,
        JsonBody.unknownField(path(e), e.getKnownPropertyIds()), path(e)));
    app.exception(InvalidFormatException.class, (e, ctx) -> error(ctx, 400,
        "invalid value for " + path(e) + ": " + e.getValue(), path(e)));
    app.exception(MismatchedInputException.class, (e, ctx) -> error(ctx, 400,
        "invalid value for " + path(e), path(e)));
    app.exception(JsonProcessingException.class, (e, ctx) -> {
      if (e instanceof InvalidDefinitionException) {
        // our own type cannot be (de)serialised: a server bug, not the client's fault
        log.error("{} {} failed", ctx.method(), ctx.path(), e);
        error(ctx, 500, "internal error", null);
      } else {
        error(ctx, 400, "request body is not valid JSON: " + e.getOriginalMessage(), null);
      }
    });
    app.exception(Exception.class, (e, ctx) -> {
      log.error("{} {} failed", ctx.method(), ctx.path(), e);
      error(ctx, 500, "internal error", null);
    });
    // Javalin's own responses (no such endpoint, wrong method) leave as the same JSON shape
    app.exception(HttpResponseException.class, (e, ctx) -> {
      String allowed = e.getDetails().get("availableMethods");
      if (e.getStatus() == 405 && allowed != null) {
        ctx.header("Allow", allowed);
        error(ctx, 405, ctx.method() + " is not allowed on " + ctx.path() + "; allowed: " + allowed, null);
        return;
      }
      error(ctx, e.getStatus(),
          e.getStatus() == 404 ? "no such resource: " + ctx.method() + " " + ctx.path() : e.getMessage(), null);
    });
    try {
      app.start();
    } catch (RuntimeException e) {
      if (causedByBind(e)) {
        app.stop();
        throw new UserException("http: cannot listen on " + config.bind().getHostAddress() + ":" + config.port()
            + ": the port is in use (by another Asterline?); stop what holds it, or choose another port with"
            + " http.port (HTTP_PORT), e.g. -Dhttp.port=8081");
      }
      throw e;
    }
    log.info("http: listening on {}:{}", config.bind().getHostAddress(), port());
    return this;
  }

  private void writeAudit(Context ctx) {
    Audit.Event event = Audit.noted(ctx);
    if (event == null || audit == null || ctx.status().getCode() >= 400) {
      return;
    }
    try {
      audit.write(event);
    } catch (RuntimeException e) {
      // the change is made; losing its audit line must be loud but must not turn the answer into an error
      log.error("audit: could not record {} {} {} by {}", event.action(), event.entity(), event.entityId(),
          event.actor(), e);
    }
  }

  private static void logAccess(Context ctx, Float ms) {
    if (!access.isInfoEnabled()) {
      return;
    }
    Principal p = Auth.principalOrNull(ctx);
    access.info("{} {} {} {}ms {}", ctx.method(), ctx.path(), ctx.status().getCode(), Math.round(ms),
        p == null ? "-" : Audit.actor(p));
  }

  private static boolean causedByBind(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException || t.getClass().getSimpleName().equals("JavalinBindException")) {
        return true;
      }
    }
    return false;
  }

  public int port() {
    return app.port();
  }

  /** The host a client on this machine reaches the server at: its bind address, or loopback for a wildcard. */
  public String host() {
    if (config.bind().isAnyLocalAddress()) {
      return "127.0.0.1";
    }
    String address = config.bind().getHostAddress();
    return address.contains(":") ? "[" + address + "]" : address;
  }

  /**
   * Every part's state, to anyone (balancers and the container health check need only the status code). The
   * details name database hosts, users and the AMI address: only the admin token sees them.
   */
  private void health(Context ctx) {
    boolean details = auth != null && auth.isAdmin(ctx);
    Map<String, Object> parts = new LinkedHashMap<>();
    boolean healthy = true;
    for (HealthCheck check : checks) {
      HealthCheck.Status status;
      try {
        status = check.check();
      } catch (RuntimeException e) {
        status = HealthCheck.Status.down("check failed: " + e.getMessage());
      }
      if (check.critical() && status.state() != HealthCheck.State.UP
          && status.state() != HealthCheck.State.DEGRADED) {
        healthy = false;
      }
      Map<String, Object> part = new LinkedHashMap<>();
      part.put("state", status.state().name());
      if (details) {
        part.put("detail", status.detail());
      }
      parts.put(check.name(), part);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", healthy ? "UP" : "DOWN");
    body.put("parts", parts);
    ctx.status(healthy ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(body);
  }

  /** The one place a business refusal becomes an HTTP status. */
  public static int status(RefusedException e) {
    if (e instanceof InvalidInputException) {
      return 400;
    }
    if (e instanceof NotFoundException) {
      return 404;
    }
    if (e instanceof ConflictException) {
      return 409;
    }
    if (e instanceof UnavailableException) {
      return 503;
    }
    throw new IllegalStateException("no HTTP status for " + e.getClass().getName());
  }

  private static String path(MismatchedInputException e) {
    StringBuilder sb = new StringBuilder();
    e.getPath().forEach(ref -> {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    });
    return sb.length() == 0 ? "body" : sb.toString();
  }

  private static void error(Context ctx, int status, String message, String field) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", message);
    if (field != null) {
      body.put("field", field);
    }
    ctx.status(status).json(body);
  }

  @Override
  public void close() {
    if (app != null) {
      app.stop();
    }
  }
}
