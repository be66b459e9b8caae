package io.asterline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.config.Json;
import io.asterline.config.Settings;
import io.asterline.config.UserException;
import io.asterline.error.ConflictException;
import io.asterline.error.InvalidInputException;
import io.asterline.error.NotFoundException;
import io.asterline.error.UnavailableException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every error leaves as JSON, and a server bug is a 500, never blamed on the client. */
class HttpServerErrorsTest {

  record Order(String to, int count) {}

  /** Jackson cannot serialise this (no properties): a bug on our side. */
  static final class Opaque {}

  static HttpServer server;
  static final HttpClient http = HttpClient.newHttpClient();
  static final String TOKEN = "admin-token-for-errors-test";

  @BeforeAll
  static void start() {
    server = new HttpServer(HttpConfig.from(Settings.of(Map.of(), Map.of(), Map.of("http.port", "0"))), Json.mapper())
        .auth(new Auth(Optional.of(TOKEN), hash -> OptionalLong.empty()))
        .routes(app -> {
          app.post("/api/orders", ctx -> ctx.json(ctx.bodyAsClass(Order.class)));
          app.get("/api/broken", ctx -> ctx.json(new Opaque()));
          // business code's refusals, thrown without knowing they end up in an HTTP answer
          app.get("/api/refused/input", ctx -> {
            throw new InvalidInputException("to", "to: '12' is not a phone number");
          });
          app.get("/api/refused/missing", ctx -> {
            throw new NotFoundException("no journey 7");
          });
          app.get("/api/refused/taken", ctx -> {
            throw new ConflictException("name", "a tenant named 'acme' exists already");
          });
          app.get("/api/refused/later", ctx -> {
            throw new UnavailableException("outbound calls are unavailable: AMI is not connected");
          });
        })
        .start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return http.send(b.header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest.Builder at(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
  }

  @Test
  void badJsonIsTheClientsFaultAndNamesTheField() throws Exception {
    HttpResponse<String> garbage = send(at("/api/orders").POST(HttpRequest.BodyPublishers.ofString("{not json")));
    assertThat(garbage.statusCode()).isEqualTo(400);
    assertThat(garbage.body()).contains("\"error\":\"request body is not valid JSON");

    HttpResponse<String> wrongType = send(at("/api/orders")
        .POST(HttpRequest.BodyPublishers.ofString("{\"to\":\"+15551234567\",\"count\":\"many\"}")));
    assertThat(wrongType.statusCode()).isEqualTo(400);
    assertThat(wrongType.body()).contains("\"field\":\"count\"");

    HttpResponse<String> good = send(at("/api/orders")
        .POST(HttpRequest.BodyPublishers.ofString("{\"to\":\"+15551234567\",\"count\":2}")));
    assertThat(good.statusCode()).isEqualTo(200);
    assertThat(good.body()).contains("\"count\":2");
  }

  @Test
  void aRefusalFromBusinessCodeLeavesWithItsStatusAndField() throws Exception {
    HttpResponse<String> input = send(at("/api/refused/input").GET());
    assertThat(input.statusCode()).isEqualTo(400);
    assertThat(input.body()).isEqualTo("{\"error\":\"to: '12' is not a phone number\",\"field\":\"to\"}");

    HttpResponse<String> missing = send(at("/api/refused/missing").GET());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).isEqualTo("{\"error\":\"no journey 7\"}");

    HttpResponse<String> taken = send(at("/api/refused/taken").GET());
    assertThat(taken.statusCode()).isEqualTo(409);
    assertThat(taken.body()).contains("\"field\":\"name\"");

    HttpResponse<String> later = send(at("/api/refused/later").GET());
    assertThat(later.statusCode()).isEqualTo(503);
    assertThat(later.body()).contains("AMI is not connected");
  }

  @Test
  void anUnknownFieldIsNamedWithTheKnownOnes() throws Exception {
    HttpResponse<String> r = send(at("/api/orders")
        .POST(HttpRequest.BodyPublishers.ofString("{\"to\":\"+15551234567\",\"count\":1,\"bogus\":1}")));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("\"error\":\"unknown field bogus; known fields: count, to\"", "\"field\":\"bogus\"");
  }

  @Test
  void aWrongMethodIs405WithAllow() throws Exception {
    HttpResponse<String> r = send(at("/api/orders").DELETE());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(405);
    assertThat(r.headers().firstValue("Allow")).hasValue("POST");
    assertThat(r.body()).contains("\"error\":\"DELETE is not allowed on /api/orders; allowed: POST\"");
  }

  @Test
  void aResponseWeCannotWriteIsA500() throws Exception {
    HttpResponse<String> broken = send(at("/api/broken").GET());
    assertThat(broken.statusCode()).isEqualTo(500);
    assertThat(broken.body()).isEqualTo("{\"error\":\"internal error\"}");
  }

  @Test
  void wrongTokenIs401AndUnknownPathWithAGoodTokenIs404() throws Exception {
    HttpResponse<String> wrong = http.send(at("/api/orders").header("Authorization", "Bearer nope").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).contains("invalid token").doesNotContain(TOKEN);
    HttpResponse<String> missing = send(at("/api/nothing-here").GET());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("\"error\":\"no such resource: GET /api/nothing-here\"");
  }

  @Test
  void aPortInUseStopsTheStartNamingTheKey() {
    HttpServer second = new HttpServer(HttpConfig.from(Settings.of(Map.of(), Map.of(),
        Map.of("http.port", Integer.toString(server.port())))), Json.mapper())
        .auth(new Auth(Optional.of(TOKEN), hash -> OptionalLong.empty()));
    assertThatThrownBy(second::start)
        .isInstanceOf(UserException.class)
        .hasMessageContaining(":" + server.port())
        .hasMessageContaining("http.port (HTTP_PORT)");
  }
}
