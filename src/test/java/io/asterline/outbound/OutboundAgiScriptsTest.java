package io.asterline.outbound;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.OUTBOUND_CALL;
import static io.asterline.db.generated.Tables.ADMISSION_SLOT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.db.generated.tables.records.CallRecord;
import java.lang.reflect.Proxy;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiRequest;
import org.asteriskjava.fastagi.AgiScript;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The outbound dialplan's AGI scripts with a map-backed channel (GET VARIABLE answers from the map, SET VARIABLE
 * records into it), on calls placed for real through the fake AMI.
 */
class OutboundAgiScriptsTest {

  OutboundFixture f;
  Map<String, AgiScript> scripts;

  @BeforeEach
  void setUp() throws Exception {
    f = OutboundFixture.start();
    f.did("+15550001111", "default", "TWILIO");
    f.awaitAmiUp();
    scripts = f.outbound.agiScripts();
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  /**
   * A channel whose variables live in a map (SET VARIABLE, and EXEC MSet as the scripts answer in one round trip,
   * record into it); any other AGI command fails the test.
   */
  static AgiChannel channel(Map<String, String> vars) {
    return (AgiChannel) Proxy.newProxyInstance(AgiChannel.class.getClassLoader(), new Class<?>[] {AgiChannel.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getVariable" -> vars.get((String) args[0]);
          case "setVariable" -> {
            vars.put((String) args[0], (String) args[1]);
            yield null;
          }
          case "exec" -> {
            assertThat(args[0]).isEqualTo("MSet");
            // MSet's pairs, left to right: the status last
            for (String pair : String.join(",", (String[]) args[1]).split(",")) {
              vars.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
            }
            yield 0;
          }
          case "toString" -> "map channel";
          default -> throw new AssertionError("unexpected AGI command " + method.getName());
        });
  }

  static AgiRequest request(String... args) {
    return (AgiRequest) Proxy.newProxyInstance(AgiRequest.class.getClassLoader(), new Class<?>[] {AgiRequest.class},
        (proxy, method, a) -> switch (method.getName()) {
          case "getArguments" -> args;
          default -> null;
        });
  }

  private UUID place(String extra) throws Exception {
    HttpResponse<String> r = f.post("/api/outbound/call", f.token, "{\"business_id\":" + f.tenant
        + ",\"to_number\":\"+12345678900\"" + extra + "}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return UUID.fromString(f.read(r).path("call_id").asText());
  }

  private Map<String, String> answered(UUID call, String amd, String cause) throws Exception {
    Map<String, String> vars = new HashMap<>();
    vars.put("ASTERLINE_CALL_ID", call.toString());
    vars.put("AMDSTATUS", amd);
    vars.put("AMDCAUSE", cause);
    scripts.get("outbound-answered").service(request(), channel(vars));
    return vars;
  }

  private CallRecord row(UUID id) {
    return f.dsl.selectFrom(CALL).where(CALL.ID.eq(id)).fetchOne();
  }

  @Test
  void aHumanGoesToTheAgentWithTheAmdResultStoredForIt() throws Exception {
    UUID id = place("");
    Map<String, String> vars = answered(id, "HUMAN", "HUMAN-300-800");
    assertThat(vars).containsEntry("ASTERLINE_STATUS", "OK").containsEntry("ASTERLINE_NEXT", "agent");
    CallRecord call = row(id);
    assertThat(call.getState()).isEqualTo("answered");
    assertThat(call.getAnsweredAt()).isNotNull();
    assertThat(call.getVoicemailResult()).isEqualTo("human");
    assertThat(f.dsl.fetchValue(OUTBOUND_CALL.AMD_STATUS, OUTBOUND_CALL.CALL_ID.eq(id))).isEqualTo("HUMAN");
    assertThat(f.dsl.fetchValue(OUTBOUND_CALL.AMD_CAUSE, OUTBOUND_CALL.CALL_ID.eq(id))).isEqualTo("HUMAN-300-800");
    // the AMI event arriving afterwards keeps it answered
    f.ami.originateResponse(f.ami.nextOriginate(5, TimeUnit.SECONDS), 4);
    OutboundFixture.await(() -> f.dsl.fetchValue(OUTBOUND_CALL.ORIGINATE_REASON, OUTBOUND_CALL.CALL_ID.eq(id)) != null,
        "event recorded");
    assertThat(row(id).getState()).isEqualTo("answered");
    assertThat(f.read(f.get("/api/calls/" + id, f.token)).path("voicemail_result").asText()).isEqualTo("human");
  }

  @Test
  void aMachineIsHungUpOrGetsTheMessageAsTheCallAsked() throws Exception {
    UUID hangUp = place("");
    assertThat(answered(hangUp, "MACHINE", "INITIALSILENCE-2500-2500")).containsEntry("ASTERLINE_NEXT", "hangup");
    assertThat(row(hangUp).getVoicemailResult()).isEqualTo("machine");
    assertThat(row(hangUp).getOutcome()).isEqualTo("machine_hangup");

    UUID leave = place(",\"voicemail_action\":\"leave_message\",\"voicemail_message\":\"Call us back\"");
    assertThat(answered(leave, "MACHINE", "MAXWORDS-3-2")).containsEntry("ASTERLINE_NEXT", "voicemail");
    assertThat(row(leave).getOutcome()).isEqualTo("voicemail");

    UUID unsure = place("");
    assertThat(answered(unsure, "NOTSURE", "TOOLONG-5000")).containsEntry("ASTERLINE_NEXT", "agent");
    assertThat(row(unsure).getVoicemailResult()).isEqualTo("unknown");

    UUID gone = place("");
    assertThat(answered(gone, "HANGUP", "")).containsEntry("ASTERLINE_NEXT", "hangup");
  }

  @Test
  void withoutAKnownCallTheAgentStillTakesIt() throws Exception {
    Map<String, String> garbage = new HashMap<>(Map.of("ASTERLINE_CALL_ID", "not-a-uuid", "AMDSTATUS", "HUMAN"));
    scripts.get("outbound-answered").service(request(), channel(garbage));
    assertThat(garbage).containsEntry("ASTERLINE_STATUS", "ERROR").containsEntry("ASTERLINE_NEXT", "agent");
    Map<String, String> unknown = answered(UUID.randomUUID(), "MACHINE", "");
    assertThat(unknown).containsEntry("ASTERLINE_STATUS", "ERROR").containsEntry("ASTERLINE_NEXT", "agent");
  }

  /** The outbound scripts answer as every Asterline script does: one MSet, the status last, and timed. */
  @Test
  void theOutboundScriptsAnswerInOneRoundTripWithTheStatusLastAndAreTimed() throws Exception {
    UUID id = place("");
    java.util.List<String> commands = new java.util.ArrayList<>();
    Map<String, String> vars = new HashMap<>(Map.of("ASTERLINE_CALL_ID", id.toString(), "AMDSTATUS", "HUMAN"));
    AgiChannel recorded = channel(vars);
    AgiChannel channel = (AgiChannel) Proxy.newProxyInstance(AgiChannel.class.getClassLoader(),
        new Class<?>[] {AgiChannel.class}, (proxy, method, args) -> {
          if (!method.getName().equals("getVariable") && !method.getName().equals("toString")) {
            commands.add(method.getName() + " " + (args[1] instanceof String[] a ? String.join(",", a) : args[1]));
          }
          return method.invoke(recorded, args);
        });
    scripts.get("outbound-answered").service(request(), channel);
    assertThat(commands).containsExactly("exec ASTERLINE_NEXT=agent,ASTERLINE_STATUS=OK");
    assertThat(f.metrics.find("asterline.agi.request").tags("script", "outbound-answered", "status", "OK").timer())
        .isNotNull().satisfies(t -> assertThat(t.count()).isEqualTo(1));

    scripts.get("outbound-failed").service(request("3"), channel(new HashMap<>(Map.of("ASTERLINE_CALL_ID", "x"))));
    assertThat(f.metrics.find("asterline.agi.request").tags("script", "outbound-failed", "status", "ERROR").timer())
        .isNotNull().satisfies(t -> assertThat(t.count()).isEqualTo(1));
  }

  @Test
  void theFailedExtensionClosesTheCallWhenAmiMissedTheEvent() throws Exception {
    UUID id = place("");
    FakeAmi.Packet o = f.ami.nextOriginate(5, TimeUnit.SECONDS);
    Map<String, String> vars = new HashMap<>(Map.of("ASTERLINE_CALL_ID", id.toString(), "REASON", "5"));
    scripts.get("outbound-failed").service(request("5"), channel(vars));
    assertThat(vars).containsEntry("ASTERLINE_STATUS", "OK");
    assertThat(row(id).getState()).isEqualTo("failed");
    assertThat(row(id).getOutcome()).isEqualTo("busy");
    assertThat(f.dsl.fetchExists(ADMISSION_SLOT, ADMISSION_SLOT.CALL_ID.eq(id))).isFalse();

    // the AMI event coming afterwards (what the event thread runs for it) does not rewrite the first report
    assertThat(o.get("ChannelId")).isEqualTo(id.toString());
    assertThat(f.outbound.service().originateEnded(new OriginateResponse(id, 8, o.get("Channel")))).isTrue();
    assertThat(row(id).getOutcome()).isEqualTo("busy");
    assertThat(f.dsl.fetchValue(OUTBOUND_CALL.ORIGINATE_REASON, OUTBOUND_CALL.CALL_ID.eq(id))).isEqualTo(5);
  }

  @Test
  void theFailedExtensionReadsReasonFromTheChannelWithoutArgument() throws Exception {
    UUID id = place("");
    Map<String, String> vars = new HashMap<>(Map.of("ASTERLINE_CALL_ID", id.toString(), "REASON", "8"));
    scripts.get("outbound-failed").service(request(), channel(vars));
    assertThat(row(id).getOutcome()).isEqualTo("congestion");
    Map<String, String> unknown = new HashMap<>(Map.of("ASTERLINE_CALL_ID", UUID.randomUUID().toString()));
    scripts.get("outbound-failed").service(request("3"), channel(unknown));
    assertThat(unknown).containsEntry("ASTERLINE_STATUS", "ERROR");
  }

  @Test
  void callsAsteriskNeverReportedOnAreFailedAndFreedBySweep() throws Exception {
    UUID lost = place("");
    UUID fresh = place("");
    f.dsl.execute("UPDATE outbound_call SET originated_at = now() - interval '1 hour' WHERE call_id = '" + lost + "'");
    f.outbound.service().sweepNow();
    assertThat(row(lost).getState()).isEqualTo("failed");
    assertThat(row(lost).getOutcome()).isEqualTo("originate_lost");
    assertThat(f.dsl.fetchExists(ADMISSION_SLOT, ADMISSION_SLOT.CALL_ID.eq(lost))).isFalse();
    assertThat(row(fresh).getState()).isEqualTo("ringing");
    assertThat(f.dsl.fetchExists(ADMISSION_SLOT, ADMISSION_SLOT.CALL_ID.eq(fresh))).isTrue();
  }
}
