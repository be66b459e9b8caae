package io.asterline.compliance;

import static io.asterline.db.generated.Tables.ADMISSION_SLOT;
import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.JOURNEY_SCHEDULED_CALL;
import static io.asterline.db.generated.Tables.SUPPRESSION;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.outbound.FakeAmi;
import io.asterline.outbound.OutboundFixture;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Calling windows and the do-not-call list as a user meets them: through the HTTP API, against a real PostgreSQL,
 * with placement going out to the fake Asterisk's AMI. "Now" is the fixture's clock.
 */
class ComplianceApiTest {

  static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
  /** A Wednesday in summer (EDT, UTC-4). */
  static final Instant AT_2059_NY = LocalDateTime.parse("2026-07-15T20:59:00").atZone(NEW_YORK).toInstant();
  static final Instant AT_2101_NY = LocalDateTime.parse("2026-07-15T21:01:00").atZone(NEW_YORK).toInstant();
  static final Instant NEXT_OPENING_NY = LocalDateTime.parse("2026-07-16T09:00:00").atZone(NEW_YORK).toInstant();

  OutboundFixture f;
  UUID did;

  @BeforeEach
  void setUp() throws Exception {
    f = OutboundFixture.start();
    did = f.did("+12125550100", "default", "TWILIO");
    f.awaitAmiUp();
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  private HttpResponse<String> call(String to) throws Exception {
    return f.post("/api/outbound/call", f.token, "{\"to_number\":\"" + to + "\"}");
  }

  private void window(String body) throws Exception {
    HttpResponse<String> r = f.put("/api/compliance/calling-window", f.token, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  @Test
  void aCallIsPlacedAt2059AndRefusedAt2101CalleeLocalTime() throws Exception {
    window("{\"days\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"],\"opens\":\"09:00\",\"closes\":\"21:00\"}");
    JsonNode shown = f.read(f.get("/api/compliance/calling-window", f.token));
    assertThat(shown.path("opens").asText()).isEqualTo("09:00");
    assertThat(shown.path("days")).hasSize(7);

    f.clock.set(AT_2059_NY);
    HttpResponse<String> inside = call("+12125551234");
    assertThat(inside.statusCode()).as(inside.body()).isEqualTo(202);
    assertThat(f.ami.nextOriginate(5, TimeUnit.SECONDS)).as("the 20:59 call goes out").isNotNull();

    f.clock.set(AT_2101_NY);
    int slots = f.dsl.fetchCount(ADMISSION_SLOT);
    long usage = f.usage(did);
    int calls = f.dsl.fetchCount(CALL);
    HttpResponse<String> outside = call("+12125551234");
    assertThat(outside.statusCode()).as(outside.body()).isEqualTo(409);
    JsonNode error = f.read(outside);
    assertThat(error.path("field").asText()).isEqualTo("to_number");
    assertThat(error.path("error").asText()).contains("outside the calling window")
        .contains("America/New_York").contains(NEXT_OPENING_NY.toString());
    assertThat(f.dsl.fetchCount(ADMISSION_SLOT)).as("no slot taken").isEqualTo(slots);
    assertThat(f.usage(did)).as("no DID use").isEqualTo(usage);
    assertThat(f.dsl.fetchCount(CALL)).as("no call row").isEqualTo(calls);
    assertThat(f.ami.nextOriginate(300, TimeUnit.MILLISECONDS)).as("never placed").isNull();

    // the same instant is 18:01 in Los Angeles (area code 310): inside that callee's window
    HttpResponse<String> west = call("+13105551234");
    assertThat(west.statusCode()).as(west.body()).isEqualTo(202);
  }

  @Test
  void aBadWindowIsRefusedNamingItsField() throws Exception {
    HttpResponse<String> day = f.put("/api/compliance/calling-window", f.token,
        "{\"days\":[\"mon\",\"funday\"],\"opens\":\"09:00\",\"closes\":\"21:00\"}");
    assertThat(day.statusCode()).isEqualTo(400);
    assertThat(f.read(day).path("field").asText()).isEqualTo("days");
    assertThat(f.read(day).path("error").asText()).contains("funday").contains("mon, tue");
    HttpResponse<String> order = f.put("/api/compliance/calling-window", f.token,
        "{\"days\":[\"mon\"],\"opens\":\"21:00\",\"closes\":\"09:00\"}");
    assertThat(order.statusCode()).isEqualTo(400);
    assertThat(f.read(order).path("field").asText()).isEqualTo("closes");
    HttpResponse<String> journey = f.put("/api/compliance/calling-window", f.token,
        "{\"journey_id\":999999,\"days\":[\"mon\"],\"opens\":\"09:00\",\"closes\":\"17:00\"}");
    assertThat(journey.statusCode()).isEqualTo(404);
    assertThat(f.get("/api/compliance/calling-window", f.token).statusCode()).as("nothing stored").isEqualTo(404);
  }

  @Test
  void aSuppressedNumberIsRefusedWithNothingReserved() throws Exception {
    HttpResponse<String> added = f.post("/api/compliance/suppressions", f.token,
        "{\"number\":\"(212) 555-7777\",\"note\":\"asked by letter\"}");
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    assertThat(f.read(added).path("number").asText()).isEqualTo("+12125557777");
    assertThat(f.read(added).path("source").asText()).isEqualTo("api");

    int slots = f.dsl.fetchCount(ADMISSION_SLOT);
    long usage = f.usage(did);
    HttpResponse<String> r = call("+12125557777");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
    assertThat(f.read(r).path("field").asText()).isEqualTo("to_number");
    assertThat(f.read(r).path("error").asText()).contains("do-not-call list");
    assertThat(f.dsl.fetchCount(ADMISSION_SLOT)).isEqualTo(slots);
    assertThat(f.usage(did)).isEqualTo(usage);
    assertThat(f.dsl.fetchCount(CALL)).isZero();
    assertThat(f.ami.nextOriginate(300, TimeUnit.MILLISECONDS)).isNull();

    // removed through the API, the number is callable again
    assertThat(f.delete("/api/compliance/suppressions/+12125557777", f.token).statusCode()).isEqualTo(204);
    assertThat(call("+12125557777").statusCode()).isEqualTo(202);
  }

  @Test
  void csvImportIsAllOrNothingAndOptOutsSurviveRemoval() throws Exception {
    HttpResponse<String> bad = f.post("/api/compliance/suppressions/import", f.token,
        "name,number\nAda,+12125550001\nBob,not-a-number\n");
    assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
    assertThat(f.read(bad).path("error").asText()).contains("line 3");
    assertThat(f.dsl.fetchCount(SUPPRESSION)).as("nothing from a refused import").isZero();

    HttpResponse<String> ok = f.post("/api/compliance/suppressions/import", f.token,
        "name,number\nAda,+12125550001\n\"Smith, Bob\",212 555 0002\nAda again,+12125550001\n");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(f.read(ok).path("added").asInt()).isEqualTo(2);
    JsonNode list = f.read(f.get("/api/compliance/suppressions", f.token)).path("suppressions");
    assertThat(list.findValuesAsText("number")).containsExactlyInAnyOrder("+12125550001", "+12125550002");
    assertThat(list.findValuesAsText("source")).containsOnly("csv");

    // an opt_out entry (what the agent's tool writes) is kept against a tenant's removal
    f.dsl.update(SUPPRESSION).set(SUPPRESSION.SOURCE, "opt_out").where(SUPPRESSION.NUMBER.eq("+12125550001")).execute();
    HttpResponse<String> kept = f.delete("/api/compliance/suppressions/+12125550001", f.token);
    assertThat(kept.statusCode()).as(kept.body()).isEqualTo(409);
    assertThat(f.read(kept).path("error").asText()).contains("opted out");
    assertThat(f.delete("/api/compliance/suppressions/+12125550001?override=opt_out", f.token).statusCode())
        .as("only an admin may override").isEqualTo(409);
    assertThat(f.dsl.fetchExists(SUPPRESSION, SUPPRESSION.NUMBER.eq("+12125550001"))).isTrue();
    assertThat(f.delete("/api/compliance/suppressions/+12125550001?override=opt_out&business_id=" + f.tenant,
        OutboundFixture.ADMIN).statusCode()).isEqualTo(204);
  }

  @Test
  void aJourneyOutsideItsWindowIsScheduledForTheNextOpeningAndPlacedThen() throws Exception {
    window("{\"days\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"],\"opens\":\"08:00\",\"closes\":\"22:00\"}");
    HttpResponse<String> created = f.post("/api/journeys", f.token, "{\"name\":\"Renewals\",\"nodes\":["
        + "{\"type\":\"MAKE_CALL\",\"config\":{\"didSegment\":\"default\"}}]}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    long journey = f.read(created).path("id").asLong();
    // the journey's own window overrides the tenant's 08:00-22:00
    window("{\"journey_id\":" + journey + ",\"days\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"],"
        + "\"opens\":\"09:00\",\"closes\":\"21:00\"}");

    f.clock.set(AT_2101_NY);
    HttpResponse<String> run = f.post("/api/journeys/" + journey + "/run", f.token, "{\"to_number\":\"+12125551234\"}");
    assertThat(run.statusCode()).as(run.body()).isEqualTo(202);
    JsonNode node = f.read(run).path("nodes").get(0);
    assertThat(node.path("result").asText()).isEqualTo("scheduled");
    assertThat(Instant.parse(node.path("scheduled_at").asText())).isEqualTo(NEXT_OPENING_NY);
    assertThat(f.dsl.fetchCount(CALL)).as("never placed outside the window").isZero();
    assertThat(f.dsl.fetchCount(ADMISSION_SLOT)).isZero();

    f.clock.set(NEXT_OPENING_NY.minusSeconds(60));
    assertThat(f.outbound.placeDueJourneyCalls()).as("not due at 08:59").isZero();
    assertThat(f.ami.nextOriginate(200, TimeUnit.MILLISECONDS)).isNull();

    // a node claimed it at the opening and died before placing it: another poller takes it over, but not at once
    f.clock.set(NEXT_OPENING_NY);
    f.dsl.update(JOURNEY_SCHEDULED_CALL).set(JOURNEY_SCHEDULED_CALL.STATE, "placing")
        .set(JOURNEY_SCHEDULED_CALL.CLAIMED_AT, NEXT_OPENING_NY.atOffset(java.time.ZoneOffset.UTC)).execute();
    assertThat(f.outbound.placeDueJourneyCalls()).as("a fresh claim is left to its node").isZero();
    f.clock.set(NEXT_OPENING_NY.plusSeconds(11 * 60));
    assertThat(f.outbound.placeDueJourneyCalls()).isEqualTo(1);
    FakeAmi.Packet originate = f.ami.nextOriginate(5, TimeUnit.SECONDS);
    assertThat(originate).isNotNull();
    assertThat(originate.get("Channel")).contains("12125551234");
    var row = f.dsl.fetchOne(JOURNEY_SCHEDULED_CALL);
    assertThat(row.getState()).isEqualTo("placed");
    assertThat(f.dsl.fetchExists(CALL, CALL.ID.eq(row.getCallId()))).isTrue();
    assertThat(f.outbound.placeDueJourneyCalls()).as("placed once").isZero();
  }
}
