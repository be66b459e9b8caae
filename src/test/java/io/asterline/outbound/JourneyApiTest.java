package io.asterline.outbound;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.JOURNEY_RUN;
import static io.asterline.db.generated.Tables.OUTBOUND_CALL;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Journeys with ordered nodes; a run places the MAKE_CALL nodes through the outbound path. */
class JourneyApiTest {

  OutboundFixture f;
  UUID named;

  @BeforeEach
  void setUp() throws Exception {
    f = OutboundFixture.start();
    named = f.did("+15550003333", "default", "DIDWW");
    f.did("+15550001111", "twilio-main", "TWILIO");
    f.did("+15550002222", "twilio-main", "TWILIO");
    f.awaitAmiUp();
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  private JsonNode create() throws Exception {
    HttpResponse<String> r = f.post("/api/journeys", f.token, "{\"business_id\":" + f.tenant + ",\"name\":\"Welcome\","
        + "\"nodes\":["
        + "{\"type\":\"MAKE_CALL\",\"config\":{\"didSegment\":\"twilio-main\",\"audioFile\":\"custom/voice_template_123\","
        + "\"transferNumber\":\"+12345678900\"}},"
        + "{\"type\":\"SEND_SMS\",\"config\":{\"text\":\"hello\"}},"
        + "{\"type\":\"MAKE_CALL\",\"config\":{\"didId\":\"" + named + "\",\"didSegment\":\"twilio-main\"}}]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return f.read(r);
  }

  @Test
  void aJourneyKeepsItsNodesInOrderAndTheirCrudWorks() throws Exception {
    JsonNode j = create();
    long id = j.path("id").asLong();
    JsonNode shown = f.read(f.get("/api/journeys/" + id, f.token));
    assertThat(shown.path("name").asText()).isEqualTo("Welcome");
    assertThat(shown.path("nodes")).hasSize(3);
    assertThat(shown.path("nodes").get(0).path("type").asText()).isEqualTo("MAKE_CALL");
    assertThat(shown.path("nodes").get(0).path("config").path("didSegment").asText()).isEqualTo("twilio-main");
    assertThat(shown.path("nodes").get(1).path("config").path("text").asText()).isEqualTo("hello");
    assertThat(shown.path("nodes").get(2).path("config").path("didId").asText()).isEqualTo(named.toString());

    // add at the front, change, read, delete
    HttpResponse<String> added = f.post("/api/journeys/" + id + "/nodes", f.token,
        "{\"type\":\"WAIT\",\"config\":{\"seconds\":\"60\"},\"position\":0}");
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    long nodeId = f.read(added).path("id").asLong();
    HttpResponse<String> appended = f.post("/api/journeys/" + id + "/nodes", f.token,
        "{\"type\":\"MAKE_CALL\",\"config\":{}}");
    assertThat(f.read(appended).path("position").asInt()).as("after the four before it").isEqualTo(4);
    HttpResponse<String> changed = f.put("/api/journeys/" + id + "/nodes/" + nodeId, f.token,
        "{\"type\":\"MAKE_CALL\",\"config\":{\"transferNumber\":\"+1 555 000 9999\"}}");
    assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
    assertThat(f.read(changed).path("config").path("transferNumber").asText()).isEqualTo("+15550009999");
    assertThat(f.read(f.get("/api/journeys/" + id + "/nodes/" + nodeId, f.token)).path("type").asText())
        .isEqualTo("MAKE_CALL");
    JsonNode order = f.read(f.get("/api/journeys/" + id, f.token)).path("nodes");
    assertThat(order.get(0).path("id").asLong()).isEqualTo(nodeId);
    assertThat(f.delete("/api/journeys/" + id + "/nodes/" + nodeId, f.token).statusCode()).isEqualTo(204);
    assertThat(f.get("/api/journeys/" + id + "/nodes/" + nodeId, f.token).statusCode()).isEqualTo(404);
    assertThat(f.read(f.get("/api/journeys/" + id, f.token)).path("nodes")).hasSize(4);
    assertThat(f.read(f.put("/api/journeys/" + id, f.token, "{\"name\":\"Renamed\"}")).path("name").asText())
        .isEqualTo("Renamed");
    assertThat(f.read(f.get("/api/journeys", f.token)).path("journeys")).hasSize(1);
  }

  @Test
  void badNodesAreRefusedNamingTheConfigKey() throws Exception {
    Map<String, String> cases = new HashMap<>();
    cases.put("{\"type\":\"MAKE_CALL\",\"config\":{\"didId\":\"not-a-uuid\"}}", "config.didId");
    cases.put("{\"type\":\"MAKE_CALL\",\"config\":{\"transferNumber\":\"12\"}}", "config.transferNumber");
    cases.put("{\"type\":\"MAKE_CALL\",\"config\":{\"didSegmnet\":\"x\"}}", "config.didSegmnet");
    cases.put("{\"type\":\"MAKE_CALL\",\"config\":{\"audioFile\":\"/etc/passwd\"}}", "config.audioFile");
    cases.put("{\"type\":\"make call\",\"config\":{}}", "type");
    cases.put("{\"type\":\"MAKE_CALL\",\"config\":[1]}", "config");
    cases.put("{\"type\":\"MAKE_CALL\",\"config\":{},\"position\":-1}", "position");
    long id = create().path("id").asLong();
    for (Map.Entry<String, String> c : cases.entrySet()) {
      HttpResponse<String> r = f.post("/api/journeys/" + id + "/nodes", f.token, c.getKey());
      assertThat(r.statusCode()).as(c.getKey() + " -> " + r.body()).isEqualTo(400);
      assertThat(f.read(r).path("field").asText()).as(c.getKey()).isEqualTo(c.getValue());
    }
    HttpResponse<String> inCreate = f.post("/api/journeys", f.token, "{\"name\":\"x\",\"nodes\":[{\"type\":\"MAKE_CALL\","
        + "\"config\":{\"didSegment\":\"bad segment\"}}]}");
    assertThat(f.read(inCreate).path("field").asText()).isEqualTo("nodes[0].config.didSegment");
    assertThat(f.read(f.get("/api/journeys/" + id, f.token)).path("nodes")).hasSize(3);
  }

  @Test
  void makeCallNodesNamingAMissingDidOrSegmentAreRefusedWhenSaved() throws Exception {
    long id = create().path("id").asLong();
    HttpResponse<String> did = f.post("/api/journeys/" + id + "/nodes", f.token,
        "{\"type\":\"MAKE_CALL\",\"config\":{\"didId\":\"" + UUID.randomUUID() + "\"}}");
    assertThat(did.statusCode()).as(did.body()).isEqualTo(400);
    assertThat(f.read(did).path("field").asText()).isEqualTo("config.didId");
    HttpResponse<String> segment = f.post("/api/journeys", f.token, "{\"name\":\"x\",\"nodes\":[{\"type\":"
        + "\"MAKE_CALL\",\"config\":{\"didSegment\":\"nowhere\"}}]}");
    assertThat(segment.statusCode()).as(segment.body()).isEqualTo(400);
    assertThat(f.read(segment).path("field").asText()).isEqualTo("nodes[0].config.didSegment");
    long node = f.read(f.get("/api/journeys/" + id, f.token)).path("nodes").get(0).path("id").asLong();
    HttpResponse<String> update = f.put("/api/journeys/" + id + "/nodes/" + node, f.token,
        "{\"config\":{\"didSegment\":\"nowhere\"}}");
    assertThat(update.statusCode()).as(update.body()).isEqualTo(400);
  }

  @Test
  void updatingANodesConfigKeepsTheKeysItDoesNotMention() throws Exception {
    long id = create().path("id").asLong();
    long node = f.read(f.get("/api/journeys/" + id, f.token)).path("nodes").get(0).path("id").asLong();
    HttpResponse<String> r = f.put("/api/journeys/" + id + "/nodes/" + node, f.token,
        "{\"config\":{\"voicemailAction\":\"leave_message\",\"voicemailMessage\":\"Hi\"}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode config = f.read(r).path("config");
    assertThat(config.path("didSegment").asText()).isEqualTo("twilio-main");
    assertThat(config.path("audioFile").asText()).isEqualTo("custom/voice_template_123");
    assertThat(config.path("voicemailMessage").asText()).isEqualTo("Hi");
    // an explicit null removes a key
    JsonNode cleared = f.read(f.put("/api/journeys/" + id + "/nodes/" + node, f.token,
        "{\"config\":{\"audioFile\":null}}")).path("config");
    assertThat(cleared.has("audioFile")).isFalse();
    assertThat(cleared.path("didSegment").asText()).isEqualTo("twilio-main");
  }

  @Test
  void aJsonNullBodyIsA400() throws Exception {
    long id = create().path("id").asLong();
    for (String path : new String[] {"/api/journeys", "/api/journeys/" + id + "/nodes", "/api/journeys/" + id + "/run"}) {
      HttpResponse<String> r = f.post(path, f.token, "null");
      assertThat(r.statusCode()).as(path + " -> " + r.body()).isEqualTo(400);
      assertThat(f.read(r).path("error").asText()).as(path).contains("JSON object");
    }
    assertThat(f.put("/api/journeys/" + id, f.token, "null").statusCode()).isEqualTo(400);
  }

  @Test
  void aRunPlacesEachMakeCallNodeInOrderWithItsOwnCallerId() throws Exception {
    long id = create().path("id").asLong();
    HttpResponse<String> r = f.post("/api/journeys/" + id + "/run", f.token,
        "{\"lead_id\":123,\"to_number\":\"+15559876543\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode run = f.read(r);
    JsonNode nodes = run.path("nodes");
    assertThat(nodes).hasSize(3);
    assertThat(nodes.get(0).path("result").asText()).isEqualTo("placed");
    assertThat(nodes.get(0).path("did_segment").asText()).isEqualTo("twilio-main");
    assertThat(nodes.get(0).path("state").asText()).isEqualTo("ringing");
    assertThat(nodes.get(1).path("result").asText()).isEqualTo("skipped");
    assertThat(nodes.get(2).path("result").asText()).isEqualTo("placed");
    assertThat(nodes.get(2).path("caller_id").asText()).as("didId wins over didSegment").isEqualTo("+15550003333");

    FakeAmi.Packet first = f.ami.nextOriginate(5, TimeUnit.SECONDS);
    FakeAmi.Packet second = f.ami.nextOriginate(5, TimeUnit.SECONDS);
    assertThat(first.get("ChannelId")).isEqualTo(nodes.get(0).path("call_id").asText());
    assertThat(first.get("Channel")).isEqualTo("PJSIP/+15559876543@TWILIO");
    assertThat(first.get("CallerID")).isIn("+15550001111", "+15550002222");
    assertThat(first.all("Variable")).contains("ASTERLINE_AUDIO_FILE=custom/voice_template_123",
        "ASTERLINE_TRANSFER_NUMBER=+12345678900");
    assertThat(second.get("Channel")).isEqualTo("PJSIP/+15559876543@DIDWW");
    assertThat(second.get("CallerID")).isEqualTo("+15550003333");

    long runId = run.path("run_id").asLong();
    assertThat(f.dsl.fetchValue(JOURNEY_RUN.LEAD_ID, JOURNEY_RUN.ID.eq(runId))).isEqualTo(123L);
    assertThat(f.dsl.fetchCount(OUTBOUND_CALL, OUTBOUND_CALL.JOURNEY_RUN_ID.eq(runId))).isEqualTo(2);
    JsonNode listed = f.read(f.get("/api/calls?direction=outbound&state=ringing", f.token)).path("calls");
    assertThat(listed).hasSize(2);
    assertThat(listed.get(0).path("journey_run_id").asLong()).isEqualTo(runId);
    assertThat(listed.get(0).path("lead_id").asLong()).isEqualTo(123);
  }

  @Test
  void aRunWithAnUnusableNodeReportsItAndPlacesTheRest() throws Exception {
    long id = create().path("id").asLong();
    f.dsl.execute("UPDATE did SET status = 'inactive' WHERE id = '" + named + "'");
    JsonNode run = f.read(f.post("/api/journeys/" + id + "/run", f.token, "{\"to_number\":\"+15559876543\"}"));
    assertThat(run.path("nodes").get(0).path("result").asText()).isEqualTo("placed");
    assertThat(run.path("nodes").get(2).path("result").asText()).isEqualTo("error");
    assertThat(run.path("nodes").get(2).path("status").asInt()).isEqualTo(400);
    assertThat(run.path("nodes").get(2).path("error").asText()).contains("inactive");
    assertThat(f.dsl.fetchCount(CALL)).isEqualTo(1);
  }

  @Test
  void anotherTenantCannotSeeOrRunTheJourneyAndAmiDownStopsARun() throws Exception {
    long id = create().path("id").asLong();
    String otherToken = io.asterline.http.Auth.newToken();
    f.dsl.execute("INSERT INTO tenant (name, api_token_hash) VALUES ('other', '"
        + io.asterline.http.Auth.hash(otherToken) + "')");
    assertThat(f.get("/api/journeys/" + id, otherToken).statusCode()).isEqualTo(404);
    assertThat(f.post("/api/journeys/" + id + "/run", otherToken, "{\"to_number\":\"+15559876543\"}").statusCode())
        .isEqualTo(404);
    assertThat(f.read(f.get("/api/journeys", otherToken)).path("journeys")).isEmpty();

    f.ami.stop();
    OutboundFixture.await(() -> f.amiState().equals("DOWN"), "AMI down");
    HttpResponse<String> r = f.post("/api/journeys/" + id + "/run", f.token, "{\"to_number\":\"+15559876543\"}");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(f.dsl.fetchCount(JOURNEY_RUN)).isZero();
    assertThat(f.dsl.fetchCount(CALL)).isZero();
  }
}
