package io.asterline.call;

import static io.asterline.db.generated.Tables.ADMISSION_TENANT_USAGE;
import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.CALL_EVENT;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.config.Json;
import io.asterline.db.TestDatabase;
import io.asterline.http.Auth;
import io.asterline.http.HttpConfig;
import io.asterline.http.HttpServer;
import io.asterline.tenant.TenantRepository;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.jooq.JSONB;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the console reads about calls, over a real HTTP server and PostgreSQL: the live calls (one snapshot and the
 * server-sent events stream) and a call's story, each held to the token's tenant; the search by number and outcome;
 * the moments the agent's recorder writes.
 */
class LiveCallsAndStoryTest {

  private static final String ADMIN = "admin-token-live-calls-test";
  private static final String ACME = "atl_acme-live-calls-token-0123456789";
  private static final String GLOBEX = "atl_globex-live-calls-token-0123456789";

  private final HttpClient client = HttpClient.newHttpClient();
  private final ObjectMapper json = Json.mapper();
  private TestDatabase.Db db;
  private LiveCalls live;
  private HttpServer http;
  private long acme;
  private long globex;

  @BeforeEach
  void setUp() {
    db = TestDatabase.fresh(4);
    acme = tenant("acme", ACME, 5);
    globex = tenant("globex", GLOBEX, 3);
    TenantRepository tenants = new TenantRepository(db.dsl());
    live = new LiveCalls(db.dsl(), json);
    http = new HttpServer(new HttpConfig(InetAddress.getLoopbackAddress(), 0, Optional.empty(), Optional.of(ADMIN)),
        json)
        .auth(new Auth(Optional.of(ADMIN), tenants::activeTenantByTokenHash))
        .routes(live)
        .routes(new CallStory(db.dsl(), json))
        .routes(new CallRoutes(new CallQueries(db.dsl()))::register)
        .start();
  }

  @AfterEach
  void tearDown() {
    http.close();
    live.close();
    db.close();
  }

  private long tenant(String name, String token, int limit) {
    return db.dsl().insertInto(TENANT).set(TENANT.NAME, name).set(TENANT.MAX_CONCURRENT_CALLS, limit)
        .set(TENANT.API_TOKEN_HASH, Auth.hash(token)).returning(TENANT.ID).fetchOne(TENANT.ID);
  }

  private UUID call(long tenant, String state, String remote, OffsetDateTime ended) {
    UUID id = UUID.randomUUID();
    db.dsl().insertInto(CALL).set(CALL.ID, id).set(CALL.TENANT_ID, tenant).set(CALL.DIRECTION, "inbound")
        .set(CALL.STATE, state).set(CALL.REMOTE_NUMBER, remote).set(CALL.ENDED_AT, ended)
        .set(CALL.CREATED_AT, OffsetDateTime.now().minusSeconds(30)).execute();
    return id;
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode getJson(String path, String token) throws Exception {
    HttpResponse<String> r = get(path, token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json.readTree(r.body());
  }

  @Test
  void aTenantSeesItsOwnLiveCallsAndSlotsTheAdminSeesAll() throws Exception {
    UUID acmeLive = call(acme, "connected", "+15550000001", null);
    UUID globexLive = call(globex, "created", "+15550000002", null);
    call(acme, "ended", "+15550000003", OffsetDateTime.now());
    db.dsl().insertInto(ADMISSION_TENANT_USAGE).set(ADMISSION_TENANT_USAGE.TENANT_ID, acme)
        .set(ADMISSION_TENANT_USAGE.IN_USE, 1).execute();
    CallEventLog events = new CallEventLog(db.dsl(), json, new SimpleMeterRegistry());
    events.forCall(acmeLive).turn("agent", "How can I help?");
    events.forCall(acmeLive).turn("caller", "My balance");
    events.forCall(acmeLive).turn("agent", "It is 42 dollars.");
    events.close();

    JsonNode mine = getJson("/api/live-calls", ACME);
    assertThat(mine.get("calls")).hasSize(1);
    JsonNode c = mine.get("calls").get(0);
    assertThat(c.get("id").asText()).isEqualTo(acmeLive.toString());
    assertThat(c.get("tenant").asText()).isEqualTo("acme");
    assertThat(c.get("remoteNumber").asText()).isEqualTo("+15550000001");
    assertThat(c.get("lastWords").asText()).as("the agent's latest turn").isEqualTo("It is 42 dollars.");
    assertThat(mine.get("admission").get("tenants")).hasSize(1);
    assertThat(mine.get("admission").get("tenants").get(0).get("inUse").asInt()).isEqualTo(1);
    assertThat(mine.get("admission").get("tenants").get(0).get("limit").asInt()).isEqualTo(5);
    assertThat(mine.get("admission").has("clusterInUse")).as("the cluster's total is the admin's").isFalse();

    JsonNode all = getJson("/api/live-calls", ADMIN);
    assertThat(all.get("calls").findValuesAsText("id")).containsExactlyInAnyOrder(acmeLive.toString(),
        globexLive.toString());
    assertThat(all.get("admission").get("tenants")).hasSize(2);
    assertThat(all.get("admission").has("clusterInUse")).isTrue();
    assertThat(get("/api/live-calls", "wrong-token").statusCode()).isEqualTo(401);
  }

  @Test
  void theStreamSendsATenantItsOwnCallsAndAgainWhenTheyChange() throws Exception {
    UUID first = call(acme, "connected", "+15550000001", null);
    call(globex, "connected", "+15550000002", null);
    HttpResponse<InputStream> stream = client.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + http.port() + "/api/live-calls/stream"))
        .header("Authorization", "Bearer " + ACME).header("Accept", "text/event-stream").build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("Content-Type")).get().asString().startsWith("text/event-stream");
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
      JsonNode snapshot = nextSnapshot(lines);
      assertThat(snapshot.get("calls").findValuesAsText("id")).containsExactly(first.toString());

      // a new call and the end of the first reach the page without a reload
      UUID second = call(acme, "created", "+15550000009", null);
      db.dsl().update(CALL).set(CALL.STATE, "ended").set(CALL.ENDED_AT, OffsetDateTime.now())
          .where(CALL.ID.eq(first)).execute();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      List<String> ids;
      do {
        ids = nextSnapshot(lines).get("calls").findValuesAsText("id");
      } while (!ids.equals(List.of(second.toString())) && System.nanoTime() < deadline);
      assertThat(ids).containsExactly(second.toString());
    }
    assertThat(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port()
        + "/api/live-calls/stream")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
        .as("no token, no stream").isEqualTo(401);
  }

  private JsonNode nextSnapshot(BufferedReader lines) throws Exception {
    String event = null;
    for (String l; (l = lines.readLine()) != null; ) {
      if (l.startsWith("event:")) {
        event = l.substring(6).trim();
      } else if (l.startsWith("data:") && "snapshot".equals(event)) {
        return json.readTree(l.substring(5).trim());
      }
    }
    throw new AssertionError("the stream ended");
  }

  @Test
  void aCallsStoryPutsItsMomentsOnOneTimelineForItsTenantOnly() throws Exception {
    UUID didId = db.dsl().insertInto(DID).set(DID.TENANT_ID, acme).set(DID.NUMBER, "+15551230000")
        .set(DID.TRUNK, "TWILIO").returning(DID.ID).fetchOne(DID.ID);
    OffsetDateTime t0 = OffsetDateTime.now().minusMinutes(5);
    UUID id = UUID.randomUUID();
    db.dsl().insertInto(CALL).set(CALL.ID, id).set(CALL.TENANT_ID, acme).set(CALL.DIRECTION, "inbound")
        .set(CALL.DID_ID, didId).set(CALL.REMOTE_NUMBER, "+15557654321").set(CALL.STATE, "ended")
        .set(CALL.CREATED_AT, t0).set(CALL.ANSWERED_AT, t0.plusSeconds(1))
        .set(CALL.AGENT_CONNECTED_AT, t0.plusSeconds(1)).set(CALL.FIRST_AUDIO_AT, t0.plusSeconds(1).plusNanos(450_000_000))
        .set(CALL.ENDED_AT, t0.plusSeconds(20)).set(CALL.OUTCOME, "ANSWER").set(CALL.HANGUP_CAUSE, "16")
        .set(CALL.AGENT_DECISION, "transfer").set(CALL.TRANSFER_TO, "+15559990000")
        .set(CALL.AGENT_END_REASON, "transfer").set(CALL.BARGE_IN_COUNT, 1).set(CALL.BARGE_IN_MAX_STOP_MS, 40)
        .set(CALL.CONVERSATION, JSONB.valueOf("[{\"role\":\"agent\",\"text\":\"Hello\",\"at\":\""
            + t0.plusSeconds(2) + "\"}]"))
        .execute();
    event(id, t0.plusSeconds(5), "barge_in", "{\"stop_ms\": 40}");
    event(id, t0.plusSeconds(8), "turn", "{\"role\": \"caller\", \"text\": \"A person, please\"}");
    event(id, t0.plusSeconds(9), "tool_call", "{\"name\": \"transfer_call\", \"arguments\": {\"number\": \"+15559990000\"}}");

    JsonNode story = getJson("/api/calls/" + id + "/story", ACME);
    assertThat(story.get("tenant").asText()).isEqualTo("acme");
    assertThat(story.get("did").asText()).isEqualTo("+15551230000");
    assertThat(story.get("trunk").asText()).isEqualTo("TWILIO");
    assertThat(story.get("greeting_ms").asLong()).isEqualTo(450);
    assertThat(story.get("turns").findValuesAsText("text")).as("the turns as they happened win over the row's")
        .containsExactly("A person, please");
    List<String> kinds = new ArrayList<>();
    story.get("timeline").forEach(t -> kinds.add(t.get("kind").asText()));
    assertThat(kinds).containsExactly("offered", "admitted", "answered", "connected", "greeting", "barge_in", "turn",
        "tool_call", "agent_end", "ended");
    JsonNode barge = story.get("timeline").get(kinds.indexOf("barge_in"));
    assertThat(barge.get("stop_ms").asLong()).isEqualTo(40);
    assertThat(barge.get("offset_ms").asLong()).isEqualTo(5000);
    assertThat(story.get("timeline").get(kinds.indexOf("tool_call")).get("text").asText())
        .contains("transfer_call").contains("+15559990000");
    assertThat(story.get("timeline").get(kinds.indexOf("agent_end")).get("text").asText())
        .isEqualTo("agent leg ended: transfer, decision transfer to +15559990000");
    assertThat(story.get("recording").isNull()).isTrue();

    assertThat(get("/api/calls/" + id + "/story", GLOBEX).statusCode()).as("another tenant's call").isEqualTo(404);
    assertThat(get("/api/calls/" + id + "/story", ADMIN).statusCode()).isEqualTo(200);
    assertThat(get("/api/calls/not-a-uuid/story", ACME).statusCode()).isEqualTo(400);
  }

  private void event(UUID call, OffsetDateTime at, String kind, String detail) {
    db.dsl().insertInto(CALL_EVENT).set(CALL_EVENT.CALL_ID, call).set(CALL_EVENT.AT, at).set(CALL_EVENT.KIND, kind)
        .set(CALL_EVENT.DETAIL, JSONB.valueOf(detail)).execute();
  }

  @Test
  void callsAreFoundByPartOfANumberAndByOutcome() throws Exception {
    UUID answered = call(acme, "ended", "+15557654321", OffsetDateTime.now());
    db.dsl().update(CALL).set(CALL.OUTCOME, "ANSWER").where(CALL.ID.eq(answered)).execute();
    UUID busy = call(acme, "ended", "+15550001111", OffsetDateTime.now());
    db.dsl().update(CALL).set(CALL.OUTCOME, "BUSY").where(CALL.ID.eq(busy)).execute();
    call(globex, "ended", "+15557654321", OffsetDateTime.now());

    assertThat(getJson("/api/calls?number=765-4321", ACME).get("calls").findValuesAsText("id"))
        .containsExactly(answered.toString());
    assertThat(getJson("/api/calls?outcome=BUSY", ACME).get("calls").findValuesAsText("id"))
        .containsExactly(busy.toString());
    assertThat(getJson("/api/calls?number=7654321", ADMIN).get("calls")).hasSize(2);
    HttpResponse<String> bad = get("/api/calls?number=abc", ACME);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("\"field\":\"number\"");
  }
}
