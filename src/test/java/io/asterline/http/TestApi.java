package io.asterline.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.config.Json;
import io.javalin.Javalin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The real HTTP server on 127.0.0.1 (any free port) with the real bearer-token auth and the given routes,
 * and a client for it. Every answer is parsed as JSON, so a non-JSON error fails the test.
 */
public final class TestApi implements AutoCloseable {

  public static final String ADMIN_TOKEN = "admin-token-for-tests-0123456789";

  /** One answer: status and JSON body (null for an empty body). */
  public record Response(int status, JsonNode body) {
    public String text(String field) {
      return body.path(field).asText();
    }
  }

  private final HttpServer server;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = Json.mapper();

  @SafeVarargs
  public TestApi(Auth.TokenLookup tenants, Consumer<Javalin>... routes) {
    this(tenants, null, routes);
  }

  /** With an audit sink, which receives what the routes note. */
  @SafeVarargs
  public TestApi(Auth.TokenLookup tenants, Audit.Sink audit, Consumer<Javalin>... routes) {
    HttpConfig config = new HttpConfig(InetAddress.getLoopbackAddress(), 0, Optional.empty(), Optional.of(ADMIN_TOKEN));
    HttpServer s = new HttpServer(config, json).auth(new Auth(config.adminToken(), tenants));
    if (audit != null) {
      s.audit(audit);
    }
    for (Consumer<Javalin> r : routes) {
      s.routes(r);
    }
    this.server = s.start();
  }

  public ObjectMapper json() {
    return json;
  }

  public Response get(String token, String path) {
    return send(token, "GET", path, null);
  }

  public Response post(String token, String path, String body) {
    return send(token, "POST", path, body);
  }

  public Response put(String token, String path, String body) {
    return send(token, "PUT", path, body);
  }

  public Response delete(String token, String path) {
    return send(token, "DELETE", path, null);
  }

  public Response send(String token, String method, String path, String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    try {
      HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
      String text = response.body();
      return new Response(response.statusCode(), text.isEmpty() ? null : json.readTree(text));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
